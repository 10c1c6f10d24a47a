// Deterministic ~200-byte JSON records and ids, shared by every store and workload.

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const STATUSES = ["open", "closed", "pending", "archived"];
const TAGS = ["alpha", "beta", "gamma", "delta", "omega", "kappa"];
export const RECORD_BYTES = 200;
export const OWNERS = 1000;
export const DUE_FROM = 1767225600000;
export const DUE_SPAN = 365 * 86_400_000;

export function idOf(i) {
  return "r" + String(i).padStart(7, "0");
}

/** Record number `i`, version `v` (updates bump v): a plain JSON object of about 200 bytes. */
export function makeRecord(i, v = 0) {
  const r = prng(i * 7919 + v * 104729 + 1);
  const n = String(i).padStart(7, "0");
  const rec = {
    name: "user-" + n,
    email: "user-" + n + "@example.com",
    status: STATUSES[Math.floor(r() * STATUSES.length)],
    age: 18 + Math.floor(r() * 62),
    priority: Math.floor(r() * 11),
    owner: { id: "u" + String(Math.floor(r() * OWNERS)).padStart(4, "0") },
    // A due date in ms since the epoch, over one year from 2026-01-01: W6's range and sorts.
    due: DUE_FROM + Math.floor(r() * DUE_SPAN),
    tags: [TAGS[Math.floor(r() * TAGS.length)], TAGS[Math.floor(r() * TAGS.length)]],
    version: v,
    note: "",
  };
  const pad = RECORD_BYTES - JSON.stringify(rec).length;
  rec.note = "x".repeat(Math.max(0, pad));
  return rec;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
