/**
 * Activity: operations per second over a recent window (uPlot), and a live tail of new
 * operations. Both start from the API and then follow the server-sent events, which carry
 * the operations of a writer in another process too.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { api, onOp, opMs, type Op } from "./api.js";
import { ErrorBox, go, html, preview } from "./ui.js";

const tailMax = 100;
/** The chart's windows; at most 2,000 buckets each (the server's limit). */
const spans = [
  { label: "1 minute", windowMs: 60_000, bucketMs: 1000 },
  { label: "10 minutes", windowMs: 600_000, bucketMs: 1000 },
  { label: "1 hour", windowMs: 3_600_000, bucketMs: 5000 },
] as const;
type Span = (typeof spans)[number];

function chartData(counts: Map<number, number>, span: Span, now: number): uPlot.AlignedData {
  const end = Math.floor(now / span.bucketMs) * span.bucketMs;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = end - span.windowMs + span.bucketMs; t <= end; t += span.bucketMs) {
    xs.push(t / 1000);
    ys.push((counts.get(t) ?? 0) / (span.bucketMs / 1000));
  }
  return [xs, ys];
}

/** The chart of one span: its buckets from /api/activity, then counted from live ops. */
function useChart(span: Span, setError: (error: unknown) => void) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const counts = new Map<number, number>();
    let plot: uPlot | undefined;
    let closed = false;
    const count = (op: Op) => {
      const bucket = Math.floor(opMs(op.ts) / span.bucketMs) * span.bucketMs;
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    };
    const off = onOp(count);
    // Bucket starts aligned to whole buckets, as the live counts are.
    const to = Math.ceil(Date.now() / span.bucketMs) * span.bucketMs;
    const query = `from=${to - span.windowMs}&to=${to}&bucketMs=${span.bucketMs}`;
    api<{ buckets: [number, number][] }>(`/api/activity?${query}`).then((activity) => {
      if (closed) return;
      for (const [start, n] of activity.buckets) counts.set(start, (counts.get(start) ?? 0) + n);
      plot = new uPlot(
        {
          width: Math.max(300, element.clientWidth),
          height: 260,
          series: [
            {},
            { label: "ops/s", stroke: "#2f6fdf", fill: "rgba(47,111,223,0.15)", width: 1.5 },
          ],
          axes: [{}, { label: "ops/s" }],
          scales: { x: { time: true } },
        },
        chartData(counts, span, Date.now()),
        element,
      );
    }, setError);
    // Redraw every second so that the window slides even when nothing happens.
    const timer = setInterval(() => plot?.setData(chartData(counts, span, Date.now())), 1000);
    return () => {
      closed = true;
      off();
      clearInterval(timer);
      plot?.destroy();
    };
  }, [span]);
  return box;
}

function useTail(setError: (error: unknown) => void) {
  const [tail, setTail] = useState<Op[]>([]);
  const [live, setLive] = useState(0);
  useEffect(() => {
    // Ops that arrive while the first answer is on its way are kept, not lost.
    const off = onOp((op) => {
      setLive((n) => n + 1);
      setTail((old) => [op, ...old.filter((o) => o.seq !== op.seq)].slice(0, tailMax));
    });
    api<{ ops: Op[] }>(`/api/ops?limit=${tailMax}`).then((answer) => {
      const newest = answer.ops[0]?.seq ?? 0;
      setTail((old) => [...old.filter((o) => o.seq > newest), ...answer.ops].slice(0, tailMax));
    }, setError);
    return off;
  }, []);
  return { tail, live };
}

const columns = ["seq", "time", "op", "id", "meta", "value"];

function TailRow({ op }: { op: Op }) {
  const mark = op.undo !== undefined ? " (undo)" : op.redo !== undefined ? " (redo)" : "";
  return html`<tr data-seq=${op.seq} onClick=${() => go(`#/record/${encodeURIComponent(op.id)}`)}>
    <td>${op.seq}</td><td>${op.ts}</td><td class=${`k-${op.op}`}>${op.op}${mark}</td>
    <td class="cell-id">${op.id}</td><td>${op.meta ? preview(op.meta, 60) : ""}</td>
    <td class="cell-value">${op.op === "set" ? preview(op.data, 80) : ""}</td></tr>`;
}

export function ActivityView() {
  const [error, setError] = useState<unknown>(undefined);
  const [span, setSpan] = useState<Span>(spans[1]);
  const box = useChart(span, setError);
  const { tail, live } = useTail(setError);
  return html`<section class="activity">
    <${ErrorBox} error=${error} />
    <div class="toolbar"><h3>Operations per second, last</h3>
      <select class="span" onChange=${(e: Event) =>
        setSpan(spans[Number((e.target as HTMLSelectElement).value)] ?? spans[1])}>
        ${spans.map((s, i) => html`<option value=${i} selected=${s === span}>${s.label}</option>`)}
      </select></div>
    <div class="chart" key=${span.label} ref=${box}></div>
    <h3>Live tail
      <span class="muted live-count" data-live=${live}>(${live} received live)</span></h3>
    <table class="tail">
      <thead><tr>${columns.map((t) => html`<th>${t}</th>`)}</tr></thead>
      <tbody>${tail.map((op) => html`<${TailRow} key=${op.seq} op=${op} />`)}</tbody>
    </table>
  </section>`;
}
