import path from "node:path";
import { describe, expect, it } from "vitest";
import { assetPath } from "../../src/ui/server/assets.js";

describe("assetPath", () => {
  const root = path.resolve("/srv/web");
  it("maps / to index.html and files under the root", () => {
    expect(assetPath(root, "/")).toBe(path.join(root, "index.html"));
    expect(assetPath(root, "/vendor/preact.mjs")).toBe(path.join(root, "vendor/preact.mjs"));
    expect(assetPath(root, "/assets/a%20b.css")).toBe(path.join(root, "assets/a b.css"));
  });
  it("refuses anything that could leave the root or name a hidden file", () => {
    for (const bad of ["/..", "/../x", "/a/../../x", "/%2e%2e/x", "/a%2f..%2f..%2fx", "/.env", "/a//b", "/a\\b", "/a%5c..%5cb", "/a%00", "/%E0%A4%A"]) {
      expect(assetPath(root, bad), bad).toBeUndefined();
    }
  });
});
