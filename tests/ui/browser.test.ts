/**
 * The page of `opslog ui` in a real headless Chromium (Debian's chromium, driven by
 * playwright-core), against the real `opslog ui` process: every view, a live update from a
 * writer in another process, bad requests, and the --write confirmation flow. Each view's test
 * takes a screenshot, written to docs/ui/<view>.png with OPSLOG_UI_SCREENSHOTS=1 (docs/UI.md).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { killLeftovers, requireBuiltUi, root, startUi, type UiProcess } from "./helpers.js";

const chromiumPath = "/usr/bin/chromium";
const present = fs.existsSync(chromiumPath);
if (!present) console.warn(`tests/ui/browser.test.ts skipped: ${chromiumPath} is missing (apt-get install chromium)`);

const shots = path.join(root, "docs/ui");
const recordCount = 3000;
const id = (i: number) => `user-${String(i).padStart(5, "0")}`;

async function seed(dir: string): Promise<void> {
  const store = new Store();
  await store.open(dir);
  await store.batch(() => {
    for (let i = 0; i < recordCount; i++) {
      void store.set(id(i), { name: `User ${i}`, status: i % 3 === 0 ? "active" : "idle", plan: { tier: i % 5, seats: i % 7 } });
    }
  });
  await store.set(id(1), { name: "Ann", status: "active", plan: { tier: 2, seats: 9 }, tags: ["vip"] }, {
    meta: { actor: "ann@example.com", reason: "upgrade" },
  });
  await store.set(id(2), { name: "Bob", status: "active", plan: { tier: 0, seats: 1 } }, { meta: { actor: "bob" } });
  await store.undo();
  await store.redo();
  await store.delete(id(3), { meta: { actor: "ann@example.com", reason: "closed" } });
  await store.close();
}

let browser: Browser;
let dir: string;
let ui: UiProcess;

async function open(hash: string, target: UiProcess = ui): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(`${target.url}${hash}`);
  return page;
}

/** expect.poll waits 1 s by default; a loaded machine needs longer for a store.at(). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 50 });

/** docs/ui/ is written only when asked (OPSLOG_UI_SCREENSHOTS=1): a test run leaves the tree clean. */
const writeShots = process.env["OPSLOG_UI_SCREENSHOTS"] === "1";

async function shot(page: Page, name: string): Promise<void> {
  if (writeShots) fs.mkdirSync(shots, { recursive: true });
  const image = await page.screenshot(writeShots ? { path: path.join(shots, `${name}.png`) } : {});
  expect(image.length).toBeGreaterThan(1000); // A rendered page, not an empty image.
  expect((page as Page & { errors: string[] }).errors).toEqual([]);
}

describe.skipIf(!present)("opslog ui page in Chromium", () => {
  beforeAll(async () => {
    requireBuiltUi();
    const built = path.join(root, "dist/ui/web/app.js");
    if (!fs.existsSync(built)) throw new Error("dist/ui/web/ is missing: npm run build");
    const sources = fs.readdirSync(path.join(root, "src/ui/web")).map((f) => fs.statSync(path.join(root, "src/ui/web", f)).mtimeMs);
    if (Math.max(...sources) > fs.statSync(built).mtimeMs) throw new Error("dist/ui/web/ is older than src/ui/web/: npm run build");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-web-"));
    await seed(dir);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    ui = await startUi(dir);
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    killLeftovers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Records: a virtual table, id search, filter, a row opens its JSON", async () => {
    const page = await open("#/records");
    await poll(() => page.locator(".count").textContent()).toBe(`${(recordCount - 1).toLocaleString("en")} records`);
    await page.locator(".row .cell-id", { hasText: id(0) }).waitFor();
    // Virtualised: a few dozen rows in the DOM, however many records.
    const rendered = await page.locator(".row").count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(100);
    await page.locator(".scroller").evaluate((element: { scrollTop: number; scrollHeight: number }) => {
      element.scrollTop = element.scrollHeight;
    });
    await page.locator(".row .cell-id", { hasText: id(recordCount - 1) }).waitFor();
    expect(await page.locator(".row").count()).toBeLessThan(100);
    await shot(page, "records");

    await page.fill("input[name=id]", "user-0004");
    await page.click("button[type=submit]");
    await poll(() => page.locator(".count").textContent()).toBe("10 records");
    await page.fill("input[name=id]", "");
    await page.fill("input[name=filter]", "plan.tier=4");
    await page.click("button[type=submit]");
    await poll(() => page.locator(".count").textContent()).toBe("600 records");
    await page.fill("input[name=filter]", '{"status": "active", "plan.tier": 2}');
    await page.click("button[type=submit]");
    await poll(() => page.locator(".count").textContent()).toBe("201 records");
    await page.locator(".row .cell-id", { hasText: id(1) }).click();
    await page.waitForURL(/#\/record\/user-00001$/);
    await poll(() => page.locator("pre.json").textContent()).toContain('"name": "Ann"');
    await page.close();
  });

  it("Record timeline: every op with time, meta, undo/redo marks and a field-level diff", async () => {
    const page = await open(`#/record/${id(2)}`);
    await page.locator(".op").nth(3).waitFor();
    expect(await page.locator(".op").count()).toBe(4);
    const second = page.locator(".op").nth(1);
    expect(await second.locator(".meta").textContent()).toContain("actor");
    const changed = await second.locator(".d-changed .d-path").allTextContents();
    expect(changed.sort()).toEqual(["name", "plan.seats", "plan.tier", "status"]);
    expect(await page.locator(".mark.undo").textContent()).toMatch(/undo of #\d+/);
    expect(await page.locator(".mark.redo").textContent()).toMatch(/redo of #\d+/);
    await page.close();
    const ann = await open(`#/record/${id(1)}`);
    await ann.locator(".op").nth(1).waitFor();
    expect(await ann.locator(".op").nth(1).locator(".meta").textContent()).toContain("upgrade");
    expect(await ann.locator(".op").nth(1).locator(".d-added .d-path").allTextContents()).toEqual(["tags"]);
    await shot(ann, "record");
    await ann.close();
  });

  it("Time travel: the store at a seq, and what changed between then and now", async () => {
    const page = await open("#/time");
    await page.locator(".at .point").waitFor();
    // The seed's first batch is seqs 1…3000: at() takes a batch whole, so seq 0 it is.
    await page.fill("input.seq", "0");
    await page.locator("input.seq").dispatchEvent("change");
    await poll(() => page.locator(".at .point b").textContent()).toBe("seq 0");
    expect(await page.locator(".at-total").textContent()).toBe("0 records");
    expect(await page.locator(".c-added h4").textContent()).toBe("added (1,000+)"); // the server lists 1,000 of the 2,999
    expect(await page.locator(".c-changed h4").textContent()).toBe("changed (0)");
    await page.fill("input.seq", String(recordCount));
    await page.locator("input.seq").dispatchEvent("change");
    await poll(() => page.locator(".at .point b").textContent()).toBe(`seq ${recordCount}`);
    expect(await page.locator(".c-changed li").allTextContents()).toEqual([id(1), id(2)]);
    expect(await page.locator(".c-removed li").allTextContents()).toEqual([id(3)]);
    // The slider moves the point too.
    await page.locator("input.slider").fill(String(recordCount + 2));
    await poll(() => page.locator(".at .point b").textContent()).toBe(`seq ${recordCount + 2}`);
    await shot(page, "time");
    await page.close();
  });

  it("Activity: the chart and the live tail follow a writer in another process", async () => {
    const page = await open("#/activity");
    await page.locator(".chart canvas").waitFor();
    await page.locator(".tail tr[data-seq]").first().waitFor();
    // A Records view open meanwhile follows too: its count moves without a reload.
    const records = await open("#/records");
    await poll(() => records.locator(".count").textContent()).toBe(`${(recordCount - 1).toLocaleString("en")} records`);
    const writer = spawn(process.execPath, [path.join(root, "tests/ui/writer.mjs"), dir, "25", "live-"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const ended = new Promise<number | null>((resolve) => writer.on("close", resolve));
    await page.locator(".tail .cell-id", { hasText: "live-24" }).waitFor({ timeout: 30_000 });
    expect(await ended).toBe(0);
    await poll(() => page.locator(".live-count").getAttribute("data-live")).toBe("25");
    expect(await page.locator(".tail tr[data-seq]").first().locator(".cell-id").textContent()).toBe("live-24");
    // The chart's last minute holds them: uPlot's legend shows the series.
    expect(await page.locator(".u-legend").textContent()).toContain("ops/s");
    await page.selectOption("select.span", "0");
    await page.locator(".chart canvas").waitFor();
    expect(await page.locator(".chart canvas").count()).toBe(1);
    await shot(page, "activity");
    await poll(() => records.locator(".count").textContent()).toBe(`${(recordCount - 1 + 25).toLocaleString("en")} records`);
    expect(await records.locator(".seq-now").textContent()).toBe(await page.locator(".tail tr[data-seq]").first().getAttribute("data-seq"));
    await records.close();
    await page.close();
  });

  it("Health: verify, files and sizes, lock holder, history retained", async () => {
    const page = await open("#/health");
    await page.locator(".verify .verdict").waitFor();
    expect(await page.locator(".verify .verdict").textContent()).toContain("OK");
    expect(await page.locator(".files tr").count()).toBeGreaterThan(0);
    expect(await page.locator(".lock").textContent()).toContain("no writer holds the lock");
    expect(await page.locator(".history").innerText()).toMatch(/operations, seq 1 to \d+/);
    await shot(page, "health");
    await page.close();
  });

  it("bad requests show an error, never a blank page", async () => {
    const page = await open("#/record/no-such-record");
    await poll(() => page.locator(".error").first().textContent()).toContain("not_found (HTTP 404)");
    expect(await page.locator(".timeline-empty, .muted").first().textContent()).toContain("no operation");
    await page.goto(`${ui.url}#/nowhere`);
    await poll(() => page.locator(".error").first().textContent()).toContain("no view");
    await page.goto(`${ui.url}#/records`);
    await page.fill("input[name=filter]", "{not json");
    await page.click("button[type=submit]");
    await poll(() => page.locator(".error").first().textContent()).toContain("bad_request (HTTP 400)");
    // A failed page is not asked for again on every render (review: ~60 requests a second).
    let asked = 0;
    const count = (req: { url(): string }) => {
      if (req.url().includes("/api/records")) asked++;
    };
    page.on("request", count);
    await page.waitForTimeout(1500);
    page.off("request", count);
    expect(asked).toBeLessThan(5);
    await shot(page, "error");
    await page.goto(`${ui.url}#/time`);
    await page.locator(".at .point").waitFor();
    await page.fill("input.seq", "99999999");
    await page.locator("input.seq").dispatchEvent("change");
    await poll(() => page.locator(".error").first().textContent()).toContain("bad_request (HTTP 400)");
    await page.goto(`${ui.url.replace(/token=[^&]+/, "token=wrong")}#/records`);
    await poll(() => page.locator(".error").first().textContent()).toContain("unauthorized (HTTP 401)");
    await page.close();
  });

  it("a value of millions of characters shows as text, without a page error", async () => {
    // Review: the colouring regex overflowed its stack past about 4,000,000 characters.
    const bigDir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-web-big-"));
    const store = new Store();
    await store.open(bigDir);
    await store.set("big", { s: "x".repeat(8 * 1024 * 1024) });
    await store.close();
    const big = await startUi(bigDir);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${big.url}#/record/big`);
      await poll(async () => (await page.locator("pre.json").first().textContent())?.length ?? 0).toBeGreaterThan(8_000_000);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await big.stop();
      fs.rmSync(bigDir, { recursive: true, force: true });
    }
  });

  it("--write: edit, delete, undo and redo, each after a confirmation", async () => {
    const writeDir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-web-w-"));
    const store = new Store();
    await store.open(writeDir);
    await store.set("a", { n: 1 });
    await store.close();
    const writable = await startUi(writeDir, ["--write"]);
    try {
      const page = await open("#/record/a", writable);
      await page.locator("button.delete").waitFor();
      // Dismissed: nothing is written.
      page.once("dialog", (dialog) => void dialog.dismiss());
      await page.click("button.delete");
      await page.waitForTimeout(300);
      expect(await page.locator("pre.json").textContent()).toContain('"n": 1');
      await page.click("button.edit");
      await page.fill(".editor textarea", '{"n": 2, "note": "edited in the page"}');
      const asked: string[] = [];
      page.once("dialog", (dialog) => {
        asked.push(dialog.message());
        void dialog.accept();
      });
      await page.click("button.save");
      await poll(() => page.locator("pre.json").textContent()).toContain("edited in the page");
      expect(asked).toEqual(['Write record "a"?']);
      page.once("dialog", (dialog) => void dialog.accept());
      await page.click("button.delete");
      await poll(() => page.locator(".error").first().textContent()).toContain("not_found");
      page.once("dialog", (dialog) => void dialog.accept());
      await page.click("button.undo");
      await poll(() => page.locator(".said").textContent()).toBe("undo done");
      await poll(() => page.locator("pre.json").textContent()).toContain("edited in the page");
      await page.locator(".mark.undo").waitFor();
      await shot(page, "write");
      page.once("dialog", (dialog) => void dialog.accept());
      await page.click("button.redo");
      await poll(() => page.locator(".error").first().textContent()).toContain("not_found");
      // The header tells when the change feed is lost (the server ended) instead of going stale.
      expect(await page.locator(".live").textContent()).toContain("live");
      await writable.stop();
      await poll(() => page.locator(".live").textContent()).toContain("reconnecting");
      await page.close();
    } finally {
      await writable.stop();
      fs.rmSync(writeDir, { recursive: true, force: true });
    }
    // Read-only (the default): no write buttons at all.
    const page = await open("#/record/user-00001");
    await page.locator("pre.json").waitFor();
    expect(await page.locator("button.delete, button.edit, button.undo").count()).toBe(0);
    await page.close();
  });
});
