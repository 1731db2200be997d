/** The compiled form of a scheduling block: cron windows as bit sets over local wall-clock fields. */

/** One cron window compiled to bit sets over local wall-clock fields. */
export interface CompiledSchedule {
  /** The cron text as the user wrote it (for explain output and diagnostics). */
  cron: string;
  instances: number;
  /** True when the window contains the given local wall-clock fields. */
  matches(local: LocalFields): boolean;
}

export interface CompiledScheduling {
  timezone: string;
  leadTimeMs: number;
  schedules: CompiledSchedule[];
}

/** Local wall-clock fields of one instant in one time zone. */
export interface LocalFields {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31 */
  day: number;
  /** 0-23 */
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  daysInMonth: number;
}
