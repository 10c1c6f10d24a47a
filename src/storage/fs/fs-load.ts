import path from "node:path";
import { InvalidArgumentError } from "../../errors.js";
import type { LoadedStore } from "./fs-types.js";
import type { FileSystem } from "./file-system.js";
import { removeIfPresent, syncDirectory } from "./files.js";
import { newManifest, recoverFromManifest } from "./fs-recovery.js";
import { upgradeLegacy, viewLegacy } from "./legacy-upgrade.js";
import { archiveDir, opsDir, quarantineDir, snapshotsDir } from "./log-format.js";
import { readManifest, writeManifest, type Manifest, type ManifestRead } from "./manifest-file.js";
import { rebuildManifest } from "./manifest-rebuild.js";
import { readBesideWriter } from "./reader-retry.js";
import { CorruptionError } from "../../errors.js";
import type { RepairReport } from "../../types.js";

export interface LoadOptions {
  readOnly: boolean;
  repair: boolean;
  schemaVersion: number;
}

export interface LoadedDirectory {
  manifest: Manifest;
  store: LoadedStore;
  activeBytes: number;
  logBytesSinceSnapshot: number;
  snapshotBytes: number;
  /** Files the manifest no longer names, to delete after the next manifest commit. */
  obsolete: string[];
}

/**
 * Opens a store directory of any supported kind: new, current format, or opslog 0.x. A reader
 * starts over when the writer deleted a file its manifest named (reader-retry.ts).
 */
export function loadDirectory(fs: FileSystem, dir: string, options: LoadOptions): LoadedDirectory {
  if (options.readOnly && options.repair) {
    throw new InvalidArgumentError("repair needs a writable store; drop readOnly to repair");
  }
  if (options.readOnly) return readBesideWriter(fs, dir, () => loadOnce(fs, dir, options));
  return loadOnce(fs, dir, options);
}

function loadOnce(fs: FileSystem, dir: string, options: LoadOptions): LoadedDirectory {
  const report: RepairReport = { quarantined: [] };
  const read = readManifestOrRebuild(fs, dir, options, report);
  if (read.kind === "missing") return options.readOnly ? emptyView(options) : initialise(fs, dir, options);
  if (read.kind === "legacy" && options.readOnly) {
    const view = viewLegacy(fs, dir);
    return { ...emptyView(options), manifest: view.manifest, store: view.store };
  }
  const manifest = read.kind === "legacy" ? upgradeLegacy(fs, dir) : read.manifest;
  const recovered = recoverFromManifest(fs, dir, manifest, options, report);
  if (recovered.manifestChanged) writeManifest(fs, dir, recovered.manifest);
  const obsolete = options.readOnly ? [] : removeLeftovers(fs, dir, recovered.manifest);
  const snapshot = recovered.manifest.snapshot;
  return {
    manifest: recovered.manifest,
    store: {
      schemaVersion: recovered.manifest.schemaVersion,
      records: recovered.records,
      snapshotSeq: recovered.snapshotSeq,
      ...(snapshot?.ts ? { snapshotTs: snapshot.ts } : {}),
      ...(recovered.stacks ? { stacks: recovered.stacks } : {}),
      ops: recovered.ops,
      legacy: read.kind === "legacy",
      ...(recovered.repair ? { repair: recovered.repair } : {}),
    },
    activeBytes: recovered.activeBytes,
    logBytesSinceSnapshot: recovered.logBytesSinceSnapshot,
    snapshotBytes: snapshot ? (fs.stat(path.join(dir, snapshot.file))?.size ?? 0) : 0,
    obsolete,
  };
}

function initialise(fs: FileSystem, dir: string, options: LoadOptions): LoadedDirectory {
  for (const sub of [opsDir, snapshotsDir, archiveDir]) fs.mkdir(path.join(dir, sub));
  const manifest = newManifest(options.schemaVersion);
  const first = manifest.segments[0]!.file;
  removeIfPresent(fs, path.join(dir, first));
  fs.close(fs.open(path.join(dir, first), "wx"));
  syncDirectory(fs, path.join(dir, opsDir));
  syncDirectory(fs, dir);
  syncDirectory(fs, path.dirname(path.resolve(dir)));
  writeManifest(fs, dir, manifest);
  return emptyView(options, manifest);
}

/** An empty store: a new directory, or a readOnly view of a directory with no manifest. */
function emptyView(options: LoadOptions, manifest = newManifest(options.schemaVersion)): LoadedDirectory {
  return {
    manifest,
    store: emptyStore(options.schemaVersion),
    activeBytes: 0,
    logBytesSinceSnapshot: 0,
    snapshotBytes: 0,
    obsolete: [],
  };
}

function emptyStore(schemaVersion: number): LoadedStore {
  return { schemaVersion, records: new Map(), snapshotSeq: 0, ops: [], legacy: false };
}

/** Temp files of interrupted writes and snapshots no manifest names: safe to remove. */
function removeLeftovers(fs: FileSystem, dir: string, manifest: Manifest): string[] {
  const keep = new Set<string>(manifest.snapshot ? [manifest.snapshot.file] : []);
  const leftovers: string[] = [];
  for (const sub of [snapshotsDir, archiveDir, opsDir, quarantineDir, "."]) {
    let names: string[];
    try {
      names = fs.readdir(path.join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(sub, name);
      const orphanSnapshot = sub === snapshotsDir && /^snap-\d+\.jsonl$/.test(name) && !keep.has(file);
      if (name.endsWith(".tmp") || orphanSnapshot) leftovers.push(path.normalize(file));
    }
  }
  return leftovers;
}

function readManifestOrRebuild(fs: FileSystem, dir: string, options: LoadOptions, report: RepairReport): ManifestRead {
  try {
    return readManifest(fs, dir);
  } catch (error) {
    if (!options.repair || !(error instanceof CorruptionError)) throw error;
    const manifest = rebuildManifest(fs, dir, report);
    return { kind: "current", manifest, bytes: 0 };
  }
}
