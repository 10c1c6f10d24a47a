/**
 * The Records view: a virtualised table. The scroller has a fixed row height and a spacer as
 * tall as every row, but only the rows in sight (plus a margin) are in the DOM, and rows are
 * fetched by pages of pageSize as they come into sight, so 1,000,000 rows scroll like 100.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, onOp, query, type Page } from "./api.js";
import { ErrorBox, go, html, preview } from "./ui.js";

export const rowHeight = 28;
const pageSize = 200;
const overscan = 10;

interface Query {
  id: string;
  filter: string;
}

function pagePath(q: Query, page: number): string {
  const where = q.filter.trim().startsWith("{") ? q.filter.trim() : undefined;
  const filter = where === undefined ? q.filter.trim() : undefined;
  const params = { offset: page * pageSize, limit: pageSize, id: q.id, where, filter };
  return `/api/records${query(params)}`;
}

/**
 * Pages of rows for one query. A new query starts a new cache; a store change (generation)
 * keeps the rows shown but refetches each page once it is in sight, so that a writer's
 * progress never blanks the table.
 */
function useRows(q: Query, generation: number) {
  const pages = useRef(new Map<number, { generation: number; items: Page["items"] }>());
  const pending = useRef(new Map<number, number>());
  const [total, setTotal] = useState<number | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [, setVersion] = useState(0);
  const key = useRef("");
  const nowKey = `${q.id}\n${q.filter}`;
  if (key.current !== nowKey) {
    key.current = nowKey;
    pages.current = new Map();
    pending.current = new Map();
  }
  const need = (first: number, last: number) => {
    for (let page = Math.floor(first / pageSize); page <= Math.floor(last / pageSize); page++) {
      if (pages.current.get(page)?.generation === generation) continue;
      if (pending.current.get(page) === generation) continue;
      pending.current.set(page, generation);
      const asked = key.current;
      api<Page>(pagePath(q, page)).then(
        (answer) => {
          if (asked !== key.current) return;
          // An older answer arriving late must not replace a newer one.
          if ((pages.current.get(page)?.generation ?? -1) > generation) return;
          pages.current.set(page, { generation, items: answer.items });
          setTotal(answer.total);
          setError(undefined);
          setVersion((v) => v + 1);
        },
        (failure: unknown) => {
          if (asked !== key.current) return;
          // The page stays marked as asked for: it is asked again when the store changes or the
          // query does, not on every render (which the error's own render would start).
          setError(failure);
          setTotal(0);
        },
      );
    }
  };
  const row = (index: number) =>
    pages.current.get(Math.floor(index / pageSize))?.items[index % pageSize];
  return { total, error, need, row };
}

/**
 * Browsers cap an element's height (Chromium near 33.5 million px, Firefox near 17.9 million),
 * and 1,000,000 rows of 28 px is 28 million. Past spacerMax the spacer stays spacerMax tall and
 * the scroll position maps to a row proportionally; below it, row i is simply at i * rowHeight.
 */
export const spacerMax = 15_000_000;

export function layout(total: number, view: { top: number; height: number }) {
  const full = total * rowHeight;
  if (full <= spacerMax) return { height: full, topRow: view.top / rowHeight };
  const range = Math.max(1, spacerMax - view.height);
  const rows = Math.max(0, total - view.height / rowHeight);
  return { height: spacerMax, topRow: (Math.min(view.top, range) / range) * rows };
}

export function RecordsView() {
  const [q, setQ] = useState<Query>({ id: "", filter: "" });
  const [draft, setDraft] = useState<Query>(q);
  const [generation, setGeneration] = useState(0);
  const rows = useRows(q, generation);
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });

  useEffect(() => {
    // A writer moved the store: refetch what is in sight, at most twice a second.
    let timer: number | undefined;
    const off = onOp(() => {
      timer ??= window.setTimeout(() => {
        timer = undefined;
        setGeneration((g) => g + 1);
      }, 500);
    });
    return () => {
      off();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  useEffect(() => {
    const element = scroller.current;
    if (element) setView({ top: element.scrollTop, height: element.clientHeight });
  }, []);

  const total = rows.total ?? 0;
  const { height, topRow } = layout(total, view);
  const first = Math.max(0, Math.floor(topRow) - overscan);
  const inSight = Math.ceil(topRow + view.height / rowHeight);
  const last = Math.min(Math.max(total, 1) - 1, inSight + overscan);
  // Every render: need() asks only for pages neither held nor on their way.
  useEffect(() => rows.need(first, last));

  const visible = [];
  for (let index = first; index <= last && index < total; index++) {
    const item = rows.row(index);
    const top = view.top + (index - topRow) * rowHeight;
    visible.push(html`<div class="row" key=${index} style=${`top:${top}px`}
        data-index=${index} onClick=${() => item && go(`#/record/${encodeURIComponent(item.id)}`)}>
      <span class="cell-n">${index + 1}</span>
      <span class="cell-id">${item ? item.id : "…"}</span>
      <span class="cell-value">${item ? preview(item.value) : ""}</span>
    </div>`);
  }
  const submit = (event: Event) => {
    event.preventDefault();
    if (scroller.current) scroller.current.scrollTop = 0;
    setView((v) => ({ ...v, top: 0 }));
    setQ({ ...draft });
  };
  return html`<section class="records">
    <form class="toolbar" onSubmit=${submit}>
      <input name="id" placeholder="search id (substring)" value=${draft.id}
        onInput=${(e: Event) => setDraft({ ...draft, id: (e.target as HTMLInputElement).value })} />
      <input name="filter" class="wide" placeholder='filter: field=value or {"find": "filter"}'
        value=${draft.filter}
        onInput=${(e: Event) =>
          setDraft({ ...draft, filter: (e.target as HTMLInputElement).value })} />
      <button type="submit">Search</button>
      <span class="count" data-total=${rows.total ?? ""}>
        ${rows.total === undefined
          ? "loading…"
          : `${rows.total.toLocaleString("en")} records`}</span>
    </form>
    <${ErrorBox} error=${rows.error} />
    <div class="table-head"><span class="cell-n">#</span><span class="cell-id">id</span>
      <span class="cell-value">value</span></div>
    <div class="scroller" ref=${scroller}
      onScroll=${(e: Event) => {
        const element = e.currentTarget as HTMLDivElement;
        setView({ top: element.scrollTop, height: element.clientHeight });
      }}>
      <div class="spacer" style=${`height:${height}px`}>${visible}</div>
    </div>
  </section>`;
}
