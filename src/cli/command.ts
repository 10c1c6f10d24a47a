import type { Output } from "./output.js";

/** One option of a command, as `util.parseArgs` takes it plus what `--help` shows. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** The value may start with "-" (`--sort -due`), which parseArgs otherwise refuses. */
  dashValue?: boolean;
  /** Shown in help after the option name, for string options: `--limit <n>`. */
  value?: string;
  description: string;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The synopsis lines shown by `--help`, without the leading `opslog`. */
  usage: string[];
  /** Paragraphs shown by `--help` after the options. */
  details?: string[];
  options: Record<string, OptionSpec>;
  /** Positional arguments accepted: at least `min`, at most `max`. */
  positionals: { min: number; max: number };
  run(context: CommandContext): Promise<number>;
}

/** What a command receives: its parsed arguments and where to write. */
export interface CommandContext {
  positionals: string[];
  options: ParsedOptions;
  out: Output;
  json: boolean;
}

export type OptionValue = string | boolean | (string | boolean)[] | undefined;

/** Typed access to the options `util.parseArgs` returned. */
export class ParsedOptions {
  constructor(private readonly values: Record<string, OptionValue>) {}

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === "string" ? value : undefined;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    if (!Array.isArray(value)) return [];
    return value.filter((item): item is string => typeof item === "string");
  }
}
