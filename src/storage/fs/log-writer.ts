import path from "node:path";
import { IoError, toIoError } from "../../errors.js";
import { assert } from "../../util/assert.js";
import type { FileSystem } from "./file-system.js";

/**
 * Appends to the active log segment. One write per group of operations; `sync` makes them
 * durable. A failed append is cut back off the file so the next append is not glued to a
 * partial record; if even that fails, the writer refuses further appends.
 *
 * The file is extended with zeros ahead of the appends (`preallocateBytes` at a time), so most
 * syncs only flush data: an append that grows the file also makes fdatasync commit the new
 * size to the file-system journal, which costs about as much again. Readers treat a run of
 * zero bytes after the last record as free space (docs/FORMAT.md); sealing and closing cut it.
 */
/** Zero bytes added ahead of the appends at a time. */
export const preallocateBytes = 64 * 1024;
const zeros = new Uint8Array(preallocateBytes);

export class LogWriter {
  private fd: number | undefined;
  private failure: unknown;
  /** Bytes known durable: everything before the last successful sync. */
  private syncedSize: number;
  /** The file's size: `size` plus the zeros written ahead. */
  private allocated: number;

  private constructor(
    private readonly fs: FileSystem,
    readonly file: string,
    fd: number,
    private size: number,
  ) {
    this.fd = fd;
    this.syncedSize = size;
    this.allocated = size;
  }

  /** Opens an existing segment for appending after its first `validBytes` bytes. */
  static openExisting(fs: FileSystem, dir: string, file: string, validBytes: number): LogWriter {
    const fd = fs.open(path.join(dir, file), "r+");
    try {
      if (fs.fstat(fd).size !== validBytes) {
        fs.ftruncate(fd, validBytes);
        fs.fdatasync(fd);
      }
    } catch (error) {
      fs.close(fd);
      throw error;
    }
    return new LogWriter(fs, file, fd, validBytes);
  }

  /** Creates a new, empty segment; the caller makes its name durable (directory sync). */
  static create(fs: FileSystem, dir: string, file: string): LogWriter {
    const fd = fs.open(path.join(dir, file), "wx");
    return new LogWriter(fs, file, fd, 0);
  }

  get bytes(): number {
    return this.size;
  }

  append(bytes: Uint8Array): void {
    assert(bytes.length > 0, "an append has bytes");
    const fd = this.usableFd();
    try {
      if (this.size + bytes.length > this.allocated) this.extend(fd, this.size + bytes.length);
      this.fs.write(fd, bytes, this.size);
    } catch (error) {
      this.cutBack(fd);
      throw toIoError(`appending to ${this.file}`, error);
    }
    this.size += bytes.length;
  }

  /** Makes every appended byte durable. After a failed sync nothing is known: refuse more. */
  sync(): void {
    const fd = this.usableFd();
    try {
      this.fs.fdatasync(fd);
    } catch (error) {
      // The rejected bytes must not come back after a restart: cut them off (best effort;
      // after a failed sync nothing more is trusted, so the writer refuses further appends).
      this.failure = error;
      this.size = this.syncedSize;
      this.cutBack(fd);
      throw toIoError(`syncing ${this.file}`, error);
    }
    assert(this.size >= this.syncedSize, "the synced size only grows between failures");
    this.syncedSize = this.size;
  }

  /** Cuts the zeros written ahead, syncs, and closes. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (this.allocated > this.size && this.failure === undefined) {
        this.fs.ftruncate(fd, this.size);
        this.fs.fdatasync(fd);
      }
    } finally {
      this.fs.close(fd);
    }
  }

  /** Closes and ignores a failure: used where the data was already made durable. */
  closeQuietly(): void {
    try {
      this.close();
    } catch {
      // The descriptor is released by the kernel either way; nothing unsynced is lost.
    }
  }

  /** Throws the error that made this writer refuse appends, if any. */
  checkUsable(): void {
    if (this.fd !== undefined) this.usableFd();
  }

  private usableFd(): number {
    if (this.failure !== undefined) {
      throw new IoError(
        `an earlier write to ${this.file} failed; close and reopen the store to continue`,
        this.failure,
      );
    }
    assert(this.fd !== undefined, "append after close");
    return this.fd;
  }

  private cutBack(fd: number): void {
    try {
      this.fs.ftruncate(fd, this.size);
      this.allocated = this.size;
    } catch (error) {
      this.failure ??= error;
    }
  }

  private extend(fd: number, end: number): void {
    let at = this.allocated;
    const target = end + preallocateBytes;
    while (at < target) {
      const length = Math.min(zeros.length, target - at);
      this.fs.write(fd, length === zeros.length ? zeros : zeros.subarray(0, length), at);
      at += length;
    }
    this.allocated = target;
  }
}
