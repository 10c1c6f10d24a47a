import { once } from "node:events";
import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

/**
 * Whether to colour is decided once, by shouldColor(); newer Node versions would otherwise
 * second-guess it against process.stdout (ignored where the option does not exist).
 */
const noValidation = { validateStream: false };

function style(format: Style, text: string): string {
  return styleText(format, text, noValidation);
}

/** Strings (keys when followed by a colon), literals and numbers of a JSON text. */
const jsonToken =
  /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Colour only for people: when the stream is a terminal and NO_COLOR is not set at all
 * (https://no-color.org). Pipes, files and CI logs get plain text.
 */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined;
}

export interface Writable {
  write(chunk: string): boolean;
  once(event: "drain", listener: () => void): unknown;
  isTTY?: boolean;
}

/** Where commands write results: stdout, with back-pressure so large exports stay bounded. */
export class Output {
  readonly color: boolean;

  constructor(
    readonly json: boolean,
    private readonly stream: Writable = process.stdout,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.color = !json && shouldColor(stream, env);
  }

  async write(text: string): Promise<void> {
    if (!this.stream.write(text))
      await once(this.stream as unknown as NodeJS.EventEmitter, "drain");
  }

  line(text = ""): Promise<void> {
    return this.write(`${text}\n`);
  }

  /** One compact JSON value per line (JSON Lines). */
  jsonLine(value: unknown): Promise<void> {
    return this.write(`${JSON.stringify(value)}\n`);
  }

  /** One JSON document, indented for reading. */
  jsonDocument(value: unknown): Promise<void> {
    return this.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  paint(format: Style, text: string): string {
    return this.color ? style(format, text) : text;
  }

  /** A record value for people: indented JSON, coloured on a terminal. */
  value(value: unknown, indent = 2): string {
    const json = JSON.stringify(value, null, indent) ?? "undefined";
    if (!this.color) return json;
    return json.replace(jsonToken, (match, text?: string, colon?: string, literal?: string) => {
      if (text !== undefined)
        return colon ? `${style("cyan", text)}${colon}` : style("green", text);
      return style(literal !== undefined ? "magenta" : "yellow", match);
    });
  }
}

const byteUnits = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${byteUnits[unit]}`;
}

export function formatCount(count: number, noun: string, plural = `${noun}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? noun : plural}`;
}

/** Rows of label and value, labels padded to one column. */
export function table(rows: [string, string][]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}
