/**
 * The real provider with one deliberate protocol bug, chosen by PREWARM_CONFORMANCE_MUTANT: the integration test
 * bundles this file (like provider/main.ts) and checks that the conformance harness catches every mutant with the
 * right message, so a harness that silently stopped checking something fails too. Not part of the product.
 */
import { decode, encode, ExtData } from '@msgpack/msgpack';
import { createProviderHandlers } from '../../provider/rpc-handlers';
import type { ProviderHandlers } from '../../provider/server/handler-contract';
import * as runtime from '../../provider/server/runtime';
import { serve } from '../../provider/server/serve';
import { guardProcessStdout } from '../../provider/server/stdout-guard';

guardProcessStdout();

type Obj = Record<string, unknown>;
type DV = { msgpack?: Uint8Array } | undefined;

/** Decodes a msgpack DynamicValue into plain JS (unknowns stay ExtData), lets `edit` change it, re-encodes it. */
function mutate<T extends DV>(dv: T, edit: (v: Obj) => void): T {
  if (dv === undefined || dv.msgpack === undefined || dv.msgpack.byteLength === 0) return dv;
  const v = decode(dv.msgpack) as Obj | null;
  if (v === null) return dv;
  edit(v);
  return { ...dv, msgpack: encode(v) };
}

const mutant = process.env.PREWARM_CONFORMANCE_MUTANT ?? '';
const real = createProviderHandlers();
const h: ProviderHandlers = { ...real };
let exitOnShutdown = true;

switch (mutant) {
  case 'plan-ignores-config': // a non-computed attribute planned differently from its configuration
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_preset') resp.plannedState = mutate(resp.plannedState as DV, (v) => (v.description = 'not what was configured'));
      return resp;
    };
    break;
  case 'plan-keeps-version': // a computed value that apply will change is planned known
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      const prior = mutate(req.priorState as DV, () => undefined);
      if (req.typeName === 'prewarm_template' && prior?.msgpack) {
        const p = decode(prior.msgpack) as Obj | null;
        if (p !== null) resp.plannedState = mutate(resp.plannedState as DV, (v) => (v.version = p.version));
      }
      return resp;
    };
    break;
  case 'apply-rewrites-known': // apply returns a value other than the known planned one
    h.applyResourceChange = async (req, ctx) => {
      const resp = await real.applyResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_template') resp.newState = mutate(resp.newState as DV, (v) => (v.driver = `${String(v.driver)}-normalised`));
      return resp;
    };
    break;
  case 'apply-leaves-unknown': // an unknown left in an apply result
    h.applyResourceChange = async (req, ctx) => {
      const resp = await real.applyResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_template') resp.newState = mutate(resp.newState as DV, (v) => (v.version = new ExtData(0, new Uint8Array([0]))));
      return resp;
    };
    break;
  case 'read-drops-private': // ReadResource does not echo private
    h.readResource = async (req, ctx) => ({ ...(await real.readResource!(req, ctx)), private: new Uint8Array() });
    break;
  case 'read-drops-attribute': // an object without one of its attributes
    h.readResource = async (req, ctx) => {
      const resp = await real.readResource!(req, ctx);
      resp.newState = mutate(resp.newState as DV, (v) => delete v.driver);
      return resp;
    };
    break;
  case 'plan-null-block': // a nested LIST block planned as null instead of an empty list
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_preset') {
        resp.plannedState = mutate(resp.plannedState as DV, (v) => {
          const pb = v.prebuilds as Obj[] | undefined;
          if (Array.isArray(pb) && pb[0]) pb[0].expiration_policy = null;
        });
      }
      return resp;
    };
    break;
  case 'plan-drops-block': // a nested block element disappears from the plan
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_preset') {
        resp.plannedState = mutate(resp.plannedState as DV, (v) => {
          const sched = ((v.prebuilds as Obj[] | undefined)?.[0]?.scheduling as Obj[] | undefined)?.[0];
          if (sched && Array.isArray(sched.schedule) && sched.schedule.length > 1) sched.schedule = sched.schedule.slice(0, 1);
        });
      }
      return resp;
    };
    break;
  case 'plan-unknown-block': // a configured nested block planned as unknown
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_preset') {
        resp.plannedState = mutate(resp.plannedState as DV, (v) => {
          const pb = v.prebuilds as Obj[] | undefined;
          if (Array.isArray(pb) && pb[0]) pb[0].expiration_policy = new ExtData(0, new Uint8Array([0]));
        });
      }
      return resp;
    };
    break;
  case 'plan-unstable-id': // a known planned value that differs from one plan to the next
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_template') {
        resp.plannedState = mutate(resp.plannedState as DV, (v) => {
          if (typeof v.id === 'string') v.id = `${v.id}-${process.hrtime.bigint()}`;
        });
      }
      return resp;
    };
    break;
  case 'replace-missing-path': // requires_replace naming an attribute that does not exist
    h.planResourceChange = async (req, ctx) => {
      const resp = await real.planResourceChange!(req, ctx);
      if (req.typeName === 'prewarm_template' && (req.priorState?.msgpack.byteLength ?? 0) > 1) {
        resp.requiresReplace = [{ steps: [{ selector: { case: 'attributeName', value: 'no_such_attribute' } }] }];
      }
      return resp;
    };
    break;
  case 'diagnostic-without-path': // validation errors without their attribute path
    h.validateResourceConfig = async (req, ctx) => {
      const resp = await real.validateResourceConfig!(req, ctx);
      for (const d of resp.diagnostics ?? []) delete (d as { attribute?: unknown }).attribute;
      return resp;
    };
    break;
  case 'schema-unquoted-type': // type bytes that are not cty type JSON
    h.getProviderSchema = async (req, ctx) => {
      const resp = await real.getProviderSchema!(req, ctx);
      const s = resp.resourceSchemas?.prewarm_template as { block?: { attributes?: { name?: string; type?: Uint8Array }[] } } | undefined;
      const a = s?.block?.attributes?.find((x) => x.name === 'driver');
      if (a) a.type = new TextEncoder().encode('string');
      return resp;
    };
    break;
  case 'ignores-shutdown': // the process stays after GRPCController.Shutdown
    exitOnShutdown = false;
    break;
  case 'millisecond-log-timestamp': // an hclog JSON line go-plugin cannot parse
    process.stderr.write(`${JSON.stringify({ '@level': 'info', '@message': 'starting', '@timestamp': new Date().toISOString() })}\n`);
    break;
  case '':
    break;
  default:
    process.stderr.write(`unknown PREWARM_CONFORMANCE_MUTANT ${mutant}\n`);
    process.exit(2);
}

if (!exitOnShutdown) setInterval(() => undefined, 60_000); // nothing else may end the process either
// One bundle: the gRPC runtime is linked in directly (the real executable loads it from a second file).
void serve(h, { runtime: () => runtime, ...(exitOnShutdown ? {} : { exit: () => undefined }) });
