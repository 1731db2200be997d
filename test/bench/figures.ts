/** One measured figure; `ratio` is value / baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  goal?: string;
  runs?: number;
  note?: string;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Runs `fn` `runs` times after `warmup` unmeasured runs; returns each duration in ms. With `prepare`, each run (the
 * warm-ups too) first calls it, untimed, and hands its value to `fn` (a fresh store for a cold-start figure, say).
 */
export async function timeRuns<T = undefined>(
  runs: number,
  fn: (prepared: T) => unknown | Promise<unknown>,
  warmup = 1,
  prepare?: () => T | Promise<T>,
): Promise<number[]> {
  const next = async () => (prepare ? await prepare() : (undefined as T));
  for (let i = 0; i < warmup; i++) await fn(await next());
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const prepared = await next();
    const t = performance.now();
    await fn(prepared);
    out.push(performance.now() - t);
  }
  return out;
}

export function withRatio(f: Figure): Figure {
  if (f.baseline && f.baseline.value > 0) f.ratio = Math.round((f.value / f.baseline.value) * 100) / 100;
  return f;
}
