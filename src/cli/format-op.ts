import { diffValues, type Change } from "./diff.js";
import type { Operation } from "./engine.js";
import type { Output } from "./output.js";

/** Longest rendering of one value in a diff line before it is cut short. */
const diffValueCharsMax = 120;

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > diffValueCharsMax ? `${text.slice(0, diffValueCharsMax - 1)}…` : text;
}

function changeLine(out: Output, change: Change): string {
  const field = change.path === "" ? "(value)" : change.path;
  if (change.kind === "added") return out.paint("green", `    + ${field}: ${short(change.after)}`);
  if (change.kind === "removed") return out.paint("red", `    - ${field}: ${short(change.before)}`);
  return out.paint("yellow", `    ~ ${field}: ${short(change.before)} → ${short(change.after)}`);
}

/** The header line of an operation: seq, time, op, id, then markers and meta. */
export function operationHeader(out: Output, op: Operation): string {
  const parts = [
    out.paint("bold", `#${op.seq}`),
    out.paint("dim", op.ts),
    out.paint(op.op === "set" ? "green" : "red", op.op.padEnd(6)),
    out.paint("cyan", op.id),
  ];
  if (op.batch !== undefined) parts.push(out.paint("dim", `[batch #${op.batch}]`));
  if (op.undo !== undefined) parts.push(out.paint("magenta", `(undo of #${op.undo})`));
  if (op.redo !== undefined) parts.push(out.paint("magenta", `(redo of #${op.redo})`));
  if (op.archive !== undefined) parts.push(out.paint("magenta", `(archived to ${op.archive})`));
  if (op.meta !== undefined) parts.push(out.paint("dim", JSON.stringify(op.meta)));
  return parts.join(" ");
}

/** An operation for people: its header and a field-level diff of prev → data. */
export function formatOperation(out: Output, op: Operation): string {
  const after = op.op === "delete" ? null : op.data;
  const lines = [
    operationHeader(out, op),
    ...diffValues(op.prev, after).map((c) => changeLine(out, c)),
  ];
  return lines.join("\n");
}

/** Writes an operation as text or, with --json, as one JSON line. */
export function writeOperation(out: Output, op: Operation): Promise<void> {
  return out.json ? out.jsonLine(op) : out.line(formatOperation(out, op));
}
