/* global document, window, requestAnimationFrame -- the functions given to page.evaluate run in the page. */
// opslog ui, the page in headless Chromium: time from starting `opslog ui` to the first Records
// page rendered (rows visible), and the frame times of scrolling the virtual table.
//   npm run build && node bench/ui.mjs [records=200000]
// Figures, not assertions. Needs /usr/bin/chromium. The store is written once into
// /tmp/opslog-ui-page-bench-<n> (the same records as bench/ui-records.mjs).
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { uiBenchStore } from "./lib/ui-store.mjs";

const n = Number(process.argv[2] ?? 200_000);
const dir = `/tmp/opslog-ui-page-bench-${n}`;
await uiBenchStore(n, dir);

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto("about:blank");

const started = performance.now();
const ui = spawn(process.execPath, ["dist/cli/main.js", "ui", dir, "--port", "0", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
const line = await new Promise((resolve) => { let out = ""; ui.stdout.on("data", (c) => { out += c; if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0])); }); });
const urlMs = performance.now() - started;
await page.goto(`${line.url}#/records`);
// Rendered: the first row holds its id (not the "…" of a row whose page is on its way).
await page.waitForFunction(() => {
  const cell = document.querySelector(".row[data-index='0'] .cell-id");
  return cell !== null && cell.textContent !== "…";
});
const firstPageMs = performance.now() - started;
// Where the page's part went (the page's own clock, from the navigation's start).
const timing = await page.evaluate(() => {
  const entries = window.performance.getEntriesByType("resource").map((e) => [e.name.replace(/^.*\/\/[^/]+/, "").replace(/token=[^&]+/, "token=…"), Math.round(e.startTime), Math.round(e.responseEnd)]);
  const nav = window.performance.getEntriesByType("navigation")[0];
  return { domContentLoaded: Math.round(nav.domContentLoadedEventEnd), entries, now: Math.round(window.performance.now()) };
});

/** Scrolls `rows` rows in `frames` animation frames; returns the frame times (ms). */
const scroll = (rows, frames) => page.evaluate(async ([rows, frames, total]) => {
  const scroller = document.querySelector(".scroller");
  // 28 px a row, but fewer past the spacer's cap (records.ts layout()): a row is then less.
  const rowHeight = Math.min(28, (scroller.scrollHeight - scroller.clientHeight) / (total - scroller.clientHeight / 28));
  const step = (rows * rowHeight) / frames;
  const times = [];
  let last = await new Promise((resolve) => requestAnimationFrame(resolve));
  for (let i = 1; i <= frames; i++) {
    scroller.scrollTop = i * step;
    const now = await new Promise((resolve) => requestAnimationFrame(resolve));
    times.push(now - last);
    last = now;
  }
  const rendered = document.querySelectorAll(".row").length;
  return { times, rendered };
}, [rows, frames, n]);
const stats = ({ times, rendered }) => {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5).toFixed(1), p95: at(0.95).toFixed(1), max: sorted.at(-1).toFixed(1), over50: times.filter((t) => t > 50).length, frames: times.length, rendered };
};
const fast = stats(await scroll(20_000, 600));
await page.evaluate(() => { document.querySelector(".scroller").scrollTop = 0; });
const slow = stats(await scroll(1_800, 600));
// And the far end: jump to the last row and wait for it to be filled.
const jumpStart = performance.now();
await page.evaluate(() => { const s = document.querySelector(".scroller"); s.scrollTop = s.scrollHeight; });
await page.waitForFunction((last) => {
  const cell = document.querySelector(`.row[data-index='${last}'] .cell-id`);
  return cell !== null && cell.textContent !== "…";
}, n - 1);
const jumpMs = performance.now() - jumpStart;

await browser.close();
ui.kill("SIGTERM");
await new Promise((resolve) => ui.on("close", resolve));
console.log(`opslog ui page, ${n} records, headless Chromium (${new Date().toISOString()})`);
console.log(`process start → URL line                        ${urlMs.toFixed(0).padStart(6)} ms`);
console.log(`process start → first Records page rendered     ${firstPageMs.toFixed(0).padStart(6)} ms`);
console.log(`  of which page load + first /api/records + render ${(firstPageMs - urlMs).toFixed(0).padStart(4)} ms`);
for (const [label, s] of [["scroll 20,000 rows in 600 frames", fast], ["scroll 1,800 rows in 600 frames (3 rows/frame)", slow]]) {
  console.log(`${label.padEnd(48)} frame median ${s.median} ms, p95 ${s.p95} ms, max ${s.max} ms, ${s.over50} of ${s.frames} over 50 ms; ${s.rendered} rows in the DOM`);
}
if (process.env.UI_BENCH_VERBOSE) console.log(JSON.stringify(timing, null, 1));
console.log(`jump to row ${n.toLocaleString("en")} → rendered                 ${jumpMs.toFixed(0).padStart(6)} ms`);
