/**
 * resource "prewarm_workspace": an instance claimed from a preset's pool for an owner.
 *
 * Create claims (ClaimRequest with the workspace's destroy settings). A claim from a ready pool answers a running
 * workspace at once; from an empty pool the controller starts a build for the claimer and answers `pending`, and
 * create polls until the build is done (`claimed`), failed, or `wait_ready` ran out. A create that fails after the
 * claim went through returns the workspace with the error, so Terraform keeps it (tainted) and the next apply
 * deletes it and claims again, instead of forgetting an instance that exists.
 *
 * Update changes only the destroy settings (setWorkspace; an attribute removed from the configuration is cleared),
 * or nothing remote at all when only `wait_ready` changed. template, preset and owner replace the workspace.
 *
 * Delete asks the controller to delete it and polls until the record is archived: the driver's delete really ran.
 *
 * Read: an archived (or deleting) workspace, or one the controller does not know, is gone, so the next plan claims a
 * new one; that covers every policy destroy (auto_destroy_at, inactivity, stopped_ttl, dormancy). The controller
 * reports instants and durations in its own spelling; state keeps the configured one while it means the same.
 */
import type { ClaimRequest, WorkspaceSettings } from '../../controller/api/service';
import type { WorkspaceRecord } from '../../controller/domain/workspace';
import type { InstanceState } from '../../controller/domain/states';
import { formatInstant, parseInstant } from '../../controller/domain/instant';
import { formatLifecycleDuration, lifecycleDurationProblem, parseLifecycleDuration } from '../../controller/domain/lifecycle-duration';
import { formatDuration, parseDuration } from '../../controller/domain/duration';
import { nameProblem } from '../../controller/domain/names';
import { normalizeOwner, ownerProblem, quote } from '../../controller/domain/text';
import { instanceRefProblem } from '../../controller/domain/ids';
import { isUnknown, unknown, type CtyObject, type CtyValue } from '../values';
import { DEFAULT_WAIT_READY, MAX_WAIT_READY_MS, WORKSPACE_SCHEMA, WORKSPACE_TYPE } from '../schema';
import { DiagnosticsError, errorDiag, invalidValueDiag, type Diagnostic } from '../diagnostics';
import { toCtyMap } from '../convert';
import type { Api } from '../api';
import { PartialStateError, replacePaths, resolveUnknowns, type ResourceImpl } from './common';

const block = WORKSPACE_SCHEMA.block;
const WHAT = WORKSPACE_TYPE;
const COMPUTED = ['id', 'name', 'state', 'attributes', 'deadline'] as const;

/** A workspace in one of these is history, or on its way there: Terraform treats it as gone. */
const GONE: ReadonlySet<InstanceState> = new Set<InstanceState>(['archived', 'deleted', 'deleting']);
/** Built and handed out (a policy may already be stopping it): a create is done waiting. */
const READY: ReadonlySet<InstanceState> = new Set<InstanceState>(['claimed', 'stopping', 'stopped']);
/** A driver job runs for the workspace: a delete is refused until it has finished. */
const JOB_IN_FLIGHT: ReadonlySet<InstanceState> = new Set<InstanceState>(['pending', 'starting', 'stopping']);

/** Polling starts fast (a fallback build of a quick driver takes seconds) and settles at a gentle rate. */
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 2000;

// ---------------------------------------------------------------------------------------------------------------
// Values

function sameInstant(text: string, ms: number): boolean {
  try {
    return parseInstant(text) === ms;
  } catch {
    return false;
  }
}

function sameLifecycleDuration(text: string, ms: number): boolean {
  try {
    return parseLifecycleDuration(text) === ms;
  } catch {
    return false;
  }
}

/** The wait_ready of a planned value or state, in ms (the default when not set). */
export function waitReadyMs(value: CtyValue | undefined): number {
  const text = typeof value === 'string' ? value : DEFAULT_WAIT_READY;
  try {
    return parseDuration(text);
  } catch {
    return parseDuration(DEFAULT_WAIT_READY);
  }
}

function waitText(value: CtyValue | undefined): string {
  return typeof value === 'string' ? value : `${DEFAULT_WAIT_READY} (the default)`;
}

/** State from a controller record; `like` (prior state or planned value) keeps the user's spelling of equal values. */
export function workspaceState(rec: WorkspaceRecord, like: CtyObject | null): CtyObject {
  const likeOwner = like?.owner;
  const likeAt = like?.auto_destroy_at;
  const likeInactivity = like?.auto_destroy_inactivity;
  const likeWait = like?.wait_ready;
  return {
    id: rec.id,
    template: rec.template,
    preset: rec.preset,
    // The controller stores the owner trimmed.
    owner: typeof likeOwner === 'string' && normalizeOwner(likeOwner) === rec.owner ? likeOwner : rec.owner,
    auto_destroy_at:
      rec.autoDestroyAt === null
        ? null
        : typeof likeAt === 'string' && sameInstant(likeAt, rec.autoDestroyAt)
          ? likeAt
          : formatInstant(rec.autoDestroyAt),
    auto_destroy_inactivity:
      rec.autoDestroyInactivityMs === null
        ? null
        : typeof likeInactivity === 'string' && sameLifecycleDuration(likeInactivity, rec.autoDestroyInactivityMs)
          ? likeInactivity
          : formatLifecycleDuration(rec.autoDestroyInactivityMs),
    // Not the controller's: only the configuration (through the prior state) knows it.
    wait_ready: typeof likeWait === 'string' ? likeWait : null,
    name: rec.name,
    state: rec.state,
    attributes: toCtyMap(rec.attributes),
    deadline: rec.deadline === null ? null : formatInstant(rec.deadline),
  };
}

/** Which workspace a state refers to (an import stub has only the id). */
function stateId(state: CtyObject): string {
  if (typeof state.id === 'string' && state.id !== '') return state.id;
  throw new DiagnosticsError([errorDiag('Invalid prewarm_workspace state', 'the state has no workspace id')]);
}

function knownString(planned: CtyObject, name: string): string {
  const v = planned[name];
  if (typeof v !== 'string') {
    throw new DiagnosticsError([errorDiag(`Cannot apply ${WHAT}`, `${name} must be a known string when applying, got ${v === null ? 'null' : 'an unknown value'}`)]);
  }
  return v;
}

/** The destroy settings that differ between prior and planned: a removed one is cleared (null). */
function settingsChange(prior: CtyObject, planned: CtyObject): WorkspaceSettings {
  const change: WorkspaceSettings = {};
  const value = (v: CtyValue | undefined) => (typeof v === 'string' ? v : null);
  if (isUnknown(planned.auto_destroy_at) || value(planned.auto_destroy_at) !== value(prior.auto_destroy_at)) {
    change.autoDestroyAt = value(planned.auto_destroy_at);
  }
  if (isUnknown(planned.auto_destroy_inactivity) || value(planned.auto_destroy_inactivity) !== value(prior.auto_destroy_inactivity)) {
    change.autoDestroyInactivity = value(planned.auto_destroy_inactivity);
  }
  return change;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation (plan time: values may be unknown)

function wantString(config: CtyObject, name: string, diags: Diagnostic[], problem: (v: string) => string | null): void {
  const v = config[name];
  if (v === null || v === undefined || isUnknown(v)) return;
  if (typeof v !== 'string') return; // the schema's type: Terraform converted or refused it already
  const p = problem(v);
  if (p !== null) diags.push(invalidValueDiag([{ attr: name }], p));
}

function instantProblem(v: string): string | null {
  try {
    parseInstant(v);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function waitReadyProblem(v: string): string | null {
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch (err) {
    return (err as Error).message;
  }
  if (ms <= 0) return `must be greater than zero, got ${quote(v)} (leave it out for the default, ${DEFAULT_WAIT_READY})`;
  if (ms > MAX_WAIT_READY_MS) return `must be at most ${formatDuration(MAX_WAIT_READY_MS)}, got ${quote(v)}`;
  return null;
}

function ownerValueProblem(v: string): string | null {
  if (v.trim() === '') return 'must not be blank: say who the workspace is for';
  return ownerProblem(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Waiting

/** The state Terraform keeps for a workspace that exists although the apply failed (saved tainted on a create). */
function partial(rec: WorkspaceRecord, planned: CtyObject, diags: Diagnostic[]): PartialStateError {
  return new PartialStateError(diags, resolveUnknowns(planned, workspaceState(rec, planned)) as CtyObject);
}

/** Polls a fresh claim until the workspace is built; every failure keeps the workspace in state (tainted). */
async function waitReady(api: Api, claimed: WorkspaceRecord, planned: CtyObject): Promise<WorkspaceRecord> {
  const limitMs = waitReadyMs(planned.wait_ready);
  const giveUpAt = Date.now() + limitMs;
  const action = `wait for workspace ${claimed.name} to be built`;
  const tainted =
    'Terraform keeps the workspace as tainted: the next apply deletes it and claims a new one ' +
    `(or delete it now with "prewarm workspace delete ${claimed.id}" and remove it from the state).`;
  let rec = claimed;
  let delay = POLL_FIRST_MS;
  while (!READY.has(rec.state)) {
    if (rec.state === 'failed') {
      throw partial(rec, planned, [
        errorDiag(
          `Workspace ${rec.name} failed to build`,
          `The pool of ${rec.presetId} was empty, so the controller built workspace ${rec.id} for this claim, and the ` +
            `driver's create failed: ${rec.error || '(the driver gave no error message)'}. ${tainted}`,
        ),
      ]);
    }
    if (GONE.has(rec.state)) {
      throw new DiagnosticsError([
        errorDiag(
          `Workspace ${rec.name} was deleted while Terraform waited for it`,
          `Workspace ${rec.id} is ${rec.state}: it was deleted outside Terraform (prewarm workspace delete, or a ` +
            'lifecycle policy) before its build finished. Apply again to claim a new one.',
        ),
      ]);
    }
    const left = giveUpAt - Date.now();
    if (left <= 0) {
      throw partial(rec, planned, [
        errorDiag(
          `Workspace ${rec.name} not ready within wait_ready`,
          `The pool of ${rec.presetId} was empty, so the controller is building workspace ${rec.id} for this claim; it is ` +
            `still ${rec.state} after ${waitText(planned.wait_ready)}. Raise wait_ready if builds of this template take ` +
            `longer, or keep the pool filled (prebuilds). ${tainted}`,
        ),
      ]);
    }
    let next: WorkspaceRecord | undefined;
    try {
      await api.sleep(Math.min(delay, left), action);
      next = await api.callAllowNotFound(`read workspace ${rec.id}`, (c) => c.getWorkspace(rec.id));
    } catch (err) {
      // Cancelled, or the controller unreachable for a moment: the workspace exists, so Terraform must keep it.
      if (err instanceof DiagnosticsError) throw partial(rec, planned, err.diagnostics);
      throw err;
    }
    if (next === undefined) {
      throw new DiagnosticsError([
        errorDiag(`Workspace ${rec.name} disappeared while Terraform waited for it`, `The controller no longer knows workspace ${rec.id}. Apply again to claim a new one.`),
      ]);
    }
    rec = next;
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
  return rec;
}

type DeleteAnswer = { rec: WorkspaceRecord } | { conflict: string } | undefined;

async function requestDelete(api: Api, id: string): Promise<DeleteAnswer> {
  return api.callAllowNotFound(`delete workspace ${id}`, async (c): Promise<{ rec: WorkspaceRecord } | { conflict: string }> => {
    try {
      return { rec: await c.workspaceOp(id, 'delete') };
    } catch (err) {
      if (err instanceof Error && err.name === 'ConflictError') return { conflict: err.message };
      throw err;
    }
  });
}

/** Deletes a workspace and waits until its record is archived (or gone): the driver's delete has run. */
async function deleteAndWait(api: Api, prior: CtyObject): Promise<void> {
  const id = stateId(prior);
  const giveUpAt = Date.now() + waitReadyMs(prior.wait_ready);
  const action = `delete workspace ${id}`;
  let delay = POLL_FIRST_MS;
  let requested = false;
  let rec: WorkspaceRecord | undefined;
  for (;;) {
    if (!requested) {
      const answer = await requestDelete(api, id);
      if (answer === undefined) return;
      if ('rec' in answer) {
        requested = true;
        rec = answer.rec;
      } else {
        // A job in flight (a build, a start or a stop) must finish first; anything else is a real refusal.
        rec = await api.callAllowNotFound(`read workspace ${id}`, (c) => c.getWorkspace(id));
        if (rec === undefined) return;
        if (!JOB_IN_FLIGHT.has(rec.state)) throw new DiagnosticsError([errorDiag(`Cannot delete workspace ${id}`, answer.conflict)]);
      }
    }
    if (rec === undefined || rec.state === 'archived' || rec.state === 'deleted') return;
    if (requested && rec.state === 'failed') {
      throw new DiagnosticsError([
        errorDiag(
          `Cannot delete workspace ${rec.name}: the driver's delete failed`,
          `Workspace ${rec.id} is failed: ${rec.error || '(the driver gave no error message)'}. It is not archived and ` +
            'Terraform keeps it in the state; run the destroy again to retry, or look at it with ' +
            `"prewarm workspace get ${rec.id}".`,
        ),
      ]);
    }
    const left = giveUpAt - Date.now();
    if (left <= 0) {
      throw new DiagnosticsError([
        errorDiag(
          `Workspace ${rec.name} not deleted within wait_ready`,
          `Workspace ${rec.id} is still ${rec.state} after ${waitText(prior.wait_ready)}${requested ? ' (the delete was requested and continues)' : ''}. ` +
            'Run the destroy again later to wait for it, or raise wait_ready.',
        ),
      ]);
    }
    await api.sleep(Math.min(delay, left), action);
    delay = Math.min(delay * 2, POLL_MAX_MS);
    rec = await api.callAllowNotFound(`read workspace ${id}`, (c) => c.getWorkspace(id));
  }
}

// ---------------------------------------------------------------------------------------------------------------

export const workspaceResource: ResourceImpl = {
  typeName: WORKSPACE_TYPE,
  schema: WORKSPACE_SCHEMA,

  validate(config) {
    const diags: Diagnostic[] = [];
    wantString(config, 'template', diags, nameProblem);
    wantString(config, 'preset', diags, nameProblem);
    wantString(config, 'owner', diags, ownerValueProblem);
    wantString(config, 'auto_destroy_at', diags, instantProblem);
    wantString(config, 'auto_destroy_inactivity', diags, lifecycleDurationProblem);
    wantString(config, 'wait_ready', diags, waitReadyProblem);
    return diags;
  },

  plan({ prior, proposed }) {
    if (proposed === null) return { planned: null, requiresReplace: [] };
    const planned: CtyObject = { ...proposed };
    const allUnknown = () => {
      for (const name of COMPUTED) planned[name] = unknown();
    };
    if (prior === null) {
      allUnknown();
      return { planned, requiresReplace: [] };
    }
    const requiresReplace = replacePaths(prior, planned, block);
    // A failed workspace (its build, or a delete that gave up) is of no use: replace it. Its state is planned unknown
    // so that Terraform sees the replace path change.
    if (prior.state === 'failed') requiresReplace.push([{ attr: 'state' }]);
    if (requiresReplace.length > 0) allUnknown();
    else if (Object.keys(settingsChange(prior, planned)).length > 0) {
      // The apply talks to the controller, which reports the workspace as it is then.
      planned.state = unknown();
      planned.deadline = unknown();
    }
    return { planned, requiresReplace };
  },

  async apply(api, prior, planned) {
    if (prior === null) {
      const req: ClaimRequest = {
        template: knownString(planned, 'template'),
        preset: knownString(planned, 'preset'),
        owner: knownString(planned, 'owner'),
      };
      if (typeof planned.auto_destroy_at === 'string') req.autoDestroyAt = planned.auto_destroy_at;
      if (typeof planned.auto_destroy_inactivity === 'string') req.autoDestroyInactivity = planned.auto_destroy_inactivity;
      const claimed = await api.call(`claim a workspace from ${req.template}/${req.preset}`, (c) => c.claim(req));
      const rec = await waitReady(api, claimed, planned);
      return resolveUnknowns(planned, workspaceState(rec, planned)) as CtyObject;
    }
    const id = stateId(prior);
    const change = settingsChange(prior, planned);
    // Only wait_ready changed: nothing to tell the controller, and every planned value is known.
    if (Object.keys(change).length === 0) return planned;
    const rec = await api.call(`change the destroy settings of workspace ${id}`, (c) => c.setWorkspace(id, change));
    return resolveUnknowns(planned, workspaceState(rec, planned)) as CtyObject;
  },

  async delete(api, prior) {
    await deleteAndWait(api, prior);
  },

  async read(api, prior) {
    const id = stateId(prior);
    const rec = await api.callAllowNotFound(`read workspace ${id}`, (c) => c.getWorkspace(id));
    return rec === undefined || GONE.has(rec.state) ? null : workspaceState(rec, prior);
  },

  importState(id) {
    const problem = instanceRefProblem(id);
    if (problem !== null) {
      throw new DiagnosticsError([
        errorDiag(
          'Invalid import ID',
          'A prewarm_workspace is imported by its id as "prewarm workspace list" shows it (8 or more characters of it, or ' +
            `its name, work too), e.g. terraform import prewarm_workspace.preview 3f2a9c1e; the ID ${problem}.`,
        ),
      ]);
    }
    return Object.fromEntries(Object.keys(block.attributes).map((name) => [name, name === 'id' ? id : null]));
  },
};
