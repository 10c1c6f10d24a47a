/** SQL fragments the function builders share (pg-sql.ts, pg-commit-sql.ts). */
import { assert } from "../../util/assert.js";

/** One operation as opslog_ops encodes it (pg-codec.ts decodeOpRows reads it). */
export function opRowSql(...columns: string[]): string {
  assert(columns.length === 11, "an encoded operation has 11 fields");
  return `json_build_array(${columns.join(", ")})`;
}

/** Bytes an operation counts for in historyBytes (the same sum when it is pruned). */
export function opBytesSql(id: string, data: string, meta: string, prev: string): string {
  return `(64 + octet_length(${id}) + coalesce(octet_length(${data}), 0) + ` +
    `coalesce(octet_length(${meta}), 0) + coalesce(octet_length(${prev}), 0))`;
}
