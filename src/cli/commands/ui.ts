/**
 * `opslog ui <dir|postgres-url>`: serves the store's viewer on 127.0.0.1 (docs/UI.md) until
 * SIGINT or SIGTERM, then closes the server and the store: nothing outlives the command.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { IdLists } from "../../ui/server/id-lists.js";
import { startUiServer, type UiServer } from "../../ui/server/http-server.js";
import type { UiContext } from "../../ui/server/router.js";
import { routes } from "../../ui/server/routes.js";
import type { Command } from "../command.js";
import { OpslogError, Store, type AnyStore, type IndexDeclarations } from "../engine.js";
import { CliError, exitCodes, usageError } from "../errors.js";
import { isServerLocation, requireStoreDirectory, shownLocation } from "../open-store.js";
import { parseIndexes } from "../query.js";

function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw usageError(`--port must be a port number (0 to 65535, 0: a free one); got ${JSON.stringify(text)}`);
  }
  return port;
}

/** Read-only follower unless --write; a bad --index path is the usage error it is. */
async function openStore(location: string, write: boolean, indexes: IndexDeclarations | undefined) {
  await requireStoreDirectory(location);
  const store: AnyStore = new Store();
  const declared = indexes === undefined ? {} : { indexes };
  try {
    await store.open(location, write ? declared : { readOnly: true, follow: true, ...declared });
  } catch (error) {
    const badIndex = error instanceof OpslogError && error.code === "OPSLOG_INVALID_ARGUMENT";
    if (badIndex && indexes !== undefined) throw usageError(`--index: ${error.message}`);
    throw error;
  }
  return store;
}

/** Starts the system's browser on `url`; a failure is reported, never fatal. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  const report = (why: string) => process.stderr.write(`opslog ui: could not open a browser (${why}); open ${url}\n`);
  try {
    const child = spawn(command, args as string[], { detached: true, stdio: "ignore" });
    child.on("error", (error) => report(error.message));
    child.unref();
  } catch (error) {
    report((error as Error).message);
  }
}

/** The server started; a port in use (or not ours to take) is a clear error, exit 1. */
async function listening(port: number, options: Omit<Parameters<typeof startUiServer>[0], "port">) {
  try {
    return await startUiServer({ port, ...options });
  } catch (error) {
    const why = (error as Error).message;
    throw new CliError("OPSLOG_IO", `cannot listen on 127.0.0.1:${port}: ${why}`, exitCodes.failed);
  }
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export const uiCommand: Command = {
  name: "ui",
  summary: "serve a page to browse the store: records, timelines, time travel, activity, health",
  usage: [
    "ui <dir> [--port n] [--open] [--write] [--index path]... [--json]",
    "ui 'postgres://user@host/db?store=name' [--port n] [--open] [--write] [--json]",
  ],
  details: [
    "Serves on 127.0.0.1 only, on a free port unless --port, and prints the URL with a " +
      "random token (other local users cannot read the store without it); with --json one " +
      'line {"url", "port", "token"}. Runs until Ctrl-C (SIGINT) or SIGTERM. Read-only by ' +
      "default: the store is opened as a reader that follows a writer in another process. " +
      "--write opens it as the writer (exit 4 while another process writes) and enables " +
      "undo, redo and editing, each confirmed on the page. See docs/UI.md.",
  ],
  options: {
    port: { type: "string", value: "n", description: "listen on this port (default: a free one)" },
    open: { type: "boolean", description: "open the page in the system browser" },
    write: { type: "boolean", description: "allow undo, redo, editing and deleting records" },
    index: {
      type: "string",
      multiple: true,
      value: "path",
      description: "declare an index on this path for this run (faster filters)",
    },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, options, out }) {
    const location = positionals[0] as string;
    const port = parsePort(options.string("port"));
    const write = options.flag("write");
    const indexPaths = options.strings("index");
    const store = await openStore(location, write, parseIndexes(indexPaths));
    // From here on a signal closes the store (and releases the lock), even during the start.
    const stopped = stopSignal();
    let server: UiServer | undefined;
    try {
      const idLists = new IdLists(store);
      // The Records view opens first: its list is ready before the URL is printed.
      idLists.ids({});
      server = await listening(port, {
        routes,
        context: (closing): UiContext => ({
          store,
          location,
          shown: shownLocation(location),
          backend: isServerLocation(location) ? "postgres" : "directory",
          readOnly: !write,
          write,
          indexes: indexPaths,
          version: packageVersion(),
          idLists,
          closing,
        }),
      });
      const { url, token } = server;
      if (out.json) await out.line(JSON.stringify({ url, port: server.port, token }));
      else await out.line(`opslog ui: ${url}`);
      if (options.flag("open")) openBrowser(url);
      await stopped;
    } finally {
      await server?.close();
      await store.close();
    }
    return exitCodes.ok;
  },
};
