export * from "./errors.js";
export type * from "./types.js";
export type { FileSystem, FileStat, OpenFlags } from "./storage/fs/file-system.js";
export { NodeFileSystem } from "./storage/fs/node-file-system.js";
export { Store } from "./store.js";
export { inspect, verify } from "./storage/fs/inspect.js";
export type { DirectoryInfo, VerifyReport, VerifyProblem, VerifyOptions, InspectOptions } from "./storage/fs/inspect.js";
