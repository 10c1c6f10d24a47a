import os from "node:os";
import path from "node:path";
import { LockedError, type LockHolder } from "../../errors.js";
import type { FileSystem } from "./file-system.js";
import { isMissing, readWholeFile, removeIfPresent } from "./files.js";
import { lockFile } from "./log-format.js";

/** Directories locked by Stores of this process: a second Store must fail like another process. */
const lockedHere = new Set<string>();

/** Attempts at taking a lock that a dead process left behind. */
const staleLockRetries = 3;

/**
 * The writer lock of a store directory (SPEC §2.5): a LOCK file created exclusively, holding
 * the pid and host of its holder. A LOCK whose process is gone (same host) is recovered.
 */
export class DirectoryLock {
  private constructor(
    private readonly fs: FileSystem,
    private readonly key: string,
    private readonly file: string,
  ) {}

  static acquire(fs: FileSystem, dir: string): DirectoryLock {
    const key = path.resolve(dir);
    const file = path.join(dir, lockFile);
    if (lockedHere.has(key)) throw new LockedError(dir, readHolder(fs, file) ?? undefined);
    for (let attempt = 0; attempt < staleLockRetries; attempt++) {
      if (tryCreate(fs, file)) {
        lockedHere.add(key);
        return new DirectoryLock(fs, key, file);
      }
      const holder = readHolder(fs, file);
      if (holder && isLive(holder)) throw new LockedError(dir, holder);
      removeIfPresent(fs, file);
    }
    throw new LockedError(dir, readHolder(fs, file) ?? undefined);
  }

  release(): void {
    if (!lockedHere.delete(this.key)) return;
    removeIfPresent(this.fs, this.file);
  }
}

export function currentHolder(): LockHolder {
  return { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
}

function tryCreate(fs: FileSystem, file: string): boolean {
  let fd: number;
  try {
    fd = fs.open(file, "wx");
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw error;
  }
  try {
    fs.write(fd, Buffer.from(`${JSON.stringify(currentHolder())}\n`), 0);
  } finally {
    fs.close(fd);
  }
  return true;
}

/** The holder named in a LOCK file; null when the file is unreadable (a torn write). */
export function readHolder(fs: FileSystem, file: string): LockHolder | null {
  try {
    const value = JSON.parse(readWholeFile(fs, file).toString("utf8")) as Partial<LockHolder>;
    if (typeof value.pid !== "number" || typeof value.hostname !== "string") return null;
    return { pid: value.pid, hostname: value.hostname, startedAt: String(value.startedAt) };
  } catch (error) {
    if (isMissing(error)) return null;
    return null;
  }
}

function isLive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true; // Cannot check another host: assume live.
  if (holder.pid === process.pid) return false; // Not in lockedHere: left by an earlier run.
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
