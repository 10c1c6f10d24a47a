import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cli,
  damageRecord,
  makeStore,
  removeTempDirs,
  requireBuiltBinary,
  segmentFiles,
} from "./helpers.js";

interface Problem {
  file: string;
  offset: number;
  reason: string;
}

beforeAll(requireBuiltBinary);
afterAll(removeTempDirs);

/** A store whose log has five records, the third one damaged in its middle. */
async function damagedStore(): Promise<{ dir: string; file: string; offset: number }> {
  const dir = await makeStore(
    async (store) => {
      for (let index = 1; index <= 5; index++)
        await store.set(`r${index}`, { index, text: "x".repeat(50) });
    },
    { keepLog: true },
  );
  const file = (await segmentFiles(dir)).at(-1) as string;
  const offset = await damageRecord(dir, file, 3);
  return { dir, file, offset };
}

describe("opslog verify", () => {
  it("exits 0 on a clean store", async () => {
    const dir = await makeStore(
      async (store) => {
        await store.set("a", { v: 1 });
      },
      { keepLog: true },
    );
    const text = await cli(["verify", dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok {2}\d+ files?, .* checked, no damage\n$/);
    const json = await cli(["verify", dir, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, problems: [] });
  });

  it("exits 1 naming the damaged file and byte offset", async () => {
    const { dir, file, offset } = await damagedStore();
    const text = await cli(["verify", dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${path.basename(file)} at byte ${offset}: `);
    const json = await cli(["verify", dir, "--json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; problems: Problem[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ offset });
    expect(report.problems[0]?.file).toContain(path.basename(file));
  });

  it("draws a progress bar on stderr with --progress", async () => {
    const { dir } = await damagedStore();
    const result = await cli(["verify", dir, "--progress"]);
    expect(result.stderr).toMatch(/verifying .* 100% /);
  });

  it("makes read commands fail with one line naming the damage", async () => {
    const { dir, file } = await damagedStore();
    const result = await cli(["get", dir, "r1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^OPSLOG_CORRUPTION: .*${path.basename(file)}.*\\n$`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const info = await cli(["info", dir]);
    expect(info.code).toBe(1);
    expect(info.stdout).toContain(path.basename(file));
  });
});

describe("opslog repair", () => {
  it("changes nothing unless confirmed (exit 5)", async () => {
    const { dir, file } = await damagedStore();
    const before = await readFile(path.join(dir, file));
    for (const input of ["", "n\n", "maybe\n"]) {
      const result = await cli(["repair", dir], { input });
      expect(result.code, JSON.stringify(input)).toBe(5);
      expect(result.stderr).toMatch(
        /OPSLOG_CANCELLED: repair not confirmed; nothing was changed\n$/,
      );
    }
    expect(await readFile(path.join(dir, file))).toEqual(before);
    expect((await cli(["verify", dir])).code).toBe(1);
  });

  it("keeps the valid prefix, moves the rest to quarantine and reports it when confirmed", async () => {
    const { dir, file, offset } = await damagedStore();
    const result = await cli(["repair", dir], { input: "y\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`damaged  `);
    expect(result.stdout).toMatch(
      new RegExp(`moved {2}.*${path.basename(file)} from byte ${offset} .* to .*quarantine`),
    );
    expect((await cli(["verify", dir])).code).toBe(0);
    expect((await cli(["ls", dir, "--ids-only"])).stdout).toBe("r1\nr2\n");
    const quarantine = await readdir(path.join(dir, "quarantine"));
    expect(quarantine.length).toBeGreaterThan(0);
  });

  it("repairs without asking with --yes and reports as JSON", async () => {
    const { dir, offset } = await damagedStore();
    const result = await cli(["repair", dir, "--yes", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      repaired: boolean;
      quarantined: { offset: number }[];
      remaining: unknown[];
    };
    expect(report.repaired).toBe(true);
    expect(report.quarantined).toMatchObject([{ offset }]);
    expect(report.remaining).toEqual([]);
  });

  it("does nothing on a clean store", async () => {
    const dir = await makeStore(async (store) => {
      await store.set("a", { v: 1 });
    });
    const result = await cli(["repair", dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("ok  no damage found; nothing to repair\n");
  });
});
