import { describe, expect, it } from "vitest";
import { postgres } from "../../src/postgres.js";
import { isPostgresUrl, optionsFromUrl } from "../../src/storage/postgres/pg-options.js";

describe("PostgreSQL options", () => {
  it("takes store and schema out of postgres:// and postgresql:// URLs", () => {
    expect(isPostgresUrl("postgres://u@h/db?store=t")).toBe(true);
    expect(isPostgresUrl("postgresql://u@h/db?store=t")).toBe(true);
    expect(isPostgresUrl("./data")).toBe(false);
    expect(optionsFromUrl("postgres://u:pw@h:5433/db?store=tasks&schema=app&sslmode=require"))
      .toEqual({
        connectionString: "postgres://u:pw@h:5433/db?sslmode=require",
        store: "tasks",
        schema: "app",
      });
    expect(() => optionsFromUrl("postgres://u@h/db")).toThrow(/store/);
  });

  it("checks options with typed errors and hides the password in the location", () => {
    const storage = postgres({ connectionString: "postgres://u:secret@h/db", store: "t" });
    expect(storage.location).not.toContain("secret");
    expect(storage.capabilities).toEqual({
      synchronousCommit: false, exclusiveWriter: false, archive: true, tail: false, shared: true,
    });
    const bads = [
      { store: "" }, { store: "a\u0000" }, { store: "x", schema: "a;b" },
      { store: "x", schema: "pg_temp" }, { store: "x", schema: "PG_catalog" }, { store: "x", commitTimeoutMs: 0 },
    ];
    for (const bad of bads) {
      expect(() => postgres({ connectionString: "postgres://h/db", ...bad }))
        .toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    }
  });
});
