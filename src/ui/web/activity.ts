/**
 * Activity: operations per second over the last minutes (uPlot), and a live tail of new
 * operations. Both start from the API and then follow the server-sent events, which carry
 * the operations of a writer in another process too.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { api, onOp, opMs, type Op } from "./api.js";
import { ErrorBox, go, html, preview } from "./ui.js";

const bucketMs = 1000;
const windowMs = 10 * 60 * 1000;
const tailMax = 100;

function chartData(counts: Map<number, number>, now: number): uPlot.AlignedData {
  const end = Math.floor(now / bucketMs) * bucketMs;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = end - windowMs + bucketMs; t <= end; t += bucketMs) {
    xs.push(t / 1000);
    ys.push(counts.get(t) ?? 0);
  }
  return [xs, ys];
}

function useChart(counts: Map<number, number>, ready: boolean) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ready || box.current === null) return;
    const element = box.current;
    const plot = new uPlot(
      {
        width: Math.max(300, element.clientWidth),
        height: 260,
        series: [{}, { label: "ops/s", stroke: "#2f6fdf", fill: "rgba(47,111,223,0.15)", width: 1.5 }],
        axes: [{}, { label: "ops/s" }],
        scales: { x: { time: true } },
        legend: { show: true },
      },
      chartData(counts, Date.now()),
      element,
    );
    // Redraw every second so that the window slides even when nothing happens.
    const timer = setInterval(() => plot.setData(chartData(counts, Date.now())), 1000);
    return () => {
      clearInterval(timer);
      plot.destroy();
    };
  }, [ready]);
  return box;
}

export function ActivityView() {
  const counts = useRef(new Map<number, number>()).current;
  const [tail, setTail] = useState<Op[]>([]);
  const [live, setLive] = useState(0);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    let seen = 0;
    // Ops that arrive while the first answers are on their way are kept, not lost.
    const off = onOp((op) => {
      const bucket = Math.floor(opMs(op.ts) / bucketMs) * bucketMs;
      if (op.seq > seen) counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      setLive((n) => n + 1);
      setTail((old) => [op, ...old.filter((o) => o.seq !== op.seq)].slice(0, tailMax));
    });
    // Bucket starts aligned to whole seconds, as the live counts are.
    const to = Math.ceil(Date.now() / bucketMs) * bucketMs;
    const from = to - windowMs;
    Promise.all([
      api<{ buckets: [number, number][] }>(`/api/activity?from=${from}&to=${to}&bucketMs=${bucketMs}`),
      api<{ ops: Op[] }>(`/api/ops?limit=${tailMax}`),
    ]).then(
      ([activity, ops]) => {
        seen = ops.ops[0]?.seq ?? 0;
        for (const [start, count] of activity.buckets) counts.set(start, (counts.get(start) ?? 0) + count);
        setTail((old) => {
          const newer = old.filter((o) => o.seq > seen);
          return [...newer, ...ops.ops].slice(0, tailMax);
        });
        setReady(true);
      },
      (failure: unknown) => setError(failure),
    );
    return off;
  }, []);
  const box = useChart(counts, ready);
  return html`<section class="activity">
    <${ErrorBox} error=${error} />
    <h3>Operations per second, last 10 minutes</h3>
    <div class="chart" ref=${box}></div>
    <h3>Live tail <span class="muted live-count" data-live=${live}>(${live} received live)</span></h3>
    <table class="tail"><thead><tr><th>seq</th><th>time</th><th>op</th><th>id</th><th>meta</th><th>value</th></tr></thead>
      <tbody>${tail.map(
        (op) => html`<tr key=${op.seq} data-seq=${op.seq} onClick=${() => go(`#/record/${encodeURIComponent(op.id)}`)}>
          <td>${op.seq}</td><td>${op.ts}</td><td class=${`k-${op.op}`}>${op.op}${op.undo !== undefined ? " (undo)" : ""}${op.redo !== undefined ? " (redo)" : ""}</td>
          <td class="cell-id">${op.id}</td><td>${op.meta ? preview(op.meta, 60) : ""}</td>
          <td class="cell-value">${op.op === "set" ? preview(op.data, 80) : ""}</td></tr>`,
      )}</tbody>
    </table>
  </section>`;
}
