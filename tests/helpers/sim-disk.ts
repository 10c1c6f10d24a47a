import type { Random } from "./random.js";

/**
 * The parts of the simulated file system (sim-fs.ts) that model the disk: errno errors, the
 * nodes of the tree with their current and durable content, and what a crash keeps of the
 * writes that were not synced.
 */
export type ErrnoCode =
  | "ENOENT" | "EIO" | "EBADF" | "EACCES" | "EEXIST" | "ENOTDIR" | "EISDIR" | "EINVAL"
  | "ENOSPC" | "ENOTEMPTY" | "EPERM";

const errnoNumbers: Record<ErrnoCode, number> = {
  ENOENT: -2, EIO: -5, EBADF: -9, EACCES: -13, EEXIST: -17, ENOTDIR: -20, EISDIR: -21,
  EINVAL: -22, ENOSPC: -28, ENOTEMPTY: -39, EPERM: -1,
};

/** An error shaped like node's: message, `code`, `errno`, `syscall`, `path`. */
export function errnoError(code: ErrnoCode, syscall: string, file?: string): NodeJS.ErrnoException {
  const where = file === undefined ? "" : ` '${file}'`;
  const message = `${code}: simulated failure, ${syscall}${where}`;
  const error = new Error(message) as NodeJS.ErrnoException;
  error.code = code;
  error.errno = errnoNumbers[code];
  error.syscall = syscall;
  if (file !== undefined) error.path = file;
  return error;
}

/** Thrown by every call at and after a simulated crash: the process is "dead". */
export class SimCrashError extends Error {
  readonly code = "ESIMCRASH";
  constructor(readonly step: number) {
    super(`simulated crash at file-system call ${step}`);
    this.name = "SimCrashError";
  }
}

export type Change =
  | { kind: "write"; position: number; data: Uint8Array }
  | { kind: "truncate"; length: number };

/** A growable byte array. */
export class Bytes {
  data: Uint8Array;
  length: number;

  constructor(data: Uint8Array = new Uint8Array(0)) {
    this.data = data.slice();
    this.length = data.length;
  }

  copy(): Bytes {
    return new Bytes(this.view());
  }

  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }

  apply(change: Change): void {
    if (change.kind === "truncate") return this.resize(change.length);
    if (change.data.length === 0) return;
    const end = change.position + change.data.length;
    if (end > this.length) this.resize(end);
    this.data.set(change.data, change.position);
  }

  private resize(length: number): void {
    if (length > this.data.length) {
      const grown = new Uint8Array(Math.max(length, this.data.length * 2, 64));
      grown.set(this.view());
      this.data = grown;
    } else if (length < this.length) {
      this.data.fill(0, length, this.length);
    }
    this.length = length;
  }
}

/** `mtimeMs` 0 means "long ago" (a file made before the test); `ino` tells nodes apart. */
export interface FileNode {
  kind: "file"; ino: number; mtimeMs: number; current: Bytes; durable: Bytes; pending: Change[];
}
export interface DirNode {
  kind: "dir"; ino: number; entries: Map<string, Node>; durable: Map<string, Node>;
}
export type Node = FileNode | DirNode;

/** Inode numbers only need to differ between nodes; they are never reused. */
let nextIno = 1;

export function newDir(): DirNode {
  return { kind: "dir", ino: nextIno++, entries: new Map(), durable: new Map() };
}

export function newFile(content?: Uint8Array, mtimeMs = 0): FileNode {
  return {
    kind: "file", ino: nextIno++, mtimeMs, current: new Bytes(content), durable: new Bytes(content),
    pending: [],
  };
}

export function survivingContent(
  durable: Bytes,
  pending: readonly Change[],
  random: Random,
  reorder: boolean,
): Uint8Array {
  const result = durable.copy();
  if (pending.length === 0) return result.view();
  const roll = random.next();
  if (roll < 0.2) return result.view(); // All pending writes lost.
  if (roll < 0.35) {
    for (const change of pending) result.apply(change);
    return result.view();
  }
  if (roll < 0.8 || !reorder) {
    const kept = random.int(pending.length + 1);
    for (const change of pending.slice(0, kept)) result.apply(change);
    const next = pending[kept];
    if (next && random.chance(0.5)) result.apply(tear(random, next));
    return result.view();
  }
  const subset = pending.filter(() => random.chance(0.5));
  for (const change of random.shuffle(subset)) {
    result.apply(random.chance(0.3) ? tear(random, change) : change);
  }
  return result.view();
}

/** A prefix of a write (possibly empty); a truncation is atomic. */
function tear(random: Random, change: Change): Change {
  if (change.kind === "truncate") return change;
  const keep = random.int(change.data.length + 1);
  return { kind: "write", position: change.position, data: change.data.subarray(0, keep) };
}

