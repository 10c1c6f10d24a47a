/**
 * The page's static files, served from dist/ui/web/ (built by the page's own tsconfig and
 * scripts/copy-ui-assets.mjs). They hold no data, so they need no token. Only files under that
 * directory are served: a path with "..", a backslash or a NUL is refused before the file
 * system sees it.
 */
import { readFile, stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HttpError } from "./http-errors.js";

/** dist/ui/server/assets.js → dist/ui/web/. */
export const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../web");

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>opslog ui</title></head>
<body><h1>opslog ui</h1>
<p>The page assets are not built (dist/ui/web/ is missing): run <code>npm run build</code>.
The API under <code>/api/</code> works without them (docs/UI-API.md).</p></body></html>
`;

/** The file under `root` a request path names, or undefined when it may not name one. */
export function assetPath(root: string, requestPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return undefined;
  }
  if (decoded === "/" || decoded === "") decoded = "/index.html";
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const parts = decoded.split("/").slice(1);
  if (parts.some((part) => part === "" || part === "." || part === ".." || part.startsWith("."))) {
    return undefined;
  }
  const file = path.join(root, ...parts);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/** Serves a static file; 404 when there is none. `head`: headers only. */
export async function serveAsset(
  res: ServerResponse,
  requestPath: string,
  head: boolean,
  root = webRoot,
): Promise<void> {
  const isIndex = requestPath === "/" || requestPath === "/index.html";
  const file = assetPath(root, requestPath);
  let body: Buffer | undefined;
  if (file !== undefined) {
    try {
      if ((await stat(file)).isFile()) body = await readFile(file);
    } catch {
      body = undefined;
    }
  }
  if (body === undefined && isIndex) body = Buffer.from(notBuiltPage);
  if (body === undefined) throw new HttpError("not_found", `no file ${JSON.stringify(requestPath)}`);
  const type = file === undefined ? undefined : contentTypes[path.extname(file).toLowerCase()];
  res.writeHead(200, {
    "Content-Type": type ?? (isIndex ? contentTypes[".html"] : "application/octet-stream"),
    "Content-Length": body.length,
    "Cache-Control": "no-cache",
  });
  res.end(head ? undefined : body);
}
