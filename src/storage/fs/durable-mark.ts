import path from "node:path";
import type { FileSystem } from "./file-system.js";
import { isMissing } from "./files.js";
import { crcHex, durableFile } from "./log-format.js";
import { assert } from "../../util/assert.js";

/**
 * The mark's text: the seq in fixed width (so that each publish overwrites it whole), a space,
 * the CRC-32 of the digits in hex, a newline: a damaged mark is told from a real one.
 */
const markDigits = 16;
const markBytes = markDigits + 10;
const markPattern = /^(\d{16}) ([0-9a-f]{8})\n$/;

function markText(seq: number): string {
  const digits = String(seq).padStart(markDigits, "0");
  return `${digits} ${crcHex(digits)}\n`;
}

/**
 * The durability mark (docs/FORMAT.md): the seq of the last operation the writer made durable,
 * written to DURABLE after every fdatasync of the log. Followers in other processes read the
 * log as it is written, before it is synced; they take only operations up to the mark, so a
 * follower never shows an operation before it is durable, nor one a failed sync reverts.
 *
 * Publishing is one positioned write of 26 bytes to a file already open, with no sync of its
 * own: the mark only tells other processes on this machine (who share the page cache) how far
 * the log is durable. After a crash it may be behind the log or lost; the next writer
 * publishes again when it opens.
 */
export class DurableMark {
  private failed = false;

  private constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
  ) {}

  static open(fs: FileSystem, dir: string): DurableMark {
    return new DurableMark(fs, fs.open(path.join(dir, durableFile), "w"));
  }

  /**
   * Records that every operation through `seq` is durable. Never throws: the operations are
   * durable whatever happens here, and a mark left behind only holds followers back until the
   * next publish succeeds.
   */
  publish(seq: number): void {
    assert(Number.isSafeInteger(seq) && seq >= 0, "the durable seq is a whole number");
    try {
      this.fs.write(this.fd, Buffer.from(markText(seq)), 0);
      this.failed = false;
    } catch {
      this.failed = true;
    }
  }

  /** Whether the last publish failed (followers may be held back). */
  get behind(): boolean {
    return this.failed;
  }

  close(): void {
    try {
      this.fs.close(this.fd);
    } catch {
      // Closing a descriptor that only carried a hint: nothing to recover.
    }
  }
}

/**
 * The writer's durable seq; undefined when there is no mark (a directory written by a version
 * of opslog without it): then everything in the log counts as durable, as before marks existed;
 * null when the mark cannot be read now (a writer opening has just created it empty) or is
 * damaged (its CRC does not match): the caller keeps the mark it had, or takes the log as it is,
 * and reads again at its next wake-up.
 */
export function readDurableMark(fs: FileSystem, dir: string): number | null | undefined {
  let fd: number;
  try {
    fd = fs.open(path.join(dir, durableFile), "r");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(markBytes);
    const count = fs.read(fd, buffer, 0, markBytes, 0);
    const text = buffer.subarray(0, count).toString("latin1");
    const match = markPattern.exec(text);
    return match && crcHex(match[1]!) === match[2] ? Number(match[1]) : null;
  } finally {
    fs.close(fd);
  }
}

/**
 * The operations a reader may show: those through the writer's mark (all of them when there is
 * no mark, or it cannot be read while a writer opens). The mark is published at the end of a
 * write group, so the cut falls between batches; were it inside one, the batch is left out.
 */
export function durableOps<T extends { seq: number; batch?: number }>(ops: T[], mark: number | null | undefined): T[] {
  if (mark === undefined || mark === null) return ops;
  let end = ops.length;
  while (end > 0 && ops[end - 1]!.seq > mark) end--;
  while (end > 0 && end < ops.length && ops[end]!.batch !== undefined && ops[end]!.batch === ops[end - 1]!.batch) end--;
  return end === ops.length ? ops : ops.slice(0, end);
}
