/**
 * A read-only picture of a store's state at one point of its history (`store.at(point)`).
 * Records are frozen; the view does not change when the store does.
 */
export class StoreView<T> {
  constructor(
    private readonly state: ReadonlyMap<string, unknown>,
    /** The seq of the last operation the view includes (0 for the empty store before any). */
    readonly seq: number,
    /** The timestamp of that operation (undefined for seq 0). */
    readonly ts: string | undefined,
  ) {}

  get(id: string): T | undefined {
    return this.state.get(id) as T | undefined;
  }

  has(id: string): boolean {
    return this.state.has(id);
  }

  all(): T[] {
    return Array.from(this.state.values()) as T[];
  }

  entries(): [string, T][] {
    return Array.from(this.state.entries()) as [string, T][];
  }

  filter(predicate: (value: T, id: string) => boolean): T[] {
    const found: T[] = [];
    for (const [id, value] of this.state) if (predicate(value as T, id)) found.push(value as T);
    return found;
  }

  count(predicate?: (value: T, id: string) => boolean): number {
    return predicate ? this.filter(predicate).length : this.state.size;
  }
}
