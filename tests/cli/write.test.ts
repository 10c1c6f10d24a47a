import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyFile } from "../../src/cli/commands/import.js";
import { NodeFileSystem, Store, type OpenFlags } from "../../src/index.js";
import {
  cli,
  makeStore,
  readStore,
  removeTempDirs,
  requireBuiltBinary,
  tempDir,
  type AnyStore,
} from "./helpers.js";

beforeAll(requireBuiltBinary);

afterAll(removeTempDirs);

async function jsonlFile(lines: string[]): Promise<string> {
  const file = path.join(await tempDir(), "input.jsonl");
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

const records = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({ id: `r${index + 1}`, value: { n: index + 1 } }),
  );

describe("opslog import", () => {
  it("imports every record in batches into a new directory", async () => {
    const dir = path.join(await tempDir(), "new-store");
    const file = await jsonlFile([
      ...records(5),
      "",
      '{"id":"r6","value":[1,"x"],"note":"ignored"}',
    ]);
    const result = await cli(["import", dir, file, "--batch-size", "2", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ file, imported: 6, batches: 3 });
    const state = await readStore(dir, (store) => ({
      count: store.count(),
      r6: store.get("r6"),
      ops: store.getOps(),
    }));
    expect(state.count).toBe(6);
    expect(state.r6).toEqual([1, "x"]);
  });

  it("reports a bad line by number and imports nothing at all", async () => {
    const dir = await makeStore(async (store) => {
      await store.set("keep", { n: 0 });
    });
    const file = await jsonlFile([...records(4), '{"id":"r5","value":{"n":5}', ...records(3)]);
    const result = await cli(["import", dir, file, "--batch-size", "2"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^OPSLOG_INVALID_VALUE: .*input\.jsonl line 5: not valid JSON/);
    expect(result.stderr.split("\n")).toHaveLength(2);
    expect(await readStore(dir, (store) => store.count())).toBe(1);
  });

  it("rejects ids the store would reject before writing anything", async () => {
    const dir = await makeStore(async () => {});
    const file = await jsonlFile([
      ...records(3),
      JSON.stringify({ id: "x".repeat(2000), value: 1 }),
    ]);
    const result = await cli(["import", dir, file, "--batch-size", "1", "--json"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({
      error: { code: "OPSLOG_INVALID_ID", line: 4, imported: 0 },
    });
    expect(await readStore(dir, (store) => store.count())).toBe(0);
  });

  it("prints progress on stderr with --progress, never on stdout", async () => {
    const dir = path.join(await tempDir(), "store");
    const file = await jsonlFile(records(50));
    const result = await cli(["import", dir, file, "--progress"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/importing .* 100% /);
    expect(result.stdout).toBe(`imported 50 records in 1 batch from ${file}\n`);
  });

  it("keeps the batches before a failed write and applies nothing after the failed batch", async () => {
    const dir = path.join(await tempDir(), "store");
    const file = await jsonlFile(records(7));
    const store: AnyStore = new Store();
    let writes = 0;
    let failing = false;
    class FailingFileSystem extends NodeFileSystem {
      private markFd = -1;
      override open(file: string, flags: OpenFlags): number {
        const fd = super.open(file, flags);
        if (path.basename(file) === "DURABLE") this.markFd = fd;
        return fd;
      }
      override write(fd: number, buffer: Uint8Array, position: number | null): void {
        // Zero-filled writes extend the segment ahead of the appends, and the durability mark
        // follows each sync; count record writes only.
        if (failing && fd !== this.markFd && buffer.some((byte) => byte !== 0) && ++writes === 3)
          throw Object.assign(new Error("disk full"), { code: "ENOSPC" });
        super.write(fd, buffer, position);
      }
    }
    await store.open(dir, {
      fileSystem: new FailingFileSystem(),
      checkpointThreshold: 0,
      checkpointOnClose: false,
    });
    failing = true;
    const error = await applyFile(store, file, 1000, 2, false).catch((caught: unknown) => caught);
    await store.close().catch(() => undefined);
    expect(error).toMatchObject({ code: "OPSLOG_IO", details: { line: 5, imported: 4 } });
    const message = (error as Error).message;
    expect(message).toMatch(/line 5: the batch of lines 5–6 failed \(.*disk full\); /);
    expect(message).toMatch(/; lines 1–4 \(4 records in 2 batches\) were imported and stay; /);
    expect(message).toMatch(/; that batch is stored whole or not at all, and nothing after line 6/);
    const ids = await readStore(dir, (reader) =>
      reader
        .entries()
        .map(([id]) => id)
        .sort(),
    );
    expect(ids).toEqual(["r1", "r2", "r3", "r4"]);
  });
});

describe("opslog undo and redo", () => {
  it("undoes the last operation and prints the compensation", async () => {
    const dir = await makeStore(
      async (store) => {
        await store.set("a", { v: 1 });
        await store.set("a", { v: 2 });
      },
      { keepLog: true },
    );
    const undone = await cli(["undo", dir]);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toMatch(/^#3 \S+ set +a \(undo of #2\)\n {4}~ v: 2 → 1\n$/);
    expect(await readStore(dir, (store) => store.get("a"))).toEqual({ v: 1 });
  });

  // Each CLI call is a new process: redo relies on the redo history surviving a reopen.
  it(
    "undo then redo, as JSON, re-applies the operation",
    async () => {
      const dir = await makeStore(
        async (store) => {
          await store.set("a", { v: 1 });
          await store.set("a", { v: 2 });
        },
        { keepLog: true },
      );
      const undone = await cli(["undo", dir, "--json"]);
      expect(undone.code).toBe(0);
      const body = JSON.parse(undone.stdout) as {
        undone: boolean;
        operations: { undo?: number; data?: unknown }[];
      };
      expect(body.undone).toBe(true);
      expect(body.operations).toMatchObject([{ op: "set", id: "a", data: { v: 1 }, undo: 2 }]);
      expect(await readStore(dir, (store) => store.get("a"))).toEqual({ v: 1 });
      const redone = await cli(["redo", dir]);
      expect(redone.code).toBe(0);
      expect(redone.stdout).toMatch(/^#4 \S+ set +a \(redo of #2\)\n {4}~ v: 1 → 2\n$/);
      expect(await readStore(dir, (store) => store.get("a"))).toEqual({ v: 2 });
    },
  );

  it("says so when there is nothing to undo", async () => {
    const dir = await makeStore(async () => {});
    const result = await cli(["undo", dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("nothing to undo\n");
  });
});

describe("opslog compact", () => {
  it("checkpoints the log", async () => {
    const dir = await makeStore(
      async (store) => {
        for (let index = 0; index < 20; index++) await store.set(`k${index % 5}`, { index });
      },
      { keepLog: true },
    );
    const result = await cli(["compact", dir, "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ records: 5, checkpointedOps: 20, seq: 20 });
    expect(await readStore(dir, (store) => store.stats().opsCount)).toBe(0);
  });
});

describe("the writer lock", () => {
  it("makes write commands fail with exit 4 naming the holder, while reads still work", async () => {
    const dir = await makeStore(async (store) => {
      await store.set("a", { v: 1 });
    });
    const holder: AnyStore = new Store();
    await holder.open(dir);
    try {
      for (const command of ["compact", "undo", "redo"]) {
        const result = await cli([command, dir]);
        expect(result.code, command).toBe(4);
        expect(result.stderr, command).toMatch(
          new RegExp(`^OPSLOG_LOCKED: .*process ${process.pid} `),
        );
      }
      const info = await cli(["info", dir]);
      expect(info.code).toBe(0);
      expect(info.stdout).toMatch(new RegExp(`^lock +held by process ${process.pid} on `, "m"));
      const read = await cli(["get", dir, "a", "--json"]);
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toEqual({ id: "a", value: { v: 1 } });
    } finally {
      await holder.close();
    }
  });
});
