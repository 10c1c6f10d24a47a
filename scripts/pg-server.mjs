// A throwaway PostgreSQL server for tests and benchmarks: Debian's PostgreSQL (15 on our
// images; OPSLOG_PG_BIN overrides the bin directory), a private cluster in a temporary
// directory, on a free port of 127.0.0.1, fsync on. As root the server runs as user
// `postgres` (PostgreSQL refuses to run as root). ../shared/MEASUREMENTS.md has the recipe.
//
//   const server = await startPgServer();   // { url, port, dir, stop, crash, restart }
//   node scripts/pg-server.mjs              // prints a URL and runs until Ctrl-C
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The bin directory of the newest PostgreSQL installed under /usr/lib/postgresql. */
export function pgBinDir() {
  if (process.env.OPSLOG_PG_BIN) return process.env.OPSLOG_PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  if (versions.length === 0) {
    throw new Error("PostgreSQL is not installed: apt-get install postgresql (or set OPSLOG_PG_BIN)");
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0], "bin");
}

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

function run(bin, args) {
  const command = asRoot ? "runuser" : bin;
  const argv = asRoot ? ["-u", "postgres", "--", bin, ...args] : args;
  const result = spawnSync(command, argv, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${bin} ${args.join(" ")} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/**
 * Starts a server; `options.port` to choose one, `options.maxConnections` (default 200).
 * Returns its URL (database "postgres", user "postgres", trust authentication on 127.0.0.1)
 * and functions to stop it for good, crash it (`pg_ctl stop -m immediate`: what a power cut
 * does to the server process) and start it again.
 */
export async function startPgServer(options = {}) {
  const bin = pgBinDir();
  const dir = mkdtempSync(join(tmpdir(), "opslog-pg-"));
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const data = join(dir, "data");
  run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"]);
  const port = options.port ?? (await freePort());
  const maxConnections = options.maxConnections ?? 200;
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=${maxConnections} -c fsync=on`;
  const start = () => run(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "log"), "-w", "-o", settings, "start"]);
  const stopWith = (mode) => run(join(bin, "pg_ctl"), ["-D", data, "-m", mode, "-w", "stop"]);
  start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    /** Crashes the server: in-flight transactions are lost, committed ones survive. */
    crash() {
      if (running) stopWith("immediate");
      running = false;
    },
    restart() {
      if (!running) start();
      running = true;
    },
    stop() {
      try {
        if (running) stopWith("fast");
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startPgServer();
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    server.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  setInterval(() => undefined, 1 << 30);
}
