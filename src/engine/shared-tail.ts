import { ConflictError } from "../errors.js";
import type { TailEvent } from "../storage/port.js";
import type { SharedLog } from "../storage/shared-port.js";

/** Operations asked for in one fetch. */
const fetchLimit = 1000;

/**
 * A read-only follower's tail on a shared log (`readOnly: true, follow: true`): what the other
 * writers commit, fetched after each wake-up and at least every `log.pollMs`. Fetch failures
 * end the iteration with the error; the Follower starts it again from where it got to.
 */
export async function* sharedTail(log: SharedLog, afterSeq: number, signal: AbortSignal): AsyncGenerator<TailEvent> {
  let after = afterSeq;
  let wake: (() => void) | undefined;
  let woken = false;
  const stop = log.onCommit(() => {
    woken = true;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    while (!signal.aborted) {
      woken = false;
      let fetched;
      try {
        fetched = await log.fetch(after, fetchLimit);
      } catch (error) {
        // Behind what a writer's retention pruned: start over from the state at the head.
        if (!(error instanceof ConflictError) || !log.reload) throw error;
        const state = await log.reload();
        after = state.head;
        yield { kind: "reset", state };
        continue;
      }
      if (fetched.ops.length > 0) {
        after = fetched.ops[fetched.ops.length - 1]!.seq;
        yield { kind: "ops", ops: fetched.ops, schemaVersion: fetched.schemaVersion };
        if (fetched.ops.length >= fetchLimit) continue;
      }
      if (woken || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = log.pollMs > 0 ? setTimeout(resolve, log.pollMs) : undefined;
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    stop();
    signal.removeEventListener("abort", onAbort);
  }
}
