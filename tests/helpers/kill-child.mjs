// A child process for the real kill -9 tests (tests/simulation/kill.test.ts, scripts/torture.mjs).
// It runs against the BUILT package (dist/index.js), as a user's program would.
//
//   node tests/helpers/kill-child.mjs write <dir> <round> <basic|torture>
//     Writes until killed, printing one line per acknowledged call, only after its promise
//     resolved (stdout to a pipe is synchronous on Linux, so a printed line was acknowledged):
//       set <id>              a set of <id> (value { id, round }) resolved
//       batch <bid> <size>    a batch of <size> records <bid>-0 … resolved
//       undo-start <id>       undo() is about to revert the set of <id> (which resolved)
//       undone <id>           that undo() resolved true: <id> must be absent
// tests/helpers/kill-loop.mjs checks the directory against these lines after each kill.
import { Store } from "../../dist/index.js";

const [command, dir, ...rest] = process.argv.slice(2);

function ack(line) {
  process.stdout.write(`${line}\n`);
}

async function write(round, profile) {
  const torture = profile === "torture";
  const store = new Store();
  await store.open(dir, torture ? { checkpointThreshold: 40 } : {});
  ack("ready");
  let n = 0;
  const padding = "x".repeat(200);
  for (;;) {
    const id = `r${round}-s${n++}`;
    await store.set(id, { id, round });
    ack(`set ${id}`);
    const inFlight = [];
    for (let i = 0; i < 8; i++) {
      const cid = `r${round}-c${n++}`;
      inFlight.push(store.set(cid, { id: cid, round, padding }).then(() => ack(`set ${cid}`)));
    }
    const bid = `r${round}-b${n++}`;
    const size = 2 + (n % 5);
    inFlight.push(
      store
        .batch(() => {
          for (let k = 0; k < size; k++) store.set(`${bid}-${k}`, { batch: bid, size, k });
        })
        .then(() => ack(`batch ${bid} ${size}`)),
    );
    await Promise.all(inFlight);
    if (torture) await tortureStep(store, round, n++);
  }
}

async function tortureStep(store, round, n) {
  const uid = `r${round}-u${n}`;
  await store.set(uid, { id: uid, round });
  ack(`set ${uid}`);
  ack(`undo-start ${uid}`);
  if (await store.undo()) ack(`undone ${uid}`);
  if (n % 7 === 0) await store.compact();
}

if (command === "write") {
  await write(Number(rest[0]), rest[1] ?? "basic");
} else {
  console.error("usage: kill-child.mjs write <dir> <round> <basic|torture>");
  process.exit(2);
}
