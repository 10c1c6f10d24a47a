import fs from "node:fs";
import type { FileStat, FileSystem, OpenFlags } from "./file-system.js";

/** The real file system: a thin layer over node:fs's synchronous calls. */
export class NodeFileSystem implements FileSystem {
  open(path: string, flags: OpenFlags): number {
    return fs.openSync(path, flags);
  }

  openDirectory(path: string): number {
    return fs.openSync(path, "r");
  }

  close(fd: number): void {
    fs.closeSync(fd);
  }

  write(fd: number, buffer: Uint8Array, position: number | null): void {
    let written = 0;
    while (written < buffer.length) {
      const at = position === null ? null : position + written;
      written += fs.writeSync(fd, buffer, written, buffer.length - written, at);
    }
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    return fs.readSync(fd, buffer, offset, length, position);
  }

  fdatasync(fd: number): void {
    fs.fdatasyncSync(fd);
  }

  fsync(fd: number): void {
    fs.fsyncSync(fd);
  }

  ftruncate(fd: number, length: number): void {
    fs.ftruncateSync(fd, length);
  }

  fstat(fd: number): FileStat {
    return statOf(fs.fstatSync(fd));
  }

  stat(path: string): FileStat | undefined {
    const s = fs.statSync(path, { throwIfNoEntry: false });
    return s ? statOf(s) : undefined;
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  link(existing: string, newPath: string): void {
    fs.linkSync(existing, newPath);
  }

  realpath(path: string): string {
    // The native call also gives the on-disk case of names on case-insensitive file systems.
    return fs.realpathSync.native(path);
  }

  unlink(path: string): void {
    fs.unlinkSync(path);
  }

  mkdir(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  }

  readdir(path: string): string[] {
    return fs.readdirSync(path);
  }

  /** inotify and the like; an error (the directory removed) stops it, after one last wake-up. */
  watch(dir: string, onChange: () => void): () => void {
    // Persistent, like the follower's poll timer: a process following a writer stays alive
    // until the store is closed (close() stops both).
    const watcher = fs.watch(dir, { persistent: true }, () => onChange());
    watcher.on("error", () => {
      watcher.close();
      onChange();
    });
    return () => watcher.close();
  }
}

function statOf(s: fs.Stats): FileStat {
  return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs, ino: s.ino };
}
