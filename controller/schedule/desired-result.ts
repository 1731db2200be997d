/** Which rule produced a desired count. */
export type DesiredSource =
  | { kind: 'none' }
  | { kind: 'base' }
  | { kind: 'schedule'; index: number; cron: string; via: 'now' | 'lead_time' };

export interface DesiredResult {
  desired: number;
  source: DesiredSource;
}
