/**
 * `opslog ui` as a real process over real HTTP: start it, read its URL line, send requests
 * (node:http, so that tests can set any Host header or raw path), read its event stream.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import path from "node:path";
import { binary, newestSourceMs, root } from "../cli/helpers.js";

export { binary, root };

/** Fails loudly rather than test a stale build (`npx tsc -p tsconfig.build.json`). */
export function requireBuiltUi(): void {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build first`);
  const sources = Math.max(newestSourceMs(path.join(root, "src/cli")), newestSourceMs(path.join(root, "src/ui/server")));
  if (sources > statSync(binary).mtimeMs && sources > statSync(path.join(root, "dist/ui/server/http-server.js")).mtimeMs) {
    throw new Error("dist/ is older than src/cli or src/ui/server: build first");
  }
}

export interface UiProcess {
  child: ChildProcess;
  url: string;
  port: number;
  token: string;
  stderr(): string;
  /** SIGTERM, then the exit code (or signal) once the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Starts `opslog ui <location> --port 0 --json …` and waits for its URL line. */
export function startUi(location: string, args: string[] = [], timeoutMs = 30_000): Promise<UiProcess> {
  const child = spawn(process.execPath, [binary, "ui", location, "--port", "0", "--json", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    void exited.then((end) => reject(new Error(`opslog ui exited (${end.code}) before its URL: ${stderr}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      const line = JSON.parse(stdout.slice(0, newline)) as { url: string; port: number; token: string };
      resolve({
        child,
        ...line,
        stderr: () => stderr,
        stop: (signal = "SIGTERM") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** Kills (by pid) any ui process a failed test left running. */
export function killLeftovers(): void {
  for (const child of running) child.kill("SIGKILL");
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Sent as is instead of JSON. */
  rawBody?: string;
  /** Leave the token out. */
  noToken?: boolean;
}

/** One request to the ui; `path` is sent as is (already encoded). */
export function call(ui: Pick<UiProcess, "port" | "token">, path: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (!options.noToken && headers["x-opslog-token"] === undefined) headers["x-opslog-token"] = ui.token;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  // Node sends a DELETE's body unframed unless its length is given.
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: ui.port, path, method: options.method ?? "GET", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

export interface SseEvent {
  event: string;
  id?: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Reads /api/events (token in the query, as EventSource sends it) until closed. */
export function events(ui: Pick<UiProcess, "port" | "token">, query = "") {
  const received: SseEvent[] = [];
  let buffer = "";
  let ended = false;
  const req = httpRequest({ host: "127.0.0.1", port: ui.port, path: `/api/events?token=${ui.token}${query}` });
  const opened = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: "message", data: undefined };
          for (const line of block.split("\n")) {
            const colon = line.indexOf(": ");
            if (colon < 0) continue;
            const [name, value] = [line.slice(0, colon), line.slice(colon + 2)];
            if (name === "event") event.event = value;
            if (name === "id") event.id = value;
            if (name === "data") event.data = JSON.parse(value);
          }
          received.push(event);
        }
      });
      res.on("end", () => (ended = true));
      res.on("close", () => (ended = true));
      resolve(res.statusCode ?? 0);
    });
    req.on("error", (error) => (ended ? undefined : reject(error)));
  });
  req.end();
  return { received, opened, ended: () => ended, close: () => req.destroy() };
}

/** Polls `check` until it is true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
