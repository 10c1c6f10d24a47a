// A child process for the writer-lock tests (tests/contract/lock.test.ts). It runs against the
// BUILT package (dist/index.js), as a user's program would.
//
//   node tests/helpers/lock-child.mjs race <dir> <startAtMs>
//     Waits (spinning) until <startAtMs>, so that all racers start together, then opens <dir>
//     as a writer. Prints "won" or "lost <code>". The winner holds the lock until a line
//     arrives on stdin, then writes a record, closes and prints "closed".
//   node tests/helpers/lock-child.mjs copies <dir> <otherIndexJs>
//     Loads dist/index.js and another copy of the built package (<otherIndexJs>), opens <dir>
//     with the first, then with the second, and prints the second's outcome: "opened" or
//     its error code.
import { pathToFileURL } from "node:url";
import { Store } from "../../dist/index.js";

const [command, dir, arg] = process.argv.slice(2);

async function race(startAtMs) {
  while (Date.now() < startAtMs) {
    // Spin: a timer would let the racers drift apart by a scheduler tick.
  }
  const store = new Store();
  try {
    await store.open(dir);
  } catch (error) {
    console.log(`lost ${error.code ?? String(error)}`);
    return;
  }
  console.log("won");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  await store.set(`winner-${process.pid}`, { pid: process.pid });
  await store.close();
  console.log("closed");
  process.stdin.destroy();
}

async function copies(otherIndexJs) {
  const other = await import(pathToFileURL(otherIndexJs).href);
  if (other.Store === Store) throw new Error("the two copies are one module");
  const first = new Store();
  await first.open(dir);
  const second = new other.Store();
  try {
    await second.open(dir);
    console.log("opened");
    await second.close();
  } catch (error) {
    console.log(error.code ?? String(error));
  }
  await first.close();
}

if (command === "race") await race(Number(arg));
else if (command === "copies") await copies(arg);
else throw new Error(`unknown command ${command}`);
