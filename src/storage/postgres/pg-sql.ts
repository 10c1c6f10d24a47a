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
import { assert } from "../../util/assert.js";

/** Version of the tables and functions below; the meta table records the one installed. */
export const pgSchemaVersion = 1;

/** Quotes `name` as an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The statements that bring a schema from version `from` to pgSchemaVersion, in order. */
export function migrationSteps(schema: string, from: number): string[] {
  const s = ident(schema);
  const steps: string[] = [];
  if (from < 1) {
    steps.push(tablesV1(s), opsFunction(s), fetchFunction(s), commitFunction(s), appendFunction(s));
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

/** One operation as opslog_ops encodes it (pg-codec.ts decodeOpRows reads it). */
function opRowSql(...columns: string[]): string {
  assert(columns.length === 11, "an encoded operation has 11 fields");
  return `json_build_array(${columns.join(", ")})`;
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

/** Bytes an operation counts for in historyBytes (the same sum when it is pruned). */
export function opBytesSql(id: string, data: string, meta: string, prev: string): string {
  return `(64 + octet_length(${id}) + coalesce(octet_length(${data}), 0) + ` +
    `coalesce(octet_length(${meta}), 0) + coalesce(octet_length(${prev}), 0))`;
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
 * opslog_commit: one shared commit (storage/shared-port.ts SharedLog.commit), whole, in one
 * call. The store row is locked first (FOR UPDATE): commits on one store are serialised, so seqs
 * are gapless in commit order and a reader never needs to reason about transactions in flight.
 * Every base is checked by a statement run after the lock, so it reads the versions the
 * previous lock holder committed (one CTE would read them from before its commit).
 *
 * Changes come as parallel arrays; `p_unit_end[u]` is the index of unit u's last change. Base
 * kinds: 's' seen, 'v' version, 'a' absent, 'c' chained. Returns the outcome as JSON text, with
 * the operations (p_after, head] when they are at most 1000 and all retained.
 */
function commitFunction(s: string): string {
  return `
create or replace function ${s}.opslog_commit(p_store integer, p_commit text, p_schema integer,
  p_after bigint, p_unit_end integer[], p_overwrite boolean[], p_op text[], p_id text[],
  p_data text[], p_meta text[], p_undo bigint[], p_redo bigint[], p_archive text[],
  p_kind text[], p_base bigint[])
returns text language plpgsql as $f$
declare
  s record; v_done text; v_head bigint; v_ts bigint; v_now bigint; v_bytes bigint := 0;
  v_units text[] := '{}'; v_stored boolean[] := '{}'; v_start integer := 1; v_end integer;
  v_stale text[]; v_value json; v_version bigint; v_found boolean; v_bad boolean;
  v_first bigint; v_batch bigint; v_result text; v_item text; i integer; j integer;
  v_ops text[] := '{}';
begin
  select head, last_ts, schema_version, oldest_seq into s from ${s}.stores
    where store = p_store for update;
  if not found then
    raise exception 'opslog: store % does not exist', p_store using errcode = 'OL002';
  end if;
  select outcome::text into v_done from ${s}.commits where store = p_store and commit_id = p_commit;
  if found then return v_done; end if;
  if s.schema_version <> p_schema then
    raise exception 'opslog: the store is at schema version %, this writer at %',
      s.schema_version, p_schema using errcode = 'OL001';
  end if;
  v_head := s.head; v_ts := s.last_ts;
  v_now := (extract(epoch from clock_timestamp()) * 1000000)::bigint;
  for u in 1 .. coalesce(array_length(p_unit_end, 1), 0) loop
    v_end := p_unit_end[u]; v_stale := '{}';
    for i in v_start .. v_end loop
      select value, version into v_value, v_version from ${s}.state
        where store = p_store and id = p_id[i];
      v_found := found;
      if not v_found then v_version := 0; v_value := null; end if;
      if p_kind[i] = 's' then v_bad := v_version > p_base[i];
      elsif p_kind[i] = 'v' then v_bad := v_version <> p_base[i];
      elsif p_kind[i] = 'a' then v_bad := v_value is not null;
      else
        -- chained: stale when the latest earlier change on this id, in an earlier unit, was not
        -- stored (one in this unit is stored exactly when this one is).
        v_bad := false;
        j := v_start - 1;
        while j >= 1 and p_id[j] <> p_id[i] loop j := j - 1; end loop;
        if j >= 1 then v_bad := not v_stored[j]; end if;
      end if;
      if v_bad then
        v_item := '{"id":' || p_id[i] || ',"version":' || v_version ||
          case when v_value is null then '' else ',"value":' || v_value::text end || '}';
        v_stale := v_stale || v_item;
      end if;
    end loop;
    if cardinality(v_stale) > 0 and not p_overwrite[u] then
      for i in v_start .. v_end loop v_stored[i] := false; end loop;
      v_units := v_units || ('{"conflict":' || v_stale[1] || '}');
    else
      v_first := v_head + 1;
      v_batch := case when v_end > v_start then v_first else null end;
      for i in v_start .. v_end loop
        v_head := v_head + 1;
        v_ts := greatest(v_now, v_ts + 1);
        select value into v_value from ${s}.state where store = p_store and id = p_id[i];
        if not found then v_value := null; end if;
        ${storeOpStatements(s, "v_head", "v_ts", "v_value", "v_batch", "i")}
        v_stored[i] := true;
        v_ops := v_ops || (${opRowSql("v_head", "v_ts", "p_op[i]", "p_id[i]::json",
          "p_data[i]::json", "v_value", "v_batch", "p_meta[i]::json", "p_undo[i]", "p_redo[i]",
          "p_archive[i]::json")})::text;
      end loop;
      v_units := v_units || ('{"seq":' || v_first || ',"overwritten":[' ||
        array_to_string(v_stale, ',') || ']}');
    end if;
    v_start := v_end + 1;
  end loop;
  update ${s}.stores set head = v_head, last_ts = v_ts, history_bytes = history_bytes + v_bytes
    where store = p_store;
  v_result := '{"head":' || v_head || ',"units":[' || array_to_string(v_units, ',') || ']}';
  insert into ${s}.commits (store, commit_id, at, outcome) values (p_store, p_commit, v_now,
    v_result::json);
  if v_head - p_after <= 1000 and p_after >= s.oldest_seq - 1 then
    -- Others' operations since p_after are read; this commit's were encoded as they were stored.
    v_item := '';
    if p_after < s.head then
      v_item := ${s}.opslog_ops(p_store, p_after + 1, s.head);
      v_item := substr(v_item, 2, length(v_item) - 2); -- the elements, without [ ]
    end if;
    if v_item <> '' and cardinality(v_ops) > 0 then v_item := v_item || ','; end if;
    v_result := left(v_result, -1) || ',"ops":[' || v_item || array_to_string(v_ops, ',') ||
      ']}';
  end if;
  return v_result;
end
$f$;`;
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
