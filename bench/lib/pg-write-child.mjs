// One process of one cell of bench/pg-writes.mjs (protocol in pg-common.mjs): prepares its
// writer, waits for "go", writes with `--inflight` lanes (each lane awaits its write and starts
// the next) for `--warmup` ms then `--seconds` s, and reports the writes acknowledged inside the
// measured window, their latencies and the errors.
//
//   node bench/lib/pg-write-child.mjs --kind raw|emmett|opslog --url URL --cell NAME
//        [--proc 0] [--inflight 1] [--pool <inflight>] [--warmup 1000] [--seconds 5]
import { parseArgs } from "node:util";
import { now, percentile, readyAndWait, report } from "./pg-common.mjs";
import { WRITERS } from "./pg-writers.mjs";

const { values } = parseArgs({
  options: {
    kind: { type: "string" },
    url: { type: "string" },
    cell: { type: "string" },
    proc: { type: "string", default: "0" },
    inflight: { type: "string", default: "1" },
    pool: { type: "string" },
    warmup: { type: "string", default: "1000" },
    seconds: { type: "string", default: "5" },
  },
});
const proc = Number(values.proc);
const inflight = Number(values.inflight);
const warmupMs = Number(values.warmup);
const seconds = Number(values.seconds);

/** Runs `inflight` lanes until the window ends; counts what completes inside it. */
async function drive(write) {
  const start = now();
  const from = start + warmupMs;
  const to = from + seconds * 1000;
  const latencies = [];
  let writes = 0;
  let next = 0;
  let errors = 0;
  let firstError;
  async function lane(j) {
    while (now() < to) {
      const i = next++;
      const t = now();
      try {
        await write(i, j);
        const done = now();
        // The rate counts what completes inside the window; latencies only of writes started
        // inside it (those started in the warm-up would understate them).
        if (done >= from && done <= to) writes++;
        if (t >= from && done <= to) latencies.push(done - t);
      } catch (err) {
        errors++;
        firstError ??= String(err?.message ?? err).split("\n")[0];
      }
    }
  }
  await Promise.all(Array.from({ length: inflight }, (_, j) => lane(j)));
  latencies.sort((a, b) => a - b);
  return {
    writes,
    seconds,
    perSec: writes / seconds,
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    issued: next,
    errors,
    firstError,
  };
}

// A rejection nobody awaits (a writer's background work failing) ends the cell with its message
// instead of a bare stack trace.
process.on("unhandledRejection", (err) => {
  report({ error: `unhandled rejection: ${String(err?.message ?? err).split("\n")[0]} (${err?.code ?? "no code"})` });
  process.exit(1);
});

let writer;
try {
  writer = await WRITERS[values.kind]({ url: values.url, cell: values.cell, proc, inflight, pool: Number(values.pool ?? inflight) });
} catch (err) {
  report({ unavailable: err.unavailable === true, error: String(err?.message ?? err).split("\n")[0] });
  process.exit(0);
}
await readyAndWait();
const result = await drive(writer.write);
try {
  await writer.close();
} catch (err) {
  result.closeError = String(err?.message ?? err).split("\n")[0];
}
report(result);
process.exit(0);
