import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

/**
 * Found by tests/corruption/fuzz.test.ts: a damaged manifest.json (one flipped byte) makes open
 * fail with OPSLOG_CORRUPTION naming it, as it should — but open({ repair: true }) fails the
 * same way, so the documented way out does not exist for the one file every open needs. Repair
 * should rebuild the manifest from the files present (newest valid snapshot, segments in
 * order), move the damaged manifest to quarantine/, and open.
 */
describe("regression: repair of a damaged manifest", () => {
  it("opens with { repair: true } and quarantines the damaged manifest", async () => {
    const fs = new SimFileSystem({ seed: 41 });
    const dir = "/data/manifest-damage";
    const options = { fileSystem: fs, checkpointThreshold: 0, checkpointOnClose: false };
    const store = new Store<unknown>();
    await store.open(dir, options);
    await store.set("a", 1);
    await store.compact();
    await store.set("b", 2);
    await store.close();
    const manifest = fs.peekFile(`${dir}/manifest.json`)!;
    manifest[20] = manifest[20]! ^ 0x04;
    fs.pokeFile(`${dir}/manifest.json`, manifest);
    const plain = await new Store<unknown>().open(dir, options).then(() => undefined, (e: unknown) => e);
    expect(plain).toBeInstanceOf(OpslogError);
    expect((plain as OpslogError).code).toBe("OPSLOG_CORRUPTION");
    const repaired = new Store<unknown>();
    await repaired.open(dir, { ...options, repair: true });
    expect(repaired.get("a")).toBe(1);
    expect(repaired.stats().repair?.quarantined.length).toBeGreaterThan(0);
    await repaired.close();
    expect(fs.listFiles(dir).some((f) => f.startsWith("quarantine/"))).toBe(true);
  });
});
