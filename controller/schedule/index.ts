/** Public API of the schedule module: cron windows in a time zone → desired pool size. */
export type {
  CompiledSchedule,
  CompiledScheduling,
  DesiredResult,
  DesiredSource,
  LocalFields,
  SchedulingSpec,
} from './types';
export { parseDuration, formatDuration } from './duration';
export { compileCron, CronSyntaxError, CronWindow } from './cron';
export {
  findOverlaps,
  findOverlapsWithWitness,
  schedulesOverlap,
  overlapWitness,
  formatWitness,
  canEverMatch,
  dayUniverse,
  type OverlapWitness,
} from './overlap';
export { localFields, isValidTimeZone, timeZoneProblem, LocalTimeCache } from './localtime';
export {
  compileScheduling,
  checkScheduling,
  desiredCount,
  instancesProblem,
  leadTimeProblem,
  MAX_INSTANCES,
  MAX_LEAD_TIME_MS,
  type SchedulingCheck,
} from './desired';
