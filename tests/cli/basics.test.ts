import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binary, cli, makeStore, removeTempDirs, requireBuiltBinary, tempDir } from "./helpers.js";

/** `script` (util-linux) runs a command on a pseudo-terminal: the only way to get a real TTY. */
const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function onTerminal(args: string[], env: Record<string, string | undefined>): string {
  const command = [process.execPath, binary, ...args].map((arg) => `'${arg}'`).join(" ");
  const fullEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(fullEnv)) if (value === undefined) delete fullEnv[key];
  return execFileSync("script", ["-qec", command, "/dev/null"], { env: fullEnv, encoding: "utf8" });
}

const commandNames = [
  "info",
  "get",
  "ls",
  "log",
  "at",
  "verify",
  "repair",
  "compact",
  "export",
  "import",
  "undo",
  "redo",
  "ui",
];
let dir: string;

beforeAll(async () => {
  requireBuiltBinary();
  dir = await makeStore(
    async (store) => {
      await store.set("a", { name: "Ann", status: "open" });
    },
    { keepLog: true },
  );
});
afterAll(removeTempDirs);

describe("opslog help and usage", () => {
  it("lists every command with --help and exits 0", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    for (const name of commandNames) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("exits 2 with the command list when no command is given", async () => {
    const result = await cli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("Commands:");
  });

  it.each(commandNames)("prints help for %s with --help and with help <command>", async (name) => {
    const flag = await cli([name, "--help"]);
    const word = await cli(["help", name]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toContain(`opslog ${name} <dir>`);
    expect(flag.stdout).toContain("--json");
    expect(word.stdout).toBe(flag.stdout);
  });

  it("prints the package version", async () => {
    const result = await cli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("rejects an unknown command, an unknown option and a missing argument with exit 2", async () => {
    const unknown = await cli(["frobnicate", dir]);
    const option = await cli(["ls", dir, "--frob"]);
    const missing = await cli(["get", dir]);
    const extra = await cli(["get", dir, "a", "b"]);
    const badLimit = await cli(["ls", dir, "--limit", "zero"]);
    for (const result of [unknown, option, missing, extra, badLimit]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^OPSLOG_USAGE: .+\n$/);
      expect(result.stdout).toBe("");
    }
  });
});

describe("opslog errors", () => {
  it("prints one line `code: message` and no stack trace", async () => {
    const result = await cli(["get", dir, "missing"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('OPSLOG_NOT_FOUND: no record with id "missing"\n');
  });

  it("prints the stack trace with --debug", async () => {
    const result = await cli(["get", dir, "missing", "--debug"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("CliError");
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it("prints errors as one JSON line with --json", async () => {
    const result = await cli(["get", dir, "missing", "--json"]);
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      error: { code: "OPSLOG_NOT_FOUND", message: 'no record with id "missing"' },
    });
  });

  it("does not create a store for a directory that does not exist (exit 3)", async () => {
    const missing = `${await tempDir()}/nothing-here`;
    for (const command of ["info", "ls", "log", "verify", "compact", "undo"]) {
      const result = await cli([command, missing]);
      expect(result.code, command).toBe(3);
      expect(result.stderr, command).toMatch(/^OPSLOG_NOT_FOUND: no store directory at /);
    }
  });

  it("writes no colour codes when stdout is not a terminal", async () => {
    const result = await cli(["log", dir], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Ann");
    expect(result.stdout).not.toContain("\x1b[");
  });

  it.skipIf(!hasScript)("colours output on a terminal, and never with NO_COLOR", () => {
    const coloured = onTerminal(["log", dir], { NO_COLOR: undefined });
    const plain = onTerminal(["log", dir], { NO_COLOR: "1" });
    expect(coloured).toContain("\x1b[");
    expect(plain).toContain("Ann");
    expect(plain).not.toContain("\x1b[");
  });
});
