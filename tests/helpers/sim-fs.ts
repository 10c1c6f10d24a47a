import path from "node:path";
import type { FileStat, FileSystem, OpenFlags } from "../../src/storage/fs/file-system.js";
import { Random } from "./random.js";
import {
  errnoError,
  newDir,
  newFile,
  SimCrashError,
  survivingContent,
  type Change,
  type DirNode,
  type ErrnoCode,
  type FileNode,
  type Node,
} from "./sim-disk.js";

export { errnoError, SimCrashError, type ErrnoCode } from "./sim-disk.js";

export type SimCall =
  | "open" | "openDirectory" | "close" | "write" | "read" | "fdatasync" | "fsync" | "ftruncate"
  | "fstat" | "stat" | "rename" | "link" | "realpath" | "unlink" | "mkdir" | "readdir";

/** One atomic change of names: each step sets (node) or removes (undefined) a name. */
interface NameChange { steps: { dir: DirNode; name: string; node: Node | undefined }[] }

/** A name in a directory, and what it names (if anything). */
interface Entry {
  dir: DirNode;
  name: string;
  node: Node | undefined;
}

interface Descriptor {
  node: Node;
  file: string;
  readable: boolean;
  writable: boolean;
  append: boolean;
  position: number;
}

export interface Fault {
  /** 1-based index of the (matching) call that fails first. */
  at: number;
  code: ErrnoCode;
  /** Fail every matching call from `at` on; otherwise only that one. */
  forever?: boolean;
  /** Count and fail only these calls; all calls when absent. */
  calls?: readonly SimCall[];
  /** A failing write first writes a random prefix of its bytes (a disk filling up midway). */
  partialWrites?: boolean;
}

export interface SimOptions {
  seed: number;
  /** Allow pending writes of a file to survive out of order at a crash. Default true. */
  reorder?: boolean;
  /** Probability that a pending name change survives a crash. Default 0.5. */
  keepNameChange?: number;
  /** A failed fsync/fdatasync drops the pending writes from the durable path. Default true. */
  fsyncFailureLosesData?: boolean;
  /** Keep the last this-many calls in `trace` (for failure messages). Default 0. */
  traceLength?: number;
  /** Sabotage for negative controls: fsync/fdatasync of files make nothing durable. */
  lieAboutFileSync?: boolean;
  /** The clock of file modification times (ms). Default Date.now. */
  now?: () => number;
}

/**
 * A simulated, fault-injecting file system, fully in memory and deterministic from a seed.
 *
 * Durability model (what a power loss keeps):
 * - Each file has its current content (what reads see) and its durable content. Writes and
 *   truncations are pending until `fsync`/`fdatasync` of a descriptor of that file.
 * - Each directory has its current entries and its durable entries. Creating, renaming or
 *   unlinking a name is pending until `fsync` of a descriptor opened with `openDirectory` on
 *   that directory. A rename is one atomic change (in both directories when it moves).
 * - `crash()` kills this instance (every later call throws SimCrashError) and returns a new
 *   file system holding the post-crash state: each pending name change is independently kept
 *   or lost; for each file the pending writes are dropped, kept in order up to a torn point,
 *   or (with `reorder`) a random subset is kept in random order, possibly torn.
 * - With `fsyncFailureLosesData` (the Linux "fsyncgate" behaviour), a failed fsync discards
 *   the file's pending writes from the durable path: a later successful fsync does not make
 *   them durable, though reads still see them.
 *
 * Fault injection: `failAt` fails the Nth call (once or forever) with an errno-style error,
 * `crashAt` makes call N and every later call throw SimCrashError. `calls` counts calls.
 */
export class SimFileSystem implements FileSystem {
  readonly random: Random;
  readonly trace: string[] = [];
  /** Number of calls made so far (the step counter of crashAt and failAt). */
  calls = 0;
  /** Set once a crash point was reached: every call now throws SimCrashError. */
  crashed = false;
  /** Faults that fired, with the call they failed. */
  readonly faultsFired: { step: number; call: SimCall; code: ErrnoCode }[] = [];
  private readonly options: Required<SimOptions>;
  private readonly root: DirNode;
  private readonly descriptors = new Map<number, Descriptor>();
  private nameChanges: NameChange[] = [];
  private nextFd = 100;
  private crashAtStep = Infinity;
  private faults: (Fault & { seen: number })[] = [];

  constructor(options: SimOptions, root?: DirNode) {
    this.options = {
      reorder: true, keepNameChange: 0.5, fsyncFailureLosesData: true, traceLength: 0,
      lieAboutFileSync: false, now: Date.now, ...options,
    };
    this.random = new Random(options.seed);
    this.root = root ?? newDir();
  }

  // ---- fault injection ----

  /** Call `step` (1-based, counted over all calls) and every later call throw SimCrashError. */
  crashAt(step: number): void {
    this.crashAtStep = step;
  }

  failAt(fault: Fault): void {
    this.faults.push({ ...fault, seen: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ---- the FileSystem interface ----

  open(file: string, flags: OpenFlags): number {
    this.step("open", file);
    const { dir, name, node } = this.lookup(file, "open");
    const create = flags === "w" || flags === "wx" || flags === "a" || flags === "ax";
    const exclusive = flags === "wx" || flags === "ax";
    if (node && exclusive) throw errnoError("EEXIST", "open", file);
    if (!node && !create) throw errnoError("ENOENT", "open", file);
    if (node?.kind === "dir" && flags !== "r") throw errnoError("EISDIR", "open", file);
    let target: Node;
    if (node) {
      target = node;
      if (flags === "w") this.changeFile(target as FileNode, { kind: "truncate", length: 0 });
    } else {
      target = newFile(undefined, this.options.now());
      this.changeNames({ steps: [{ dir, name, node: target }] });
    }
    return this.addDescriptor({
      node: target, file, readable: flags === "r" || flags === "r+",
      writable: flags !== "r", append: flags === "a" || flags === "ax", position: 0,
    });
  }

  openDirectory(dirPath: string): number {
    this.step("openDirectory", dirPath);
    const { node } = this.lookup(dirPath, "open");
    if (!node) throw errnoError("ENOENT", "open", dirPath);
    if (node.kind !== "dir") throw errnoError("ENOTDIR", "open", dirPath);
    return this.addDescriptor({
      node, file: dirPath, readable: true, writable: false, append: false, position: 0,
    });
  }

  close(fd: number): void {
    this.descriptor(fd, "close");
    try {
      this.step("close");
    } finally {
      // As close(2) on Linux: the descriptor is released even when close reports an error.
      this.descriptors.delete(fd);
    }
  }

  write(fd: number, buffer: Uint8Array, position: number | null): void {
    let failure: unknown;
    try {
      this.step("write");
    } catch (error) {
      if (!(error as { partialWrite?: boolean }).partialWrite) throw error;
      failure = error;
    }
    const d = this.descriptor(fd, "write");
    if (!d.writable) throw errnoError("EBADF", "write");
    const file = d.node as FileNode;
    const at = d.append ? file.current.length : (position ?? d.position);
    const kept = failure === undefined ? buffer.length : this.random.int(buffer.length + 1);
    const data = buffer.slice(0, kept);
    this.changeFile(file, { kind: "write", position: at, data });
    if (position === null || d.append) d.position = at + data.length;
    if (failure !== undefined) throw failure;
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.step("read");
    const d = this.descriptor(fd, "read");
    if (d.node.kind === "dir") throw errnoError("EISDIR", "read");
    if (!d.readable) throw errnoError("EBADF", "read");
    if (offset < 0 || length < 0 || offset + length > buffer.length) {
      throw new RangeError(`read: offset ${offset} + length ${length} exceeds the buffer`);
    }
    const content = d.node.current.view();
    const count = Math.max(0, Math.min(length, content.length - position));
    buffer.set(content.subarray(position, position + count), offset);
    return count;
  }

  fdatasync(fd: number): void {
    this.sync(fd, "fdatasync");
  }

  fsync(fd: number): void {
    this.sync(fd, "fsync");
  }

  ftruncate(fd: number, length: number): void {
    this.step("ftruncate");
    const d = this.descriptor(fd, "ftruncate");
    if (!d.writable || d.node.kind === "dir") throw errnoError("EINVAL", "ftruncate");
    this.changeFile(d.node, { kind: "truncate", length });
  }

  fstat(fd: number): FileStat {
    this.step("fstat");
    return statOf(this.descriptor(fd, "fstat").node);
  }

  stat(file: string): FileStat | undefined {
    this.step("stat", file);
    const found = this.tryLookup(file);
    return found?.node ? statOf(found.node) : undefined;
  }

  rename(from: string, to: string): void {
    this.step("rename", from);
    const source = this.lookup(from, "rename");
    if (!source.node) throw errnoError("ENOENT", "rename", from);
    const target = this.lookup(to, "rename");
    if (source.node === target.node) return;
    const replaced = target.node;
    if (replaced?.kind === "dir" && source.node.kind === "file") throw errnoError("EISDIR", "rename", to);
    if (replaced?.kind === "file" && source.node.kind === "dir") throw errnoError("ENOTDIR", "rename", to);
    if (replaced?.kind === "dir" && replaced.entries.size > 0) throw errnoError("ENOTEMPTY", "rename", to);
    this.changeNames({
      steps: [
        { dir: source.dir, name: source.name, node: undefined },
        { dir: target.dir, name: target.name, node: source.node },
      ],
    });
  }

  link(existing: string, newPath: string): void {
    this.step("link", existing);
    const source = this.lookup(existing, "link");
    if (!source.node) throw errnoError("ENOENT", "link", existing);
    if (source.node.kind === "dir") throw errnoError("EPERM", "link", existing);
    const target = this.lookup(newPath, "link");
    if (target.node) throw errnoError("EEXIST", "link", newPath);
    this.changeNames({ steps: [{ dir: target.dir, name: target.name, node: source.node }] });
  }

  /** The simulation has no symlinks: the real path is the normalised absolute path. */
  realpath(file: string): string {
    this.step("realpath", file);
    const { node } = this.lookup(file, "realpath");
    if (!node) throw errnoError("ENOENT", "realpath", file);
    return `/${components(file).join("/")}`;
  }

  unlink(file: string): void {
    this.step("unlink", file);
    const { dir, name, node } = this.lookup(file, "unlink");
    if (!node) throw errnoError("ENOENT", "unlink", file);
    if (node.kind === "dir") throw errnoError("EISDIR", "unlink", file);
    this.changeNames({ steps: [{ dir, name, node: undefined }] });
  }

  mkdir(dirPath: string): void {
    this.step("mkdir", dirPath);
    let dir = this.root;
    for (const name of components(dirPath)) {
      const node = dir.entries.get(name);
      if (node?.kind === "file") throw errnoError("EEXIST", "mkdir", dirPath);
      if (node) {
        dir = node;
        continue;
      }
      const created = newDir();
      this.changeNames({ steps: [{ dir, name, node: created }] });
      dir = created;
    }
  }

  readdir(dirPath: string): string[] {
    this.step("readdir", dirPath);
    const { node } = this.lookup(dirPath, "scandir");
    if (!node) throw errnoError("ENOENT", "scandir", dirPath);
    if (node.kind !== "dir") throw errnoError("ENOTDIR", "scandir", dirPath);
    // Real directories list in no particular order: do not let callers rely on one.
    return this.random.shuffle([...node.entries.keys()]);
  }

  // ---- crash ----

  /**
   * Simulates a power loss: this instance dies, and the returned file system holds what the
   * disk keeps. The outcome is a deterministic function of the seed.
   */
  crash(): SimFileSystem {
    this.crashed = true;
    this.crashAtStep = 0;
    for (const change of this.nameChanges) {
      if (this.random.chance(this.options.keepNameChange)) applyNames(change);
    }
    this.nameChanges = [];
    const copies = new Map<Node, Node>();
    const copyNode = (node: Node): Node => {
      let copy = copies.get(node);
      if (copy) return copy;
      if (node.kind === "file") {
        const { durable, pending } = node;
        const content = survivingContent(durable, pending, this.random, this.options.reorder);
        copy = newFile(content, node.mtimeMs);
        copies.set(node, copy);
        return copy;
      }
      const dir = newDir();
      copies.set(node, dir);
      for (const [name, child] of node.durable) {
        const childCopy = copyNode(child);
        dir.entries.set(name, childCopy);
        dir.durable.set(name, childCopy);
      }
      return dir;
    };
    const root = copyNode(this.root) as DirNode;
    return new SimFileSystem({ ...this.options, seed: this.random.nextUint32() }, root);
  }

  // ---- helpers for tests: no step counting, no faults ----

  /** Current content of a file, or undefined when it does not exist. */
  peekFile(file: string): Uint8Array | undefined {
    const node = this.tryLookup(file)?.node;
    return node?.kind === "file" ? node.current.view().slice() : undefined;
  }

  /** Replaces a file's content, durably (as damage done on the disk itself, long ago: its
   * modification time is 0). */
  pokeFile(file: string, content: Uint8Array): void {
    const { dir, name, node } = this.lookup(file, "open");
    if (node?.kind === "dir") throw errnoError("EISDIR", "open", file);
    const replacement = newFile(content);
    dir.entries.set(name, replacement);
    dir.durable.set(name, replacement);
  }

  /** Moves a file or directory durably (as an operator would, between two runs). */
  moveDurable(from: string, to: string): void {
    const source = this.lookup(from, "rename");
    const target = this.lookup(to, "rename");
    if (!source.node) throw errnoError("ENOENT", "rename", from);
    if (target.node) throw errnoError("EEXIST", "rename", to);
    for (const map of [source.dir.entries, source.dir.durable]) map.delete(source.name);
    for (const map of [target.dir.entries, target.dir.durable]) map.set(target.name, source.node);
  }

  /** Creates directories durably (as if made long before the test). */
  mkdirDurable(dirPath: string): void {
    let dir = this.root;
    for (const name of components(dirPath)) {
      let node = dir.entries.get(name);
      if (!node) {
        node = newDir();
        dir.entries.set(name, node);
      }
      if (node.kind !== "dir") throw errnoError("ENOTDIR", "mkdir", dirPath);
      dir.durable.set(name, node);
      dir = node;
    }
  }

  /** Every file under `dirPath` (recursively), as paths relative to it, sorted. */
  listFiles(dirPath = "/"): string[] {
    const start = this.tryLookup(dirPath)?.node;
    const out: string[] = [];
    const walk = (dir: DirNode, prefix: string): void => {
      for (const [name, node] of dir.entries) {
        const rel = prefix ? `${prefix}/${name}` : name;
        if (node.kind === "dir") walk(node, rel);
        else out.push(rel);
      }
    };
    if (start?.kind === "dir") walk(start, "");
    return out.sort();
  }

  /** Number of open descriptors (to check that a failed open released its files). */
  openDescriptors(): number {
    return this.descriptors.size;
  }

  // ---- internals ----

  private step(call: SimCall, file?: string): void {
    this.calls++;
    if (this.options.traceLength > 0) {
      this.trace.push(`${this.calls} ${call}${file === undefined ? "" : ` ${file}`}`);
      if (this.trace.length > this.options.traceLength) this.trace.shift();
    }
    if (this.crashed) throw new SimCrashError(this.calls);
    if (this.calls >= this.crashAtStep) {
      this.crashed = true;
      throw new SimCrashError(this.calls);
    }
    for (const fault of this.faults) {
      if (fault.calls && !fault.calls.includes(call)) continue;
      fault.seen++;
      const fires = fault.forever ? fault.seen >= fault.at : fault.seen === fault.at;
      if (!fires) continue;
      this.faultsFired.push({ step: this.calls, call, code: fault.code });
      const error = errnoError(fault.code, call, file);
      throw Object.assign(error, { partialWrite: fault.partialWrites === true });
    }
  }

  private sync(fd: number, call: "fsync" | "fdatasync"): void {
    const d = this.descriptors.get(fd);
    try {
      this.step(call);
    } catch (error) {
      const isFault = !(error instanceof SimCrashError);
      const losesData = isFault && this.options.fsyncFailureLosesData;
      if (losesData && d?.node.kind === "file") d.node.pending = [];
      throw error;
    }
    const node = this.descriptor(fd, call).node;
    if (node.kind === "file") {
      if (this.options.lieAboutFileSync) return;
      for (const change of node.pending) node.durable.apply(change);
      node.pending = [];
      return;
    }
    const keep: NameChange[] = [];
    for (const change of this.nameChanges) {
      if (change.steps.some((s) => s.dir === node)) applyNames(change);
      else keep.push(change);
    }
    this.nameChanges = keep;
  }

  private changeFile(file: FileNode, change: Change): void {
    file.mtimeMs = this.options.now();
    file.current.apply(change);
    file.pending.push(change);
  }

  private changeNames(change: NameChange): void {
    for (const { dir, name, node } of change.steps) {
      if (node) dir.entries.set(name, node);
      else dir.entries.delete(name);
    }
    this.nameChanges.push(change);
  }

  private addDescriptor(d: Descriptor): number {
    const fd = this.nextFd++;
    this.descriptors.set(fd, d);
    return fd;
  }

  private descriptor(fd: number, syscall: string): Descriptor {
    const d = this.descriptors.get(fd);
    if (!d) throw errnoError("EBADF", syscall);
    return d;
  }

  private tryLookup(file: string): Entry | undefined {
    try {
      return this.lookup(file, "stat");
    } catch {
      return undefined;
    }
  }

  /** Resolves the parent directory (which must exist) and the entry named by `file`. */
  private lookup(file: string, syscall: string): Entry {
    const names = components(file);
    const name = names.pop();
    if (name === undefined) return { dir: this.root, name: "", node: this.root };
    let dir = this.root;
    for (const part of names) {
      const next = dir.entries.get(part);
      if (!next) throw errnoError("ENOENT", syscall, file);
      if (next.kind !== "dir") throw errnoError("ENOTDIR", syscall, file);
      dir = next;
    }
    return { dir, name, node: dir.entries.get(name) };
  }
}

function components(file: string): string[] {
  return path.posix.resolve("/", file).split("/").filter((part) => part !== "");
}

function applyNames(change: NameChange): void {
  for (const { dir, name, node } of change.steps) {
    if (node) dir.durable.set(name, node);
    else dir.durable.delete(name);
  }
}

function statOf(node: Node): FileStat {
  return node.kind === "dir"
    ? { size: 4096, isDirectory: true, ino: node.ino }
    : { size: node.current.length, isDirectory: false, mtimeMs: node.mtimeMs, ino: node.ino };
}
