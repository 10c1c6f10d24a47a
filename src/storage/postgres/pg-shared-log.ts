import type * as Pg from "pg";
import { ConflictError, IoError, VersionError } from "../../errors.js";
import { assert } from "../../util/assert.js";
import type { StoredState } from "../port.js";
import type {
  FetchedOps,
  SharedCommit,
  SharedLog,
  SharedOutcome,
  Stale,
  UnitOutcome,
} from "../shared-port.js";
import { commitParams, decodeOpRows } from "./pg-codec.js";
import {
  backoffFirstMs,
  describe,
  isRetryable,
  nextBackoff,
  pgIoError,
  queryValue,
  schemaMismatchCode,
  sleep,
} from "./pg-client.js";
import type { PgListener } from "./pg-listener.js";
import { ident } from "./pg-sql.js";

/** What the shared log needs of its storage: the pool, the store, and where to report. */
export interface SharedLogContext {
  readonly schema: string;
  readonly location: string;
  readonly commitTimeoutMs: number;
  /** The open session's connections (asserts that the storage is open). */
  live(verb: string): { pool: Pg.Pool; storeId: number; channel: string; listener: PgListener };
  /** The highest head a commit or fetch of this session learned. */
  knownHead(): number;
  /** Called with the head and oldest retained seq whenever a commit or fetch learns them. */
  learned(head: number, oldest: number | undefined): void;
  /** Keeps track of background work (NOTIFY) that close() waits for. */
  track(work: Promise<unknown>): void;
  /** The store at its head, read as open() reads it (SharedLog.reload). */
  reload(): Promise<StoredState>;
}

interface RawStale {
  id: string;
  version: number;
  value?: unknown;
}

interface RawOutcome {
  head: number;
  units: ({ seq: number; overwritten: RawStale[] } | { conflict: RawStale })[];
  ops?: unknown[];
}

/** SharedLog (storage/shared-port.ts) on PostgreSQL: one function call per commit. */
export class PgSharedLog implements SharedLog {
  /** onCommit() itself wakes every PostgresOptions.pollMs besides NOTIFY (pg-listener.ts). */
  readonly pollMs = 0;
  private notifying = false;
  private notifyAgain = false;
  private notifyHead = 0;

  constructor(private readonly context: SharedLogContext) {}

  /** A writer that fell behind retention starts over from the state at the head. */
  reload(): Promise<StoredState> {
    return this.context.reload();
  }

  async commit(request: SharedCommit): Promise<SharedOutcome> {
    assert(request.units.length > 0, "a shared commit holds at least one unit");
    const { schema } = this.context;
    const { pool, storeId } = this.context.live("shared.commit");
    const text =
      `select ${ident(schema)}.opslog_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ` +
      `$12, $13, $14, $15, $16)`;
    const values = [storeId, ...commitParams(request)];
    const json = await this.callUntilKnown(pool, request.id, text, values);
    const outcome = decodeOutcome(json, request.schemaVersion);
    assert(outcome.units.length === request.units.length, "one outcome per unit");
    this.context.learned(outcome.head, undefined);
    this.notify(pool, outcome.head);
    return outcome;
  }

  async fetch(afterSeq: number, limit: number): Promise<FetchedOps> {
    assert(Number.isInteger(afterSeq) && afterSeq >= 0, "fetch() after a whole seq");
    const { schema, location } = this.context;
    const { pool, storeId } = this.context.live("shared.fetch");
    let json;
    try {
      const text = `select ${ident(schema)}.opslog_fetch($1, $2, $3)`;
      json = await queryValue(pool, text, [storeId, afterSeq, Math.max(1, limit)], true);
    } catch (error) {
      throw pgIoError(location, "reading the log", error);
    }
    assert(typeof json === "string", "opslog_fetch returns text");
    const parsed = JSON.parse(json) as { head: number; oldest: number; schema: number; ops: [] };
    const ops = decodeOpRows(parsed.ops);
    if (ops.length > 0 && ops[0]!.seq !== afterSeq + 1) {
      throw new ConflictError(
        `${location}: the operations after seq ${afterSeq} were pruned by retention ` +
          `(the oldest retained is ${parsed.oldest}): reopen the store`,
      );
    }
    this.context.learned(parsed.head, parsed.oldest);
    return { ops, schemaVersion: parsed.schema };
  }

  /**
   * Wakes the engine for others' commits. A notification naming a head this process already
   * learned (its own commit's, or one whose operations came with an outcome or a fetch) is
   * dropped: waking for it would only cost a fetch that finds nothing, competing with the next
   * commit. Polls and reconnections always wake.
   */
  onCommit(wake: () => void): () => void {
    return this.context.live("shared.onCommit").listener.subscribe((head) => {
      if (head === undefined || head > this.context.knownHead()) wake();
    });
  }

  /**
   * Calls the commit function until its outcome is known. A broken connection leaves the
   * outcome unknown: the call is repeated with the same commit id, which waits on the store row
   * for any old transaction still running and then finds its recorded outcome or commits anew.
   * Past the deadline it rejects with OPSLOG_IO saying so, never guessing.
   */
  private async callUntilKnown(
    pool: Pg.Pool,
    id: string,
    text: string,
    values: unknown[],
  ): Promise<string> {
    const { location, commitTimeoutMs } = this.context;
    const deadline = Date.now() + commitTimeoutMs;
    let pause = backoffFirstMs;
    let attempts = 0;
    let lastError: unknown;
    for (;;) {
      attempts++;
      try {
        const json = await beforeDeadline(queryValue(pool, text, values, true), deadline);
        assert(typeof json === "string", "opslog_commit returns text");
        return json;
      } catch (error) {
        if ((error as { code?: unknown }).code === schemaMismatchCode) {
          throw new VersionError(`${location}: ${(error as Error).message.replace(/^opslog: /, "")}`);
        }
        if (error !== timedOut && !isRetryable(error)) {
          if (attempts === 1) throw pgIoError(location, "committing", error);
          lastError = error; // an earlier attempt may have committed: still unknown
        } else if (error !== timedOut) {
          lastError = error;
        }
        if (error === timedOut || Date.now() >= deadline || !isRetryable(error)) {
          throw new IoError(
            `${location}: the outcome of commit ${id} is unknown: no answer from the server ` +
              `within ${commitTimeoutMs} ms (${attempts} attempts; last: ` +
              `${lastError === undefined ? "no answer" : describe(lastError)}). It may have ` +
              `committed: the store learns it from the log.`,
            lastError,
          );
        }
        // The last pause ends at the deadline: that attempt still counts (then OPSLOG_IO).
        await sleep(Math.min(pause, deadline - Date.now()));
        pause = nextBackoff(pause);
      }
    }
  }

  /**
   * A wake-up for the other writers naming the new head, after the commit and outside it,
   * coalesced: while one is on its way, later ones become one, with the latest head.
   */
  private notify(pool: Pg.Pool, head: number): void {
    this.notifyHead = Math.max(this.notifyHead, head);
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    const { channel } = this.context.live("shared.commit");
    const sent = pool
      .query("select pg_notify($1, $2)", [channel, String(this.notifyHead)])
      .then(
        () => undefined,
        () => undefined, // a hint: the others poll anyway
      )
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notify(pool, this.notifyHead);
        }
      });
    this.context.track(sent);
  }
}

const timedOut = new Error("the commit deadline passed");

function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut), Math.max(0, deadline - Date.now()));
  });
  work.catch(() => undefined); // an attempt abandoned at the deadline must not go unhandled
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function stale(raw: RawStale): Stale {
  return { id: raw.id, version: raw.version, value: "value" in raw ? raw.value : undefined };
}

function decodeOutcome(json: string, schemaVersion: number): SharedOutcome {
  const raw = JSON.parse(json) as RawOutcome;
  const units: UnitOutcome[] = raw.units.map((unit) =>
    "conflict" in unit
      ? { conflict: stale(unit.conflict) }
      : { seq: unit.seq, overwritten: unit.overwritten.map(stale) },
  );
  const outcome: SharedOutcome = { head: raw.head, units };
  if (raw.ops !== undefined) outcome.ops = { ops: decodeOpRows(raw.ops), schemaVersion };
  return outcome;
}
