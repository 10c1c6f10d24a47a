/**
 * Time travel: the whole store at a seq (slider or number) or a time (store.at() on the
 * server), and which ids were added, removed or changed between that point and now.
 */
import { useEffect, useState } from "preact/hooks";
import { api, query, type Page } from "./api.js";
import { ErrorBox, html, preview, useLoad } from "./ui.js";

interface Range {
  firstSeq: number | null;
  lastSeq: number;
  firstTs: string | null;
  lastTs: string | null;
}

interface AtAnswer extends Page {
  point: { seq: number; ts: string | null };
  changes: { added: string[]; removed: string[]; changed: string[]; truncated: boolean };
}

const shown = 100;

function RecordLink({ id }: { id: string }) {
  return html`<a href=${`#/record/${encodeURIComponent(id)}`}>${id}</a>`;
}

function IdList({ title, ids, truncated }: { title: string; ids: string[]; truncated: boolean }) {
  // The server lists at most 1,000 ids of each kind; a full list was cut.
  const more = truncated && ids.length >= 1000 ? "+" : "";
  return html`<div class=${`changes c-${title}`}>
    <h4>${title} (${ids.length.toLocaleString("en")}${more})</h4>
    <ul>${ids.slice(0, 200).map((id) => html`<li><${RecordLink} id=${id} /></li>`)}</ul>
    ${ids.length > 200 && html`<p class="muted">… and ${ids.length - 200} more</p>`}
  </div>`;
}

export function TimeView() {
  const range = useLoad(() => api<Range>("/api/range"), []);
  const [point, setPoint] = useState<{ seq?: number; time?: string } | undefined>(undefined);
  const [draft, setDraft] = useState<number | undefined>(undefined);
  useEffect(() => {
    // Start halfway through the retained history: both panes then show something.
    const r = range.data;
    if (r === undefined || point !== undefined) return;
    const first = r.firstSeq ?? r.lastSeq;
    const middle = Math.floor((first + r.lastSeq) / 2);
    setDraft(middle);
    setPoint({ seq: middle });
  }, [range.data]);
  useEffect(() => {
    // The slider moves fast; ask for the point it rests on.
    if (draft === undefined || draft === point?.seq) return;
    const timer = setTimeout(() => setPoint({ seq: draft }), 200);
    return () => clearTimeout(timer);
  }, [draft]);
  const at = useLoad(() => {
    if (point === undefined) return Promise.resolve(undefined);
    return api<AtAnswer>(`/api/at${query({ ...point, limit: shown })}`);
  }, [point?.seq, point?.time]);
  const r = range.data;
  const min = r ? Math.max(0, (r.firstSeq ?? r.lastSeq) - 1) : 0;
  const data = at.data;
  return html`<section class="time">
    <${ErrorBox} error=${range.error} />
    ${r &&
    html`<form class="toolbar" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>seq <input type="range" class="slider" min=${min} max=${r.lastSeq}
        value=${draft ?? min}
        onInput=${(e: Event) => setDraft(Number((e.target as HTMLInputElement).value))} /></label>
      <input type="number" class="seq" min=${min} max=${r.lastSeq} value=${draft ?? ""}
        onChange=${(e: Event) => {
          const seq = Number((e.target as HTMLInputElement).value);
          setDraft(seq);
          setPoint({ seq });
        }} />
      <span class="muted">of ${min}…${r.lastSeq}</span>
      <label>or time <input type="datetime-local" step="1" class="at-time"
        onChange=${(e: Event) => {
          const value = (e.target as HTMLInputElement).value;
          if (value !== "") setPoint({ time: new Date(value).toISOString() });
        }} /></label>
    </form>`}
    <${ErrorBox} error=${at.error} />
    ${data &&
    html`<div class="at">
      <p class="point">The store at <b>seq ${data.point.seq}</b>
        ${data.point.ts ? ` (${data.point.ts})` : ""}:${" "}
        <span class="at-total">${data.total.toLocaleString("en")} records</span>
        ${data.total > shown ? `, the first ${shown} shown` : ""}.</p>
      <div class="panes">
        <table class="at-items"><thead><tr><th>id</th><th>value then</th></tr></thead><tbody>
          ${data.items.map((item) => html`<tr><td><${RecordLink} id=${item.id} /></td>
            <td class="cell-value">${preview(item.value)}</td></tr>`)}
        </tbody></table>
        <div class="since">
          <h3>Changed between then and now
            ${data.changes.truncated ? " (first 1,000 of each)" : ""}</h3>
          ${(["added", "removed", "changed"] as const).map(
            (kind) => html`<${IdList} title=${kind} ids=${data.changes[kind]}
              truncated=${data.changes.truncated} />`,
          )}
        </div>
      </div>
    </div>`}
  </section>`;
}
