import path from "node:path";
import type { FileSystem } from "./file-system.js";
import { isMissing } from "./files.js";
import { crcHex, durableFile, lockFile } from "./log-format.js";
import { isHeldLive } from "./lock-file.js";
import { readLockFile } from "./lock-takeover.js";
import { assert } from "../../util/assert.js";

/**
 * The mark's text: the seq in fixed width (so that each publish overwrites it whole), a space,
 * the token of the writer's LOCK (which session wrote it), a space, the CRC-32 of what comes
 * before it in hex, a newline: a damaged mark is told from a real one.
 */
const markDigits = 16;
const tokenPattern = /^[0-9a-f]{16}$/;
const markBytes = markDigits + 1 + 16 + 1 + 8 + 1;
const markPattern = /^(\d{16} ([0-9a-f]{16})) ([0-9a-f]{8})\n$/;

function markText(seq: number, token: string): string {
  const head = `${String(seq).padStart(markDigits, "0")} ${token}`;
  return `${head} ${crcHex(head)}\n`;
}

/**
 * The durability mark (docs/FORMAT.md): the seq of the last operation the writer made durable,
 * written to DURABLE after every fdatasync of the log. Followers in other processes read the
 * log as it is written, before it is synced; they take only operations up to the mark, so a
 * follower never shows an operation before it is durable, nor one a failed sync reverts.
 *
 * Publishing is one positioned write of 43 bytes to a file already open, with no sync of its
 * own: the mark only tells other processes on this machine (who share the page cache) how far
 * the log is durable. After a crash it may be behind the log or lost; the next writer
 * publishes again when it opens.
 */
export class DurableMark {
  private failed = false;

  private constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
    private readonly token: string,
  ) {}

  /** `token`: the LOCK token of the writer's session, which readers match the mark against. */
  static open(fs: FileSystem, dir: string, token: string): DurableMark {
    assert(tokenPattern.test(token), "a lock token is 16 hex digits");
    return new DurableMark(fs, fs.open(path.join(dir, durableFile), "w"), token);
  }

  /**
   * Records that every operation through `seq` is durable. Never throws: the operations are
   * durable whatever happens here, and a mark left behind only holds followers back until the
   * next publish succeeds.
   */
  publish(seq: number): void {
    assert(Number.isSafeInteger(seq) && seq >= 0, "the durable seq is a whole number");
    try {
      this.fs.write(this.fd, Buffer.from(markText(seq, this.token)), 0);
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

/** A mark as read: the seq and the LOCK token of the session that wrote it. */
export interface MarkRead {
  seq: number;
  token: string;
}

/**
 * The mark in DURABLE; undefined when there is none, null when it cannot be read now (a writer
 * opening has just created it empty, or it is damaged: its CRC does not match).
 */
export function readDurableMark(fs: FileSystem, dir: string): MarkRead | null | undefined {
  let fd: number;
  try {
    fd = fs.open(path.join(dir, durableFile), "r");
  } catch (error) {
    return isMissing(error) ? undefined : null; // A directory or a dangling link: unreadable.
  }
  try {
    const buffer = Buffer.alloc(markBytes);
    const count = fs.read(fd, buffer, 0, markBytes, 0);
    const text = buffer.subarray(0, count).toString("latin1");
    const match = markPattern.exec(text);
    if (!match || crcHex(match[1]!) !== match[3]) return null;
    return { seq: Number(match[1]!.slice(0, markDigits)), token: match[2]! };
  } catch {
    return null;
  } finally {
    fs.close(fd);
  }
}

/** The LOCK token of the live writer of `dir`; undefined when none (or its LOCK is unreadable). */
export function liveWriterToken(fs: FileSystem, dir: string): string | undefined {
  try {
    const lock = readLockFile(fs, path.join(dir, lockFile));
    const token = lock?.record?.token;
    return lock && token && isHeldLive(fs, dir, lock) ? token : undefined;
  } catch {
    return undefined; // A LOCK that cannot be read (a directory): no writer can hold it either.
  }
}

/**
 * How far a reader may take the log (docs/FORMAT.md "The durability mark"): the mark's seq
 * while the live writer holding LOCK is the session that wrote it; null when that writer's mark
 * cannot be read now (hold at what was taken); undefined — everything — when no live writer
 * holds LOCK (everything recovery keeps is what was acknowledged), or the writer publishes no
 * mark (an opslog from before marks: its LOCK token differs from the mark's).
 */
export function durableLimit(fs: FileSystem, dir: string): number | null | undefined {
  const token = liveWriterToken(fs, dir);
  if (token === undefined) return undefined;
  const mark = readDurableMark(fs, dir);
  if (mark === undefined) return undefined;
  if (mark === null) return null;
  return mark.token === token ? mark.seq : undefined;
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
