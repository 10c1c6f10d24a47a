#!/usr/bin/env node
/**
 * The `opslog` command (docs/CLI.md): `opslog <command> <dir> [arguments] [options]`.
 * This file only dispatches and turns failures into one line and an exit code.
 */
import { readFileSync } from "node:fs";
import { parseCommandLine } from "./args.js";
import { ParsedOptions } from "./command.js";
import { commands, findCommand } from "./commands/index.js";
import { exitCodeOf, exitCodes, formatDebug, formatError, usageError } from "./errors.js";
import { commandHelp, mainHelp } from "./help.js";
import { Output } from "./output.js";

function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** A reader that went away (`opslog ls dir | head`) is not an error. */
function exitQuietlyOnClosedPipe(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(exitCodes.ok);
    throw error;
  });
}

async function dispatch(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (
    name === undefined ||
    name === "--help" ||
    name === "-h" ||
    (name === "help" && rest.length === 0)
  ) {
    process.stdout.write(mainHelp(commands, packageVersion()));
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${packageVersion()}\n`);
    return exitCodes.ok;
  }
  const helpTarget = name === "help" ? rest[0] : undefined;
  const command = findCommand(helpTarget ?? name);
  if (!command)
    throw usageError(`unknown command ${JSON.stringify(helpTarget ?? name)}; see opslog --help`);
  if (helpTarget !== undefined) {
    process.stdout.write(commandHelp(command));
    return exitCodes.ok;
  }
  const parsed = parseCommandLine(command, rest);
  if (parsed.values.help === true) {
    process.stdout.write(commandHelp(command));
    return exitCodes.ok;
  }
  const json = parsed.values.json === true;
  const options = new ParsedOptions(parsed.values);
  return command.run({ positionals: parsed.positionals, options, out: new Output(json), json });
}

async function main(args: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  const debug = args.includes("--debug");
  const json = args.includes("--json");
  try {
    process.exitCode = await dispatch(args);
  } catch (error) {
    process.stderr.write(`${debug ? formatDebug(error) : formatError(error, json)}\n`);
    process.exitCode = exitCodeOf(error);
  }
}

await main(process.argv.slice(2));
