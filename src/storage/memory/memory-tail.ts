import { assert } from "../../util/assert.js";
import type { TailEvent } from "../port.js";
import type { MemoryVolume } from "./memory-volume.js";

/** Most operations one "ops" event carries (a batch is never split, so one may carry more). */
export const tailEventOpsMax = 1000;

/**
 * Follows a volume from `afterSeq` until `signal` aborts or `isOpen()` turns false. Nothing is
 * buffered for a slow consumer: each event is read from the stored log when the consumer asks
 * for it, so a follower costs its position and nothing more, however far behind it is.
 */
export async function* tailVolume(
  volume: MemoryVolume,
  afterSeq: number,
  signal: AbortSignal,
  isOpen: () => boolean,
  schemaVersion: number,
): AsyncGenerator<TailEvent> {
  assert(afterSeq >= 0, "tail() starts at a seq ≥ 0");
  assert(afterSeq <= volume.head, "a follower is never ahead of the head");
  const follower = { position: afterSeq, checkpoint: volume.checkpoint.seq };
  // A checkpoint the follower has not reached yet is reported once its operations are.
  if (follower.checkpoint > afterSeq) follower.checkpoint = -1;
  while (!signal.aborted && isOpen()) {
    const event = nextEvent(volume, follower, schemaVersion);
    if (event) yield event;
    else await volume.waitForChange(signal);
  }
}

/** The next event for a follower at `follower.position`, or undefined when it is current. */
function nextEvent(
  volume: MemoryVolume,
  follower: { position: number; checkpoint: number },
  schemaVersion: number,
): TailEvent | undefined {
  if (volume.oldestSeq() > follower.position + 1) {
    // Retention dropped operations the follower has not seen: it starts over.
    const state = volume.storedState(schemaVersion);
    follower.position = state.head;
    follower.checkpoint = state.checkpoint.seq;
    return { kind: "reset", state };
  }
  const checkpointSeq = volume.checkpoint.seq;
  const pendingCheckpoint = checkpointSeq > follower.checkpoint;
  if (pendingCheckpoint && checkpointSeq <= follower.position) {
    follower.checkpoint = checkpointSeq;
    return { kind: "checkpoint", seq: checkpointSeq };
  }
  if (follower.position === volume.head) return undefined;
  const from = follower.position + 1;
  let to = Math.min(volume.head, follower.position + tailEventOpsMax);
  to = volume.at(to).last;
  if (pendingCheckpoint && checkpointSeq < to) to = checkpointSeq;
  const chunk = volume.opsBetween(from, to)[0];
  assert(chunk !== undefined, "operations after a follower's position are retained");
  const last = chunk.ops[chunk.ops.length - 1]!;
  assert(last.seq > follower.position, "a follower moves forward");
  follower.position = last.seq;
  return { kind: "ops", ops: [...chunk.ops], schemaVersion: chunk.schemaVersion };
}
