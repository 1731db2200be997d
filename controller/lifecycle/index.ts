/**
 * The pure lifecycle core: a workspace snapshot in, at most one action per workspace out; and `explain`, each
 * rule's instant for one workspace. No I/O, no clock reads (time is the snapshot's `now` or explain's `now`), no
 * randomness: the same input always gives the same output, so `explain --at` tells the truth about a future tick.
 *
 * Cost: a few comparisons per workspace and nothing allocated for one with nothing due, so a tick over 100,000
 * workspaces is dominated by reading them, not by deciding.
 */
export { explainWorkspace } from './explain';
export { planLifecycle, planWorkspace } from './plan';
export {
  autoDestroyTarget,
  dueRule,
  isHeld,
  LIFECYCLE_RULES,
  type AutoDestroyRule,
  type ReminderRule,
  type TransitionRule,
} from './rules';
