import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import type { FileSystem } from "./file-system.js";
import { decodeLine } from "./log-format.js";
import { logRecordProblem, toOperation, type LogRecord } from "./log-record.js";

/**
 * Reads one log segment incrementally, for a follower (fs-tail.ts): each read starts where the
 * last complete batch ended, so a follower never re-reads what it has taken. It takes only
 * what recovery would keep (docs/FORMAT.md, "Reading a segment"): checksummed lines in seq
 * order forming whole batches. Anything after them, a torn or unfinished write or the zeros the
 * writer preallocates ahead, is waited on, never taken.
 *
 * It also notices when the bytes it took are no longer there: a writer cut them back (a failed
 * write or sync) or a new writer wrote different lines in their place. The caller must then
 * start over from a fresh load ("reset").
 */

/** Where a segment's bytes come from: an open file, or a decompressed sealed segment. */
export interface ByteSource {
  size(): number;
  read(buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(): void;
}

export function fileSource(fs: FileSystem, fd: number): ByteSource {
  return {
    size: () => fs.fstat(fd).size,
    read: (buffer, offset, length, position) => fs.read(fd, buffer, offset, length, position),
    close: () => fs.close(fd),
  };
}

export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: () => bytes.length,
    read: (buffer, offset, length, position) => bytes.copy(buffer, offset, position, position + length),
    close: () => undefined,
  };
}

export interface TailRead {
  /** Operations of whole batches after `skipThrough`, oldest first, fresh objects. */
  ops: Operation[];
  /** The bytes taken before were cut back or replaced: start over from a fresh load. */
  cut: boolean;
  /** The read stopped at its byte limit: more may be ready at once. */
  more: boolean;
}

/** Bytes a read takes at most (a follower catching up reads in steps of this). */
export const tailReadBytesMax = 4 * 1024 * 1024;

const noBytes = Buffer.alloc(0);

export class SegmentTailReader {
  /** End of the last whole batch taken: where the next read continues. */
  private offset = 0;
  /** The bytes of the last line taken (with its newline): read again to see they are still there. */
  private lastLine: Buffer = noBytes;
  /** Seq the next record must have. */
  private expected: number;

  constructor(
    private readonly source: ByteSource,
    firstSeq: number,
    /** Operations with seq ≤ this are read past but not returned (the follower has them). */
    private readonly skipThrough: number,
  ) {
    assert(firstSeq >= 1, "a segment starts at a positive seq");
    this.expected = firstSeq;
  }

  /** Seq of the next operation this reader will return. */
  get nextSeq(): number {
    return this.expected;
  }

  get bytesTaken(): number {
    return this.offset;
  }

  /**
   * Takes the whole batches written since the last read, up to `durableThrough` (the writer's
   * durability mark): a batch ending after it is left for a later read.
   */
  read(bytesMax = tailReadBytesMax, durableThrough = Number.POSITIVE_INFINITY): TailRead {
    const size = this.source.size();
    const start = this.offset - this.lastLine.length;
    if (size < this.offset) return { ops: [], cut: true, more: false };
    let length = Math.min(size - start, this.lastLine.length + bytesMax);
    for (;;) {
      const buffer = this.readAt(start, length);
      if (!this.stillThere(buffer)) return { ops: [], cut: true, more: false };
      const taken = this.take(buffer, start, durableThrough);
      if (taken === undefined) return { ops: [], cut: true, more: false };
      if (taken.held) return { ops: taken.ops, cut: false, more: false }; // Wait for the mark.
      const more = start + length < size;
      // A batch larger than the limit: read it whole rather than never finishing it.
      if (taken.ops.length === 0 && more) {
        length = size - start;
        continue;
      }
      return { ops: taken.ops, cut: false, more };
    }
  }

  close(): void {
    this.source.close();
  }

  /** Whether `buffer` begins with the last line taken, as it was taken. */
  private stillThere(buffer: Buffer): boolean {
    const length = this.lastLine.length;
    if (buffer.length < length) return false;
    return buffer.compare(this.lastLine, 0, length, 0, length) === 0;
  }

  private readAt(position: number, length: number): Buffer {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const count = this.source.read(buffer, done, length - done, position + done);
      if (count === 0) break;
      done += count;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  }

  /**
   * Takes the whole batches in `buffer` (which begins `lastLine` before the offset, at file
   * position `base`) that end at or before `durableThrough` (`held` when one did not);
   * undefined when a checksummed line contradicts what was taken before.
   */
  private take(buffer: Buffer, base: number, durableThrough: number): { ops: Operation[]; held: boolean } | undefined {
    const taken: Operation[] = [];
    let held = false;
    let batch: LogRecord[] = [];
    let expected = this.expected;
    let position = this.lastLine.length;
    for (let end = buffer.indexOf(0x0a, position); end !== -1; end = buffer.indexOf(0x0a, position)) {
      const lineStart = position;
      const line = decodeLine(buffer, lineStart, end);
      // A damaged line may be a write still landing: wait for it (recovery decides, not us).
      if (!line.ok || logRecordProblem(line.value) !== undefined) break;
      const record = line.value as unknown as LogRecord;
      if (record.seq !== expected) return undefined; // Lines replaced after a cut.
      const opens = record.batch === undefined || record.batch === record.seq;
      if (opens !== (batch.length === 0)) return undefined; // A batch cut short, then rewritten.
      batch.push(record);
      expected++;
      position = end + 1;
      if (record.batch !== undefined && batch.length < (batch[0]!.n ?? 0)) continue;
      if (record.seq > durableThrough) {
        held = true; // Written, not yet durable: the writer may still revert it.
        break;
      }
      for (const whole of batch) if (whole.seq > this.skipThrough) taken.push(toOperation(whole));
      this.offset = base + position;
      this.lastLine = Buffer.from(buffer.subarray(lineStart, end + 1));
      this.expected = expected;
      batch = [];
    }
    assert(this.expected <= expected, "the next seq only grows");
    return { ops: taken, held };
  }
}
