import type * as Pg from "pg";
import { assert } from "../../util/assert.js";
import type {
  CheckpointMeta,
  CommitResult,
  OpenRequest,
  OpsChunk,
  RecordList,
  Storage,
  StorageCapabilities,
  StorageUsage,
  StoredState,
  WriteGroup,
} from "../port.js";
import { PgArchive } from "./pg-archive.js";
import { writePgCheckpoint } from "./pg-checkpoint.js";
import { appendParams, chunkBySchema, decodeOps, type SchemaHistory } from "./pg-codec.js";
import { loadPg, pgIoError, queryValue } from "./pg-client.js";
import { PgListener } from "./pg-listener.js";
import { findStore, loadStore } from "./pg-open.js";
import {
  checkOptions,
  cloneableConfig,
  defaultCommitTimeoutMs,
  defaultPollMs,
  defaultSchema,
  poolConfig,
  redact,
  type PostgresOptions,
} from "./pg-options.js";
import { migrateSchema } from "./pg-schema.js";
import { PgSharedLog } from "./pg-shared-log.js";
import { ident, opBytesSql, pgSchemaVersion } from "./pg-sql.js";
import { PgSyncReader } from "./pg-sync-reader.js";

/** A checkpoint is worth writing after this many operations (bounds the engine's history). */
const checkpointOpsMin = 10_000;

/** What one open() session holds. */
interface Session {
  readonly pool: Pg.Pool;
  readonly ownPool: boolean;
  readonly reader: PgSyncReader;
  readonly listener: PgListener;
  readonly storeId: number;
  readonly channel: string;
  readonly readOnly: boolean;
  head: number;
  checkpointSeq: number;
  oldestSeq: number;
  schemaHistory: SchemaHistory;
  /** Retention jobs queued on the sync reader and not yet done: oldestSeq() asks the server. */
  retentionPending: number;
}

/**
 * The PostgreSQL storage (docs/POSTGRES.md): one store shared by many processes. The storage
 * orders commits (storage/shared-port.ts): the engine commits through `shared`.
 */
export class PostgresStorage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities = Object.freeze({
    synchronousCommit: false,
    exclusiveWriter: false,
    archive: true,
    tail: false,
    shared: true,
  });
  readonly archive: PgArchive;
  readonly shared: PgSharedLog;
  private readonly schema: string;
  private readonly commitTimeoutMs: number;
  private readonly pollMs: number;
  private session: Session | undefined;
  private closing: Promise<void> | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: PostgresOptions) {
    checkOptions(options);
    this.schema = options.schema ?? defaultSchema;
    this.commitTimeoutMs = options.commitTimeoutMs ?? defaultCommitTimeoutMs;
    this.pollMs = options.pollMs ?? defaultPollMs;
    const where = options.connectionString ? redact(options.connectionString) : "postgres:";
    this.location = `${where}${where.includes("?") ? "&" : "?"}store=${options.store}`;
    this.archive = new PgArchive(() => ({
      ...this.live("archive"),
      schema: this.schema,
      location: this.location,
      track: <T>(work: Promise<T>) => this.track(work),
    }));
    this.shared = new PgSharedLog({
      schema: this.schema,
      location: this.location,
      commitTimeoutMs: this.commitTimeoutMs,
      live: (verb) => this.live(verb),
      knownHead: () => this.session?.head ?? 0, // closed: 0, so every wake passes (a no-op then)
      learned: (head, oldest) => this.learned(head, oldest),
      track: (work) => void this.track(work),
      reload: () => this.reload(),
    });
  }

  async open(request: OpenRequest): Promise<StoredState> {
    assert(this.session === undefined, `${this.location} is already open`);
    const pg = await loadPg();
    const ownPool = this.options.pool === undefined;
    const pool = this.options.pool ?? new pg.Pool(this.ownPoolConfig());
    // An idle client dropped (the server restarted, an admin ended it): never a crash. Also on a
    // pool the program gave, while the store is open: its idle clients served this store.
    pool.on("error", ignorePoolError);
    try {
      const client = await pool.connect();
      client.on("error", () => undefined);
      let loaded;
      try {
        await migrateSchema(client, this.schema);
        const storeId = await findStore(client, this.schema, this.options.store, request,
          this.location);
        loaded = await loadStore(client, this.schema, storeId);
      } finally {
        client.release();
      }
      const { row, state } = loaded;
      const config = cloneableConfig(ownPool ? this.ownPoolConfig() : poolOptions(pool));
      const reader = new PgSyncReader(config, this.location, this.commitTimeoutMs);
      const channel = channelOf(this.schema, row.storeId);
      const listener = new PgListener(() => listenConnection(pool), ident(channel), this.pollMs);
      this.session = {
        pool, ownPool, reader, listener, storeId: row.storeId, channel,
        readOnly: request.readOnly,
        head: row.head, checkpointSeq: row.checkpointSeq, oldestSeq: row.oldestSeq,
        schemaHistory: row.schemaHistory, retentionPending: 0,
      };
      this.closing = undefined;
      return state;
    } catch (error) {
      if (ownPool) await pool.end().catch(() => undefined);
      else pool.off("error", ignorePoolError);
      throw pgIoError(this.location, "opening", error);
    }
  }

  private async reload(): Promise<StoredState> {
    const session = this.live("reload");
    try {
      const client = await session.pool.connect();
      client.on("error", () => undefined);
      try {
        const { row, state } = await loadStore(client, this.schema, session.storeId);
        session.schemaHistory = row.schemaHistory;
        this.learned(row.head, row.oldestSeq);
        return state;
      } finally {
        client.release();
      }
    } catch (error) {
      throw pgIoError(this.location, "reading the store", error);
    }
  }

  async commit(group: WriteGroup): Promise<CommitResult> {
    const { pool, storeId } = this.live("commit");
    const text =
      `select ${ident(this.schema)}.opslog_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ` +
      `$11, $12, $13)`;
    const expected = group.ops.length > 0 ? group.ops[group.ops.length - 1]!.seq : group.base;
    let head;
    try {
      head = Number(await queryValue(pool, text, [storeId, ...appendParams(group)]));
    } catch (error) {
      throw pgIoError(this.location, "committing", error);
    }
    if (head !== expected) return { conflict: { head } };
    this.learned(head, undefined);
    return undefined;
  }

  readOps(from: number, to: number): OpsChunk[] {
    const session = this.live("readOps");
    assert(Number.isInteger(from) && Number.isInteger(to), "readOps() takes whole seqs");
    if (to < from || to < 1) return [];
    const rows = session.reader.query(
      "readOps",
      `select ${ident(this.schema)}.opslog_ops($1, $2, $3), schema_history::text
       from ${ident(this.schema)}.stores where store = $1`,
      [session.storeId, Math.max(from, 1), to],
    );
    const [opsText, historyText] = rows[0]!;
    session.schemaHistory = JSON.parse(historyText!) as SchemaHistory;
    return chunkBySchema(decodeOps(opsText!), session.schemaHistory);
  }

  oldestSeq(): number {
    const session = this.live("oldestSeq");
    if (session.retentionPending > 0) {
      const rows = session.reader.query(
        "oldestSeq",
        `select oldest_seq from ${ident(this.schema)}.stores where store = $1`,
        [session.storeId],
      );
      session.oldestSeq = Number(rows[0]![0]);
    }
    return session.oldestSeq;
  }

  async writeCheckpoint(meta: CheckpointMeta, records: RecordList, signal?: AbortSignal) {
    const session = this.live("writeCheckpoint");
    assert(!session.readOnly, "writeCheckpoint() on a readOnly store");
    assert(meta.seq >= session.checkpointSeq, "a checkpoint is never older than the last");
    assert(records.ids.length === records.values.length, "a record list pairs ids and values");
    signal?.throwIfAborted();
    const work = (async () => {
      const client = await session.pool.connect();
      client.on("error", () => undefined);
      try {
        const history = await writePgCheckpoint(client, this.schema, session.storeId, meta,
          records, signal);
        if (history !== undefined) session.schemaHistory = history;
        session.checkpointSeq = meta.seq;
      } catch (error) {
        if (signal?.aborted && error === signal.reason) throw error;
        throw pgIoError(this.location, "writing a checkpoint", error);
      } finally {
        client.release();
      }
    })();
    return this.track(work);
  }

  wantsCheckpoint(): boolean {
    const session = this.live("wantsCheckpoint");
    return session.head - session.checkpointSeq >= checkpointOpsMin;
  }

  applyRetention(throughSeq: number): void {
    const session = this.live("applyRetention");
    assert(Number.isInteger(throughSeq), "applyRetention() takes a whole seq");
    assert(throughSeq <= session.checkpointSeq, "retention stops at the last checkpoint");
    if (throughSeq < session.oldestSeq) return;
    const s = ident(this.schema);
    // Queued on the sync reader's connection: later synchronous reads run after it. The cut
    // moves back to before a batch that would be split.
    const text = `
      with cut as (
        select case when b.batch is not null and b.batch <= $2 then b.batch - 1 else $2 end upto
        from (select 1) one left join ${s}.ops b on b.store = $1 and b.seq = $2::bigint + 1),
      gone as (
        delete from ${s}.ops o using cut where o.store = $1 and o.seq <= cut.upto
        returning ${opBytesSql("o.id", "o.data::text", "o.meta::text", "o.prev::text")} bytes)
      update ${s}.stores set oldest_seq = greatest(oldest_seq, (select upto from cut) + 1),
        history_bytes = history_bytes - coalesce((select sum(bytes) from gone), 0)
      where store = $1 returning oldest_seq`;
    session.retentionPending++;
    const work = session.reader.run("applyRetention", text, [session.storeId, throughSeq]).then(
      (rows) => {
        session.oldestSeq = Number(rows[0]![0]);
      },
      () => undefined, // retention is retried at the next checkpoint
    );
    void this.track(work.finally(() => session.retentionPending--));
  }

  checkWritable(): void {
    this.live("checkWritable");
  }

  usage(): StorageUsage {
    const session = this.live("usage");
    const rows = session.reader.query(
      "usage",
      `select history_bytes from ${ident(this.schema)}.stores where store = $1`,
      [session.storeId],
    );
    return { historyBytes: Number(rows[0]![0]), formatVersion: pgSchemaVersion };
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  close(): Promise<void> {
    if (this.session === undefined) return this.closing ?? Promise.resolve();
    this.closing ??= this.finishClose(this.session);
    return this.closing;
  }

  private async finishClose(session: Session): Promise<void> {
    try {
      await this.idle();
      await session.listener.stop();
      await session.reader.stop();
    } finally {
      this.session = undefined;
      if (session.ownPool) await session.pool.end().catch(() => undefined);
      else session.pool.off("error", ignorePoolError);
    }
  }

  private learned(head: number, oldest: number | undefined): void {
    const session = this.session;
    if (session === undefined) return;
    if (head > session.head) session.head = head;
    if (oldest !== undefined && session.retentionPending === 0) session.oldestSeq = oldest;
  }

  private ownPoolConfig(): Pg.PoolConfig {
    const config = poolConfig(this.options);
    // A commit retries a lost connection until its deadline: each attempt must not hang longer.
    config.connectionTimeoutMillis ??= Math.min(5000, Math.max(1, this.commitTimeoutMs));
    return config;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const settled = (): void => void this.pending.delete(work);
    work.then(settled, settled);
    return work;
  }

  private live(verb: string): Session {
    assert(this.session !== undefined, `${verb}() on ${this.location}, which is not open`);
    return this.session;
  }
}

function channelOf(schema: string, storeId: number): string {
  return `opslog.${schema}.${storeId}`.slice(0, 63);
}

/** The settings a user's pool was made with (pg-pool keeps them as `options`). */
function poolOptions(pool: Pg.Pool): object {
  return (pool as unknown as { options?: object }).options ?? {};
}

/** A connection for LISTEN, from the pool; destroyed on release (it holds a LISTEN). */
async function listenConnection(
  pool: Pg.Pool,
): Promise<{ client: Pg.ClientBase; release: () => void }> {
  const client = await pool.connect();
  client.on("error", () => undefined);
  return { client, release: () => client.release(true) };
}

/** The 'error' listener the storage puts on its pool (removed from a program's pool at close). */
function ignorePoolError(): void {}
