/**
 * One shared copy of each distinct string. Every row a driver returns carries its own copy of each text
 * column, so 100,000 instance rows naming 10,000 presets hold 100,000 preset-id strings and 100,000 copies of
 * "ready"; passed through an interner, the mirror built from them holds 10,000 and one.
 *
 * The table only grows until `clear()` (the snapshot mirror clears it at each full reload, so strings that no
 * longer occur are dropped then); `limit` bounds it meanwhile: past it, strings are returned as they came,
 * uninterned, which costs memory but never correctness.
 */
export class Interner {
  private readonly table = new Map<string, string>();

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  /** The shared copy of `value` (the first one seen since the last clear), equal to it. */
  intern(value: string): string {
    const shared = this.table.get(value);
    if (shared !== undefined) return shared;
    if (this.table.size < this.limit) this.table.set(value, value);
    return value;
  }

  /** `intern` that passes null through (nullable columns). */
  internNullable(value: string | null): string | null {
    return value === null ? null : this.intern(value);
  }

  /** Distinct strings held. */
  get size(): number {
    return this.table.size;
  }

  clear(): void {
    this.table.clear();
  }
}
