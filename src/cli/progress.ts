import { formatBytes } from "./output.js";

/** Redraws at most this often, so a fast loop does not spend its time painting. */
const redrawIntervalMs = 100;
/** Without a terminal (forced with --progress), one line at most this often. */
const lineIntervalMs = 1000;
const barWidthCells = 30;

export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
}

/**
 * A byte-progress bar on stderr, so it never mixes with results on stdout. On a terminal it
 * redraws one line in place; forced on without one (`--progress`) it prints a line now and then.
 * Forty lines of our own instead of a dependency: see docs/CLI.md, "Libraries".
 */
export class ProgressBar {
  /** Without a terminal the first line waits a full interval: small jobs print only the last. */
  private lastDrawMs: number;
  private done = 0;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
    private readonly enabled = stream.isTTY === true,
  ) {
    this.lastDrawMs = stream.isTTY ? 0 : Date.now();
  }

  update(done: number): void {
    this.done = Math.min(done, this.total);
    if (!this.enabled || this.finished) return;
    const now = Date.now();
    const interval = this.stream.isTTY ? redrawIntervalMs : lineIntervalMs;
    if (now - this.lastDrawMs < interval) return;
    this.lastDrawMs = now;
    this.draw();
  }

  finish(): void {
    if (!this.enabled || this.finished) return;
    this.done = this.total;
    this.draw();
    this.finished = true;
    if (this.stream.isTTY) this.stream.write("\n");
  }

  private draw(): void {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(fraction * barWidthCells);
    const bar = `${"█".repeat(filled)}${"░".repeat(barWidthCells - filled)}`;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const amounts = `${formatBytes(this.done)} / ${formatBytes(this.total)}`;
    const text = `${this.label} ${bar} ${percent}  ${amounts}`;
    this.stream.write(this.stream.isTTY ? `\r\x1b[2K${text}` : `${text}\n`);
  }
}
