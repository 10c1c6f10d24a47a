import { describe, expect, it } from "vitest";
import { Random } from "../helpers/random.js";
import { SimCrashError, SimFileSystem } from "../helpers/sim-fs.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

function readAll(fs: SimFileSystem, file: string): string {
  const fd = fs.open(file, "r");
  const size = fs.fstat(fd).size;
  const buffer = new Uint8Array(size);
  expect(fs.read(fd, buffer, 0, size, 0)).toBe(size);
  fs.close(fd);
  return str(buffer) ?? "";
}

function syncDir(fs: SimFileSystem, dir: string): void {
  const fd = fs.openDirectory(dir);
  fs.fsync(fd);
  fs.close(fd);
}

/** A file system with /d durable, and /d/f holding durable "base". */
function withDurableFile(seed: number): SimFileSystem {
  const fs = new SimFileSystem({ seed });
  fs.mkdirDurable("/d");
  const fd = fs.open("/d/f", "w");
  fs.write(fd, text("base"), 0);
  fs.fsync(fd);
  fs.close(fd);
  syncDir(fs, "/d");
  return fs;
}

/** Runs `scenario` under many seeds and collects the distinct outcomes. */
function outcomes(scenario: (seed: number) => string | undefined, seeds = 300): Set<string | undefined> {
  const seen = new Set<string | undefined>();
  for (let seed = 1; seed <= seeds; seed++) seen.add(scenario(seed));
  return seen;
}

describe("Random", () => {
  it("is deterministic from its seed and covers its range", () => {
    const a = new Random(42);
    const b = new Random(42);
    const values = Array.from({ length: 1000 }, () => a.int(10));
    expect(values).toEqual(Array.from({ length: 1000 }, () => b.int(10)));
    expect(new Set(values).size).toBe(10);
    expect(new Random(43).nextUint32()).not.toBe(new Random(42).nextUint32());
  });
});

describe("SimFileSystem: node-like behaviour", () => {
  it("reads back what was written, positionally, appended, and at the descriptor position", () => {
    const fs = new SimFileSystem({ seed: 1 });
    fs.mkdir("/a/b/c");
    fs.mkdir("/a/b/c");
    const fd = fs.open("/a/b/c/x", "w");
    fs.write(fd, text("hello"), 0);
    fs.write(fd, text("J"), 0);
    // Like pwrite, a positional write leaves the descriptor position (0) alone.
    fs.write(fd, text("++"), null);
    fs.write(fd, text("--"), null);
    fs.close(fd);
    expect(readAll(fs, "/a/b/c/x")).toBe("++--o");
    const append = fs.open("/a/b/c/x", "a");
    fs.write(append, text("!"), 0);
    fs.close(append);
    expect(readAll(fs, "/a/b/c/x")).toBe("++--o!");
    const rw = fs.open("/a/b/c/x", "r+");
    fs.ftruncate(rw, 2);
    fs.write(rw, text("z"), 4);
    expect(fs.fstat(rw)).toMatchObject({ size: 5, isDirectory: false });
    fs.close(rw);
    expect(readAll(fs, "/a/b/c/x")).toBe("++\0\0z");
    expect(fs.readdir("/a/b")).toEqual(["c"]);
    expect(fs.stat("/a/b")?.isDirectory).toBe(true);
  });

  it("raises node's error codes for missing, existing and wrong-kind paths", () => {
    const fs = new SimFileSystem({ seed: 1 });
    fs.mkdir("/d");
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "no error";
    };
    expect(code(() => fs.open("/d/missing", "r"))).toBe("ENOENT");
    expect(code(() => fs.open("/nodir/x", "w"))).toBe("ENOENT");
    expect(fs.stat("/d/missing")).toBeUndefined();
    expect(fs.stat("/nodir/x")).toBeUndefined();
    fs.close(fs.open("/d/x", "wx"));
    expect(code(() => fs.open("/d/x", "wx"))).toBe("EEXIST");
    expect(code(() => fs.unlink("/d/missing"))).toBe("ENOENT");
    expect(code(() => fs.unlink("/d"))).toBe("EISDIR");
    expect(code(() => fs.rename("/d/missing", "/d/y"))).toBe("ENOENT");
    expect(code(() => fs.readdir("/d/missing"))).toBe("ENOENT");
    expect(code(() => fs.readdir("/d/x"))).toBe("ENOTDIR");
    expect(code(() => fs.openDirectory("/d/x"))).toBe("ENOTDIR");
    expect(code(() => fs.open("/d", "w"))).toBe("EISDIR");
    expect(code(() => fs.close(12345))).toBe("EBADF");
    const ro = fs.open("/d/x", "r");
    expect(code(() => fs.write(ro, text("a"), 0))).toBe("EBADF");
    const error = (() => {
      try {
        fs.open("/d/missing", "r");
      } catch (e) {
        return e as NodeJS.ErrnoException;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(Error);
    expect(error?.errno).toBe(-2);
    expect(error?.syscall).toBe("open");
    expect(error?.path).toBe("/d/missing");
  });

  it("links a second name to a file (never over an existing one) and resolves real paths", () => {
    const fs = withDurableFile(3);
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "no error";
    };
    fs.link("/d/f", "/d/g");
    expect(readAll(fs, "/d/g")).toBe("base");
    expect(fs.stat("/d/g")?.ino).toBe(fs.stat("/d/f")?.ino);
    fs.unlink("/d/f");
    expect(readAll(fs, "/d/g")).toBe("base");
    fs.close(fs.open("/d/h", "w"));
    expect(fs.stat("/d/h")?.ino).not.toBe(fs.stat("/d/g")?.ino);
    expect(code(() => fs.link("/d/h", "/d/g"))).toBe("EEXIST");
    expect(code(() => fs.link("/d/missing", "/d/k"))).toBe("ENOENT");
    expect(code(() => fs.link("/d", "/e"))).toBe("EPERM");
    // A link is a name change: lost at a crash unless its directory was synced.
    const lossy = new SimFileSystem({ seed: 6, keepNameChange: 0 });
    lossy.mkdirDurable("/d");
    lossy.close(lossy.open("/d/f", "w"));
    syncDir(lossy, "/d");
    lossy.link("/d/f", "/d/unsynced");
    expect(lossy.crash().stat("/d/unsynced")).toBeUndefined();
    const again = withDurableFile(4);
    expect(again.realpath("d/./x/../f/")).toBe("/d/f");
    expect(again.realpath("/")).toBe("/");
    expect(code(() => again.realpath("/d/missing"))).toBe("ENOENT");
  });

  it("gives files a modification time from its clock; files poked onto the disk are old", () => {
    let now = 1_000;
    const fs = new SimFileSystem({ seed: 5, now: () => now });
    fs.mkdirDurable("/d");
    const fd = fs.open("/d/f", "w");
    expect(fs.fstat(fd).mtimeMs).toBe(1_000);
    now = 2_000;
    fs.write(fd, text("x"), 0);
    expect(fs.stat("/d/f")?.mtimeMs).toBe(2_000);
    fs.close(fd);
    fs.pokeFile("/d/p", text("old"));
    expect(fs.stat("/d/p")?.mtimeMs).toBe(0);
  });

  it("renames atomically over an existing file and keeps descriptors on the moved file", () => {
    const fs = new SimFileSystem({ seed: 1 });
    fs.mkdir("/d");
    const a = fs.open("/d/a", "w");
    fs.write(a, text("new"), null);
    const b = fs.open("/d/b", "w");
    fs.write(b, text("old"), 0);
    fs.close(b);
    fs.rename("/d/a", "/d/b");
    fs.write(a, text("!"), null);
    fs.close(a);
    expect(fs.readdir("/d")).toEqual(["b"]);
    expect(readAll(fs, "/d/b")).toBe("new!");
  });
});

describe("SimFileSystem: crashes", () => {
  it("always keeps what was synced (file data and directory entries)", () => {
    const seen = outcomes((seed) => {
      const fs = withDurableFile(seed);
      return str(fs.crash().peekFile("/d/f"));
    });
    expect(seen).toEqual(new Set(["base"]));
  });

  it("drops, keeps or tears an unsynced append, and nothing else", () => {
    const seen = outcomes((seed) => {
      const fs = withDurableFile(seed);
      const fd = fs.open("/d/f", "a");
      fs.write(fd, text("-appended"), null);
      return str(fs.crash().peekFile("/d/f"));
    });
    expect(seen.has("base")).toBe(true);
    expect(seen.has("base-appended")).toBe(true);
    const torn = [...seen].filter((s) => s !== "base" && s !== "base-appended");
    expect(torn.length).toBeGreaterThan(0);
    for (const s of seen) expect("base-appended".startsWith(s ?? "")).toBe(true);
  });

  it("reorders unsynced writes only when reorder is on", () => {
    const holes = (reorder: boolean): boolean =>
      [
        ...outcomes((seed) => {
          const fs = new SimFileSystem({ seed, reorder });
          fs.mkdirDurable("/d");
          const fd = fs.open("/d/f", "w");
          fs.fsync(fd);
          syncDir(fs, "/d");
          fs.write(fd, text("AAAA"), null);
          fs.write(fd, text("BBBB"), null);
          return str(fs.crash().peekFile("/d/f"));
        }, 400),
      ].some((s) => s?.includes("\0") === true && s.includes("B"));
    expect(holes(true)).toBe(true);
    expect(holes(false)).toBe(false);
  });

  it("loses a created name unless its directory was synced", () => {
    const unsynced = outcomes((seed) => {
      const fs = new SimFileSystem({ seed });
      fs.mkdirDurable("/d");
      const fd = fs.open("/d/new", "w");
      fs.write(fd, text("x"), 0);
      fs.fsync(fd);
      return str(fs.crash().peekFile("/d/new"));
    });
    expect(unsynced).toEqual(new Set([undefined, "x"]));
    const synced = outcomes((seed) => {
      const fs = new SimFileSystem({ seed });
      fs.mkdirDurable("/d");
      const fd = fs.open("/d/new", "w");
      fs.write(fd, text("x"), 0);
      fs.fsync(fd);
      syncDir(fs, "/d");
      return str(fs.crash().peekFile("/d/new"));
    });
    expect(synced).toEqual(new Set(["x"]));
  });

  it("loses a new directory (and all inside it) unless its parent was synced", () => {
    const seen = outcomes((seed) => {
      const fs = new SimFileSystem({ seed });
      fs.mkdirDurable("/d");
      fs.mkdir("/d/sub");
      const fd = fs.open("/d/sub/f", "w");
      fs.write(fd, text("x"), 0);
      fs.fsync(fd);
      syncDir(fs, "/d/sub");
      return str(fs.crash().peekFile("/d/sub/f"));
    });
    expect(seen).toEqual(new Set([undefined, "x"]));
  });

  it("keeps an unsynced rename atomic: the target holds the old or the new file", () => {
    const seen = outcomes((seed) => {
      const fs = withDurableFile(seed);
      const fd = fs.open("/d/f.tmp", "w");
      fs.write(fd, text("next"), 0);
      fs.fsync(fd);
      fs.close(fd);
      fs.rename("/d/f.tmp", "/d/f");
      const after = fs.crash();
      return `${str(after.peekFile("/d/f"))}|${after.listFiles("/d").join(",")}`;
    });
    expect(seen).toEqual(new Set(["base|f", "next|f", "base|f,f.tmp"]));
  });

  it("may bring back an unsynced unlink, never after a directory sync", () => {
    const unlinked = (sync: boolean): Set<string | undefined> =>
      outcomes((seed) => {
        const fs = withDurableFile(seed);
        fs.unlink("/d/f");
        if (sync) syncDir(fs, "/d");
        return str(fs.crash().peekFile("/d/f"));
      });
    expect(unlinked(false)).toEqual(new Set([undefined, "base"]));
    expect(unlinked(true)).toEqual(new Set([undefined]));
  });

  it("is deterministic: the same seed and calls give the same post-crash state", () => {
    const run = (seed: number): string => {
      const fs = withDurableFile(seed);
      const fd = fs.open("/d/f", "a");
      for (let i = 0; i < 10; i++) fs.write(fd, text(`<${i}>`), null);
      fs.close(fs.open("/d/g", "w"));
      const after = fs.crash();
      return `${str(after.peekFile("/d/f"))}|${after.listFiles("/").join(",")}`;
    };
    for (let seed = 1; seed < 50; seed++) expect(run(seed)).toBe(run(seed));
    expect(new Set(Array.from({ length: 50 }, (_, i) => run(i + 1))).size).toBeGreaterThan(5);
  });

  it("kills the crashed instance: every later call throws SimCrashError", () => {
    const fs = withDurableFile(1);
    const fd = fs.open("/d/f", "r");
    fs.crash();
    expect(() => fs.fstat(fd)).toThrow(SimCrashError);
    expect(() => fs.stat("/d/f")).toThrow(SimCrashError);
  });
});

describe("SimFileSystem: fault injection", () => {
  it("crashAt(N) throws at call N and at every later call, and counts calls", () => {
    const fs = new SimFileSystem({ seed: 1 });
    fs.crashAt(3);
    fs.mkdir("/d");
    const fd = fs.open("/d/f", "w");
    expect(fs.calls).toBe(2);
    expect(() => fs.write(fd, text("x"), 0)).toThrow(SimCrashError);
    expect(() => fs.close(fd)).toThrow(SimCrashError);
    expect(fs.crashed).toBe(true);
    expect(fs.calls).toBe(4);
    expect(fs.crash().peekFile("/d/f")).toBeUndefined();
  });

  it("fails the Nth call once, or forever, with an errno error", () => {
    for (const forever of [false, true]) {
      const fs = new SimFileSystem({ seed: 1 });
      fs.failAt({ at: 2, code: "ENOSPC", forever });
      fs.mkdir("/d");
      let caught: NodeJS.ErrnoException | undefined;
      try {
        fs.open("/d/f", "w");
      } catch (error) {
        caught = error as NodeJS.ErrnoException;
      }
      expect(caught?.code).toBe("ENOSPC");
      expect(caught?.errno).toBe(-28);
      const third = (): void => fs.mkdir("/e");
      if (forever) expect(third).toThrow(/ENOSPC/);
      else expect(third).not.toThrow();
      expect(fs.faultsFired.length).toBe(forever ? 2 : 1);
    }
  });

  it("counts only the selected calls when a fault names them", () => {
    const fs = new SimFileSystem({ seed: 1 });
    fs.failAt({ at: 2, code: "EIO", calls: ["fdatasync"] });
    fs.mkdir("/d");
    const fd = fs.open("/d/f", "w");
    fs.write(fd, text("a"), null);
    fs.fdatasync(fd);
    fs.write(fd, text("b"), null);
    expect(() => fs.fdatasync(fd)).toThrow(/EIO/);
    expect(fs.faultsFired).toEqual([{ step: 6, call: "fdatasync", code: "EIO" }]);
  });

  it("can write a prefix of the bytes before failing a write (a disk filling up)", () => {
    const kept = outcomes((seed) => {
      const fs = new SimFileSystem({ seed });
      fs.mkdir("/d");
      const fd = fs.open("/d/f", "w");
      fs.failAt({ at: 1, code: "ENOSPC", calls: ["write"], partialWrites: true });
      expect(() => fs.write(fd, text("abcdef"), 0)).toThrow(/ENOSPC/);
      return str(fs.peekFile("/d/f"));
    }, 60);
    expect(kept.size).toBeGreaterThan(2);
    for (const s of kept) expect("abcdef".startsWith(s ?? "x")).toBe(true);
  });

  it("models fsyncgate: writes pending at a failed fsync never become durable", () => {
    const seen = outcomes((seed) => {
      const fs = withDurableFile(seed);
      const fd = fs.open("/d/f", "a");
      fs.write(fd, text("-lost"), null);
      fs.failAt({ at: 1, code: "EIO", calls: ["fdatasync"] });
      expect(() => fs.fdatasync(fd)).toThrow(/EIO/);
      fs.write(fd, text("-kept"), null);
      fs.fdatasync(fd);
      expect(readAll(fs, "/d/f")).toBe("base-lost-kept");
      return str(fs.crash().peekFile("/d/f"));
    }, 20);
    expect(seen).toEqual(new Set(["base\0\0\0\0\0-kept"]));
  });
});
