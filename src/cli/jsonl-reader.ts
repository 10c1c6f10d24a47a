import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { checkId, checkNotNullRecord, OpslogError, toStoredValue } from "./engine.js";
import { CliError, exitCodes } from "./errors.js";

/** One record line of an import file. */
export interface ImportRecord {
  line: number;
  id: string;
  value: unknown;
}

export class BadLineError extends CliError {
  constructor(
    file: string,
    line: number,
    reason: string,
    code = "OPSLOG_INVALID_VALUE",
    imported = 0,
  ) {
    super(code, `${file} line ${line}: ${reason}`, exitCodes.failed, { file, line, imported });
  }
}

/**
 * Checks one line as the store would: JSON, an object with a non-empty string `id` and a
 * `value` the store accepts. Other members are ignored. Returns undefined for a blank line.
 */
export function parseImportLine(
  file: string,
  line: number,
  text: string,
): ImportRecord | undefined {
  if (text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadLineError(file, line, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BadLineError(file, line, 'expected an object like {"id": "…", "value": …}');
  }
  const { id, value } = parsed as { id?: unknown; value?: unknown };
  if (!Object.hasOwn(parsed, "value")) throw new BadLineError(file, line, 'missing "value"');
  try {
    checkId(id);
    checkNotNullRecord(value);
    toStoredValue(value);
  } catch (error) {
    if (!(error instanceof OpslogError)) throw error;
    throw new BadLineError(file, line, error.message, error.code);
  }
  return { line, id, value };
}

export interface LineProgress {
  /** Bytes of the file read so far. */
  bytes: number;
}

/** The records of a JSON Lines file in order, with line numbers; stops at the first bad line. */
export async function* readImportFile(
  file: string,
  progress: LineProgress = { bytes: 0 },
): AsyncIterable<ImportRecord> {
  const stream = createReadStream(file);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      progress.bytes = stream.bytesRead;
      // A byte order mark is not part of the first line's JSON.
      const record = parseImportLine(file, line, line === 1 ? text.replace(/^\uFEFF/, "") : text);
      if (record) yield record;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}
