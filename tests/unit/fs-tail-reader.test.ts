import { describe, expect, it } from "vitest";
import { bufferSource, SegmentTailReader, type ByteSource } from "../../src/storage/fs/fs-tail-reader.js";
import { encodeLogLine } from "../../src/storage/fs/log-record.js";
import type { Operation } from "../../src/types.js";

/** A segment file that grows (and shrinks) under the reader, as a writer's does. */
class GrowingFile implements ByteSource {
  bytes = Buffer.alloc(0);
  reads = 0;
  append(text: string | Buffer): void {
    this.bytes = Buffer.concat([this.bytes, typeof text === "string" ? Buffer.from(text) : text]);
  }
  truncate(length: number): void {
    this.bytes = this.bytes.subarray(0, length);
  }
  size(): number {
    return this.bytes.length;
  }
  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.reads++;
    return bufferSource(this.bytes).read(buffer, offset, length, position);
  }
  close(): void {}
}

function op(seq: number, extra: Partial<Operation> = {}): Operation {
  return { seq, ts: `2026-01-01T00:00:00.${String(seq).padStart(6, "0")}Z`, op: "set", id: `k${seq}`, data: { seq }, prev: null, ...extra };
}

/** The log lines of one write group: single operations, or one batch of `size`. */
function lines(first: number, size: number, batch = size > 1): string {
  let text = "";
  for (let seq = first; seq < first + size; seq++) {
    text += encodeLogLine(batch ? op(seq, { batch: first }) : op(seq), first, batch ? size : undefined);
  }
  return text;
}

const seqs = (ops: Operation[]) => ops.map((o) => o.seq);

describe("SegmentTailReader", () => {
  it("takes whole lines only: a torn line is waited on, then taken once complete", () => {
    const file = new GrowingFile();
    const reader = new SegmentTailReader(file, 1, 0);
    const two = lines(2, 1);
    file.append(lines(1, 1) + two.slice(0, 30));
    expect(seqs(reader.read().ops)).toEqual([1]);
    expect(seqs(reader.read().ops)).toEqual([]);
    file.append(two.slice(30));
    expect(seqs(reader.read().ops)).toEqual([2]);
    expect(reader.nextSeq).toBe(3);
  });

  it("treats the zeros a writer preallocates as free space, and reads what overwrites them", () => {
    const file = new GrowingFile();
    const reader = new SegmentTailReader(file, 1, 0);
    file.append(lines(1, 1));
    const end = file.size();
    file.append(Buffer.alloc(4096));
    expect(seqs(reader.read().ops)).toEqual([1]);
    expect(reader.read()).toEqual({ ops: [], cut: false, more: false });
    const next = Buffer.from(lines(2, 2, false));
    next.copy(file.bytes, end); // The next write lands over the zeros.
    expect(seqs(reader.read().ops)).toEqual([2, 3]);
  });

  it("takes a batch only when all of it is there, also across reads and byte limits", () => {
    const file = new GrowingFile();
    const reader = new SegmentTailReader(file, 1, 0);
    const batch = lines(1, 4);
    const cut = batch.indexOf("\n", batch.indexOf("\n") + 1) + 1; // Two of its four lines.
    file.append(batch.slice(0, cut));
    expect(reader.read()).toEqual({ ops: [], cut: false, more: false });
    file.append(batch.slice(cut) + lines(5, 1));
    // A limit smaller than the batch: the batch is read whole rather than never finished.
    const read = reader.read(16);
    expect(seqs(read.ops)).toEqual([1, 2, 3, 4, 5]);
    expect(read.more).toBe(false);
    file.append(lines(6, 1) + lines(7, 1));
    const limited = reader.read(lines(6, 1).length); // Within the limit: one step at a time.
    expect(seqs(limited.ops)).toEqual([6]);
    expect(limited.more).toBe(true);
    expect(seqs(reader.read().ops)).toEqual([7]);
  });

  it("reads on from where it stopped, not from the start", () => {
    const file = new GrowingFile();
    const reader = new SegmentTailReader(file, 1, 0);
    for (let seq = 1; seq <= 200; seq++) file.append(lines(seq, 1));
    expect(reader.read().ops).toHaveLength(200);
    const taken = reader.bytesTaken;
    const lastLine = lines(200, 1).length;
    file.append(lines(201, 1));
    let asked = 0;
    const read = file.read.bind(file);
    file.read = (buffer, offset, length, position) => {
      expect(position).toBeGreaterThanOrEqual(taken - lastLine); // Only the last line again.
      asked += length;
      return read(buffer, offset, length, position);
    };
    expect(seqs(reader.read().ops)).toEqual([201]);
    expect(asked).toBe(lastLine + lines(201, 1).length);
  });

  it("skips what the follower has, and a damaged line is waited on, not taken", () => {
    const file = new GrowingFile();
    const reader = new SegmentTailReader(file, 1, 2);
    const damaged = lines(4, 1).replace('"k4"', '"k5"');
    file.append(lines(1, 3, false) + damaged);
    expect(seqs(reader.read().ops)).toEqual([3]);
    expect(reader.read().ops).toEqual([]);
  });

  it("reports a cut when the bytes it took were cut back or replaced", () => {
    const file = new GrowingFile();
    const reader = new SegmentTailReader(file, 1, 0);
    file.append(lines(1, 1));
    const kept = file.size();
    file.append(lines(2, 1));
    expect(seqs(reader.read().ops)).toEqual([1, 2]);
    file.truncate(kept); // A failed sync cut seq 2 back.
    expect(reader.read().cut).toBe(true);

    const again = new SegmentTailReader(file, 1, 0);
    expect(seqs(again.read().ops)).toEqual([1]);
    file.truncate(0);
    const other = encodeLogLine({ ...op(1), id: "k9" }, 1, undefined);
    file.append(other + lines(2, 1)); // A new writer wrote other lines in their place.
    expect(again.read().cut).toBe(true);
  });
});
