/**
 * The built page (dist/ui/web/, `npm run build`): it must load under the page's CSP
 * (`default-src 'self'`: no inline script, no import map, nothing from another origin) and
 * every import must name a file that was copied there, since no bare specifier resolves.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./helpers.js";

const web = path.join(root, "dist/ui/web");
// Specifiers hold no spaces: a string such as from " band edge" in uPlot's code is no import.
const importPattern = /\b(?:from|import)\s*\(?\s*["']([^"'\s]+)["']/g;

describe("the built page", () => {
  it("has no inline script and loads nothing from elsewhere", () => {
    const html = fs.readFileSync(path.join(web, "index.html"), "utf8");
    for (const [tag] of html.matchAll(/<script\b[^>]*>[\s\S]*?<\/script>/g)) {
      expect(tag, "a script is a src, never inline").toMatch(/^<script[^>]*\bsrc="[^"]+"[^>]*><\/script>$/);
    }
    expect(html).not.toContain("importmap");
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });

  it("imports only relative files that exist (bare imports rewritten)", () => {
    const modules = [
      ...fs.readdirSync(web).filter((f) => f.endsWith(".js")),
      ...fs.readdirSync(path.join(web, "vendor")).filter((f) => f.endsWith(".js")).map((f) => `vendor/${f}`),
    ];
    expect(modules).toContain("app.js");
    expect(modules).toContain("vendor/preact.module.js");
    let imports = 0;
    for (const module of modules) {
      const text = fs.readFileSync(path.join(web, module), "utf8");
      for (const [, specifier] of text.matchAll(importPattern)) {
        expect(specifier, `${module} imports ${specifier}`).toMatch(/^\.\.?\//);
        expect(fs.existsSync(path.resolve(path.dirname(path.join(web, module)), specifier as string)), specifier).toBe(true);
        imports++;
      }
    }
    expect(imports).toBeGreaterThan(10);
    for (const licence of ["LICENSE-preact", "LICENSE-htm", "LICENSE-uplot"]) {
      expect(fs.existsSync(path.join(web, "vendor", licence)), licence).toBe(true);
    }
  });
});
