/**
 * The page of `opslog ui` (docs/UI.md, "Views"): a header with the store, the views' tabs and,
 * with --write, undo and redo; the view the hash names: #/records, #/record/<id>, #/time,
 * #/activity, #/health.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ActivityView } from "./activity.js";
import { api, onLiveState, onOp, token, type Info, type LiveState } from "./api.js";
import { HealthView } from "./health.js";
import { RecordView } from "./record.js";
import { RecordsView } from "./records.js";
import { TimeView } from "./time.js";
import { ErrorBox, html, useLoad } from "./ui.js";

const tabs = [
  ["records", "Records"],
  ["time", "Time travel"],
  ["activity", "Activity"],
  ["health", "Health"],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function route(hash: string): { view: string; id?: string } {
  const path = hash.replace(/^#\/?/, "");
  if (path.startsWith("record/")) {
    let id: string;
    try {
      id = decodeURIComponent(path.slice("record/".length));
    } catch {
      id = path.slice("record/".length);
    }
    return { view: "record", id };
  }
  return { view: path === "" ? "records" : path };
}

function WriteButtons({ changed }: { changed: () => void }) {
  const [error, setError] = useState<unknown>(undefined);
  const [said, setSaid] = useState("");
  const act = async (what: "undo" | "redo") => {
    const question = what === "undo" ? "Undo the last operation?" : "Redo the last undo?";
    if (!window.confirm(question)) return;
    try {
      const body = { confirm: true };
      const answer = await api<{ done: boolean }>(`/api/${what}`, { method: "POST", body });
      setError(undefined);
      setSaid(answer.done ? `${what} done` : `nothing to ${what}`);
      changed();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<span class="write">
    <button class="undo" onClick=${() => act("undo")}>Undo</button>
    <button class="redo" onClick=${() => act("redo")}>Redo</button>
    <span class="said">${said}</span><${ErrorBox} error=${error} />
  </span>`;
}

interface ViewProps {
  hash: string;
  info: Info | undefined;
  generation: number;
}

function View({ hash, info, generation }: ViewProps) {
  const { view, id } = route(hash);
  if (view === "records") return html`<${RecordsView} />`;
  if (view === "record" && id !== undefined) {
    // A write from the header (undo, redo) gives the record view a new key: it loads again.
    return html`<${RecordView} key=${`${id}@${generation}`} id=${id} info=${info} />`;
  }
  if (view === "time") return html`<${TimeView} />`;
  if (view === "activity") return html`<${ActivityView} />`;
  if (view === "health") return html`<${HealthView} />`;
  return html`<div class="error" role="alert">
    <b>not_found</b>: no view ${JSON.stringify(hash)}</div>`;
}

function App() {
  const hash = useHash();
  const info = useLoad(() => api<Info>("/api/info"), []);
  const [seq, setSeq] = useState<number | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const [live, setLive] = useState<LiveState>("connecting");
  useEffect(() => onOp((op) => setSeq(op.seq)), []);
  useEffect(() => onLiveState(setLive), []);
  const current = route(hash).view;
  const data = info.data;
  return html`<header>
      <h1>opslog ui</h1>
      ${data &&
      html`<span class="target"><code>${data.target}</code> · ${data.backend} ·
        seq <b class="seq-now">${seq ?? data.seq}</b> ·${" "}
        ${data.write ? "read-write" : "read-only"} ·${" "}
        <span class=${`live ${live}`} title="the change feed (server-sent events)">
          ${live}</span></span>`}
      <nav>${tabs.map(
        ([name, label]) =>
          html`<a href=${`#/${name}`} class=${current === name ? "tab active" : "tab"}>
            ${label}</a>`,
      )}</nav>
      ${data?.write && html`<${WriteButtons} changed=${() => setGeneration((g) => g + 1)} />`}
    </header>
    <main>
      ${token === "" &&
      html`<div class="error" role="alert">
        <b>unauthorized</b>: the URL has no ?token=; use the URL opslog ui printed</div>`}
      <${ErrorBox} error=${info.error} />
      <${View} hash=${hash} info=${data} generation=${generation} />
    </main>`;
}

const root = document.getElementById("app");
if (root !== null) {
  root.textContent = "";
  render(html`<${App} />`, root);
}
