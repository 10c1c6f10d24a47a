import { assert } from "../util/assert.js";
import type { Engine } from "./engine.js";

/** Which history to keep: everything, or at least the newest `ops` operations / `ms` of time. */
export type RetentionPolicy = "all" | { ops?: number; ms?: number };

/**
 * Prunes whole sealed segments the retention policy no longer needs, never past the snapshot
 * just committed (`snapshotSeq`): recovery replays the log after it. Time comes from the
 * injected clock, like every timestamp the store writes.
 */
export function applyRetention(engine: Engine, retain: RetentionPolicy, snapshotSeq: number): void {
  if (retain === "all") return;
  assert(snapshotSeq <= engine.lastSeq, "the snapshot is not ahead of the log");
  const history = engine.history;
  let through = snapshotSeq;
  if (retain.ops !== undefined) through = Math.min(through, engine.lastSeq - retain.ops);
  if (retain.ms !== undefined) {
    const cutoff = new Date(engine.nowMs() - retain.ms).toISOString();
    const old = history.sealed().filter((s) => s.lastTs !== undefined && s.lastTs < cutoff);
    through = Math.min(through, old.length > 0 ? old[old.length - 1]!.lastSeq! : 0);
  }
  if (through < history.oldestSeq) return;
  assert(through <= snapshotSeq, "retention prunes only up to the committed snapshot");
  engine.storage.prune(through);
  history.clip(history.oldestSeq);
}
