/**
 * GET /api/health: the verify result, files and sizes, the lock holder, the history retained.
 * On a directory, `inspect` and `verify` read the files as `opslog info` and `opslog verify`
 * do (through the library, never directly). On PostgreSQL there are no files to list or
 * check: `verify` reports what the store itself knows (a failing follow or checkpoint).
 */
import { inspect, verify } from "../../cli/engine.js";
import { storeCallAsync } from "./http-errors.js";
import { integer } from "./params.js";
import type { ApiRequest, Route, UiContext } from "./router.js";

interface Problem {
  file: string;
  offset: number;
  message: string;
}

interface VerifyResult {
  ok: boolean;
  problems: Problem[];
  checkedAt: string;
  note?: string;
}

/** verify() reads every byte: its result is kept until the seq moves. */
const verified = new WeakMap<UiContext, { seq: number; result: Promise<VerifyResult> }>();

async function verifyDirectory(ui: UiContext): Promise<VerifyResult> {
  const report = await storeCallAsync("verify", () => verify(ui.location));
  const problems = report.problems.map((p) => ({ file: p.file, offset: p.offset, message: p.reason }));
  return { ok: report.ok, problems, checkedAt: new Date().toISOString() };
}

function verifyServer(ui: UiContext): VerifyResult {
  const stats = ui.store.stats();
  const problems: Problem[] = [];
  for (const error of [stats.followError, stats.checkpointError]) {
    if (error !== undefined) problems.push({ file: "", offset: 0, message: `${error.code}: ${error.message}` });
  }
  const note = "PostgreSQL keeps this store: there are no files to check; the server checksums its pages";
  return { ok: problems.length === 0, problems, checkedAt: new Date().toISOString(), note };
}

/** `again` (?check=1, the page's "Check again"): read the files now, whatever the cache holds. */
function verifyCached(ui: UiContext, again: boolean): Promise<VerifyResult> {
  const seq = ui.store.stats().seq;
  const cached = verified.get(ui);
  if (!again && cached !== undefined && cached.seq === seq) return cached.result;
  const result = verifyDirectory(ui);
  verified.set(ui, { seq, result });
  result.catch(() => verified.delete(ui));
  return result;
}

async function files(ui: UiContext) {
  const info = await storeCallAsync("inspect", () => inspect(ui.location));
  const list: { name: string; bytes: number }[] = [];
  if (info.snapshot) list.push({ name: info.snapshot.file, bytes: info.snapshot.bytes });
  for (const segment of info.segments) list.push({ name: segment.file, bytes: segment.bytes });
  for (const segment of info.archive) list.push({ name: segment.file, bytes: segment.bytes });
  return { files: list, lock: info.lock ?? null, totalBytes: info.totalBytes };
}

async function health(ui: UiContext, request: ApiRequest) {
  const again = integer(request.query, "check", { min: 0, max: 1, fallback: 0 }) === 1;
  const stats = ui.store.stats();
  const history = {
    firstSeq: stats.historyOps === 0 ? null : stats.seq - stats.historyOps + 1,
    lastSeq: stats.seq,
    ops: stats.historyOps,
    bytes: stats.historyBytes,
  };
  const records = { active: stats.activeRecords, archived: stats.archivedRecords };
  if (ui.backend === "postgres") {
    return { verify: verifyServer(ui), files: [], lock: null, history, records };
  }
  const [checked, described] = await Promise.all([verifyCached(ui, again), files(ui)]);
  return { verify: checked, ...described, history, records };
}

export const healthRoutes: Route[] = [{ method: "GET", path: "/api/health", handle: health }];
