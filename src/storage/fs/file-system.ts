/**
 * The file-system interface the filesystem storage works through. It is the synchronous subset
 * of node:fs that opslog needs, so that a simulated, fault-injecting file system can stand in
 * for the real one in tests (tests/simulation). Paths are absolute or relative to the process.
 *
 * Durability rules the simulation models: bytes written are durable only after `fdatasync` or
 * `fsync` of their file; a created, renamed or deleted name is durable only after `fsync` of
 * the directory holding it (opened with `openDirectory`).
 */
export type OpenFlags = "r" | "r+" | "w" | "wx" | "a" | "ax";

export interface FileStat {
  size: number;
  isDirectory: boolean;
  /** Last modification time (ms since the epoch), when the file system knows it. */
  mtimeMs?: number;
  /** Inode number, when the file system has one: tells two files of equal content apart. */
  ino?: number;
}

export interface FileSystem {
  open(path: string, flags: OpenFlags): number;
  /** Opens a directory so that `fsync` on the descriptor makes name changes in it durable. */
  openDirectory(path: string): number;
  close(fd: number): void;
  /** Writes all of `buffer` at `position` (or at the end for append descriptors). */
  write(fd: number, buffer: Uint8Array, position: number | null): void;
  /** Reads up to `length` bytes at `position` into `buffer`; returns the count read. */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  fdatasync(fd: number): void;
  fsync(fd: number): void;
  ftruncate(fd: number, length: number): void;
  fstat(fd: number): FileStat;
  stat(path: string): FileStat | undefined;
  rename(from: string, to: string): void;
  /** Gives `existing` a second name; fails with EEXIST when `newPath` exists (never replaces). */
  link(existing: string, newPath: string): void;
  /** The canonical absolute path (symlinks, `.` and `..` resolved); ENOENT when absent. */
  realpath(path: string): string;
  unlink(path: string): void;
  mkdir(path: string): void;
  readdir(path: string): string[];
  /**
   * Optional: calls `onChange` when names or contents in directory `dir` change (a wake-up for
   * followers, which poll as well: a missed or spurious call costs only latency). Returns the
   * function that stops watching. A file system without it (simulated, or where watching is
   * unavailable) is polled.
   */
  watch?(dir: string, onChange: () => void): () => void;
}
