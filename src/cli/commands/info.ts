import type { Command, CommandContext } from "../command.js";
import {
  inspect,
  OpslogError,
  type AnyStore,
  type LockHolder,
  type StoreStats,
} from "../engine.js";
import { exitCodes } from "../errors.js";
import { listOps } from "../history.js";
import { isServerLocation, requireStoreDirectory, shownLocation, withReadStore } from "../open-store.js";
import { formatBytes, formatCount, table, type Output } from "../output.js";

type DirectoryInfo = Awaited<ReturnType<typeof inspect>>;

interface StateSummary {
  activeRecords: number;
  archivedRecords: number;
  history: { firstSeq: number | null; lastSeq: number; ops: number; bytes?: number };
}

/** stats() as SPEC §3a extends it; older engines lack the history fields. */
type HistoryStats = StoreStats & { historyOps?: number; historyBytes?: number };

async function summarize(store: AnyStore): Promise<StateSummary> {
  const stats: HistoryStats = store.stats();
  let firstSeq: number | null = null;
  let ops = 0;
  for await (const op of listOps(store, {})) {
    firstSeq ??= op.seq;
    // With historyOps the count is known; only the first operation is needed.
    if (stats.historyOps !== undefined) break;
    ops++;
  }
  const history = { firstSeq, lastSeq: stats.seq, ops: stats.historyOps ?? ops };
  return {
    activeRecords: stats.activeRecords,
    archivedRecords: stats.archivedRecords,
    history: stats.historyBytes === undefined ? history : { ...history, bytes: stats.historyBytes },
  };
}

function lockText(lock: LockHolder | undefined): string {
  if (!lock) return "none (no writer)";
  return `held by process ${lock.pid} on ${lock.hostname} since ${lock.startedAt}`;
}

function fileRows(info: DirectoryInfo): [string, string][] {
  const rows: [string, string][] = [];
  const snapshot = info.snapshot;
  rows.push([
    "snapshot",
    snapshot
      ? `${snapshot.file}  up to seq ${snapshot.seq}  ${formatBytes(snapshot.bytes)}`
      : "none",
  ]);
  info.segments.forEach((segment, index) => {
    const state = segment.sealed ? "sealed" : "active";
    const size = formatBytes(segment.bytes);
    rows.push([index === 0 ? "log" : "", `${segment.file}  from seq ${segment.firstSeq}  ${size}  ${state}`]);
  });
  if (info.segments.length === 0) rows.push(["log", "none"]);
  info.archive.forEach((segment, index) => {
    rows.push([
      index === 0 ? "archive" : "",
      `${segment.name}  ${segment.file}  ${formatBytes(segment.bytes)}`,
    ]);
  });
  return rows;
}

async function printText(
  out: Output,
  dir: string,
  info: DirectoryInfo,
  state: StateSummary | Error,
) {
  const version = `opslog format v${info.formatVersion}, schema v${info.schemaVersion}`;
  const rows: [string, string][] = [
    ["store", dir],
    ["format", info.legacy ? `${version} (legacy)` : version],
  ];
  if (state instanceof Error) {
    rows.push(["state", out.paint("red", `cannot be read: ${state.message}`)]);
  } else {
    const archived = state.archivedRecords > 0 ? `, ${state.archivedRecords} archived` : "";
    rows.push(["records", `${formatCount(state.activeRecords, "record")}${archived}`]);
    const { firstSeq, lastSeq, ops, bytes } = state.history;
    const range = firstSeq === null ? "none retained" : `seq ${firstSeq}…${lastSeq}`;
    const size = bytes === undefined ? "" : `, ${formatBytes(bytes)}`;
    rows.push(["seq", `${lastSeq}`]);
    rows.push(["history", `${range} (${formatCount(ops, "operation")}${size})`]);
  }
  rows.push(...fileRows(info));
  rows.push(["lock", lockText(info.lock)], ["total", formatBytes(info.totalBytes)]);
  await out.line(table(rows));
}

/** A store on a database server: what the store says of itself (no files to list). */
async function serverInfo(out: Output, location: string): Promise<number> {
  const shown = shownLocation(location);
  const state = await withReadStore(location, async (store) => ({
    ...(await summarize(store)),
    formatVersion: store.stats().formatVersion,
  }));
  if (out.json) {
    await out.jsonDocument({ location: shown, storage: "postgres", ...state });
    return exitCodes.ok;
  }
  const { firstSeq, lastSeq, ops, bytes } = state.history;
  const range = firstSeq === null ? "none retained" : `seq ${firstSeq}…${lastSeq}`;
  const size = bytes === undefined ? "" : `, ${formatBytes(bytes)}`;
  const archived = state.archivedRecords > 0 ? `, ${state.archivedRecords} archived` : "";
  const rows: [string, string][] = [
    ["store", shown],
    ["storage", `PostgreSQL (tables v${state.formatVersion})`],
    ["records", `${formatCount(state.activeRecords, "record")}${archived}`],
    ["seq", `${lastSeq}`],
    ["history", `${range} (${formatCount(ops, "operation")}${size})`],
  ];
  await out.line(table(rows));
  return exitCodes.ok;
}

export const infoCommand: Command = {
  name: "info",
  summary: "records, seq range, format, files and sizes, retained history, lock holder",
  usage: ["info <dir> [--json]", "info 'postgres://user@host/db?store=name' [--json]"],
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ positionals, out }: CommandContext) {
    const dir = positionals[0] as string;
    if (isServerLocation(dir)) return serverInfo(out, dir);
    await requireStoreDirectory(dir);
    const info = await inspect(dir);
    // A damaged store still shows its files, which is when people most need them.
    let state: StateSummary | Error;
    try {
      state = await withReadStore(dir, summarize);
    } catch (error) {
      if (!(error instanceof OpslogError) || error.code === "OPSLOG_NOT_FOUND") throw error;
      state = error;
    }
    if (out.json) {
      const error =
        state instanceof OpslogError ? { code: state.code, message: state.message } : null;
      await out.jsonDocument({ dir, ...info, ...(error ? { error } : state) });
    } else {
      await printText(out, dir, info, state);
    }
    return state instanceof Error ? exitCodes.failed : exitCodes.ok;
  },
};
