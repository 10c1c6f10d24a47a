import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "../../src/index.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const binary = path.join(root, "dist/cli/main.js");

/** The newest modification time of any file under `dir` (a stale-build check). */
export function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * These tests run the built binary (`npm test` builds first): fail loudly rather than test a
 * stale CLI. Only src/cli is compared, as the rest of src/ changes under other work all day.
 */
export function requireBuiltBinary(): void {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run build\` first`);
  if (newestSourceMs(path.join(root, "src/cli")) > statSync(binary).mtimeMs) {
    throw new Error(`${binary} is older than src/cli/: run \`npm run build\` first`);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Starts `node dist/cli/main.js …`; stdin is closed unless `input` is given. */
export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  const env = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [binary, ...args], {
    cwd: root,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input ?? "");
  return child;
}

export function finished(child: ChildProcess, timeoutMs = 30_000): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`opslog did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return finished(startCli(args, options), options.timeoutMs);
}

/** Parses JSON Lines output. */
export function jsonLines(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
}

const tempDirs: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "opslog-cli-"));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export type AnyStore = Store<Record<string, unknown>>;

/**
 * A store directory written through the real Store API. With keepLog the log is not
 * checkpointed on close, so the operations stay in ops/ (where corruption tests damage them).
 */
export async function makeStore(
  write: (store: AnyStore) => Promise<void>,
  options: { keepLog?: boolean } = {},
): Promise<string> {
  const dir = path.join(await tempDir(), "store");
  const store: AnyStore = new Store();
  await store.open(dir, { checkpointOnClose: !options.keepLog });
  await write(store);
  await store.close();
  return dir;
}

export async function readStore<R>(dir: string, read: (store: AnyStore) => R): Promise<R> {
  const store: AnyStore = new Store();
  await store.open(dir, { readOnly: true });
  try {
    return read(store);
  } finally {
    await store.close();
  }
}

/** The log segment files of a store, relative to its directory. */
export async function segmentFiles(dir: string): Promise<string[]> {
  const names = (await readdir(path.join(dir, "ops"))).filter((name) => !name.endsWith(".tmp"));
  return names.sort().map((name) => path.join("ops", name));
}

/**
 * Damages the `line`-th record (1-based) of a log segment in its middle by changing one
 * character of the record's id, so that its checksum no longer matches.
 */
export async function damageRecord(dir: string, file: string, line: number): Promise<number> {
  const full = path.join(dir, file);
  const bytes = await readFile(full);
  let offset = 0;
  for (let index = 1; index < line; index++) offset = bytes.indexOf(0x0a, offset) + 1;
  const idAt = bytes.indexOf(Buffer.from('"id":"'), offset) + 6;
  if (idAt < 6) throw new Error(`no record ${line} in ${file}`);
  bytes[idAt] = bytes[idAt] === 0x5a ? 0x59 : 0x5a; // 'Z' or 'Y': valid JSON, wrong checksum
  await writeFile(full, bytes);
  return offset;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
