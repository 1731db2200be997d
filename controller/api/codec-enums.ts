/**
 * The prewarm.v1 enums ↔ their domain string unions, as two-way lookups that report unknown values instead of
 * passing them through silently.
 */
import * as pb from './gen/prewarm/v1/prewarm_pb';
import type { ExplainAction } from './service';
import type { InstanceState, PresetStatus } from '../domain/states';
import type { DeliveryState } from '../domain/notification-target';

const presetStatusPairs: ReadonlyArray<[PresetStatus, pb.PresetStatus]> = [
  ['healthy', pb.PresetStatus.HEALTHY],
  ['hard_limited', pb.PresetStatus.HARD_LIMITED],
  ['validation_failed', pb.PresetStatus.VALIDATION_FAILED],
];

const instanceStatePairs: ReadonlyArray<[InstanceState, pb.InstanceState]> = [
  ['pending', pb.InstanceState.PENDING],
  ['starting', pb.InstanceState.STARTING],
  ['ready', pb.InstanceState.READY],
  ['claimed', pb.InstanceState.CLAIMED],
  ['stopping', pb.InstanceState.STOPPING],
  ['stopped', pb.InstanceState.STOPPED],
  ['deleting', pb.InstanceState.DELETING],
  ['deleted', pb.InstanceState.DELETED],
  ['failed', pb.InstanceState.FAILED],
  ['archived', pb.InstanceState.ARCHIVED],
];

const actionTypePairs: ReadonlyArray<[ExplainAction['type'], pb.ActionType]> = [
  ['create', pb.ActionType.CREATE],
  ['delete', pb.ActionType.DELETE],
  ['backoff', pb.ActionType.BACKOFF],
  ['cancel_pending', pb.ActionType.CANCEL_PENDING],
];

const deliveryStatePairs: ReadonlyArray<[DeliveryState, pb.DeliveryState]> = [
  ['pending', pb.DeliveryState.PENDING],
  ['delivered', pb.DeliveryState.DELIVERED],
  ['failed', pb.DeliveryState.FAILED],
];

/** A two-way lookup that reports unknown values instead of passing them through silently. */
function enumMapping<T extends string, P extends number>(pairs: ReadonlyArray<[T, P]>, what: string) {
  const toPb = new Map<string, P>(pairs);
  const fromPb = new Map<number, T>(pairs.map(([t, p]) => [p, t]));
  return {
    names: pairs.map(([t]) => t),
    toProto(value: T): P {
      const p = toPb.get(value);
      if (p === undefined) throw new Error(`cannot encode ${what} ${JSON.stringify(value)}`);
      return p;
    },
    /** undefined for UNSPECIFIED and values this build does not know. */
    tryFromProto(value: number): T | undefined {
      return fromPb.get(value);
    },
    fromProto(value: number): T {
      const t = fromPb.get(value);
      if (t === undefined) throw new Error(`the controller sent an unknown ${what} (${value}); is this client older than the controller?`);
      return t;
    },
  };
}

export const presetStatusEnum = enumMapping(presetStatusPairs, 'preset status');
export const instanceStateEnum = enumMapping(instanceStatePairs, 'instance state');
export const actionTypeEnum = enumMapping(actionTypePairs, 'action type');
export const deliveryStateEnum = enumMapping(deliveryStatePairs, 'delivery state');
