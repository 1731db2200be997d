/** Life-cycle states of instances and health states of presets, as stored and as reported. */

export type InstanceState =
  | 'pending' // intent written, driver not yet started
  | 'starting' // create driver running
  | 'ready'
  | 'claimed'
  | 'stopping'
  | 'stopped'
  | 'deleting'
  | 'deleted'
  | 'failed'
  | 'archived';

export type PresetStatus = 'healthy' | 'hard_limited' | 'validation_failed';
