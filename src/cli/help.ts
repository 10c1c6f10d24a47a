import { globalOptions } from "./args.js";
import type { Command, OptionSpec } from "./command.js";
import { exitCodes } from "./errors.js";

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.type === "string" ? ` <${spec.value ?? "value"}>` : "";
    return [`  ${short}--${name}${value}`, spec.description] as const;
  });
  const width = Math.max(...entries.map(([left]) => left.length));
  return entries.map(([left, description]) => `${left.padEnd(width)}  ${description}`);
}

/** A long line cut at spaces to fit `columns`. */
function wrap(text: string, columns = 96, indent = "  "): string {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current !== "" && current.length + word.length + 1 > columns - indent.length) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  if (current !== "") lines.push(current);
  return lines.map((line) => `${indent}${line}`).join("\n");
}

export function commandHelp(command: Command): string {
  const parts = [
    `opslog ${command.name}: ${command.summary}`,
    "",
    "Usage:",
    ...command.usage.map((line) => `  opslog ${line}`),
    "",
    "Options:",
    ...optionLines({ ...command.options, ...globalOptions }),
  ];
  for (const paragraph of command.details ?? []) parts.push("", wrap(paragraph));
  return `${parts.join("\n")}\n`;
}

export function mainHelp(commands: Command[], version: string): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const codes = Object.entries(exitCodes)
    .map(([name, code]) => `${code} ${name}`)
    .join(", ");
  return [
    `opslog ${version}: inspect and operate an opslog store directory`,
    "",
    "Usage: opslog <command> <dir> [arguments] [options]",
    "       opslog help <command>   (or opslog <command> --help)",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Every command takes --json (output for scripts), --debug (stack traces) and --help.",
    "Read commands open the store read-only and work while another process writes.",
    `Exit codes: ${codes}.`,
    "Documentation: docs/CLI.md",
    "",
  ].join("\n");
}
