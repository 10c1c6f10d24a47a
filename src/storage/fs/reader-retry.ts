import path from "node:path";
import { OpslogError } from "../../errors.js";
import { assert } from "../../util/assert.js";
import type { Operation } from "../../types.js";
import type { SegmentInfo } from "./fs-types.js";
import type { FileSystem } from "./file-system.js";
import { isMissing, readWholeFile } from "./files.js";
import { manifestFile } from "./log-format.js";
import { compressedSuffix } from "./log-reader.js";
import type { Manifest } from "./manifest-file.js";

/**
 * Readers take no lock, so the writer goes on while they read: it replaces the snapshot,
 * compresses sealed segments (seg-N.jsonl → seg-N.jsonl.gz) and prunes them, deleting files
 * that the manifest a reader has just read still names. The writer commits the manifest that
 * stops naming a file before it deletes the file, so a reader that finds a named file gone
 * re-reads the manifest and starts over against the newer one (SPEC §2.8: readers never fail
 * because a writer made progress).
 */

/** Attempts of one read-only open (or inspect) before its failure is reported. */
export const readerAttemptsMax = 20;
/** Failures against one unchanged manifest after which the failure is real (a missing file). */
export const unchangedManifestFailuresMax = 2;
/** Pause before retrying against an unchanged manifest, times the failures seen with it. */
export const readerRetryPauseMs = 2;

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** A failure a writer's progress can cause: a named file gone, or not what was named. */
export function mayBeWriterProgress(error: unknown): boolean {
  if (isMissing(error)) return true;
  return error instanceof OpslogError && error.code === "OPSLOG_CORRUPTION";
}

/** The manifest's bytes as text (undefined when there is none), to tell whether it changed. */
function manifestText(fs: FileSystem, dir: string): string | undefined {
  try {
    return readWholeFile(fs, path.join(dir, manifestFile)).toString("latin1");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Runs `read` (which reads the manifest, then the files it names) until it succeeds. A failure
 * a writer's progress explains starts it over; one that recurs while the manifest stays the
 * same is real, and is thrown, as is any failure after readerAttemptsMax attempts.
 */
export function readBesideWriter<R>(fs: FileSystem, dir: string, read: () => R): R {
  let seen: string | undefined; // The manifest as it was after the last failure.
  let unchanged = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return read();
    } catch (error) {
      if (!mayBeWriterProgress(error) || attempt >= readerAttemptsMax) throw error;
      let now: string | undefined;
      try {
        now = manifestText(fs, dir);
      } catch {
        throw error; // The manifest cannot be read again: the first failure is the one to report.
      }
      // Manifest names never repeat (nextFile grows), so equal text means the same manifest.
      unchanged = attempt > 1 && now === seen ? unchanged + 1 : 0;
      seen = now;
      if (unchanged >= unchangedManifestFailuresMax) throw error;
      if (unchanged > 0) Atomics.wait(pauseCell, 0, 0, readerRetryPauseMs * unchanged);
    }
    assert(attempt < readerAttemptsMax, "reader attempts are bounded");
  }
}

/**
 * A reader's manifest after re-reading the writer's: the segments before the reader's active
 * one as they are named now (compressed, or gone when pruned), then its active one as loaded.
 * Newer segments are left out: the reader's state and history end where it loaded them.
 */
export function readerManifest(loaded: Manifest, current: Manifest): Manifest {
  const active = loaded.segments.at(-1)!;
  const sealed = current.segments.filter((s) => s.firstSeq < active.firstSeq);
  for (const segment of sealed) assert(segment.lastSeq !== undefined, "an older segment is sealed");
  return { ...loaded, segments: [...sealed, active] };
}

/**
 * A reader's history read of a sealed segment. Gone under its name, it is read under its
 * compressed name; gone under both, `refreshed` re-reads the manifest: pruned, the segment
 * yields nothing (the reader's history now starts later, as a fresh open's would); renamed, it
 * is read under its new name. Still named as it was, the file is really missing (the writer
 * removes only files it no longer names), and the read fails as it would for a writer.
 */
export function readSegmentBesideWriter(
  segment: SegmentInfo,
  read: (segment: SegmentInfo) => Operation[],
  refreshed: () => SegmentInfo[],
): Operation[] {
  let named = segment;
  for (let attempt = 1; ; attempt++) {
    const ops = readEitherName(named, read);
    if (ops) return ops;
    const now = refreshed().find((s) => s.firstSeq === segment.firstSeq && s.lastSeq !== undefined);
    if (!now) return [];
    if (now.file === named.file || attempt >= readerAttemptsMax) return read(now);
    assert(now.lastSeq === segment.lastSeq, "a renamed segment holds the same operations");
    named = now;
  }
}

function readEitherName(
  segment: SegmentInfo,
  read: (segment: SegmentInfo) => Operation[],
): Operation[] | undefined {
  const files = [segment.file];
  if (!segment.file.endsWith(compressedSuffix)) files.push(`${segment.file}${compressedSuffix}`);
  for (const file of files) {
    try {
      return read({ ...segment, file });
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return undefined;
}
