import type { Command } from "../command.js";
import { atCommand } from "./at.js";
import { compactCommand } from "./compact.js";
import { exportCommand } from "./export.js";
import { findRecordsCommand } from "./find.js";
import { getCommand } from "./get.js";
import { importCommand } from "./import.js";
import { infoCommand } from "./info.js";
import { logCommand } from "./log.js";
import { lsCommand } from "./ls.js";
import { repairCommand } from "./repair.js";
import { uiCommand } from "./ui.js";
import { redoCommand, undoCommand } from "./undo.js";
import { verifyCommand } from "./verify.js";

/** Every command, in the order `opslog --help` lists them. */
export const commands: Command[] = [
  infoCommand,
  getCommand,
  lsCommand,
  findRecordsCommand,
  logCommand,
  atCommand,
  verifyCommand,
  repairCommand,
  compactCommand,
  exportCommand,
  importCommand,
  undoCommand,
  redoCommand,
  uiCommand,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((command) => command.name === name);
}
