/**
 * A small seeded pseudo-random generator (mulberry32) for deterministic simulation: the same
 * seed gives the same sequence on every machine, so a failing seed replays exactly.
 */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    if (!(bound > 0)) throw new RangeError(`int(${bound}): bound must be positive`);
    return Math.floor(this.next() * bound);
  }

  /** An integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick() from an empty list");
    return items[this.int(items.length)] as T;
  }

  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const a = items[i] as T;
      items[i] = items[j] as T;
      items[j] = a;
    }
    return items;
  }

  /** An independent generator derived from this one. */
  fork(): Random {
    return new Random(this.nextUint32());
  }
}

/** The seed from OPSLOG_SEED, or a fresh random one. */
export function seedFromEnv(name = "OPSLOG_SEED"): number {
  const text = process.env[name];
  if (text !== undefined && text !== "") {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new Error(`${name}=${text} is not an integer in [0, 2^32)`);
    }
    return value;
  }
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/** A positive integer from an environment variable, or the default. */
export function countFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name}=${text} is not a positive integer`);
  }
  return value;
}
