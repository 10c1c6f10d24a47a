// Reads an `strace -f` log of a verification run (worker.mjs workload "verify") and tells, for
// every acknowledged write, whether a sync reached the disk between the call and its
// acknowledgement.
//
// The worker brackets write k with two failing openat() calls on marker paths, "b<k>" just before
// calling set() and "a<k>" just after its promise resolved. A write counts as synced when some
// sync call STARTED after b<k> and COMPLETED before a<k>. Sync calls are fsync, fdatasync,
// syncfs, sync, msync(MS_SYNC), and any write to a file descriptor opened with O_DSYNC or O_SYNC
// (counting fsync/fdatasync alone would miss those: see MEASUREMENTS.md).
// sync_file_range is counted but never taken as durable (it does not flush the drive's cache
// nor metadata).
import { spawnSync } from "node:child_process";
import fs from "node:fs";

export const TRACED = [
  "openat",
  "open",
  "creat",
  "close",
  "write",
  "pwrite64",
  "writev",
  "pwritev",
  "pwritev2",
  "fsync",
  "fdatasync",
  "syncfs",
  "sync",
  "msync",
  "sync_file_range",
  "io_uring_enter",
];

const WRITES = new Set(["write", "pwrite64", "writev", "pwritev", "pwritev2"]);
const MARKER = "/__opslog_bench_marker__/";

/** strace's version line, or undefined when it cannot run. */
export function straceVersion() {
  try {
    const r = spawnSync("strace", ["-V"], { encoding: "utf8" });
    if (r.status !== 0) return undefined;
    return r.stdout.split("\n")[0].trim();
  } catch {
    return undefined;
  }
}

/** Arguments for spawn: strace wrapping `command`. */
export function straceArgs(traceFile, command) {
  return ["-f", "-qq", "-o", traceFile, "-e", `trace=${TRACED.join(",")}`, "-e", "signal=none", ...command];
}

function parseCalls(text) {
  const calls = [];
  const pending = new Map(); // pid → call awaiting "resumed"
  let pos = 0;
  for (const raw of text.split("\n")) {
    if (!raw) continue;
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    const pid = m ? m[1] : "0";
    const line = m ? m[2] : raw;
    pos++;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      const call = pending.get(pid);
      if (call && call.name === resumed[1]) {
        pending.delete(pid);
        call.end = pos;
        call.ret = retOf(resumed[2]);
        call.tail = resumed[2];
      }
      continue;
    }
    const start = /^(\w+)\((.*)$/.exec(line);
    if (!start) continue;
    const call = { name: start[1], args: start[2], start: pos, end: undefined, ret: undefined };
    calls.push(call);
    if (line.endsWith("<unfinished ...>")) pending.set(pid, call);
    else {
      call.end = pos;
      call.ret = retOf(start[2]);
    }
  }
  return calls;
}

function retOf(s) {
  const m = /\)\s+=\s+(-?\d+|\?)/.exec(s);
  return m && m[1] !== "?" ? Number(m[1]) : undefined;
}

function firstArgFd(args) {
  const m = /^(\d+)/.exec(args);
  return m ? Number(m[1]) : undefined;
}

/** Analyse one trace file. */
export function analyseTrace(file, acks) {
  const calls = parseCalls(fs.readFileSync(file, "utf8"));
  const markers = new Map();
  const dsyncFds = new Set();
  const syncs = []; // { start, end, kind }
  const counts = { fsync: 0, fdatasync: 0, syncfs: 0, sync: 0, msync: 0, odsyncWrites: 0, syncFileRange: 0, openat: 0, odsyncOpens: 0, ioUring: 0 };
  let inWindow = false;
  for (const c of calls) {
    if ((c.name === "openat" || c.name === "open") && c.args.includes(MARKER)) {
      const name = c.args.slice(c.args.indexOf(MARKER) + MARKER.length).split('"')[0];
      markers.set(name, c.start);
      if (name === "start") inWindow = true;
      if (name === "end") inWindow = false;
      continue;
    }
    const ok = c.end !== undefined && c.ret !== undefined && c.ret >= 0;
    if (c.name === "openat" || c.name === "open" || c.name === "creat") {
      const dsync = /\bO_D?SYNC\b/.test(c.args);
      if (inWindow) counts.openat++;
      if (ok) {
        if (dsync) {
          dsyncFds.add(c.ret);
          if (inWindow) counts.odsyncOpens++;
        } else dsyncFds.delete(c.ret);
      }
      continue;
    }
    if (c.name === "close") {
      const fd = firstArgFd(c.args);
      if (fd !== undefined) dsyncFds.delete(fd);
      continue;
    }
    if (c.name === "io_uring_enter") {
      counts.ioUring++;
      continue;
    }
    if (!ok) continue;
    let kind;
    if (c.name === "fsync" || c.name === "fdatasync" || c.name === "syncfs" || c.name === "sync") kind = c.name;
    else if (c.name === "msync" && c.args.includes("MS_SYNC")) kind = "msync";
    else if (WRITES.has(c.name) && dsyncFds.has(firstArgFd(c.args))) kind = "odsyncWrites";
    else if (c.name === "sync_file_range") {
      if (inWindow) counts.syncFileRange++;
      continue;
    }
    if (!kind) continue;
    syncs.push({ start: c.start, end: c.end, kind });
    if (inWindow) counts[kind]++;
  }
  if (!markers.has("start") || !markers.has("end")) {
    return { error: "markers missing from the trace (did the verification run finish?)" };
  }
  let synced = 0;
  let missing = 0;
  for (let k = 0; k < acks; k++) {
    const b = markers.get(`b${k}`);
    const a = markers.get(`a${k}`);
    if (b === undefined || a === undefined) {
      missing++;
      continue;
    }
    if (syncs.some((s) => s.start > b && s.end < a)) synced++;
  }
  const syncCalls = counts.fsync + counts.fdatasync + counts.syncfs + counts.sync + counts.msync + counts.odsyncWrites;
  return { acks, synced, missing, syncCalls, syncsPerAck: syncCalls / acks, counts };
}
