import path from "node:path";
import type { FileSystem } from "./file-system.js";

/** Bytes read from disk at a time when scanning a file line by line. */
export const readChunkBytes = 4 * 1024 * 1024;

export function isMissing(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "ENOENT";
}

/** Makes created, renamed or deleted names in `dir` durable. */
export function syncDirectory(fs: FileSystem, dir: string): void {
  const fd = fs.openDirectory(dir);
  try {
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
}

export function readWholeFile(fs: FileSystem, file: string): Buffer {
  const fd = fs.open(file, "r");
  try {
    const size = fs.fstat(fd).size;
    const buffer = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const count = fs.read(fd, buffer, done, size - done, done);
      if (count === 0) break;
      done += count;
    }
    return done === size ? buffer : buffer.subarray(0, done);
  } finally {
    fs.close(fd);
  }
}

export type LineVisitor = (
  bytes: Buffer,
  start: number,
  end: number,
  fileOffset: number,
  terminated: boolean,
) => void;

/**
 * Calls `visit` for each line of a file, reading it in chunks so that files larger than any
 * string or buffer limit can be scanned. `start`/`end` index into `bytes`; `fileOffset` is the
 * line's byte offset in the file. Returns the file's size.
 */
export function forEachLine(fs: FileSystem, file: string, visit: LineVisitor): number {
  const fd = fs.open(file, "r");
  try {
    const size = fs.fstat(fd).size;
    let carry: Buffer = Buffer.alloc(0);
    let position = 0;
    while (position < size) {
      const length = Math.min(readChunkBytes, size - position);
      const chunk = Buffer.alloc(carry.length + length);
      carry.copy(chunk, 0);
      const count = fs.read(fd, chunk, carry.length, length, position);
      if (count === 0) break;
      const base = position - carry.length;
      position += count;
      const data = chunk.subarray(0, carry.length + count);
      carry = Buffer.alloc(0);
      const last = position >= size;
      let start = 0;
      while (start < data.length) {
        const at = data.indexOf(0x0a, start);
        if (at === -1) {
          if (!last) carry = Buffer.from(data.subarray(start));
          else visit(data, start, data.length, base + start, false);
          break;
        }
        visit(data, start, at, base + start, true);
        start = at + 1;
      }
    }
    return size;
  } finally {
    fs.close(fd);
  }
}

/** Calls `visit` for each line of bytes already in memory (a decompressed segment). */
export function forEachLineIn(data: Buffer, visit: LineVisitor): number {
  let start = 0;
  while (start < data.length) {
    const at = data.indexOf(0x0a, start);
    if (at === -1) {
      visit(data, start, data.length, start, false);
      break;
    }
    visit(data, start, at, start, true);
    start = at + 1;
  }
  return data.length;
}

/**
 * Writes a file so that it is either wholly present with the new content or absent/old after a
 * crash: temp file, fsync, rename over the target, fsync of the directory.
 */
export function writeFileAtomic(
  fs: FileSystem,
  file: string,
  chunks: Iterable<string | Uint8Array>,
  /** Called once the new content has replaced the old name (before the directory sync). */
  onRenamed?: () => void,
): number {
  const temp = `${file}.tmp`;
  const fd = fs.open(temp, "w");
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      fs.write(fd, buffer, bytes);
      bytes += buffer.length;
    }
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(temp, file);
  onRenamed?.();
  syncDirectory(fs, path.dirname(file));
  return bytes;
}

export function removeIfPresent(fs: FileSystem, file: string): void {
  try {
    fs.unlink(file);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}
