import { InvalidArgumentError } from "./errors.js";
import type { StoreOptions } from "./types.js";
import { indexDefinitions } from "./query/index-def.js";
import { checkSchema } from "./model/schema-check.js";

/** Longest archive segment name. */
export const archiveNameLengthMax = 100;
const archiveNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Archive segments become file names: no separators, no "..", nothing hidden. */
export function checkArchiveName(name: unknown): asserts name is string {
  const ok =
    typeof name === "string" &&
    name.length <= archiveNameLengthMax &&
    archiveNamePattern.test(name) &&
    !name.includes("..");
  if (!ok) {
    throw new InvalidArgumentError(
      `archive segment name ${JSON.stringify(name)} is not allowed: use letters, digits, ".", "_" ` +
        `and "-" (no path separators or ".."), at most ${archiveNameLengthMax} characters`,
    );
  }
}

/** The original's default: the current quarter, for example "2026-Q4". */
export function defaultArchiveSegment(now: Date): string {
  return `${now.getFullYear()}-Q${Math.ceil((now.getMonth() + 1) / 3)}`;
}

export function checkOpenOptions(options: StoreOptions<unknown>): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("options must be an object");
  }
  const { checkpointThreshold, version, writeMode, groupCommitMs, migrate, retain } = options;
  checkRetain(retain);
  indexDefinitions(options.indexes); // Throws on a bad declaration, before anything opens.
  checkFollow(options.follow, options.readOnly);
  if (checkpointThreshold !== undefined && !(checkpointThreshold >= 0)) {
    throw new InvalidArgumentError("checkpointThreshold must be a number ≥ 0 (0 turns checkpoints off)");
  }
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
    throw new InvalidArgumentError("version must be an integer ≥ 1");
  }
  if (writeMode !== undefined && !["immediate", "group", "async"].includes(writeMode)) {
    throw new InvalidArgumentError('writeMode must be "immediate", "group" or "async"');
  }
  if (groupCommitMs !== undefined && !(groupCommitMs >= 0 && groupCommitMs <= 60_000)) {
    throw new InvalidArgumentError("groupCommitMs must be between 0 and 60000");
  }
  if (migrate !== undefined && typeof migrate !== "function") {
    throw new InvalidArgumentError("migrate must be a function");
  }
  if (options.schema !== undefined) checkSchema(options.schema);
  for (const name of ["checkpointOnClose", "warmUp"] as const) {
    const value: unknown = options[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw new InvalidArgumentError(`${name} must be true or false`);
    }
  }
}

function checkFollow(follow: unknown, readOnly: unknown): void {
  if (follow === undefined || follow === false) return;
  if (follow !== true) throw new InvalidArgumentError("follow must be a boolean");
  if (readOnly !== true) {
    throw new InvalidArgumentError("follow: true needs readOnly: true (a follower reads what another process writes)");
  }
}

function checkRetain(retain: unknown): void {
  if (retain === undefined || retain === "all") return;
  const ok =
    typeof retain === "object" &&
    retain !== null &&
    Object.keys(retain).every((key) => key === "ops" || key === "ms") &&
    Object.values(retain).every((n) => Number.isInteger(n) && (n as number) >= 0) &&
    Object.keys(retain).length > 0;
  if (!ok) {
    throw new InvalidArgumentError('retain must be "all" or { ops?: integer ≥ 0, ms?: integer ≥ 0 }');
  }
}
