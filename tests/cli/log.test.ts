import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cli,
  finished,
  jsonLines,
  makeStore,
  removeTempDirs,
  requireBuiltBinary,
  sleep,
  startCli,
} from "./helpers.js";

interface Op {
  seq: number;
  op: string;
  id: string;
  meta?: Record<string, unknown>;
}

let dir: string;

beforeAll(async () => {
  requireBuiltBinary();
  dir = await makeStore(
    async (store) => {
      await store.set(
        "a",
        { name: "Ann", status: "open" },
        { meta: { actor: "ann", reason: "new" } },
      );
      await store.set("b", { name: "Bob" });
      await store.set("a", { name: "Ann", status: "done", tags: ["x"] });
      await store.delete("b");
    },
    { keepLog: true },
  );
});
afterAll(removeTempDirs);

describe("opslog log", () => {
  it("prints seq, time, op, id, meta and a field-level diff", async () => {
    const result = await cli(["log", dir]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^#1 \d{4}-\d\d-\d\dT[\d:.]+Z set +a \{"actor":"ann","reason":"new"\}$/,
    );
    expect(result.stdout).toContain('    ~ status: "open" → "done"\n    + tags: ["x"]\n');
    expect(result.stdout).toMatch(/#4 \S+ delete b\n {4}- name: "Bob"\n$/);
  });

  it("filters by id, --since (exclusive), --until (inclusive) and keeps the newest --limit", async () => {
    const byId = jsonLines((await cli(["log", dir, "a", "--json"])).stdout) as Op[];
    expect(byId.map((op) => op.seq)).toEqual([1, 3]);
    const range = jsonLines(
      (await cli(["log", dir, "--since", "1", "--until", "3", "--json"])).stdout,
    ) as Op[];
    expect(range.map((op) => op.seq)).toEqual([2, 3]);
    const newest = jsonLines((await cli(["log", dir, "--limit", "2", "--json"])).stdout) as Op[];
    expect(newest.map((op) => op.seq)).toEqual([3, 4]);
  });

  it("prints whole operations as JSON Lines with --json", async () => {
    const ops = jsonLines((await cli(["log", dir, "--json"])).stdout) as Op[];
    expect(ops[0]).toMatchObject({
      seq: 1,
      op: "set",
      id: "a",
      prev: null,
      meta: { actor: "ann", reason: "new" },
    });
    expect(ops[3]).toMatchObject({ seq: 4, op: "delete", id: "b", prev: { name: "Bob" } });
  });
});

describe("opslog log --follow", () => {
  it("prints operations another process writes, once each, until interrupted", async () => {
    const followed = await makeStore(async (store) => {
      await store.set("first", { index: 0 });
    });
    const follower = startCli(["log", followed, "--follow", "--json"]);
    const output = finished(follower, 60_000);
    let stdout = "";
    follower.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const writer = spawn(process.execPath, [
      path.join(import.meta.dirname, "writer.mjs"),
      followed,
      "6",
      "120",
    ]);
    const writerDone = new Promise((resolve) => writer.on("close", resolve));

    // While the writer holds the lock, read commands still work.
    await sleep(300);
    const reading = await cli(["ls", followed, "--ids-only"]);
    expect(reading.code).toBe(0);
    expect(reading.stdout).toContain("first\n");

    await writerDone;
    for (let waited = 0; waited < 5000 && !stdout.includes('"id":"w6"'); waited += 100)
      await sleep(100);
    follower.kill("SIGINT");
    const result = await output;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const ops = jsonLines(result.stdout) as Op[];
    const written = ops.filter((op) => op.id.startsWith("w"));
    expect(written.map((op) => op.id)).toEqual(["w1", "w2", "w3", "w4", "w5", "w6"]);
    expect(written.every((op) => op.meta?.actor === "writer")).toBe(true);
    const seqs = ops.map((op) => op.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it("stops by itself once --until has passed, printing only matching ids", async () => {
    const followed = await makeStore(async (store) => {
      await store.set("first", { index: 0 });
    });
    const follower = startCli(["log", followed, "w2", "--follow", "--until", "4", "--json"]);
    const writer = spawn(process.execPath, [
      path.join(import.meta.dirname, "writer.mjs"),
      followed,
      "5",
      "50",
    ]);
    // Listen at once: the writer may well exit before the follower does.
    const writerClosed = new Promise((resolve) => writer.on("close", resolve));
    const result = await finished(follower, 30_000);
    await writerClosed;
    expect(result.code).toBe(0);
    expect((jsonLines(result.stdout) as Op[]).map((op) => op.id)).toEqual(["w2"]);
  });
});
