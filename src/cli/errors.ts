import { OpslogError } from "./engine.js";

/** Exit codes of the `opslog` command (docs/CLI.md, "Exit codes"). Never renumber one. */
export const exitCodes = {
  ok: 0,
  /** The operation failed, or `verify` found damage. */
  failed: 1,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  usage: 2,
  /** The record, store directory or history point does not exist. */
  notFound: 3,
  /** Another process holds the writer lock. */
  locked: 4,
  /** A confirmation was declined (or could not be asked). */
  cancelled: 5,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** An error raised by the CLI itself, with the exit code it ends the process with. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "CliError";
  }
}

export function usageError(message: string): CliError {
  return new CliError("OPSLOG_USAGE", message, exitCodes.usage);
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof OpslogError) {
    if (error.code === "OPSLOG_NOT_FOUND") return exitCodes.notFound;
    if (error.code === "OPSLOG_LOCKED") return exitCodes.locked;
  }
  return exitCodes.failed;
}

export function errorCodeOf(error: unknown): string {
  if (error instanceof CliError || error instanceof OpslogError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "OPSLOG_INTERNAL";
}

/** One line for people (`code: message`), or one JSON line for scripts. */
export function formatError(error: unknown, json: boolean): string {
  const code = errorCodeOf(error);
  const message = (error instanceof Error ? error.message : String(error)).replace(
    /\s*\n\s*/g,
    " ",
  );
  if (!json) return `${code}: ${message}`;
  const details = error instanceof CliError ? error.details : {};
  return JSON.stringify({ error: { code, message, ...details } });
}

/** The stack and the chain of causes, for `--debug`. */
export function formatDebug(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push("caused by:");
  }
  return parts.join("\n");
}
