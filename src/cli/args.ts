import { parseArgs } from "node:util";
import type { Command, OptionSpec } from "./command.js";
import { parseIsoMicros } from "./engine.js";
import { usageError } from "./errors.js";

/** Options every command accepts. */
export const globalOptions: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "machine-readable JSON output" },
  debug: { type: "boolean", description: "print stack traces of errors" },
  help: { type: "boolean", short: "h", description: "show help for the command" },
};

export interface ParsedCommandLine {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

/** Parses a command's arguments strictly: unknown options and extra arguments are usage errors. */
export function parseCommandLine(command: Command, args: string[]): ParsedCommandLine {
  const options = { ...globalOptions, ...command.options };
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        multiple: spec.multiple ?? false,
        ...(spec.short ? { short: spec.short } : {}),
      },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: joinDashValues(args, options),
      options: config,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.split(". To specify")[0]?.split("\n")[0] ?? "";
    throw usageError(`${message.replace(/\.$/, "")} (see opslog ${command.name} --help)`);
  }
  const { positionals, values } = parsed;
  if (values.help === true) return { positionals, values };
  const { min, max } = command.positionals;
  if (positionals.length < min) {
    throw usageError(`${command.name}: missing arguments; usage: opslog ${command.usage[0]}`);
  }
  if (positionals.length > max) {
    const extra = positionals.slice(max).join(" ");
    throw usageError(`${command.name}: unexpected argument ${JSON.stringify(extra)}`);
  }
  return { positionals, values };
}

/** `--sort -due` as `--sort=-due`, for options whose values may start with a dash. */
function joinDashValues(args: string[], options: Record<string, OptionSpec>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (arg === "--") return [...joined, ...args.slice(i)];
    const dash = name !== undefined && Object.hasOwn(options, name) && options[name]?.dashValue;
    if (dash === true && next !== undefined) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Parses a positive integer option such as `--limit`. */
export function parseCount(name: string, text: string | undefined, max = Number.MAX_SAFE_INTEGER) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw usageError(`--${name} must be a whole number; got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < 1 || value > max)
    throw usageError(`--${name} must be between 1 and ${max}; got ${value}`);
  return value;
}

/** A point in history as the user typed it: a seq number or an ISO 8601 timestamp. */
export type Point = number | string;

export function parsePoint(name: string, text: string | undefined): Point | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  if (parseIsoMicros(text) !== undefined) return text;
  throw usageError(
    `${name} must be a seq number or an ISO 8601 timestamp like 2026-01-02T03:04:05Z; ` +
      `got ${JSON.stringify(text)}`,
  );
}
