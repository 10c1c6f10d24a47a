/**
 * The tables and server-side functions of the PostgreSQL storage (docs/POSTGRES.md, "Tables").
 * Every statement is built for one schema name, quoted as an identifier.
 *
 * Record ids, archive segment names and commit ids go into text columns as their JSON text
 * (JSON.stringify): a JS string may hold lone surrogates or NUL, which UTF-8 text cannot, and
 * JSON.stringify escapes both. Values are `json`, never `jsonb`: json keeps the exact text
 * (key order, duplicate keys, number spelling), which guarantee 3 needs. No function ever
 * reads inside a value (`->` on json re-parses it and refuses lone surrogate escapes); values
 * are only cast from text and embedded as they are.
 */
import { commitFunction } from "./pg-commit-sql.js";
import { opBytesSql, opRowSql } from "./pg-sql-parts.js";

export { opBytesSql };

/** Version of the tables and functions below; the meta table records the one installed. */
export const pgSchemaVersion = 2;

/** Quotes `name` as an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The statements that bring a schema from version `from` to pgSchemaVersion, in order. */
export function migrationSteps(schema: string, from: number): string[] {
  const s = ident(schema);
  const steps: string[] = [];
  if (from < 1) steps.push(tablesV1(s));
  if (from < 2) {
    // Version 2: opslog_commit takes each change's previous index (one more parameter).
    steps.push(`drop function if exists ${s}.opslog_commit(integer, text, integer, bigint, ` +
      "integer[], boolean[], text[], text[], text[], text[], bigint[], bigint[], text[], text[], " +
      "bigint[])");
    steps.push(opsFunction(s), fetchFunction(s), commitFunction(s), appendFunction(s));
  }
  return steps;
}

function tablesV1(s: string): string {
  return `
create table if not exists ${s}.stores (
  store serial primary key,
  name text not null unique,
  head bigint not null default 0,
  last_ts bigint not null default 0,
  checkpoint_seq bigint not null default 0,
  oldest_seq bigint not null default 1,
  schema_version integer not null,
  schema_history json not null,
  stacks json,
  history_bytes bigint not null default 0
);
create table if not exists ${s}.ops (
  store integer not null,
  seq bigint not null,
  ts bigint not null,
  op text not null,
  id text not null,
  data json,
  prev json,
  batch bigint,
  meta json,
  undo bigint,
  redo bigint,
  archive text,
  commit_id text,
  primary key (store, seq)
);
create table if not exists ${s}.state (
  store integer not null,
  id text not null,
  value json,
  version bigint not null,
  created bigint not null,
  primary key (store, id)
);
create index if not exists state_created on ${s}.state (store, created);
create table if not exists ${s}.commits (
  store integer not null,
  commit_id text not null,
  at bigint not null,
  outcome json not null,
  primary key (store, commit_id)
);
create table if not exists ${s}.archive (
  store integer not null,
  segment text not null,
  id text not null,
  value json not null,
  primary key (store, segment, id)
);`;
}

/**
 * opslog_ops(store, from, to): the operations with from ≤ seq ≤ to as one JSON array of
 * [seq, ts micros, op, id, data, prev, batch, meta, undo, redo, archive] (values embedded as
 * stored): one string to send and one JSON.parse, far cheaper than a row object per op.
 * PL/pgSQL, not SQL: PostgreSQL 15 plans a SQL function's body again at every call (about
 * 0.25 ms here), a PL/pgSQL function's plan is kept for the session.
 */
function opsFunction(s: string): string {
  return `
create or replace function ${s}.opslog_ops(p_store integer, p_from bigint, p_to bigint)
returns text language plpgsql stable as $f$
declare
  v_text text;
begin
  select coalesce(json_agg(${opRowSql("seq", "ts", "op", "id::json", "data", "prev", "batch",
    "meta", "undo", "redo", "archive::json")} order by seq)::text, '[]')
    into v_text from ${s}.ops where store = p_store and seq >= p_from and seq <= p_to;
  return v_text;
end
$f$;`;
}


/**
 * opslog_fetch(store, after, limit): `{"head","oldest","schema","ops"}` with the operations
 * after `after`, about `limit` of them, extended to finish a batch. Seqs are gapless in commit
 * order (commits hold the store row's lock), so whatever is at or below the head just read is
 * committed and visible to the statements that follow.
 */
function fetchFunction(s: string): string {
  return `
create or replace function ${s}.opslog_fetch(p_store integer, p_after bigint, p_limit bigint)
returns text language plpgsql stable as $f$
declare
  s record; v_to bigint; v_batch bigint; v_next bigint;
begin
  select head, oldest_seq, schema_version into s from ${s}.stores where store = p_store;
  if not found then
    raise exception 'opslog: store % does not exist', p_store using errcode = 'OL002';
  end if;
  v_to := least(s.head, p_after + p_limit);
  select batch into v_batch from ${s}.ops where store = p_store and seq = v_to;
  if v_batch is not null then
    select min(seq) - 1 into v_next from ${s}.ops where store = p_store and seq > v_to
      and seq <= s.head and (batch is null or batch <> v_batch);
    v_to := coalesce(v_next, s.head);
  end if;
  return '{"head":' || s.head || ',"oldest":' || s.oldest_seq || ',"schema":' ||
    s.schema_version || ',"ops":' || ${s}.opslog_ops(p_store, p_after + 1, v_to) || '}';
end
$f$;`;
}


/** Stores one operation and moves the record's state row (shared by both commit functions). */
function storeOpStatements(s: string, seq: string, ts: string, prev: string, batch: string,
  i: string): string {
  return `
      insert into ${s}.ops (store, seq, ts, op, id, data, prev, batch, meta, undo, redo, archive,
        commit_id)
      values (p_store, ${seq}, ${ts}, p_op[${i}], p_id[${i}], p_data[${i}]::json, ${prev},
        ${batch}, p_meta[${i}]::json, p_undo[${i}], p_redo[${i}], p_archive[${i}], p_commit);
      insert into ${s}.state as st (store, id, value, version, created)
      values (p_store, p_id[${i}], p_data[${i}]::json, ${seq}, ${seq})
      on conflict (store, id) do update set value = excluded.value, version = excluded.version,
        created = case when st.value is null then excluded.created else st.created end;
      v_bytes := v_bytes + ${opBytesSql(`p_id[${i}]`, `p_data[${i}]`, `p_meta[${i}]`,
        `(${prev})::text`)};`;
}


/**
 * opslog_append: the exclusive-style Storage.commit (operations already numbered, stamped and
 * given their prev by the caller), stored only when the head is still `p_base`. Returns the
 * head: equal to the last seq given when stored, anything else is a conflict.
 */
function appendFunction(s: string): string {
  return `
create or replace function ${s}.opslog_append(p_store integer, p_base bigint, p_seq bigint[],
  p_ts bigint[], p_op text[], p_id text[], p_data text[], p_prev text[], p_batch bigint[],
  p_meta text[], p_undo bigint[], p_redo bigint[], p_archive text[])
returns bigint language plpgsql as $f$
declare
  v_head bigint; v_bytes bigint := 0; v_last_ts bigint; p_commit text := null; i integer;
begin
  select head, last_ts into v_head, v_last_ts from ${s}.stores where store = p_store for update;
  if v_head <> p_base then return v_head; end if;
  for i in 1 .. coalesce(array_length(p_seq, 1), 0) loop
    ${storeOpStatements(s, "p_seq[i]", "p_ts[i]", "p_prev[i]::json", "p_batch[i]", "i")}
    v_head := p_seq[i]; v_last_ts := greatest(v_last_ts, p_ts[i]);
  end loop;
  update ${s}.stores set head = v_head, last_ts = v_last_ts,
    history_bytes = history_bytes + v_bytes where store = p_store;
  return v_head;
end
$f$;`;
}
