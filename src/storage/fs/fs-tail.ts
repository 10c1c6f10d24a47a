import path from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { StoredState, TailEvent } from "../port.js";
import { assert } from "../../util/assert.js";
import type { FileSystem } from "./file-system.js";
import { isMissing } from "./files.js";
import { bufferSource, fileSource, SegmentTailReader } from "./fs-tail-reader.js";
import { manifestFile, opsDir } from "./log-format.js";
import { compressedSuffix, readCompressed } from "./log-reader.js";
import { readManifest, type Manifest, type SegmentEntry } from "./manifest-file.js";
import { readerAttemptsMax } from "./reader-retry.js";
import { TailWake } from "./fs-tail-wake.js";
import { durableLimit } from "./durable-mark.js";

/**
 * FileStorage.tail (storage/port.ts): a read-only storage follows a writer in another process.
 * Each wake-up (fs.watch, or the poll timer) reads the manifest when it changed, then reads the
 * segment holding the next seq from where the last read stopped (fs-tail-reader.ts). It keeps
 * the segment open, so the writer may seal, compress or prune it meanwhile: the open file still
 * holds its bytes. It starts over ("reset") when the next seq is no longer retained, or the
 * bytes it took were cut back.
 */

/** What the tail needs of its FileStorage. */
export interface TailHost {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly pollMs: number;
  readonly watch: boolean;
  /** A newer manifest to read history through, and the bytes of its active segment taken. */
  adopt(manifest: Manifest, activeBytes: number): void;
  /** A fresh load, as open() gives; the storage reads history through its manifest from now. */
  reload(): StoredState;
  /** The schema version of the data the follower opened with. */
  readonly schemaVersion: number;
}

export async function* tailDirectory(
  host: TailHost,
  afterSeq: number,
  signal: AbortSignal,
): AsyncGenerator<TailEvent> {
  assert(afterSeq >= 0, "a tail starts after a seq ≥ 0");
  const tail = new DirectoryTail(host, afterSeq);
  const dirs = [host.dir, path.join(host.dir, opsDir)];
  const wake = new TailWake(host.watch ? host.fs : undefined, dirs, host.pollMs, signal);
  try {
    while (!signal.aborted) {
      const step = tail.step();
      for (const event of step.events) {
        yield event;
        if (signal.aborted) return;
      }
      // More is ready (catching up): let other work run between steps, then go on.
      if (step.more) await yieldToEventLoop();
      else await wake.wait();
    }
  } finally {
    tail.close();
    wake.close();
  }
}

interface Step {
  events: TailEvent[];
  more: boolean;
}

const idle: Step = Object.freeze({ events: [], more: false }) as Step;

class DirectoryTail {
  private nextSeq: number;
  private manifest: Manifest | undefined;
  /** Identity of the manifest file read last (inode, size, mtime): unchanged means not re-read. */
  private manifestKey: string | undefined;
  private reader: SegmentTailReader | undefined;
  /** Name of the segment `reader` reads, without a compressed suffix. */
  private readerFile: string | undefined;
  /** Seq of the newest checkpoint reported. */
  private reported = 0;
  /** Consecutive steps that found the segment the manifest names missing under both names. */
  private missing = 0;
  /** The writer's durability mark as last read: operations after it are not taken yet. */
  private durable = 0;
  /** The segment (plain name) the last operations were taken from; none yet after a (re)load. */
  private takenFrom: string | undefined;
  /** Schema version of the data the follower holds. */
  private schemaVersion: number;

  constructor(
    private readonly host: TailHost,
    afterSeq: number,
  ) {
    this.nextSeq = afterSeq + 1;
    this.schemaVersion = host.schemaVersion;
  }

  step(): Step {
    const manifest = this.currentManifest();
    if (!manifest) return idle;
    const events: TailEvent[] = [];
    // A writer that migrated at open wrote the new records in its checkpoint, not in the log.
    if (manifest.schemaVersion !== this.schemaVersion) return this.reset(events);
    const entry = segmentHolding(manifest, this.nextSeq);
    if (!entry) return this.reset(events); // Pruned before the follower read it.
    if (this.rewritten(entry)) return this.reset(events);
    if (this.readerFile !== plainName(entry.file)) this.closeReader();
    const reader = this.reader ?? this.openReader(entry, manifest);
    if (!reader) return { events, more: true };
    const limit = this.durableThrough();
    const read = reader.read(undefined, limit);
    if (read.cut) return this.reset(events);
    // No live writer before the read, but one now: what was read may be past its mark (it may
    // have written while the log was read). Start over from a load, which applies the mark.
    if (limit === Number.POSITIVE_INFINITY && read.ops.length > 0 && read.ops.at(-1)!.seq > this.durableThrough()) {
      return this.reset(events);
    }
    // The follower's operations from this segment's first seq on were read from this file.
    if (entry.firstSeq <= reader.nextSeq - 1) this.takenFrom = plainName(entry.file);
    if (read.ops.length > 0) {
      assert(read.ops[0]!.seq === this.nextSeq, "a tail continues at the next seq");
      events.push({ kind: "ops", ops: read.ops, schemaVersion: entry.schemaVersion ?? manifest.schemaVersion });
      this.nextSeq = reader.nextSeq;
    }
    let more = read.more;
    const active = entry === manifest.segments.at(-1);
    if (!active) {
      const lastSeq = entry.lastSeq ?? entry.firstSeq - 1;
      if (this.nextSeq > lastSeq) {
        this.closeReader(); // Done with it: the next segment continues at once.
        more = true;
      } else if (!read.more && read.ops.length === 0) {
        return this.reset(events); // Sealed, yet its file ends early: it was cut back.
      }
    }
    this.host.adopt(manifest, active ? reader.bytesTaken : 0);
    const checkpointSeq = manifest.snapshot?.seq ?? 0;
    if (checkpointSeq > this.reported && checkpointSeq < this.nextSeq) {
      events.push({ kind: "checkpoint", seq: checkpointSeq });
      this.reported = checkpointSeq;
    }
    return { events, more };
  }

  close(): void {
    this.closeReader();
  }

  /**
   * How far the log is durable (durable-mark.ts): the live writer's mark as read now, the last
   * one read while it cannot be read (a writer opening has just created it), everything when no
   * live writer holds the lock or the writer publishes no mark.
   */
  private durableThrough(): number {
    const limit = durableLimit(this.host.fs, this.host.dir);
    if (limit === undefined) return Number.POSITIVE_INFINITY;
    if (limit !== null) this.durable = limit;
    return this.durable;
  }

  /** The writer's manifest, re-read only when its file changed; undefined while there is none. */
  private currentManifest(): Manifest | undefined {
    const file = path.join(this.host.dir, manifestFile);
    const stat = this.host.fs.stat(file);
    // A manifest is replaced by a rename, so a new one is a new inode.
    const key = stat?.ino === undefined ? undefined : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (key !== undefined && key === this.manifestKey && this.manifest) return this.manifest;
    const read = readManifest(this.host.fs, this.host.dir);
    this.manifestKey = key;
    this.manifest = read.kind === "current" ? read.manifest : undefined;
    return this.manifest;
  }

  /** Opens the segment under its name or its compressed name; undefined when both are gone. */
  private openReader(entry: SegmentEntry, manifest: Manifest): SegmentTailReader | undefined {
    const plain = plainName(entry.file);
    for (const file of [plain, `${plain}${compressedSuffix}`]) {
      try {
        const source = file.endsWith(compressedSuffix)
          ? bufferSource(readCompressed(this.host.fs, this.host.dir, file))
          : fileSource(this.host.fs, this.host.fs.open(path.join(this.host.dir, file), "r"));
        this.reader = new SegmentTailReader(source, entry.firstSeq, this.nextSeq - 1);
        this.readerFile = plain;
        this.missing = 0;
        return this.reader;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    // The manifest read was older than the files (compressed, then pruned): read it again. A
    // file still missing under a manifest that keeps naming it is really missing.
    this.manifestKey = undefined;
    if (++this.missing >= readerAttemptsMax) {
      throw Object.assign(new Error(`${entry.file}, named by the manifest, is missing`), { code: "ENOENT" });
    }
    assert(manifest.segments.includes(entry), "the segment read is one the manifest names");
    return undefined;
  }

  /**
   * Whether the writer rewrote history the follower took: the next seq is in another segment
   * than the one it took the last operations from, and that segment holds seqs it already
   * took (a writer that repaired damage keeps the valid prefix and writes new operations in a
   * new segment from there).
   */
  private rewritten(entry: SegmentEntry): boolean {
    if (this.takenFrom === undefined || plainName(entry.file) === this.takenFrom) return false;
    return entry.firstSeq <= this.nextSeq - 1;
  }

  private reset(events: TailEvent[]): Step {
    this.closeReader();
    const state = this.host.reload();
    this.takenFrom = undefined;
    this.schemaVersion = state.schemaVersion;
    this.nextSeq = state.head + 1;
    this.manifestKey = undefined;
    this.reported = state.checkpoint.seq;
    events.push({ kind: "reset", state });
    return { events, more: true };
  }

  private closeReader(): void {
    this.reader?.close();
    this.reader = undefined;
    this.readerFile = undefined;
  }
}

/** The retained segment that holds (or, active, will hold) `seq`; undefined when none does. */
function segmentHolding(manifest: Manifest, seq: number): SegmentEntry | undefined {
  const segments = manifest.segments;
  for (let i = 0; i < segments.length; i++) {
    const entry = segments[i]!;
    if (entry.firstSeq > seq) return undefined;
    if (i === segments.length - 1) return entry;
    if ((entry.lastSeq ?? entry.firstSeq - 1) >= seq) return entry;
  }
  return undefined;
}

function plainName(file: string): string {
  return file.endsWith(compressedSuffix) ? file.slice(0, -compressedSuffix.length) : file;
}
