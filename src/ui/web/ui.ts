/** Shared pieces of the page: the html tag, an error box, a readable JSON view, a data hook. */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import htm from "htm";
import { ApiError } from "./api.js";

export const html = htm.bind(h);

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const code = error instanceof ApiError ? error.code : "error";
  const status = error instanceof ApiError && error.status > 0 ? ` (HTTP ${error.status})` : "";
  const message = (error as Error).message;
  return html`<div class="error" role="alert"><b>${code}${status}</b>: ${message}</div>`;
}

const plainTextFrom = 1_000_000;

/** JSON text with its keys, strings and numbers told apart by colour; indented, wrapped. */
export function JsonView({ value }: { value: unknown }) {
  const text = JSON.stringify(value, null, 2) ?? "undefined";
  // Past this the colouring costs more than it shows, and a string of millions of characters
  // overflows the regular expression's stack: plain text then.
  if (text.length > plainTextFrom) return html`<pre class="json">${text}</pre>`;
  const parts: unknown[] = [];
  // A string (a key when a colon follows), a literal, or a number.
  const string = /("(?:[^"\\]|\\.)*")(\s*:)?/.source;
  const literal = /\b(true|false|null)\b/.source;
  const number = /(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.source;
  const token = new RegExp(`${string}|${literal}|${number}`, "g");
  let last = 0;
  for (let match = token.exec(text); match !== null; match = token.exec(text)) {
    parts.push(text.slice(last, match.index));
    const word = match[3] !== undefined ? "lit" : "num";
    const kind = match[1] !== undefined ? (match[2] !== undefined ? "key" : "str") : word;
    parts.push(html`<span class=${`j-${kind}`}>${match[1] ?? match[0]}</span>`);
    if (match[2] !== undefined) parts.push(match[2]);
    last = token.lastIndex;
  }
  parts.push(text.slice(last));
  return html`<pre class="json">${parts}</pre>`;
}

/** A short one-line preview of a value for tables. */
export function preview(value: unknown, max = 160): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` whenever `deps` change; the newest answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setState((old) => ({ ...old, loading: true }));
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export const go = (hash: string) => {
  location.hash = hash;
};
