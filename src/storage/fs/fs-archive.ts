import path from "node:path";
import { InvalidArgumentError } from "../../errors.js";
import { recordList, type ArchiveStorage } from "../port.js";
import type { FileSystem } from "./file-system.js";
import { archiveDir, archiveFormatName, formatVersion } from "./log-format.js";
import type { Manifest } from "./manifest-file.js";
import { readRecordFile, writeRecordFile } from "./record-file.js";

/** The manifest of the storage the archive belongs to: read and replaced through it. */
export interface ManifestAccess {
  manifest(): Manifest;
  commit(manifest: Manifest): void;
}

/** Archive segments in `archive/` (docs/FORMAT.md), named by the manifest. */
export class FsArchive implements ArchiveStorage {
  constructor(
    private readonly fs: FileSystem,
    private readonly location: string,
    private readonly manifests: ManifestAccess,
  ) {}

  /** Merges `records` into segment `name`: the file is durable before the manifest names it. */
  async write(name: string, records: Iterable<[string, unknown]>): Promise<number> {
    const merged = this.readIfPresent(name) ?? new Map<string, unknown>();
    for (const [id, value] of records) merged.set(id, value);
    const file = path.join(archiveDir, `${name}.jsonl`);
    this.fs.mkdir(path.join(this.location, archiveDir));
    const header = { format: archiveFormatName, formatVersion, segment: name, records: merged.size };
    await writeRecordFile(this.fs, path.join(this.location, file), header, recordList(merged));
    const manifest = this.manifests.manifest(); // Read now: other commits may have happened.
    const archive = manifest.archive.filter((entry) => entry.name !== name);
    archive.push({ name, file, records: merged.size });
    this.manifests.commit({ ...manifest, archive });
    return merged.size;
  }

  read(name: string): Map<string, unknown> {
    const found = this.readIfPresent(name);
    if (!found) throw new InvalidArgumentError(`Archive segment ${JSON.stringify(name)} not found`);
    return found;
  }

  list(): { name: string; records: number }[] {
    return this.manifests.manifest().archive.map(({ name, records }) => ({ name, records }));
  }

  private readIfPresent(name: string): Map<string, unknown> | undefined {
    const entry = this.manifests.manifest().archive.find((candidate) => candidate.name === name);
    if (!entry) return undefined;
    const records = new Map<string, unknown>();
    readRecordFile(this.fs, this.location, entry.file, archiveFormatName, (id, data) => {
      records.set(id, data);
    });
    return records;
  }
}
