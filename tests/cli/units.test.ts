import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { diffValues } from "../../src/cli/diff.js";
import { parseImportLine } from "../../src/cli/jsonl-reader.js";
import { Output, formatBytes, shouldColor } from "../../src/cli/output.js";
import { ProgressBar } from "../../src/cli/progress.js";
import { matchesAll, parseWhere } from "../../src/cli/records.js";

class Sink {
  text = "";
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  once(): void {}
}

describe("colour decision", () => {
  it("colours only a terminal without NO_COLOR", () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({}, {})).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: "" })).toBe(false);
  });

  it("never colours JSON output", () => {
    expect(new Output(true, new Sink(true), {}).color).toBe(false);
    expect(new Output(false, new Sink(true), {}).color).toBe(true);
  });

  it("colours JSON keys and values of a record without changing its text", () => {
    const output = new Output(false, new Sink(true), {});
    const painted = output.value({ a: "x", n: 1, ok: true, z: null });
    expect(painted).toContain("\x1b[");
    expect(stripVTControlCharacters(painted)).toBe(
      JSON.stringify({ a: "x", n: 1, ok: true, z: null }, null, 2),
    );
  });
});

describe("field-level diff", () => {
  it("names added, removed and changed fields, nested by dotted path", () => {
    const changes = diffValues(
      { a: 1, b: { c: 2, d: 3 }, gone: true },
      { a: 1, b: { c: 5, d: 3 }, added: [1] },
    );
    expect(changes).toEqual([
      { path: "b.c", kind: "changed", before: 2, after: 5 },
      { path: "gone", kind: "removed", before: true },
      { path: "added", kind: "added", after: [1] },
    ]);
  });

  it("shows a created record as added fields and a deleted one as removed fields", () => {
    expect(diffValues(null, { a: 1 })).toEqual([{ path: "a", kind: "added", after: 1 }]);
    expect(diffValues({ a: 1 }, null)).toEqual([{ path: "a", kind: "removed", before: 1 }]);
    expect(diffValues(null, 7)).toEqual([{ path: "", kind: "added", after: 7 }]);
    expect(diffValues([1], [1, 2])).toEqual([
      { path: "", kind: "changed", before: [1], after: [1, 2] },
    ]);
  });
});

describe("--where", () => {
  it("parses JSON values and falls back to strings", () => {
    expect(parseWhere("a.b=3")).toEqual({ path: ["a", "b"], value: 3 });
    expect(parseWhere("s=open")).toEqual({ path: ["s"], value: "open" });
    expect(parseWhere("s=a=b")).toEqual({ path: ["s"], value: "a=b" });
    expect(() => parseWhere("=x")).toThrow(/field=value/);
  });

  it("matches only own fields, deeply", () => {
    const record = { tags: ["x"], owner: { name: "ann" } };
    expect(matchesAll(record, [parseWhere('tags=["x"]'), parseWhere("owner.name=ann")])).toBe(true);
    expect(matchesAll(record, [parseWhere("owner.name=bob")])).toBe(false);
    expect(matchesAll(record, [parseWhere("constructor=x")])).toBe(false);
  });
});

describe("import line checks", () => {
  it("accepts {id, value} and skips blank lines", () => {
    expect(parseImportLine("f", 3, '{"id":"a","value":{"x":1},"extra":2}')).toEqual({
      line: 3,
      id: "a",
      value: { x: 1 },
    });
    expect(parseImportLine("f", 4, "   ")).toBeUndefined();
  });

  it.each([
    ["{", /f line 9: not valid JSON/],
    ["[1]", /f line 9: expected an object/],
    ['{"id":"a"}', /f line 9: missing "value"/],
    ['{"id":"","value":1}', /f line 9: id must not be empty/],
    ['{"id":5,"value":1}', /f line 9: id must be a string/],
  ])("rejects %s naming the line", (text, message) => {
    expect(() => parseImportLine("f", 9, text)).toThrow(message);
  });
});

describe("progress bar", () => {
  it("stays silent when disabled", () => {
    const sink = new Sink(false);
    const bar = new ProgressBar("x", 100, sink, false);
    bar.update(50);
    bar.finish();
    expect(sink.text).toBe("");
  });

  it("redraws in place on a terminal and ends at 100%", () => {
    const sink = new Sink(true);
    const bar = new ProgressBar("verifying", 2048, sink, true);
    bar.update(1024);
    bar.finish();
    expect(sink.text).toContain("\r\x1b[2Kverifying");
    expect(sink.text).toContain(" 50%");
    expect(sink.text).toMatch(/100% {2}2\.0 KiB \/ 2\.0 KiB\n$/);
  });

  it("formats sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MiB");
  });
});
