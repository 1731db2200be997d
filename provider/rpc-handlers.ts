/**
 * The provider's behaviour as ProviderHandlers (provider/server/handler-contract.ts): one function per tfplugin6 RPC,
 * wired by the plugin server. This module does the protocol work every RPC shares: decoding DynamicValues with
 * the implied types, choosing the resource or data source implementation, echoing private data, and turning
 * every failure into diagnostics (a handler never throws). The behaviour itself lives in resources/, data/,
 * upgrade.ts and config.ts.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ProviderHandlers, ProviderLog } from './server/handler-contract';
import { GetProviderSchema_ResponseSchema, Provider as ProviderService, type DynamicValue, type GetProviderSchema_Response } from './protocol';
import { decodeDynamic, decodeJsonValue, encodeDynamic, isUnknown, type CtyObject, type CtyValue, type ObjectType } from './values';
import { PROVIDER_SCHEMA } from './schema';
import { impliedType } from './implied-type';
import { PROVIDER_CAPABILITIES } from './provider-schema';
import { providerSchemaResponseBytes } from './schema-blob';
import { DiagnosticsError, errorDiag, valueErrorDiag, warningDiag, type Diagnostic } from './diagnostics';
import { defaultClientFactory, ProviderSession, validateProviderConfig, type ClientFactory, type Env } from './config';
import { makeApi } from './api';
import { isObjectValue, PartialStateError, type ResourceImpl } from './resources/common';
import { templateResource } from './resources/template-resource';
import { presetResource } from './resources/preset-resource';
import { workspaceResource } from './resources/workspace-resource';
import { notificationTargetResource } from './resources/notification-target-resource';
import { presetDataSource, type DataSourceImpl } from './data/preset-data-source';
import { upgradeState } from './upgrade';
import { attributePath } from './paths';
import { quote } from '../controller/domain/text';

/** The response (init shape) of one tfplugin6 RPC. */
type Response<K extends keyof (typeof ProviderService)['method']> = MessageInitShape<(typeof ProviderService)['method'][K]['output']>;

const RESOURCES: ReadonlyMap<string, ResourceImpl> = new Map(
  [templateResource, presetResource, workspaceResource, notificationTargetResource].map((r) => [r.typeName, r]),
);
const DATA_SOURCES: ReadonlyMap<string, DataSourceImpl> = new Map([presetDataSource].map((d) => [d.typeName, d]));

export interface ProviderOptions {
  /** Environment for PREWARM_* defaults; process.env by default. */
  env?: Env;
  /** How the API client is made (tests inject one they can close); createClient by default. */
  clientFactory?: ClientFactory;
  /** Per-call API deadline; the client's default (30 s) when absent. */
  timeoutMs?: number;
  /** The clock a template's preset list ages by (provider/preset-reads.ts); performance.now by default. */
  now?: () => number;
}

export interface Provider {
  handlers: ProviderHandlers;
  /** Closes the API client, if one was made. */
  close(): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

function decode(dv: DynamicValue | undefined, type: ObjectType, what: string): CtyValue {
  try {
    if (dv !== undefined && dv.msgpack.byteLength > 0) return decodeDynamic(dv.msgpack, type);
    if (dv !== undefined && dv.json.byteLength > 0) return decodeJsonValue(dv.json, type);
    return null;
  } catch (err) {
    throw new DiagnosticsError([valueErrorDiag(err, what)]);
  }
}

/** A resource or provider object: null stays null; an unknown whole object (possible only in config) → null. */
function decodeObject(dv: DynamicValue | undefined, type: ObjectType, what: string): CtyObject | null {
  const v = decode(dv, type, what);
  if (v === null || isUnknown(v)) return null;
  if (!isObjectValue(v)) throw new DiagnosticsError([errorDiag(`Invalid ${what}`, 'expected an object')]);
  return v;
}

function encode(value: CtyValue, type: ObjectType): { msgpack: Uint8Array } {
  return { msgpack: encodeDynamic(value, type) };
}

// ---------------------------------------------------------------------------------------------------------------
// Failure handling

/**
 * Runs an RPC body; DiagnosticsError and unexpected errors become the diagnostics of `fallback`'s response, so
 * Terraform always gets an answer it can show (a thrown error would be a bare "Plugin error").
 */
async function guard<R>(rpc: string, log: ProviderLog, fallback: (diags: Diagnostic[]) => R, body: () => Promise<R>): Promise<R> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof DiagnosticsError) return fallback(err.diagnostics);
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log.error(`${rpc} failed unexpectedly`, { error: message });
    return fallback([
      errorDiag(
        'Internal error in the prewarm provider',
        `${rpc}: ${err instanceof Error ? err.message : String(err)}. This is a bug in terraform-provider-prewarm; ` +
          'run with TF_LOG_PROVIDER=debug for details.',
      ),
    ]);
  }
}

function resourceImpl(typeName: string): ResourceImpl {
  const impl = RESOURCES.get(typeName);
  if (!impl) throw new DiagnosticsError([errorDiag('Unknown resource type', `terraform-provider-prewarm has no resource type "${typeName}"`)]);
  return impl;
}

function dataSourceImpl(typeName: string): DataSourceImpl {
  const impl = DATA_SOURCES.get(typeName);
  if (!impl) throw new DiagnosticsError([errorDiag('Unknown data source', `terraform-provider-prewarm has no data source "${typeName}"`)]);
  return impl;
}

let schemaResponse: GetProviderSchema_Response | undefined;

/**
 * The precomputed answer (schema-blob.ts), decoded once: the handler gives what the server sends without a handler.
 * Identical every time, as get_provider_schema_optional requires.
 */
function providerSchemaResponse(): GetProviderSchema_Response {
  return (schemaResponse ??= fromBinary(GetProviderSchema_ResponseSchema, providerSchemaResponseBytes()));
}

// ---------------------------------------------------------------------------------------------------------------

export function createProvider(options: ProviderOptions = {}): Provider {
  const session = new ProviderSession(options.env ?? process.env, options.clientFactory ?? defaultClientFactory, options.timeoutMs, options.now);
  const providerType = impliedType(PROVIDER_SCHEMA.block);

  const handlers: ProviderHandlers = {
    async getMetadata() {
      return {
        serverCapabilities: PROVIDER_CAPABILITIES,
        resources: [...RESOURCES.keys()].map((typeName) => ({ typeName })),
        dataSources: [...DATA_SOURCES.keys()].map((typeName) => ({ typeName })),
      };
    },

    async getProviderSchema() {
      return providerSchemaResponse();
    },

    async validateProviderConfig(req, ctx) {
      return guard<Response<'validateProviderConfig'>>('ValidateProviderConfig', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const config = decodeObject(req.config, providerType, 'provider configuration');
        return { diagnostics: validateProviderConfig(config) };
      });
    },

    async configureProvider(req, ctx) {
      return guard<Response<'configureProvider'>>('ConfigureProvider', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const config = decodeObject(req.config, providerType, 'provider configuration');
        const diagnostics = session.configure(config);
        if (session.unknownAttributes.length > 0) {
          ctx.log.info('provider configured with unknown values; API calls fail until they are known', {
            unknown: session.unknownAttributes.join(','),
          });
        }
        return { diagnostics };
      });
    },

    async validateResourceConfig(req, ctx) {
      return guard<Response<'validateResourceConfig'>>('ValidateResourceConfig', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const impl = resourceImpl(req.typeName);
        const config = decodeObject(req.config, impliedType(impl.schema.block), `${impl.typeName} configuration`);
        return { diagnostics: config === null ? [] : impl.validate(config) };
      });
    },

    async validateDataResourceConfig(req, ctx) {
      return guard<Response<'validateDataResourceConfig'>>('ValidateDataResourceConfig', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const impl = dataSourceImpl(req.typeName);
        const config = decodeObject(req.config, impliedType(impl.schema.block), `data.${impl.typeName} configuration`);
        return { diagnostics: config === null ? [] : impl.validate(config) };
      });
    },

    async upgradeResourceState(req, ctx) {
      return guard<Response<'upgradeResourceState'>>('UpgradeResourceState', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const impl = resourceImpl(req.typeName);
        const { state, dropped } = upgradeState(req.rawState, req.version, impl.schema, impl.typeName);
        if (dropped.length > 0) {
          ctx.log.warn('dropped attributes the schema does not have from stored state', { type: impl.typeName, attributes: dropped.join(',') });
        }
        return { upgradedState: encode(state, impliedType(impl.schema.block)) };
      });
    },

    async readResource(req, ctx) {
      // On failure the current state goes back unchanged, so an error never loses what Terraform knows.
      const echo = (diagnostics: Diagnostic[]) => ({ newState: req.currentState, private: req.private, diagnostics });
      return guard<Response<'readResource'>>('ReadResource', ctx.log, echo, async () => {
        const impl = resourceImpl(req.typeName);
        const type = impliedType(impl.schema.block);
        const prior = decodeObject(req.currentState, type, `${impl.typeName} state`);
        if (prior === null) return { newState: encode(null, type), private: req.private, diagnostics: [] };
        if (session.unknownAttributes.length > 0) {
          ctx.log.info('refresh skipped: provider configuration not known yet', { type: impl.typeName });
          return echo([
            warningDiag(
              `${impl.typeName} not refreshed`,
              `The provider configuration (${session.unknownAttributes.join(', ')}) is not known yet, so the prior state is ` +
                'used as it is. Changes made outside Terraform show up once the configuration is known.',
            ),
          ]);
        }
        const api = makeApi(session, ctx.signal, impl.schema.block, impl.typeName);
        const current = await impl.read(api, prior);
        return { newState: encode(current, type), private: req.private, diagnostics: [] };
      });
    },

    async planResourceChange(req, ctx) {
      const fail = (diagnostics: Diagnostic[]) => ({ plannedPrivate: req.priorPrivate, diagnostics });
      return guard<Response<'planResourceChange'>>('PlanResourceChange', ctx.log, fail, async () => {
        const impl = resourceImpl(req.typeName);
        const type = impliedType(impl.schema.block);
        const prior = decodeObject(req.priorState, type, `${impl.typeName} prior state`);
        const proposed = decodeObject(req.proposedNewState, type, `${impl.typeName} proposed state`);
        const config = decodeObject(req.config, type, `${impl.typeName} configuration`);
        const { planned, requiresReplace } = impl.plan({ prior, proposed, config });
        return {
          plannedState: encode(planned, type),
          requiresReplace: requiresReplace.map(attributePath),
          plannedPrivate: req.priorPrivate,
          diagnostics: [],
        };
      });
    },

    async applyResourceChange(req, ctx) {
      let fallbackState: DynamicValue | { msgpack: Uint8Array } | undefined = req.priorState;
      const fail = (diagnostics: Diagnostic[]) => ({ newState: fallbackState, private: req.plannedPrivate, diagnostics });
      return guard<Response<'applyResourceChange'>>('ApplyResourceChange', ctx.log, fail, async () => {
        const impl = resourceImpl(req.typeName);
        const type = impliedType(impl.schema.block);
        const prior = decodeObject(req.priorState, type, `${impl.typeName} prior state`);
        const planned = decodeObject(req.plannedState, type, `${impl.typeName} planned state`);
        // A failed create saves nothing (null); a failed update or delete keeps the prior object, which the
        // controller still has (every mutation is one transaction).
        fallbackState = prior === null ? encode(null, type) : req.priorState;
        const api = makeApi(session, ctx.signal, impl.schema.block, impl.typeName);
        // Whatever this process read before the write, and whatever a list in flight brings back, is older than it.
        session.presetReads.invalidate();
        if (planned === null) {
          if (prior !== null) await impl.delete(api, prior).finally(() => session.presetReads.invalidate());
          return { newState: encode(null, type), private: req.plannedPrivate, diagnostics: [] };
        }
        try {
          const state = await impl.apply(api, prior, planned);
          return { newState: encode(state, type), private: req.plannedPrivate, diagnostics: [] };
        } catch (err) {
          if (err instanceof PartialStateError) return { newState: encode(err.state, type), private: req.plannedPrivate, diagnostics: err.diagnostics };
          throw err;
        } finally {
          session.presetReads.invalidate();
        }
      });
    },

    async importResourceState(req, ctx) {
      return guard<Response<'importResourceState'>>('ImportResourceState', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const impl = resourceImpl(req.typeName);
        // Import is followed by ReadResource, which needs the controller: say so now, not with a stub state.
        session.getClient(`import ${impl.typeName} ${quote(req.id)}`);
        const state = impl.importState(req.id);
        return {
          importedResources: [{ typeName: impl.typeName, state: encode(state, impliedType(impl.schema.block)) }],
          diagnostics: [],
        };
      });
    },

    async readDataSource(req, ctx) {
      return guard<Response<'readDataSource'>>('ReadDataSource', ctx.log, (diagnostics) => ({ diagnostics }), async () => {
        const impl = dataSourceImpl(req.typeName);
        const type = impliedType(impl.schema.block);
        const config = decodeObject(req.config, type, `data.${impl.typeName} configuration`);
        if (config === null) throw new DiagnosticsError([errorDiag(`Cannot read data.${impl.typeName}`, 'the configuration is null')]);
        const api = makeApi(session, ctx.signal, impl.schema.block, `data.${impl.typeName}`);
        const state = await impl.read(api, config);
        return { state: encode(state, type), diagnostics: [] };
      });
    },
  };

  return { handlers, close: () => session.close() };
}

/** What the plugin server calls (provider/main.ts). */
export function createProviderHandlers(options: ProviderOptions = {}): ProviderHandlers {
  return createProvider(options).handlers;
}
