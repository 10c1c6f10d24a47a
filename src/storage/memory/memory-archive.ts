import { InvalidArgumentError } from "../../errors.js";
import { valueText } from "../../model/value-text.js";
import type { ArchiveStorage } from "../port.js";
import type { MemoryVolume } from "./memory-volume.js";

/** Checks, for each archive verb, that the handle may use it now (throws otherwise). */
export interface ArchiveGuard {
  reader(verb: string): void;
  writer(verb: string): void;
}

/** Archive segments of a memory volume, kept as JSON text like everything else there. */
export class MemoryArchive implements ArchiveStorage {
  constructor(
    private readonly volume: MemoryVolume,
    private readonly location: string,
    private readonly guard: ArchiveGuard,
  ) {}

  write(name: string, records: Iterable<[string, unknown]>): Promise<number> {
    try {
      this.guard.writer("archive.write");
      // Encoded before anything is stored: a value that fails to encode changes nothing.
      const texts: [string, string][] = [];
      for (const [id, value] of records) texts.push([id, valueText(value)]);
      const segment = this.volume.archive.get(name) ?? new Map<string, string>();
      for (const [id, text] of texts) segment.set(id, text);
      this.volume.archive.set(name, segment);
      return Promise.resolve(segment.size);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  read(name: string): Map<string, unknown> {
    this.guard.reader("archive.read");
    const segment = this.volume.archive.get(name);
    if (!segment) {
      const where = this.location;
      throw new InvalidArgumentError(`archive segment "${name}" does not exist in ${where}`);
    }
    const records = new Map<string, unknown>();
    for (const [id, text] of segment) records.set(id, JSON.parse(text) as unknown);
    return records;
  }

  list(): { name: string; records: number }[] {
    this.guard.reader("archive.list");
    return [...this.volume.archive].map(([name, segment]) => ({ name, records: segment.size }));
  }
}
