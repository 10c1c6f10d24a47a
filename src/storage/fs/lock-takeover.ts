import { randomBytes } from "node:crypto";
import path from "node:path";
import type { LockHolder } from "../../errors.js";
import { assert } from "../../util/assert.js";
import type { FileSystem } from "./file-system.js";
import { isMissing, removeIfPresent } from "./files.js";
import { lockFile } from "./log-format.js";

/**
 * The file-level steps of the writer lock (lock-file.ts decides who is live):
 *
 * - A LOCK file appears complete or not at all: its text goes to a unique temp file, which is
 *   fsynced and then hard-linked to the name. link(2) fails with EEXIST when the name exists,
 *   so creating is exclusive, and no reader ever sees a half-written LOCK of ours.
 * - A stale LOCK is replaced only by the holder of the takeover mutex `LOCK.takeover` (itself
 *   created by temp + link). Under the mutex the taker reads LOCK again and replaces it only
 *   if it is still the very file it judged stale (same text, which holds a random token, and
 *   same inode), by rename(2) of a temp file over it: there is never a moment without a LOCK.
 *
 * Why two processes cannot both win: creating LOCK needs the name to be absent, and a LOCK
 * name, once there, is only ever replaced under the mutex. Two mutex holders in turn cannot
 * both see the same stale LOCK: the first replaces it before it lets the mutex go, so the
 * second finds a different file and gives up. The mutex itself is exclusive (link), and a
 * mutex is only broken when its holder's process is dead (see breakMutex for the one
 * residual race, which needs a process to die inside the microseconds it holds the mutex).
 */

/** What a LOCK file holds: the holder, its realm and a token unique to one acquisition. */
export interface LockRecord extends LockHolder {
  realm?: string;
  token?: string;
}

/** A LOCK (or mutex) file as read: its text, its holder if parsable, and its identity. */
export interface LockFileState {
  text: string;
  record: LockRecord | null;
  mtimeMs: number | undefined;
  ino: number | undefined;
}

export type TakeoverOutcome =
  | { kind: "won" }
  | { kind: "retry" }
  | { kind: "busy"; by: LockFileState };

const mutexSuffix = ".takeover";

/** Reads a LOCK file through one descriptor, so its text and identity belong together. */
export function readLockFile(fs: FileSystem, file: string): LockFileState | undefined {
  let fd: number;
  try {
    fd = fs.open(file, "r");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const stat = fs.fstat(fd);
    const buffer = Buffer.alloc(stat.size);
    let done = 0;
    while (done < stat.size) {
      const count = fs.read(fd, buffer, done, stat.size - done, done);
      if (count === 0) break;
      done += count;
    }
    const text = buffer.subarray(0, done).toString("utf8");
    return { text, record: parseRecord(text), mtimeMs: stat.mtimeMs, ino: stat.ino };
  } finally {
    fs.close(fd);
  }
}

function parseRecord(text: string): LockRecord | null {
  let value: Partial<LockRecord>;
  try {
    value = JSON.parse(text) as Partial<LockRecord>;
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  if (typeof value.pid !== "number" || typeof value.hostname !== "string") return null;
  const record: LockRecord = {
    pid: value.pid, hostname: value.hostname, startedAt: String(value.startedAt),
  };
  if (typeof value.realm === "string") record.realm = value.realm;
  if (typeof value.token === "string") record.token = value.token;
  return record;
}

/** Creates `target` holding `text`, complete, unless it exists: false then. */
export function createExclusive(fs: FileSystem, target: string, text: string): boolean {
  const temp = writeTemp(fs, target, text);
  try {
    fs.link(temp, target);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw error;
  } finally {
    removeIfPresent(fs, temp);
  }
}

/** A unique temp file beside `target`, holding `text`, fsynced. */
function writeTemp(fs: FileSystem, target: string, text: string): string {
  const temp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = fs.open(temp, "wx");
  try {
    fs.write(fd, Buffer.from(text), 0);
    fs.fsync(fd);
  } catch (error) {
    fs.close(fd);
    removeIfPresent(fs, temp);
    throw error;
  }
  fs.close(fd);
  return temp;
}

/** Same file: same text and, when the file system has inodes, same inode. */
function sameFile(a: LockFileState, b: LockFileState): boolean {
  if (a.text !== b.text) return false;
  if (a.ino === undefined || b.ino === undefined) return true;
  return a.ino === b.ino;
}

/**
 * Replaces the LOCK `stale` (judged stale by the caller) with `texts.lock`, under the takeover
 * mutex (holding `texts.mutex`). "busy" when another live process holds the mutex: it is
 * taking over right now.
 */
export function takeOver(
  fs: FileSystem,
  file: string,
  stale: LockFileState,
  texts: { lock: string; mutex: string },
  isStale: (state: LockFileState) => boolean,
): TakeoverOutcome {
  const mutex = `${file}${mutexSuffix}`;
  const { lock: text, mutex: mine } = texts;
  assert(mine !== text, "the mutex text differs from the LOCK text");
  if (!createExclusive(fs, mutex, mine)) {
    const holder = readLockFile(fs, mutex);
    if (holder === undefined) return { kind: "retry" }; // Released meanwhile.
    if (!isStale(holder)) return { kind: "busy", by: holder };
    breakMutex(fs, mutex, holder);
    return { kind: "retry" };
  }
  try {
    const now = readLockFile(fs, file);
    if (now === undefined) return { kind: createExclusive(fs, file, text) ? "won" : "retry" };
    if (!sameFile(now, stale)) return { kind: "retry" }; // Taken or replaced meanwhile.
    const temp = writeTemp(fs, file, text);
    try {
      // Checked last, right before the replace: see breakMutex.
      if (readLockFile(fs, mutex)?.text !== mine) return { kind: "retry" };
      fs.rename(temp, file);
    } finally {
      removeIfPresent(fs, temp);
    }
    removeLitter(fs, path.dirname(file));
    return { kind: "won" };
  } finally {
    releaseIfOurs(fs, mutex, mine);
  }
}

/**
 * Removes a mutex whose holder is dead. It is renamed to a unique name first, so that only one
 * breaker gets it, and checked to be the dead holder's file. If it is not (the dead mutex was
 * removed and a live process took the mutex in between), it is put back by link.
 * Residual race: while it is away, a third process can take the mutex too; then the put-back
 * fails and two processes hold the mutex. Both win only if both still find the same stale
 * LOCK, and the one whose mutex was moved checks its mutex right before replacing LOCK, so the
 * window is the few instructions between that check and the rename.
 */
function breakMutex(fs: FileSystem, mutex: string, dead: LockFileState): void {
  const aside = `${mutex}.${process.pid}.${randomBytes(6).toString("hex")}.stale`;
  try {
    fs.rename(mutex, aside);
  } catch (error) {
    if (isMissing(error)) return; // Another process broke it first.
    throw error;
  }
  try {
    const moved = readLockFile(fs, aside);
    if (moved === undefined || sameFile(moved, dead)) return;
    try {
      fs.link(aside, mutex);
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
  } finally {
    removeIfPresent(fs, aside);
  }
}

/** Removes `file` if it still holds `text` (a lock that was taken from us is not ours). */
export function releaseIfOurs(fs: FileSystem, file: string, text: string): void {
  const state = readLockFile(fs, file);
  if (state?.text !== text) return;
  removeIfPresent(fs, file);
}

/** Temp and broken-mutex files older than this were left by a process that died. */
const litterStaleMs = 60_000;

/** After taking over from a dead process, removes the temp files such processes leave. */
function removeLitter(fs: FileSystem, dir: string): void {
  for (const name of fs.readdir(dir)) {
    if (!isLitter(name)) continue;
    const mtimeMs = fs.stat(path.join(dir, name))?.mtimeMs;
    if (mtimeMs === undefined || Date.now() - mtimeMs < litterStaleMs) continue;
    removeIfPresent(fs, path.join(dir, name));
  }
}

function isLitter(name: string): boolean {
  if (!name.startsWith(`${lockFile}.`)) return false;
  return /^(takeover\.)?\d+\.[0-9a-f]+\.(tmp|stale)$/.test(name.slice(lockFile.length + 1));
}
