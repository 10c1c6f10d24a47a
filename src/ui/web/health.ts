/** Health: the verify result, the store's files and sizes, the lock holder, the history kept. */
import { useRef } from "preact/hooks";
import { api } from "./api.js";
import { ErrorBox, formatBytes, html, useLoad } from "./ui.js";

interface Health {
  verify: {
    ok: boolean;
    problems: { file: string; offset: number; message: string }[];
    checkedAt: string;
    note?: string;
  };
  files: { name: string; bytes: number }[];
  totalBytes?: number;
  lock: { pid: number; hostname: string; startedAt: string } | null;
  history: { firstSeq: number | null; lastSeq: number; ops: number; bytes?: number };
  records: { active: number; archived: number };
}

export function HealthView() {
  // "Check again" reads every file now (?check=1); the first load may use the server's last check.
  const again = useRef(false);
  const health = useLoad(() => api<Health>(again.current ? "/api/health?check=1" : "/api/health"), []);
  const data = health.data;
  return html`<section class="health">
    <div class="toolbar"><button onClick=${() => {
      again.current = true;
      health.reload();
    }}>Check again</button></div>
    <${ErrorBox} error=${health.error} />
    ${data &&
    html`<div class="cards">
      <div class=${`card verify ${data.verify.ok ? "ok" : "bad"}`}>
        <h3>Verify</h3>
        <p class="verdict">${data.verify.ok
          ? "OK: every checksum matches"
          : `${data.verify.problems.length} problem(s)`}</p>
        ${data.verify.note && html`<p class="muted">${data.verify.note}</p>`}
        <ul>${data.verify.problems.map(
          (p) => html`<li><code>${p.file}</code> at offset ${p.offset}: ${p.message}</li>`,
        )}</ul>
        <p class="muted">checked at ${data.verify.checkedAt}</p>
      </div>
      <div class="card lock">
        <h3>Lock</h3>
        ${data.lock
          ? html`<p>held by pid <b>${data.lock.pid}</b> on ${data.lock.hostname},
              since ${data.lock.startedAt}</p>`
          : html`<p>no writer holds the lock</p>`}
      </div>
      <div class="card history">
        <h3>History retained</h3>
        <p>${data.history.ops.toLocaleString("en")} operations,
          seq ${data.history.firstSeq ?? "–"} to ${data.history.lastSeq}
          ${data.history.bytes !== undefined ? `, ${formatBytes(data.history.bytes)}` : ""}</p>
        <p>${data.records.active.toLocaleString("en")} active records,${" "}
          ${data.records.archived.toLocaleString("en")} archived</p>
      </div>
      <div class="card files">
        <h3>Files${data.totalBytes !== undefined ? ` (${formatBytes(data.totalBytes)})` : ""}</h3>
        ${data.files.length === 0 && html`<p class="muted">no files (not a directory store)</p>`}
        <table><tbody>${data.files.map(
          (f) => html`<tr><td><code>${f.name}</code></td>
            <td class="num">${formatBytes(f.bytes)}</td></tr>`,
        )}</tbody></table>
      </div>
    </div>`}
  </section>`;
}
