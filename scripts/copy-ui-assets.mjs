// Copies the page's static files and its vendored ESM libraries into dist/ui/web/ (run by
// `npm run build` after `tsc -p tsconfig.ui.json`). No CDN and no bundler: preact, htm and uPlot
// ship as the files below, with their licences. The page's CSP (`default-src 'self'`) blocks
// inline scripts, and an import map is one, so bare imports ("preact", "htm", ...) are rewritten
// here to relative paths in the compiled page and in the vendored files.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "src/ui/web");
const out = path.join(root, "dist/ui/web");
const vendor = path.join(out, "vendor");
// Not require.resolve: htm and uplot do not export their package.json.
const packageDir = (name) => path.join(root, "node_modules", name);

/** package → [file in the package, name in vendor/]. */
const vendored = [
  ["preact", "dist/preact.module.js", "preact.module.js"],
  ["preact", "hooks/dist/hooks.module.js", "hooks.module.js"],
  ["htm", "dist/htm.module.js", "htm.module.js"],
  ["uplot", "dist/uPlot.esm.js", "uPlot.esm.js"],
  ["uplot", "dist/uPlot.min.css", "uPlot.min.css"],
  ["preact", "LICENSE", "LICENSE-preact"],
  ["htm", "LICENSE", "LICENSE-htm"],
  ["uplot", "LICENSE", "LICENSE-uplot"],
];

/** Bare specifier → the vendored file, relative to vendor/. */
const specifiers = {
  preact: "preact.module.js",
  "preact/hooks": "hooks.module.js",
  htm: "htm.module.js",
  uplot: "uPlot.esm.js",
};

/** Rewrites `from "preact"` (and `import("preact")`) to `prefix + file`. */
export function rewriteImports(text, prefix) {
  return text.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])(preact\/hooks|preact|htm|uplot)\2/g,
    (_all, lead, quote, name) => `${lead}${quote}${prefix}${specifiers[name]}${quote}`,
  );
}

mkdirSync(vendor, { recursive: true });
for (const [name, file, target] of vendored) {
  const from = path.join(packageDir(name), file);
  if (target.endsWith(".js")) {
    writeFileSync(path.join(vendor, target), rewriteImports(readFileSync(from, "utf8"), "./"));
  } else {
    copyFileSync(from, path.join(vendor, target));
  }
}
for (const file of readdirSync(source)) {
  if (!file.endsWith(".html") && !file.endsWith(".css")) continue;
  copyFileSync(path.join(source, file), path.join(out, file));
}
let pages = 0;
for (const file of readdirSync(out)) {
  if (!file.endsWith(".js")) continue;
  const full = path.join(out, file);
  writeFileSync(full, rewriteImports(readFileSync(full, "utf8"), "./vendor/"));
  pages++;
}
if (pages === 0) {
  throw new Error("dist/ui/web/ has no compiled page: run tsc -p tsconfig.ui.json first");
}
// index.html preloads every module; a name there that is not built would be a silent 404.
const html = readFileSync(path.join(out, "index.html"), "utf8");
for (const [, href] of html.matchAll(/<(?:link|script)[^>]*(?:href|src)="([^":]+)"/g)) {
  if (!existsSync(path.join(out, href))) {
    throw new Error(`index.html names ${href}, which is not in dist/ui/web/`);
  }
}
console.log(`copy-ui-assets: ${pages} page modules, ${vendored.length} vendored files`);
