/**
 * `log --follow`: print operations another process writes, as it writes them.
 *
 * The store has no live change feed yet (SPEC §3 "Change feed" is not built), so this polls:
 * every 200 ms, when the directory's files changed, it reopens the store read-only and prints
 * the operations after the last one printed (history is retained across checkpoints, so none
 * is missed). When a change feed lands, a `for await` over it replaces followOps' body.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Point } from "./args.js";
import { parseIsoMicros, type Operation } from "./engine.js";
import { isAfter, listOps, matches } from "./history.js";
import { withReadStore } from "./open-store.js";

export const followPollMs = 200;

export interface FollowQuery {
  id?: string;
  until?: Point;
}

/** Sizes and times of the files a writer changes; equal fingerprints mean nothing new. */
async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ["manifest.json", "ops"]) {
    try {
      const info = await stat(path.join(dir, name));
      parts.push(`${name}:${info.size}:${info.mtimeMs}`);
    } catch {
      parts.push(`${name}:-`);
    }
  }
  const files = await readdir(path.join(dir, "ops")).catch(() => [] as string[]);
  for (const file of files.sort()) {
    const info = await stat(path.join(dir, "ops", file)).catch(() => undefined);
    parts.push(`${file}:${info?.size ?? "-"}:${info?.mtimeMs ?? "-"}`);
  }
  return parts.join("|");
}

/**
 * Operations the reader can no longer see: with an engine that does not keep history across
 * checkpoints, a checkpoint between two polls hides them. Never lose them silently.
 */
function warnOfGap(firstSeq: number, lastSeq: number): void {
  if (lastSeq < firstSeq) return;
  const range = firstSeq === lastSeq ? `#${firstSeq}` : `#${firstSeq}–#${lastSeq}`;
  process.stderr.write(
    `opslog: operations ${range} were checkpointed out of the retained history before they ` +
      "could be read; they are not shown\n",
  );
}

function clockPassed(until: Point | undefined): boolean {
  if (typeof until !== "string") return false;
  return Date.now() * 1000 > (parseIsoMicros(until) ?? Number.POSITIVE_INFINITY);
}

/**
 * Calls `print` for each operation after `afterSeq` matching `query`, oldest first, until
 * `signal` aborts or an operation after `query.until` appears.
 */
export async function followOps(
  dir: string,
  query: FollowQuery,
  afterSeq: number,
  print: (op: Operation) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let seen = "";
  let lastSeq = afterSeq;
  while (!signal.aborted) {
    const current = await fingerprint(dir);
    if (current !== seen) {
      seen = current;
      const done = await withReadStore(dir, async (store) => {
        for await (const op of listOps(store, { since: lastSeq })) {
          warnOfGap(lastSeq + 1, op.seq - 1);
          lastSeq = op.seq;
          if (query.until !== undefined && isAfter(op, query.until)) return true;
          if (matches(op, query)) await print(op);
        }
        const storeSeq = store.stats().seq;
        warnOfGap(lastSeq + 1, storeSeq);
        lastSeq = Math.max(lastSeq, storeSeq);
        return false;
      });
      if (done) return;
      if (typeof query.until === "number" && lastSeq >= query.until) return;
    }
    if (clockPassed(query.until)) return;
    await sleep(followPollMs, undefined, { signal }).catch(() => undefined);
  }
}
