import type { Plan } from '../reconcile/types';

/**
 * A one-line-per-preset summary for `--watch`, printed only when something changed so a terminal shows the
 * pool filling up rather than a wall of identical lines.
 */
export class WatchPrinter {
  private last = '';
  constructor(private readonly write: (text: string) => void) {}

  update(plan: Plan): void {
    const lines = plan.presets
      .filter((p) => p.desiredSource.kind !== 'deleted')
      .map((p) => {
        const bar = '#'.repeat(Math.min(p.counts.ready, 40)) + '+'.repeat(Math.min(p.counts.starting, 40));
        const extra = [
          p.counts.claimed ? `claimed ${p.counts.claimed}` : '',
          p.counts.failed ? `failed ${p.counts.failed}` : '',
          p.counts.expired + p.counts.outdated ? `retiring ${p.counts.expired + p.counts.outdated}` : '',
          p.status !== 'healthy' ? p.status : '',
          p.paused ? 'paused' : '',
        ].filter(Boolean);
        return `${p.presetId.padEnd(24)} desired ${String(p.desired).padStart(3)}  ready ${String(p.counts.ready).padStart(3)}  starting ${String(p.counts.starting).padStart(3)}  ${bar}${extra.length ? `  (${extra.join(', ')})` : ''}`;
      });
    const text = lines.join('\n');
    if (text === this.last) return;
    this.last = text;
    const time = new Date(plan.now).toISOString().slice(11, 19);
    this.write(`${lines.map((l) => `${time}  ${l}`).join('\n')}\n`);
  }
}
