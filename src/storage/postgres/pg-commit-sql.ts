/**
 * opslog_commit, the PL/pgSQL function behind SharedLog.commit (pg-shared-log.ts), for one
 * schema `s` (already quoted). Its statements are a fixed number per commit plus one key lookup
 * per distinct id: the rest of the per-change work is plain variable work, which PL/pgSQL does
 * in microseconds, while every SQL statement it runs costs tens (bench/pg-commit-profile.md).
 */
import { opBytesSql, opRowSql } from "./pg-sql-parts.js";

/**
 * The store row is locked first (FOR UPDATE): commits on one store are serialised, so seqs
 * are gapless in commit order and a reader never needs to reason about transactions in flight.
 * The state row of every id is then read by a statement run after the lock, so it reads what
 * the previous lock holder committed (one CTE with the lock would read from before it).
 * From that read the function follows, change by change, what each id's state becomes as the
 * units before it are stored or refused: every base check and every prev sees exactly what the
 * row-by-row statements would have seen. Then one statement stores every operation, one
 * moves every touched state row (the last change of each id), one moves the head.
 *
 * Changes come as parallel arrays; `p_unit_end[u]` is the index of unit u's last change,
 * `p_prev_i[i]` the index of the previous change of the same id (null when none). Base
 * kinds: 's' seen, 'v' version, 'a' absent, 'c' chained. Returns the outcome as JSON text, with
 * the operations (p_after, head] when they are at most 1000 and all retained.
 */
export function commitFunction(s: string): string {
  return `
create or replace function ${s}.opslog_commit(p_store integer, p_commit text, p_schema integer,
  p_after bigint, p_unit_end integer[], p_overwrite boolean[], p_op text[], p_id text[],
  p_data text[], p_meta text[], p_undo bigint[], p_redo bigint[], p_archive text[],
  p_kind text[], p_base bigint[], p_prev_i integer[])
returns text language plpgsql set plan_cache_mode = force_generic_plan as $f$
declare
  s record; v_done text; v_head bigint; v_ts bigint; v_now bigint; v_bytes bigint := 0;
  n integer := coalesce(array_length(p_id, 1), 0); v_start integer := 1; v_end integer;
  v_units text[] := '{}'; v_stale text[]; v_bad boolean; v_first bigint; v_batch bigint;
  v_result text; v_ops text; v_others text; i integer; p integer; c integer;
  -- the state rows as read after the lock, per change (db_ex: the row exists)
  db_ex boolean[]; db_ver bigint[]; db_val text[]; db_cre bigint[];
  -- the earlier change on the same id (null: none; computed by the caller, pg-codec.ts), and
  -- the latest one in an earlier unit
  v_prev_i integer[] := p_prev_i; v_chain integer[];
  -- the id's state before the change's unit (b_) and after the change (a_)
  b_ex boolean[]; b_ver bigint[]; b_val text[]; b_cre bigint[];
  a_ex boolean[]; a_ver bigint[]; a_val text[]; a_cre bigint[];
  -- per stored change: its seq, ts, prev and batch (seq null: refused)
  o_seq bigint[]; o_ts bigint[]; o_prev text[]; o_batch bigint[];
  w_ex boolean; w_ver bigint; w_val text; w_cre bigint;
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
  -- unnest() below zips these by position: they must start at 1 and hold every change
  o_seq := array_fill(null::bigint, array[n]); o_ts := o_seq; o_batch := o_seq; a_cre := o_seq;
  o_prev := array_fill(null::text, array[n]);
  v_now := (extract(epoch from clock_timestamp()) * 1000000)::bigint;
  -- Each id's state row, read once (at its first change) by statements run after the lock, so
  -- they see the last lock holder's commit. A key lookup costs less than one set-based read.
  for i in 1 .. n loop
    if v_prev_i[i] is null then
      select value::text, version, created into w_val, w_ver, w_cre from ${s}.state
        where store = p_store and id = p_id[i];
      db_ex[i] := found; db_val[i] := w_val; db_ver[i] := w_ver; db_cre[i] := w_cre;
    end if;
  end loop;
  for u in 1 .. coalesce(array_length(p_unit_end, 1), 0) loop
    v_end := p_unit_end[u]; v_stale := '{}';
    for i in v_start .. v_end loop
      p := v_prev_i[i];
      if p is null then
        w_ex := db_ex[i]; w_ver := db_ver[i]; w_val := db_val[i]; w_cre := db_cre[i];
        v_chain[i] := null;
      elsif p >= v_start then
        w_ex := b_ex[p]; w_ver := b_ver[p]; w_val := b_val[p]; w_cre := b_cre[p];
        v_chain[i] := v_chain[p];
      else
        w_ex := a_ex[p]; w_ver := a_ver[p]; w_val := a_val[p]; w_cre := a_cre[p];
        v_chain[i] := p;
      end if;
      b_ex[i] := w_ex; b_ver[i] := w_ver; b_val[i] := w_val; b_cre[i] := w_cre;
      w_ver := coalesce(w_ver, 0);
      if p_kind[i] = 's' then v_bad := w_ver > p_base[i];
      elsif p_kind[i] = 'v' then v_bad := w_ver <> p_base[i];
      elsif p_kind[i] = 'a' then v_bad := w_val is not null;
      else
        -- chained: stale when the latest earlier change on this id, in an earlier unit, was not
        -- stored (one in this unit is stored exactly when this one is).
        c := v_chain[i];
        v_bad := c is not null and o_seq[c] is null;
      end if;
      if v_bad then
        v_stale := v_stale || ('{"id":' || p_id[i] || ',"version":' || w_ver ||
          case when w_val is null then '' else ',"value":' || w_val end || '}');
      end if;
    end loop;
    if cardinality(v_stale) > 0 and not p_overwrite[u] then
      for i in v_start .. v_end loop
        p := v_prev_i[i];
        if p is null then
          a_ex[i] := db_ex[i]; a_ver[i] := db_ver[i]; a_val[i] := db_val[i]; a_cre[i] := db_cre[i];
        else
          a_ex[i] := a_ex[p]; a_ver[i] := a_ver[p]; a_val[i] := a_val[p]; a_cre[i] := a_cre[p];
        end if;
      end loop;
      v_units := v_units || ('{"conflict":' || v_stale[1] || '}');
    else
      v_first := v_head + 1;
      v_batch := case when v_end > v_start then v_first else null end;
      for i in v_start .. v_end loop
        v_head := v_head + 1;
        v_ts := greatest(v_now, v_ts + 1);
        p := v_prev_i[i];
        if p is null then w_ex := db_ex[i]; w_val := db_val[i]; w_cre := db_cre[i];
        else w_ex := a_ex[p]; w_val := a_val[p]; w_cre := a_cre[p];
        end if;
        o_seq[i] := v_head; o_ts[i] := v_ts; o_prev[i] := w_val; o_batch[i] := v_batch;
        a_ex[i] := true; a_ver[i] := v_head; a_val[i] := p_data[i];
        -- the seq that created the current incarnation: this one, after a delete or none
        a_cre[i] := case when w_ex and w_val is not null then w_cre else v_head end;
      end loop;
      v_units := v_units || ('{"seq":' || v_first || ',"overwritten":[' ||
        array_to_string(v_stale, ',') || ']}');
    end if;
    v_start := v_end + 1;
  end loop;
  ${storeStatements(s)}
  update ${s}.stores set head = v_head, last_ts = v_ts, history_bytes = history_bytes + v_bytes
    where store = p_store;
  v_result := '{"head":' || v_head || ',"units":[' || array_to_string(v_units, ',') || ']}';
  insert into ${s}.commits (store, commit_id, at, outcome) values (p_store, p_commit, v_now,
    v_result::json);
  if v_head - p_after <= 1000 and p_after >= s.oldest_seq - 1 then
    -- Others' operations since p_after are read; this commit's were encoded as they were stored.
    v_others := '';
    if p_after < s.head then
      v_others := ${s}.opslog_ops(p_store, p_after + 1, s.head);
      v_others := substr(v_others, 2, length(v_others) - 2); -- the elements, without [ ]
    end if;
    if v_others <> '' and v_ops <> '' then v_others := v_others || ','; end if;
    v_result := left(v_result, -1) || ',"ops":[' || v_others || v_ops || ']}';
  end if;
  return v_result;
end
$f$;`;
}

/**
 * Stores the operations (one statement, which also sums their bytes and encodes them for the
 * outcome) and moves each touched id's state row to its last change (one statement: an upsert
 * may touch a row once).
 */
function storeStatements(s: string): string {
  const row = opRowSql("seq", "ts", "op", "id::json", "data::json", "prev::json", "batch",
    "meta::json", "undo", "redo", "archive::json");
  return `
  with r as (
    select * from unnest(p_op, p_id, p_data, p_meta, p_undo, p_redo, p_archive, o_seq, o_ts,
      o_prev, o_batch, a_cre) as u(op, id, data, meta, undo, redo, archive, seq, ts, prev, batch,
      created)
    where seq is not null
  ), stored as (
    insert into ${s}.ops (store, seq, ts, op, id, data, prev, batch, meta, undo, redo, archive,
      commit_id)
    select p_store, seq, ts, op, id, data::json, prev::json, batch, meta::json, undo, redo,
      archive, p_commit from r
  ), moved as (
    insert into ${s}.state as st (store, id, value, version, created)
    select distinct on (id) p_store, id, data::json, seq, created from r order by id, seq desc
    on conflict (store, id) do update set value = excluded.value, version = excluded.version,
      created = excluded.created
  )
  select coalesce(sum(${opBytesSql("id", "data", "meta", "prev")}), 0),
      coalesce(string_agg(${row}::text, ',' order by seq), '')
    into v_bytes, v_ops from r;`;
}
