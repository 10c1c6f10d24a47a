import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cli,
  jsonLines,
  makeStore,
  removeTempDirs,
  requireBuiltBinary,
  sleep,
  type CliResult,
} from "./helpers.js";

interface Page {
  items: { id: string; value: Record<string, unknown> }[];
  next?: string;
}

/** Tasks t00…t29: priority i % 4, due 100 - i, status open for even i. */
function task(i: number) {
  return { status: i % 2 === 0 ? "open" : "done", priority: i % 4, due: 100 - i, tags: [`g${i % 3}`] };
}
const taskIds = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, "0")}`);

let dir: string;

beforeAll(async () => {
  requireBuiltBinary();
  dir = await makeStore(async (store) => {
    await store.batch(() => {
      taskIds.forEach((id, i) => store.set(id, task(i)));
    });
  });
});
afterAll(removeTempDirs);

function ids(result: CliResult): string[] {
  return result.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("  ")[0] as string);
}

function page(result: CliResult): Page {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Page;
}

describe("opslog find", () => {
  it("prints the matching records as ls does, by id without a sort", async () => {
    const result = await cli(["find", dir, '{"status":"open","due":{"$lte":80}}']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(ids(result)).toEqual(["t20", "t22", "t24", "t26", "t28"]);
    expect(result.stdout.split("\n")[0]).toBe(`t20  ${JSON.stringify(task(20))}`);
    const everything = await cli(["find", dir]);
    expect(ids(everything)).toEqual(taskIds);
  });

  it("sorts in both directions, ties broken by the id", async () => {
    const up = ids(await cli(["find", dir, '{"priority":{"$gte":2}}', "--sort", "due"]));
    const expected = taskIds
      .map((id, i) => ({ id, ...task(i) }))
      .filter((t) => t.priority >= 2)
      .sort((a, b) => a.due - b.due)
      .map((t) => t.id);
    expect(up).toEqual(expected);
    const down = ids(await cli(["find", dir, '{"priority":{"$gte":2}}', "--sort", "-due"]));
    expect(down).toEqual([...expected].reverse());
    // Mixed: priority descending, then due ascending; a leading dash needs no "=".
    const mixed = ids(await cli(["find", dir, "{}", "--sort", "-priority,due", "--ids-only"]));
    const byMixed = taskIds
      .map((id, i) => ({ id, ...task(i) }))
      .sort((a, b) => b.priority - a.priority || a.due - b.due)
      .map((t) => t.id);
    expect(mixed).toEqual(byMixed);
    const same = await cli(["find", dir, "{}", "--sort=-priority,due", "--ids-only"]);
    expect(ids(same)).toEqual(byMixed);
  });

  it("pages with --limit and --after until there is no next, in text and JSON", async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const args = ["find", dir, '{"status":"open"}', "--sort", "-due", "--limit", "4", "--json"];
      const result = page(await cli(after === undefined ? args : [...args, "--after", after]));
      expect(result.items.length).toBeLessThanOrEqual(4);
      seen.push(...result.items.map((item) => item.id));
      after = result.next;
      if (after === undefined) break;
    }
    // due = 100 - i: descending due is ascending i.
    const open = taskIds.filter((_, i) => i % 2 === 0);
    expect(seen).toEqual(open);
    // Text: records on stdout, the cursor on stderr, and following it gives the next page.
    const first = await cli(["find", dir, '{"status":"open"}', "--sort", "-due", "--limit", "4"]);
    expect(ids(first)).toEqual(open.slice(0, 4));
    const cursor = /^next page: --after (\S+)\n$/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const args = ["find", dir, '{"status":"open"}', "--sort", "-due", "--limit", "20"];
    const rest = await cli([...args, "--after", cursor as string]);
    expect(ids(rest)).toEqual(open.slice(4));
    expect(rest.stderr).toBe(""); // the last page: no next
  });

  it("--json is one document, {items: [{id, value}], next?}, as JSON.stringify indents it", async () => {
    const result = await cli(["find", dir, '{"due":{"$gt":97}}', "--json"]);
    const doc = page(result);
    expect(doc).toEqual({
      items: ["t00", "t01", "t02"].map((id, i) => ({ id, value: task(i) })),
    });
    expect(result.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    const none = await cli(["find", dir, '{"status":"lost"}', "--json"]);
    expect(page(none)).toEqual({ items: [] });
    expect(none.stdout).toBe(`${JSON.stringify({ items: [] }, null, 2)}\n`);
    const limited = await cli(["find", dir, "{}", "--limit", "2", "--json", "--ids-only"]);
    const doc2 = page(limited);
    expect(doc2.items).toEqual([{ id: "t00" }, { id: "t01" }]);
    expect(typeof doc2.next).toBe("string");
    expect(limited.stdout).toBe(`${JSON.stringify(doc2, null, 2)}\n`);
  });

  it("--count prints the number of matches", async () => {
    const text = await cli(["find", dir, '{"tags":"g0"}', "--count"]);
    expect(text.stdout).toBe("10\n");
    expect(page(await cli(["find", dir, '{"tags":"g0"}', "--count", "--json"]))).toEqual({
      count: 10,
    });
    const refused = await cli(["find", dir, "{}", "--count", "--limit", "3"]);
    expect(refused.code).toBe(2);
  });

  it("--index __proto__ declares an index on that path (it set the declarations' prototype instead)", async () => {
    const result = await cli(["find", dir, '{"__proto__": 1}', "--explain", "--index", "__proto__", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { index: string | null }).index).toBe("__proto__");
  });

  it("--explain says a scan without --index, and the index with one; text and JSON", async () => {
    const filter = '{"due":{"$gte":95}}';
    const scan = await cli(["find", dir, filter, "--explain", "--json"]);
    expect(page(scan)).toMatchObject({ index: null, examined: 30, matched: 6, returned: 6 });
    const indexed = await cli(["find", dir, filter, "--explain", "--index", "due", "--json"]);
    expect(JSON.parse(indexed.stdout)).toMatchObject({
      index: "due",
      examined: 6,
      matched: 6,
      returned: 6,
      records: 30,
    });
    const text = await cli(["find", dir, filter, "--explain", "--index", "due", "--sort", "due"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^index +due$/m);
    expect(text.stdout).toMatch(/^order +index/m);
    expect(text.stdout).toMatch(/^examined +6 entries$/m);
    expect(text.stdout).toMatch(/^records +30 records in the store$/m);
    const scanText = await cli(["find", dir, filter, "--explain"]);
    expect(scanText.stdout).toMatch(/^index +none: a scan of every record$/m);
    const counted = await cli(["find", dir, filter, "--explain", "--count", "--index", "due"]);
    expect(counted.stdout).toMatch(/^counted +from the index alone/m);
    // The index changes how, never what.
    const withIndex = await cli(["find", dir, filter, "--index", "due", "--sort", "-due"]);
    const without = await cli(["find", dir, filter, "--sort", "-due"]);
    expect(withIndex.stdout).toBe(without.stdout);
  });

  it.each([
    [["{bad"], /OPSLOG_USAGE: the filter is not valid JSON/],
    [["[1,2]"], /OPSLOG_USAGE: the filter must be a JSON object/],
    [['"open"'], /OPSLOG_USAGE: the filter must be a JSON object/],
    [['{"a":{"$where":"1"}}'], /OPSLOG_USAGE: find: .*\$where/],
    [['{"a":{"$in":3}}'], /OPSLOG_USAGE: find: .*\$in/],
    [['{"$or":[]}'], /OPSLOG_USAGE: find: .*\$or/],
    [["{}", "--sort", "a,,b"], /OPSLOG_USAGE: --sort takes paths/],
    [["{}", "--sort", "$bad"], /OPSLOG_USAGE: find: sort: /],
    [["{}", "--limit", "0"], /OPSLOG_USAGE: --limit must be between/],
    [["{}", "--limit", "2", "--after", "not-a-cursor"], /OPSLOG_USAGE: find: after: not a cursor/],
    [["{}", "--index", "$x"], /OPSLOG_USAGE: --index: /],
  ])("refuses %j with exit 2 and one line, no stack trace", async (args, message) => {
    const result = await cli(["find", dir, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const json = await cli(["find", dir, ...args, "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "OPSLOG_USAGE" } });
  });

  it("refuses a cursor of another sort", async () => {
    const first = page(await cli(["find", dir, "{}", "--sort", "due", "--limit", "2", "--json"]));
    const other = await cli(["find", dir, "{}", "--sort", "-due", "--limit", "2", "--after", first.next!]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("another sort");
  });

  it("a missing directory is exit 3, as for every read command", async () => {
    const result = await cli(["find", path.join(dir, "nope"), "{}"]);
    expect(result.code).toBe(3);
  });
});

describe("opslog find on odd ids and values", () => {
  let odd: string;
  const records: [string, unknown][] = [
    ["__proto__", { kind: "proto", n: 1 }],
    ["constructor", { kind: "ctor", n: 2, __proto__x: true }],
    ["é-ünïcødé-😀", { kind: "unicode", name: "Zoë 😀", n: 3 }],
    ["nested", { kind: "arrays", a: [[1, 2], [3]], b: [{ c: [{ d: "deep" }] }], n: 4 }],
    ["quote\"and\\back", { kind: "quote", text: 'a "b" \\ c', n: 5 }],
  ];

  beforeAll(async () => {
    odd = await makeStore(async (store) => {
      for (const [id, value] of records) await store.set(id, value as Record<string, unknown>);
      await store.set("proto-field", JSON.parse('{"__proto__":{"polluted":1},"n":6}') as never);
    });
  });

  it("round-trips every id and value exactly through --json", async () => {
    const doc = page(await cli(["find", odd, "{}", "--json"]));
    const expected = [
      ...records,
      ["proto-field", JSON.parse('{"__proto__":{"polluted":1},"n":6}') as unknown] as const,
    ]
      .map(([id, value]) => ({ id, value }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(JSON.stringify(doc.items)).toBe(JSON.stringify(expected));
  });

  it("matches on __proto__ fields, unicode and nested arrays as MongoDB does", async () => {
    const proto = await cli(["find", odd, '{"__proto__.polluted":1}', "--ids-only"]);
    expect(proto.stdout).toBe("proto-field\n");
    const noPollution = await cli(["find", odd, '{"polluted":1}', "--ids-only"]);
    expect(noPollution.stdout).toBe("");
    const unicode = await cli(["find", odd, '{"name":{"$regex":"^Zoë 😀$"}}', "--json"]);
    expect(page(unicode).items.map((item) => item.id)).toEqual(["é-ünïcødé-😀"]);
    const whole = await cli(["find", odd, '{"a":[3]}', "--ids-only"]);
    expect(whole.stdout).toBe("nested\n");
    const deep = await cli(["find", odd, '{"b.c.d":"deep"}', "--ids-only"]);
    expect(deep.stdout).toBe("nested\n");
    const flat = await cli(["find", odd, '{"a":1}', "--ids-only"]); // one level only
    expect(flat.stdout).toBe("");
    const byId = await cli(["find", odd, '{"n":{"$lte":2}}', "--sort", "-n", "--ids-only"]);
    expect(byId.stdout).toBe("constructor\n__proto__\n");
  });
});

describe("opslog ls --where with a JSON filter", () => {
  it("takes find's operators, combined with field=value and --limit", async () => {
    const json = await cli(["ls", dir, "--where", '{"due":{"$gt":95}}', "--ids-only"]);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe("t00\nt01\nt02\nt03\nt04\n");
    const both = await cli([
      "ls",
      dir,
      "--where",
      '{"due":{"$gt":90}}',
      "--where",
      "status=open",
      "--where",
      '{"tags":{"$in":["g0","g1"]}}',
      "--limit",
      "3",
      "--json",
    ]);
    expect((jsonLines(both.stdout) as { id: string }[]).map((r) => r.id)).toEqual([
      "t00",
      "t04",
      "t06",
    ]);
    expect(jsonLines(both.stdout)[0]).toEqual({ id: "t00", value: task(0) });
  });

  it("refuses a bad JSON filter with exit 2", async () => {
    const bad = await cli(["ls", dir, "--where", "{nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^OPSLOG_USAGE: --where is not valid JSON/);
    const operator = await cli(["ls", dir, "--where", '{"a":{"$nope":1}}']);
    expect(operator.code).toBe(2);
    expect(operator.stderr).toMatch(/^OPSLOG_USAGE: --where: .*\$nope/);
  });

  it("at … ls takes it too", async () => {
    const result = await cli(["at", dir, "30", "ls", "--where", '{"due":{"$gt":98}}', "--ids-only"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("t00\nt01\n");
  });
});

describe("opslog find beside a live writer", () => {
  it("reads without the lock while another process writes", async () => {
    const live = await makeStore(async (store) => {
      await store.set("first", { index: 0, by: "setup" });
    });
    const writer = spawn(process.execPath, [path.join(import.meta.dirname, "writer.mjs"), live, "20", "40"]);
    const writerDone = new Promise((resolve) => writer.on("close", resolve));
    let opened = false;
    writer.stdout.on("data", (chunk: Buffer) => (opened ||= chunk.toString().includes("open")));
    for (let waited = 0; waited < 10_000 && !opened; waited += 50) await sleep(50);
    await sleep(200);
    const during = await cli(["find", live, '{"by":"writer"}', "--sort", "index", "--json"]);
    const items = page(during).items;
    expect(items.map((item) => item.value.index)).toEqual(items.map((_, i) => i + 1));
    await writerDone;
    const after = await cli(["find", live, '{"by":"writer"}', "--count"]);
    expect(after.stdout).toBe("20\n");
  });
});
