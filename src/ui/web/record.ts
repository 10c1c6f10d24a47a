/**
 * A record: its value as readable JSON and its timeline: every operation on it, oldest first,
 * with its time, meta (actor, reason...), undo/redo marks and the field-level diff against the
 * value before it. With --write: edit and delete, each confirmed first.
 */
import { useState } from "preact/hooks";
import { api, recordPath, type Diff, type Info, type Op } from "./api.js";
import { ErrorBox, go, html, JsonView, preview, useLoad } from "./ui.js";

interface RecordAnswer {
  id: string;
  value: unknown;
  version: number;
}

function DiffTable({ diff }: { diff: Diff[] }) {
  if (diff.length === 0) return html`<p class="muted">no field changed</p>`;
  return html`<table class="diff"><tbody>
    ${diff.map(
      (d) => html`<tr class=${`d-${d.kind}`}>
        <td class="d-path">${d.path === "" ? "(whole value)" : d.path}</td>
        <td class="d-kind">${d.kind}</td>
        <td class="d-before">${"before" in d ? preview(d.before, 120) : ""}</td>
        <td class="d-after">${"after" in d ? preview(d.after, 120) : ""}</td>
      </tr>`,
    )}
  </tbody></table>`;
}

type OpWithDiff = Op & { diff: Diff[] };

function OpEntry({ op }: { op: OpWithDiff }) {
  const marks = [];
  if (op.undo !== undefined) marks.push(html`<span class="mark undo">undo of #${op.undo}</span>`);
  if (op.redo !== undefined) marks.push(html`<span class="mark redo">redo of #${op.redo}</span>`);
  if (op.batch !== undefined) marks.push(html`<span class="mark batch">batch #${op.batch}</span>`);
  if (op.archive !== undefined) marks.push(html`<span class="mark">archived: ${op.archive}</span>`);
  const meta = op.meta ? Object.entries(op.meta) : [];
  return html`<li class="op" data-seq=${op.seq}>
    <div class="op-head">
      <span class="seq">#${op.seq}</span> <span class=${`kind k-${op.op}`}>${op.op}</span>
      <time>${op.ts}</time> ${marks}
    </div>
    ${meta.length > 0 &&
    html`<div class="meta">
      ${meta.map(([k, v]) => html`<span><b>${k}</b>: ${preview(v, 80)}</span> `)}</div>`}
    <${DiffTable} diff=${op.diff} />
  </li>`;
}

function Editor({ id, value, done }: { id: string; value: unknown; done: () => void }) {
  const [text, setText] = useState(JSON.stringify(value, null, 2));
  const [error, setError] = useState<unknown>(undefined);
  const save = async () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (failure) {
      setError(failure);
      return;
    }
    if (!window.confirm(`Write record ${JSON.stringify(id)}?`)) return;
    try {
      await api(recordPath(id), { method: "PUT", body: { confirm: true, value: parsed } });
      done();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<div class="editor">
    <textarea rows="12"
      onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}>${text}</textarea>
    <div><button class="save" onClick=${save}>Save</button></div>
    <${ErrorBox} error=${error} />
  </div>`;
}

export function RecordView({ id, info }: { id: string; info: Info | undefined }) {
  const record = useLoad(() => api<RecordAnswer>(recordPath(id)), [id]);
  const history = useLoad(() => api<{ ops: OpWithDiff[] }>(`${recordPath(id)}/history`), [id]);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const reload = () => {
    setEditing(false);
    record.reload();
    history.reload();
  };
  const remove = async () => {
    if (!window.confirm(`Delete record ${JSON.stringify(id)}?`)) return;
    try {
      await api(recordPath(id), { method: "DELETE", body: { confirm: true } });
      reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const ops = history.data?.ops ?? [];
  return html`<section class="record">
    <h2><a href="#/records">Records</a> / <code class="record-id">${id}</code></h2>
    <${ErrorBox} error=${record.error ?? error} />
    ${record.data &&
    html`<div class="value">
      <div class="value-head">version ${record.data.version}
        ${info?.write &&
        html` <button class="edit" onClick=${() => setEditing(!editing)}>Edit</button>
          <button class="delete" onClick=${remove}>Delete</button>`}
      </div>
      ${editing
        ? html`<${Editor} id=${id} value=${record.data.value} done=${reload} />`
        : html`<${JsonView} value=${record.data.value} />`}
    </div>`}
    <h3>Timeline</h3>
    <${ErrorBox} error=${history.error} />
    ${history.data &&
    ops.length === 0 &&
    html`<p class="muted">no operation on this id in the retained history</p>`}
    <ol class="timeline">${ops.map((op) => html`<${OpEntry} key=${op.seq} op=${op} />`)}</ol>
    <p><button class="link" onClick=${() => go("#/records")}>back to the records</button></p>
  </section>`;
}
