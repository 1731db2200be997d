/** What the controller stores and reports about templates, presets and instances (times are epoch milliseconds). */
import type { PresetSpec, TemplateSpec } from './specs';
import type { InstanceState, PresetStatus } from './states';

export interface TemplateRecord extends TemplateSpec {
  id: string; // the name
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface PresetRecord extends PresetSpec {
  id: string; // TEMPLATE/NAME
  generation: number;
  paused: boolean;
  status: PresetStatus;
  statusReason: string;
  invalidatedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface InstanceRecord {
  id: string;
  name: string;
  presetId: string;
  template: string;
  preset: string;
  state: InstanceState;
  owner: string | null;
  templateVersion: number;
  createdAt: number;
  readyAt: number | null;
  claimedAt: number | null;
  /** What the driver answered in `{"attributes": {...}}`, values as strings. */
  attributes: Record<string, string>;
  /** Last driver error for failed instances. */
  error: string;
}

/** A driver operation that finished, as a live view reports it. */
export interface PoolEvent {
  /** Epoch ms the operation finished. */
  at: number;
  presetId: string;
  instanceId: string;
  op: 'create' | 'delete' | 'start' | 'stop';
  ok: boolean;
  /** For a failure: the driver's error message. */
  error: string;
  /** The last non-empty line the driver wrote to stderr (failures). */
  stderrTail: string;
  durationMs: number;
}

export interface PutOptions {
  /** Fail with a ConflictError when a live object of that name exists (Terraform creates), instead of replacing it. */
  createOnly?: boolean;
}
