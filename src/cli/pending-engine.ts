/**
 * TEMPORARY: the shapes of `inspect()` and `verify()` as the lead specified them, until they are
 * exported from src/index.ts. Delete this file and re-export them in engine.ts when they land.
 */
import { OpslogError, type LockHolder } from "../index.js";

export interface DirectoryInfo {
  formatVersion: number;
  schemaVersion: number;
  legacy: boolean;
  seq: number;
  snapshot?: { file: string; seq: number; bytes: number };
  segments: { file: string; firstSeq: number; bytes: number; sealed: boolean }[];
  archive: { name: string; file: string; bytes: number }[];
  lock?: LockHolder;
  totalBytes: number;
}

export interface VerifyReport {
  ok: boolean;
  files: number;
  bytes: number;
  problems: { file: string; offset: number; reason: string }[];
}

function missing(name: string): OpslogError {
  return new OpslogError("OPSLOG_IO", `${name}() is not in this build of opslog yet`);
}

export async function inspect(_dir: string): Promise<DirectoryInfo> {
  throw missing("inspect");
}

export async function verify(
  _dir: string,
  _options: { onProgress?(doneBytes: number, totalBytes: number): void } = {},
): Promise<VerifyReport> {
  throw missing("verify");
}
