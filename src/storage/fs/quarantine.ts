import path from "node:path";
import type { FileSystem } from "./file-system.js";
import { forEachLine, syncDirectory } from "./files.js";
import { quarantineDir } from "./log-format.js";

/**
 * Repair never deletes: bytes it cannot use are copied into quarantine/ before the damaged file
 * is cut back, and whole files are moved there.
 */
export function quarantineTail(
  fs: FileSystem,
  dir: string,
  file: string,
  offset: number,
): { quarantineFile: string; bytes: number } {
  const target = freeName(fs, dir, `${path.basename(file)}.${offset}.bad`);
  fs.mkdir(path.join(dir, quarantineDir));
  const out = fs.open(path.join(dir, target), "wx");
  let written = 0;
  try {
    forEachLine(fs, path.join(dir, file), (bytes, start, end, lineOffset, terminated) => {
      const lineEnd = terminated ? end + 1 : end;
      const from = Math.max(start, start + (offset - lineOffset));
      if (lineOffset + (lineEnd - start) <= offset) return;
      const slice = bytes.subarray(from, lineEnd);
      fs.write(out, slice, written);
      written += slice.length;
    });
    fs.fsync(out);
  } finally {
    fs.close(out);
  }
  syncDirectory(fs, path.join(dir, quarantineDir));
  return { quarantineFile: target, bytes: written };
}

/** Moves a whole file to quarantine/ and returns the report entry (bytes from `offset` on). */
export function quarantineFile(
  fs: FileSystem,
  dir: string,
  file: string,
  offset: number,
): { file: string; offset: number; bytes: number; quarantineFile: string } {
  const size = fs.stat(path.join(dir, file))?.size ?? 0;
  return { file, offset, bytes: size - offset, quarantineFile: quarantineWhole(fs, dir, file) };
}

export function quarantineWhole(fs: FileSystem, dir: string, file: string): string {
  const target = freeName(fs, dir, `${path.basename(file)}.bad`);
  fs.mkdir(path.join(dir, quarantineDir));
  fs.rename(path.join(dir, file), path.join(dir, target));
  syncDirectory(fs, path.join(dir, quarantineDir));
  syncDirectory(fs, path.dirname(path.join(dir, file)));
  return target;
}

function freeName(fs: FileSystem, dir: string, base: string): string {
  for (let n = 0; ; n++) {
    const name = path.join(quarantineDir, n === 0 ? base : `${base}.${n}`);
    if (!fs.stat(path.join(dir, name))) return name;
  }
}
