/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition
 * format. Enough for /metrics without pulling a client library into the controller.
 */
type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function series(name: string, key: string, value: number): string {
  return `${name}${key ? `{${key}}` : ''} ${Number.isFinite(value) ? value : 0}`;
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract lines(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n');
  }
}

export class Counter extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => series(this.name, k, v));
  }
}

export class Gauge extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
  /** Replaces every series at once, so presets that disappeared stop being reported. */
  replaceAll(entries: Array<[Labels, number]>): void {
    this.values = new Map(entries.map(([l, v]) => [labelKey(l), v]));
  }
  get(labels: Labels = {}): number | undefined {
    return this.values.get(labelKey(labels));
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => series(this.name, k, v));
  }
}

export class Histogram extends Metric {
  private counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    name: string,
    help: string,
    private readonly buckets: number[],
  ) {
    super(name, help, 'histogram');
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) this.counts[i]++;
  }
  lines(): string[] {
    const out = this.buckets.map((b, i) => series(`${this.name}_bucket`, `le="${b}"`, this.counts[i]));
    out.push(series(`${this.name}_bucket`, 'le="+Inf"', this.count));
    out.push(series(`${this.name}_sum`, '', this.sum));
    out.push(series(`${this.name}_count`, '', this.count));
    return out;
  }
}

export class Registry {
  private metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

/** The controller's metrics, created once per process. */
export function controllerMetrics() {
  const registry = new Registry();
  return {
    registry,
    reconcileDuration: registry.register(
      new Histogram('prewarm_reconcile_duration_seconds', 'Time taken by one reconcile cycle.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    ),
    reconcileTotal: registry.register(new Counter('prewarm_reconcile_total', 'Reconcile cycles by result.')),
    actions: registry.register(new Counter('prewarm_actions_total', 'Driver operations by type and result.')),
    desired: registry.register(new Gauge('prewarm_preset_desired', 'Desired pool size per preset.')),
    ready: registry.register(new Gauge('prewarm_preset_ready', 'Ready, claimable instances per preset.')),
    starting: registry.register(new Gauge('prewarm_preset_starting', 'Instances being built per preset.')),
    presetStatus: registry.register(new Gauge('prewarm_preset_status', '1 for the current status of each preset.')),
    jobsInFlight: registry.register(new Gauge('prewarm_jobs_in_flight', 'Driver operations pending or running.')),
    outboxDepth: registry.register(new Gauge('prewarm_notification_outbox_depth', 'Notifications waiting for delivery.')),
    claims: registry.register(new Counter('prewarm_claims_total', 'Claims by result (pool, fallback, empty).')),
    paused: registry.register(new Gauge('prewarm_reconciliation_paused', '1 while reconciliation is paused globally.')),
    residentMemory: registry.register(new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes.')),
    heapUsed: registry.register(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes.')),
    heapTotal: registry.register(new Gauge('nodejs_heap_total_bytes', 'V8 heap reserved, bytes.')),
  };
}

export type ControllerMetrics = ReturnType<typeof controllerMetrics>;
