import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import {
  cli,
  jsonLines,
  makeStore,
  removeTempDirs,
  requireBuiltBinary,
  type AnyStore,
} from "./helpers.js";

let dir: string;

beforeAll(async () => {
  requireBuiltBinary();
  dir = await makeStore(
    async (store) => {
      await store.set("u1", { name: "Ann", status: "open", owner: { team: "red" } }); // seq 1
      await store.set("u2", { name: "Bob", status: "done", owner: { team: "blue" } }); // seq 2
      await store.set("u3", { name: "Cid", status: "open", owner: { team: "blue" } }); // seq 3
      await store.batch(() => {
        store.set("u1", { name: "Ann", status: "done", owner: { team: "red" } }); // seq 4
        store.delete("u2"); // seq 5
      });
      await store.set("u4", { name: "Dee", status: "open", owner: { team: "red" }, n: 4 }); // seq 6
    },
    { keepLog: true },
  );
});
afterAll(removeTempDirs);

describe("opslog get", () => {
  it("prints the record as indented JSON", async () => {
    const result = await cli(["get", dir, "u3"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `${JSON.stringify({ name: "Cid", status: "open", owner: { team: "blue" } }, null, 2)}\n`,
    );
  });

  it("prints {id, value} with --json", async () => {
    const result = await cli(["get", dir, "u1", "--json"]);
    expect(JSON.parse(result.stdout)).toEqual({
      id: "u1",
      value: { name: "Ann", status: "done", owner: { team: "red" } },
    });
  });
});

describe("opslog ls", () => {
  it("lists every record sorted by id", async () => {
    const result = await cli(["ls", dir]);
    expect(result.code).toBe(0);
    const ids = result.stdout
      .trim()
      .split("\n")
      .map((line) => line.split("  ")[0]);
    expect(ids).toEqual(["u1", "u3", "u4"]);
  });

  it("filters with repeated --where on dotted fields, JSON-typed values", async () => {
    const both = await cli([
      "ls",
      dir,
      "--where",
      "status=open",
      "--where",
      "owner.team=red",
      "--ids-only",
    ]);
    expect(both.stdout).toBe("u4\n");
    const number = await cli(["ls", dir, "--where", "n=4", "--ids-only"]);
    expect(number.stdout).toBe("u4\n");
    const string = await cli(["ls", dir, "--where", 'n="4"', "--ids-only"]);
    expect(string.stdout).toBe("");
  });

  it("cuts with --limit and prints import-ready JSON Lines with --json", async () => {
    const result = await cli(["ls", dir, "--limit", "2", "--json"]);
    expect(jsonLines(result.stdout)).toEqual([
      { id: "u1", value: { name: "Ann", status: "done", owner: { team: "red" } } },
      { id: "u3", value: { name: "Cid", status: "open", owner: { team: "blue" } } },
    ]);
  });

  it("rejects a --where without =", async () => {
    const result = await cli(["ls", dir, "--where", "status"]);
    expect(result.code).toBe(2);
  });
});

describe("opslog at", () => {
  it("shows the records as they were at a seq", async () => {
    const result = await cli(["at", dir, "2", "--ids-only"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("u1\nu2\n");
  });

  it("never shows part of a batch: a point inside one shows the state before it", async () => {
    const inside = await cli(["at", dir, "4", "get", "u2", "--json"]);
    expect(inside.code).toBe(0);
    expect(JSON.parse(inside.stdout)).toMatchObject({ id: "u2", value: { name: "Bob" }, seq: 3 });
    const after = await cli(["at", dir, "5", "get", "u2"]);
    expect(after.code).toBe(3);
  });

  it("takes an ISO timestamp and compares it by time", async () => {
    const ops = await readOps(dir);
    const third = ops[2] as { ts: string };
    const result = await cli(["at", dir, third.ts, "ls", "--ids-only"]);
    expect(result.stdout).toBe("u1\nu2\nu3\n");
    const millis = new Date(Date.parse(third.ts) - 1000).toISOString();
    const earlier = await cli(["at", dir, millis, "ls", "--ids-only"]);
    expect(earlier.stdout).toBe("");
  });

  it("reaches the state just before the oldest operation after a checkpoint", async () => {
    const compacted = await makeStore(
      async (store) => {
        await store.set("a", { v: 1 });
        await store.set("b", { v: 1 });
        await store.compact();
        await store.set("a", { v: 2 });
      },
      { keepLog: true },
    );
    const result = await cli(["at", compacted, "2", "--json"]);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      { id: "a", value: { v: 1 } },
      { id: "b", value: { v: 1 } },
    ]);
  });

  it("rejects a point that is neither a seq nor a timestamp", async () => {
    const result = await cli(["at", dir, "yesterday"]);
    expect(result.code).toBe(2);
  });
});

describe("opslog export", () => {
  it("exports records as JSON Lines sorted by id", async () => {
    const result = await cli(["export", dir]);
    const records = jsonLines(result.stdout) as { id: string }[];
    expect(records.map((record) => record.id)).toEqual(["u1", "u3", "u4"]);
  });

  it("exports operations with --ops, --since exclusive and --until inclusive", async () => {
    const result = await cli(["export", dir, "--ops", "--since", "2", "--until", "5"]);
    const ops = jsonLines(result.stdout) as { seq: number; op: string; id: string }[];
    expect(ops.map((op) => [op.seq, op.op, op.id])).toEqual([
      [3, "set", "u3"],
      [4, "set", "u1"],
      [5, "delete", "u2"],
    ]);
  });
});

async function readOps(storeDir: string) {
  const store: AnyStore = new Store();
  await store.open(storeDir, { readOnly: true });
  const ops = store.getOps();
  await store.close();
  return ops;
}
