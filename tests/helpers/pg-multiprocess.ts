import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { Store, type Operation } from "../../src/index.js";
import { pgStorage } from "../postgres/pg-helpers.js";
import { checkUndos } from "./shared-run.js";
import { tempDir } from "./temp-dir.js";

/**
 * Writer processes (tests/helpers/pg-writer-child.mjs) on PostgreSQL stores, and the checks of
 * what they reported against the server's global log: every process converges on the log, every
 * acknowledged write is in it once, whole, no conflict-refused write is, prev is the true prev,
 * seq is gapless and ts strictly increases.
 */
const childScript = path.resolve("tests/helpers/pg-writer-child.mjs");

export interface WriterOptions {
  /** The URL the writers connect to (the server's, or a proxy's). */
  url: string;
  stores: string[];
  count: number;
  seed: number;
  /** One for all writers, or one per writer. Default 20 000. */
  commitTimeoutMs?: number | number[];
}

export interface Event {
  e: string;
  at: number;
  tag?: string;
  store?: number;
  kind?: string;
  mode?: string;
  size?: number;
  code?: string;
  message?: string;
  seen?: [string, string][];
  overwritten?: { id: string; value: string }[];
  result?: boolean;
  text?: string;
  seq?: number;
}

export interface Writer {
  readonly index: number;
  readonly child: ChildProcess;
  readonly reportPath: string;
  killed: boolean;
  /** The events it reported so far (a torn last line, from a kill, is left out). */
  events(): Event[];
}

export async function startWriters(options: WriterOptions): Promise<Writer[]> {
  const dir = tempDir();
  const timeout = options.commitTimeoutMs ?? 20_000;
  const writers = Array.from({ length: options.count }, (_, index) => {
    const reportPath = path.join(dir, `writer-${index}.jsonl`);
    fs.writeFileSync(reportPath, "");
    const config = {
      url: options.url,
      stores: options.stores,
      seed: options.seed * 31 + index,
      child: index,
      report: reportPath,
      commitTimeoutMs: typeof timeout === "number" ? timeout : timeout[index]!,
    };
    const child = fork(childScript, [JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const writer: Writer = { index, child, reportPath, killed: false, events: () => readEvents(reportPath) };
    return writer;
  });
  const started = Date.now();
  await Promise.all(writers.map((w) => message(w, "ready")));
  if (process.env.OPSLOG_MP_VERBOSE) console.log(`writers ready in ${Date.now() - started} ms`);
  return writers;
}

function readEvents(file: string): Event[] {
  const events: Event[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      events.push(JSON.parse(line) as Event);
    } catch {
      // A line torn by kill -9 is the last one: what it would have said is unknown.
    }
  }
  return events;
}

/** The next IPC message of `writer` that has `key` (an { error } message fails). */
function message(writer: Writer, key: string, timeoutMs = 45_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`writer ${writer.index}: no ${key} in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Record<string, unknown>): void => {
      if (m.error !== undefined) reject(new Error(`writer ${writer.index}: ${String(m.error)}`));
      else if (!(key in m)) return;
      else resolve();
      clearTimeout(timer);
      writer.child.off("message", onMessage);
      writer.child.off("exit", onExit);
    };
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`writer ${writer.index} exited (${code}) before ${key}`));
    };
    writer.child.on("message", onMessage);
    writer.child.once("exit", onExit);
  });
}

export function killWriter(writer: Writer): Promise<void> {
  writer.killed = true;
  const exited = new Promise<void>((resolve) => writer.child.once("exit", () => resolve()));
  writer.child.kill("SIGKILL");
  return exited;
}

/**
 * Stops the live writers (each settles every write), then lets each catch up to the server's
 * head of each store and report its state; resolves with the heads.
 */
export async function stopWriters(writers: Writer[], serverUrl: string, stores: string[]): Promise<number[]> {
  const live = writers.filter((w) => !w.killed);
  const started = Date.now();
  await Promise.all(live.map((w) => {
    const stopped = message(w, "stopped");
    w.child.send({ cmd: "stop" });
    return stopped;
  }));
  const heads: number[] = [];
  for (const name of stores) {
    const fresh = new Store();
    await fresh.open(pgStorage(serverUrl, name));
    heads.push(fresh.stats().seq);
    await fresh.close();
  }
  const headsAt = Date.now();
  await Promise.all(live.map((w) => {
    const final = message(w, "final");
    const exited = new Promise((resolve) => w.child.once("exit", resolve));
    w.child.send({ cmd: "converge", heads });
    return final.then(() => exited);
  }));
  if (process.env.OPSLOG_MP_VERBOSE) {
    console.log(`stopped and read heads in ${headsAt - started} ms, converged in ${Date.now() - headsAt} ms`);
  }
  return heads;
}

export interface RunSummary {
  acknowledged: number;
  conflicts: number;
  io: number;
  unknown: number;
  undone: number;
  ops: number;
}

/** All the checks, store by store, of the writers' reports against a fresh open of each store. */
export async function checkWriters(writers: Writer[], serverUrl: string, stores: string[]): Promise<RunSummary> {
  const summary: RunSummary = { acknowledged: 0, conflicts: 0, io: 0, unknown: 0, undone: 0, ops: 0 };
  const events = writers.map((w) => w.events());
  for (const [s, name] of stores.entries()) {
    const fresh = new Store();
    await fresh.open(pgStorage(serverUrl, name));
    const log = fresh.getOps() as Operation[];
    const text = checkLog(log);
    expect(JSON.stringify(fresh.entries()), `${name}: a fresh open equals the log rebuilt`).toBe(text);
    summary.ops += log.length;
    writers.forEach((writer, w) => {
      if (writer.killed) return;
      const final = events[w]!.find((e) => e.e === "final" && e.store === s);
      expect(final?.text, `writer ${w}'s state of ${name} equals the log rebuilt`).toBe(text);
    });
    checkWrites(log, events, s, writers, summary);
    await fresh.close();
  }
  summary.undone = events.flat().filter((e) => (e.e === "undo" || e.e === "redo") && e.result === true).length;
  return summary;
}

/** Gapless seq, strictly increasing ts, true prev, undo reverting the last change; the state. */
function checkLog(log: readonly Operation[]): string {
  const rebuilt = new Map<string, unknown>();
  let lastTs = "";
  log.forEach((op, i) => {
    expect(op.seq, "gapless seq").toBe(i + 1);
    expect(op.ts > lastTs, `ts increases at ${op.seq}`).toBe(true);
    lastTs = op.ts;
    expect(JSON.stringify(op.prev), `true prev at ${op.seq}`).toBe(JSON.stringify(rebuilt.get(op.id) ?? null));
    if (op.op === "set") rebuilt.set(op.id, op.data);
    else rebuilt.delete(op.id);
  });
  checkUndos(log);
  return JSON.stringify([...rebuilt]);
}

/** Each tagged write of store `s` against the log, by its outcome. */
function checkWrites(log: readonly Operation[], events: Event[][], s: number, writers: Writer[], summary: RunSummary): void {
  const units = new Map<string, Operation[][]>();
  for (const op of log) {
    const tag = (op.meta as { tag?: string } | undefined)?.tag;
    if (tag === undefined) continue;
    const list = units.get(tag) ?? [];
    const last = list[list.length - 1];
    // A unit: one operation, or the operations of one batch (same batch marker, contiguous).
    if (last && op.batch !== undefined && last[0]!.batch === op.batch) last.push(op);
    else list.push([op]);
    units.set(tag, list);
  }
  const issued = new Set<string>();
  events.forEach((list, w) => {
    const byTag = new Map<string, Event[]>();
    for (const e of list) if (e.tag !== undefined) byTag.set(e.tag, [...(byTag.get(e.tag) ?? []), e]);
    for (const [tag, [issue, ...outcomes]] of byTag) {
      if (issue!.store !== s) continue;
      issued.add(tag);
      expect(issue!.e, `${tag} is issued first`).toBe("issue");
      expect(outcomes.length, `${tag} has at most one outcome`).toBeLessThanOrEqual(1);
      const found = units.get(tag) ?? [];
      const story = () => JSON.stringify({ events: [issue, ...outcomes], log: found });
      expect(found.length, `${tag} is in the log at most once: ${story()}`).toBeLessThanOrEqual(1);
      if (found.length === 1) expect(found[0]!.length, `${tag} is whole`).toBe(issue!.size);
      const outcome = outcomes[0];
      if (outcome === undefined) {
        expect(writers[w]!.killed, `${tag} of a live writer settled`).toBe(true);
        summary.unknown++;
      } else if (outcome.e === "ack") {
        expect(found.length, `acknowledged ${tag} is in the log`).toBe(1);
        checkBase(tag, issue!, outcome, found[0]!);
        summary.acknowledged++;
      } else if (outcome.code === "OPSLOG_IO") {
        summary.io++; // unknown outcome: it may or may not be in the log
      } else {
        expect(outcome.code, `${tag} (${issue!.kind}) failed: ${outcome.message}`).toBe("OPSLOG_CONFLICT");
        expect(found.length, `conflict-refused ${tag} is not in the log: ${story()}`).toBe(0);
        summary.conflicts++;
      }
    }
  });
  for (const tag of units.keys()) expect(issued.has(tag), `${tag} in the log was issued`).toBe(true);
}

/** What an acknowledged write replaced is what its writer saw, or what it was told it overwrote. */
function checkBase(tag: string, issue: Event, ack: Event, unit: readonly Operation[]): void {
  if (issue.mode === "expected") return; // an explicit version speaks of the confirmed state
  const first = new Map<string, Operation>();
  for (const op of unit) if (!first.has(op.id)) first.set(op.id, op);
  const overwritten = new Map((ack.overwritten ?? []).map((o) => [o.id, o.value]));
  for (const [id, saw] of ack.seen ?? []) {
    const op = first.get(id);
    if (op === undefined) continue;
    const replaced = JSON.stringify(op.prev ?? null);
    const told = overwritten.get(id);
    if (told !== undefined) expect(replaced, `${tag} was told what it overwrote`).toBe(told);
    else expect(replaced, `${tag} at ${op.seq} replaced what its writer saw`).toBe(saw);
  }
}
