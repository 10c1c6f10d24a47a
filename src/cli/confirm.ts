import { createInterface } from "node:readline";

/**
 * Asks a yes/no question on stderr and reads the answer from stdin, which may be a terminal or
 * a pipe (`echo y | opslog repair …`). End of input without an answer is "no".
 */
export function confirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const reader = createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: false,
    });
    let answered = false;
    process.stderr.write(`${question} [y/N] `);
    reader.once("line", (answer) => {
      answered = true;
      reader.close();
      if (!process.stdin.isTTY) process.stderr.write(`${answer}\n`);
      resolve(/^\s*y(es)?\s*$/i.test(answer));
    });
    reader.once("close", () => {
      if (answered) return;
      process.stderr.write("\n");
      resolve(false);
    });
  });
}
