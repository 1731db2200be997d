/**
 * The prewarm.v1 gRPC server: wraps a PrewarmService, enforces bearer-token auth on every call, refuses
 * plaintext on non-loopback addresses, validates requests at the wire level and maps errors to statuses.
 */
import { normalizeOwner } from '../domain/text';
import * as grpc from '@grpc/grpc-js';
import { create, type DescMethod, type Message, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { Prewarm } from './gen/prewarm/v1/prewarm_pb';
import type { PrewarmService } from './service';
import { formatHostPort, isLoopbackHost, parseHostPort } from './address';
import { errorToStatus } from './status';
import { grpcServiceDefinition } from './grpc-bridge';
import { FieldIssues, checkOwner, checkPresetId, requireInstanceRef, requireName } from './field-issues';
import { requestInstant, specNumber, toInt64 } from './codec-int64';
import { deliveryStateEnum, instanceStateEnum } from './codec-enums';
import { presetSpecFromProto, templateSpecFromProto } from './codec-specs';
import { instanceToProto, presetToProto, templateToProto } from './codec-records';
import { explainReportToProto, statusReportToProto } from './codec-reports';
import { workspaceExplainToProto, workspaceToProto } from './codec-workspaces';
import { deliveryToProto, targetInputFromProto, targetToProto, testResultToProto } from './codec-notifications';
import type { InstanceState } from '../domain/states';
import type { WorkspaceFilter, WorkspaceOp } from '../domain/workspace';
import type { DeliveryFilter } from '../domain/notification-target';
import { ValidationError, type PathStep } from '../domain/errors';
import { parseInstant } from '../domain/instant';
import { parseLifecycleDuration } from '../domain/lifecycle-duration';
import { MAX_REQUEST_BYTES } from '../domain/limits';
import { jsonLogger } from '../log';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type ApiLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface ApiServerOptions {
  service: PrewarmService;
  /** HOST:PORT; port 0 picks a free port (see the returned `port`). */
  listen: string;
  /** Called with the bearer token of every call; the caller does the constant-time hash comparison. */
  verifyToken: (token: string) => boolean;
  tls?: { certPem: Buffer; keyPem: Buffer; clientCaPem?: Buffer };
  /** Accept plaintext on a non-loopback address (the CLI's --insecure-listen). */
  allowInsecureNonLoopback?: boolean;
  log?: ApiLog;
}

export interface ApiServer {
  /** HOST:PORT actually bound. */
  address: string;
  port: number;
  /** Stops accepting calls, lets running ones finish for up to `graceMs` (default 5 s), then cuts them off. */
  close(graceMs?: number): Promise<void>;
}

/** Only warnings and errors by default, one JSON object per line on stderr like the rest of the daemon. */
const warnLogger = jsonLogger('warn');
const defaultLog: ApiLog = (level, msg, fields) => warnLogger[level](msg, { component: 'api', ...fields });

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const bound = await bindApiServer(opts);
  bound.serve(opts.service, opts.verifyToken);
  return bound;
}

/** An API server that holds its address but does not serve yet: every call is UNAVAILABLE until `serve`. */
export interface BoundApiServer extends ApiServer {
  serve(service: PrewarmService, verifyToken: (token: string) => boolean): void;
}

/**
 * Listens now and serves later, so a caller can find out that the address is taken before it does anything
 * else (the controller binds before it opens its database or generates a token). Calls arriving before `serve`
 * get UNAVAILABLE, which clients retry.
 */
export async function bindApiServer(opts: Omit<ApiServerOptions, 'service' | 'verifyToken'>): Promise<BoundApiServer> {
  const log = opts.log ?? defaultLog;
  let hp;
  try {
    hp = parseHostPort(opts.listen);
  } catch (err) {
    throw new Error(`invalid API listen address: ${(err as Error).message}`);
  }
  if (!opts.tls && !isLoopbackHost(hp.host) && !opts.allowInsecureNonLoopback) {
    throw new Error(
      `refusing to serve the API without TLS on non-loopback address ${formatHostPort(hp)}: ` +
        `pass --tls-cert and --tls-key, or --insecure-listen to accept plaintext (tokens would cross the network in the clear)`,
    );
  }
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(
        opts.tls.clientCaPem ?? null,
        [{ cert_chain: opts.tls.certPem, private_key: opts.tls.keyPem }],
        opts.tls.clientCaPem !== undefined,
      )
    : grpc.ServerCredentials.createInsecure();

  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    interceptors: [oversizedRequestInterceptor],
  });
  let serving: { handlers: Record<string, Handler<DescMethod>>; verifyToken: (token: string) => boolean } | undefined;
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Prewarm.methods) {
    const starting: grpc.handleUnaryCall<Message, Message> = (_call, callback) =>
      callback({ code: grpc.status.UNAVAILABLE, details: 'the prewarm controller is starting; retry in a moment' });
    let ready: grpc.handleUnaryCall<Message, Message> | undefined;
    implementation[method.localName] = ((call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
      if (serving === undefined) return starting(call, callback);
      ready ??= unaryHandler(method, serving.handlers[method.localName], serving.verifyToken, log);
      return ready(call, callback);
    }) as grpc.handleUnaryCall<Message, Message>;
  }
  server.addService(grpcServiceDefinition(Prewarm), implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatHostPort(hp), credentials, (err, boundPort) => {
      if (!err) resolve(boundPort);
      else if (/EADDRINUSE/.test(err.message)) reject(new Error(`cannot listen on ${formatHostPort(hp)} for the API: address already in use`));
      else reject(new Error(`cannot listen on ${formatHostPort(hp)} for the API: ${err.message}`));
    });
  });
  const address = formatHostPort({ host: hp.host, port });
  log('info', 'API listening', { address, tls: opts.tls !== undefined, clientCertificates: opts.tls?.clientCaPem !== undefined });

  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    serve(service, verifyToken) {
      serving = { handlers: makeHandlers(service) as unknown as Record<string, Handler<DescMethod>>, verifyToken };
    },
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication

/** null when the call may proceed, else the UNAUTHENTICATED message. */
export function checkAuthorization(metadata: grpc.Metadata, verifyToken: (token: string) => boolean): string | null {
  const values = metadata.get('authorization');
  if (values.length === 0) {
    return 'missing credentials: every call needs the metadata "authorization: Bearer <token>"';
  }
  if (values.length > 1) return 'more than one authorization header';
  const value = values[0];
  if (typeof value !== 'string') return 'malformed authorization header';
  const m = /^(\S+)\s+(\S+)\s*$/.exec(value.trim());
  if (m === null) return 'malformed authorization header: expected "Bearer <token>"';
  // RFC 7235: the scheme name is case-insensitive.
  if (m[1].toLowerCase() !== 'bearer') return `unsupported authorization scheme "${m[1]}": expected "Bearer <token>"`;
  if (!verifyToken(m[2])) return 'invalid API token';
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch

type Handler<M extends DescMethod> = (request: MessageShape<M['input']>) => Promise<MessageInitShape<M['output']>>;
type PrewarmMethods = typeof Prewarm.method;
type Handlers = { [K in keyof PrewarmMethods]: Handler<PrewarmMethods[K]> };

/** Auth first (the handler never runs for a rejected call), then the handler, then error mapping. */
function unaryHandler(
  method: DescMethod,
  handler: Handler<DescMethod>,
  verifyToken: (token: string) => boolean,
  log: ApiLog,
): grpc.handleUnaryCall<Message, Message> {
  return (call, callback) => {
    // A duration for the log line, not a decision: a monotonic timer, not the controller's clock.
    const started = performance.now();
    const fields = () => ({ method: method.name, peer: call.getPeer(), ms: Math.round(performance.now() - started) });
    let denied: string | null;
    try {
      denied = checkAuthorization(call.metadata, verifyToken);
    } catch (err) {
      log('error', 'token verification failed', { ...fields(), error: String(err) });
      callback({ code: grpc.status.INTERNAL, details: 'internal error in the prewarm controller while checking the token' });
      return;
    }
    if (denied !== null) {
      log('warn', 'API call rejected', { ...fields(), reason: denied });
      callback({ code: grpc.status.UNAUTHENTICATED, details: denied });
      return;
    }
    Promise.resolve()
      .then(() => handler(call.request))
      .then((init) => create(method.output, init))
      .then(
        (response) => {
          log('debug', 'API call', { ...fields(), code: 'OK' });
          callback(null, response);
        },
        (err: unknown) => {
          const mapped = errorToStatus(err);
          if (mapped.internal) {
            log('error', 'API call failed', {
              ...fields(),
              ref: mapped.ref,
              error: err instanceof Error ? err.message : String(err),
              stack: err instanceof Error ? err.stack : undefined,
            });
          } else {
            log('debug', 'API call', { ...fields(), code: grpc.status[mapped.status.code ?? 0], details: mapped.status.details });
          }
          callback(mapped.status);
        },
      );
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Request size

/** What a server call's sendStatus takes (grpc-js does not export the type by name). */
type PartialStatus = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

/** 4194304 → "4 MiB"; other sizes in bytes. */
function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n.toLocaleString('en-US')} bytes`;
}

/**
 * grpc-js refuses a request over `grpc.max_receive_message_length` itself, before any handler runs (and before
 * authentication), with RESOURCE_EXHAUSTED "Received message larger than max (N vs M)". The check is the right
 * one: it reads only the message's length prefix, so nothing oversized is ever buffered. The status is not: the
 * request is the caller's mistake, so it becomes INVALID_ARGUMENT saying which limit, with the same field-error
 * trailer as every other INVALID_ARGUMENT. Null for every other status.
 */
export function oversizedRequestStatus(status: PartialStatus): PartialStatus | null {
  if (status.code !== grpc.status.RESOURCE_EXHAUSTED) return null;
  const details = status.details ?? '';
  const framed = /^Received message larger than max \((\d+) vs \d+\)$/.exec(details);
  const inflated = /^Received message that decompresses to a size larger than \d+$/.test(details);
  if (framed === null && !inflated) return null;
  const limit = formatBytes(MAX_REQUEST_BYTES);
  const message =
    framed !== null
      ? `request is ${Number(framed[1]).toLocaleString('en-US')} bytes, over the ${limit} limit of the prewarm API`
      : `request decompresses to more than the ${limit} limit of the prewarm API`;
  const mapped = errorToStatus(new ValidationError([{ path: [], message }])).status;
  return { code: mapped.code!, details: mapped.details!, metadata: mapped.metadata ?? null };
}

/**
 * grpc-js sends the oversized-request status from its innermost call object, below every interceptor's
 * responder; the first server interceptor is handed exactly that object, so it wraps its sendStatus.
 */
const oversizedRequestInterceptor: grpc.ServerInterceptor = (_method, call) => {
  const send = call.sendStatus.bind(call);
  call.sendStatus = (status) => send(oversizedRequestStatus(status) ?? status);
  return new grpc.ServerInterceptingCall(call);
};

/** Runs wire-level checks, throwing one ValidationError listing every problem. */
function checked<T>(fn: (issues: FieldIssues) => T): T {
  const issues = new FieldIssues();
  const out = fn(issues);
  issues.throwIfAny();
  return out;
}

function optionalPresetId(value: string | undefined, issues: FieldIssues): string | undefined {
  return value === undefined ? undefined : checkPresetId(value, ['preset_id'], issues);
}

/**
 * A workspace destroy setting as sent: the shape is checked here (so a bad value is refused before any lookup,
 * naming the field); whether an instant is in the future needs the controller's clock, so the service checks that.
 */
function checkSetting(value: string, path: PathStep[], parse: (text: string) => number, issues: FieldIssues): string {
  try {
    parse(value);
  } catch (err) {
    issues.add(path, (err as Error).message);
  }
  return value;
}

/** SetWorkspaceRequest's convention: absent leaves the setting, "" clears it, anything else sets it. */
function settingChange(value: string | undefined, path: PathStep[], parse: (text: string) => number, issues: FieldIssues) {
  if (value === undefined) return undefined;
  if (value === '') return null;
  return checkSetting(value, path, parse, issues);
}

function makeHandlers(service: PrewarmService): Handlers {
  const workspaceRef = (id: string) => checked((i) => requireInstanceRef(id, ['id'], i));
  const op = async (id: string, which: WorkspaceOp) => ({ workspace: workspaceToProto(await service.workspaceOp(workspaceRef(id), which)) });
  return {
    async putTemplate(req) {
      const spec = checked((i) => templateSpecFromProto(req.template, i));
      return { template: templateToProto(await service.putTemplate(spec, { createOnly: req.createOnly })) };
    },
    async getTemplate(req) {
      checked((i) => requireName(req.name, ['name'], i));
      return { template: templateToProto(await service.getTemplate(req.name)) };
    },
    async listTemplates() {
      return { templates: (await service.listTemplates()).map(templateToProto) };
    },
    async deleteTemplate(req) {
      checked((i) => requireName(req.name, ['name'], i));
      await service.deleteTemplate(req.name);
      return {};
    },
    async putPreset(req) {
      const spec = checked((i) => presetSpecFromProto(req.preset, i));
      return { preset: presetToProto(await service.putPreset(spec, { createOnly: req.createOnly })) };
    },
    async getPreset(req) {
      checked((i) => {
        requireName(req.template, ['template'], i);
        requireName(req.name, ['name'], i);
      });
      return { preset: presetToProto(await service.getPreset(req.template, req.name)) };
    },
    async listPresets(req) {
      if (req.template !== undefined) checked((i) => requireName(req.template!, ['template'], i));
      return { presets: (await service.listPresets(req.template)).map(presetToProto) };
    },
    async deletePreset(req) {
      checked((i) => {
        requireName(req.template, ['template'], i);
        requireName(req.name, ['name'], i);
      });
      await service.deletePreset(req.template, req.name);
      return {};
    },
    async explain(req) {
      const args = checked((i) => {
        const out: { at?: number; presetId?: string } = {};
        if (req.at !== undefined) out.at = requestInstant(req.at, ['at'], i);
        if (req.presetId !== undefined) out.presetId = optionalPresetId(req.presetId, i);
        return out;
      });
      return explainReportToProto(await service.explain(args));
    },
    async status(req) {
      const args = checked((i) => (req.presetId === undefined ? {} : { presetId: optionalPresetId(req.presetId, i) }));
      return statusReportToProto(await service.status(args));
    },
    async claim(req) {
      checked((i) => {
        requireName(req.template, ['template'], i);
        requireName(req.preset, ['preset'], i);
        checkOwner(req.owner, ['owner'], i);
        if (req.autoDestroyAt !== undefined) checkSetting(req.autoDestroyAt, ['auto_destroy_at'], parseInstant, i);
        if (req.autoDestroyInactivity !== undefined) checkSetting(req.autoDestroyInactivity, ['auto_destroy_inactivity'], parseLifecycleDuration, i);
      });
      const claim: Parameters<PrewarmService['claim']>[0] = { template: req.template, preset: req.preset };
      if (req.owner !== undefined) claim.owner = req.owner;
      if (req.noFallback !== undefined) claim.noFallback = req.noFallback;
      if (req.autoDestroyAt !== undefined) claim.autoDestroyAt = req.autoDestroyAt;
      if (req.autoDestroyInactivity !== undefined) claim.autoDestroyInactivity = req.autoDestroyInactivity;
      const workspace = await service.claim(claim);
      return { instance: instanceToProto(workspace), workspace: workspaceToProto(workspace) };
    },
    async getInstance(req) {
      checked((i) => requireInstanceRef(req.id, ['id'], i));
      return { instance: instanceToProto(await service.getInstance(req.id)) };
    },
    async listInstances(req) {
      const args = checked((i) => {
        const out: { presetId?: string; state?: InstanceState } = {};
        if (req.presetId !== undefined) out.presetId = optionalPresetId(req.presetId, i);
        if (req.state !== undefined) {
          const state = instanceStateEnum.tryFromProto(req.state);
          if (state === undefined) i.add(['state'], `must be one of ${instanceStateEnum.names.join(', ')}`);
          else out.state = state;
        }
        return out;
      });
      return { instances: (await service.listInstances(args)).map(instanceToProto) };
    },
    async pause(req) {
      const presetId = checked((i) => optionalPresetId(req.presetId, i));
      await service.pause(presetId);
      return {};
    },
    async resume(req) {
      const presetId = checked((i) => optionalPresetId(req.presetId, i));
      await service.resume(presetId);
      return {};
    },
    async invalidate(req) {
      checked((i) => {
        requireName(req.template, ['template'], i);
        requireName(req.name, ['name'], i);
      });
      const { invalidatedAt } = await service.invalidate(req.template, req.name);
      return { invalidatedAt: toInt64(invalidatedAt, 'invalidated_at') };
    },
    async listWorkspaces(req) {
      const filter = checked((i) => {
        const out: WorkspaceFilter = {};
        if (req.owner !== undefined) {
          checkOwner(req.owner, ['owner'], i);
          // Claims store the owner trimmed; the filter must match what is stored.
          out.owner = normalizeOwner(req.owner);
        }
        if (req.presetId !== undefined) out.presetId = optionalPresetId(req.presetId, i);
        if (req.archived) out.archived = true;
        return out;
      });
      return { workspaces: (await service.listWorkspaces(filter)).map(workspaceToProto) };
    },
    async getWorkspace(req) {
      return { workspace: workspaceToProto(await service.getWorkspace(workspaceRef(req.id))) };
    },
    startWorkspace: (req) => op(req.id, 'start'),
    stopWorkspace: (req) => op(req.id, 'stop'),
    deleteWorkspace: (req) => op(req.id, 'delete'),
    async reportActivity(req) {
      return { workspace: workspaceToProto(await service.reportActivity(workspaceRef(req.id))) };
    },
    async setWorkspace(req) {
      const change = checked((i) => {
        requireInstanceRef(req.id, ['id'], i);
        const out: Parameters<PrewarmService['setWorkspace']>[1] = {};
        const at = settingChange(req.autoDestroyAt, ['auto_destroy_at'], parseInstant, i);
        const inactivity = settingChange(req.autoDestroyInactivity, ['auto_destroy_inactivity'], parseLifecycleDuration, i);
        if (at !== undefined) out.autoDestroyAt = at;
        if (inactivity !== undefined) out.autoDestroyInactivity = inactivity;
        return out;
      });
      return { workspace: workspaceToProto(await service.setWorkspace(req.id, change)) };
    },
    async explainWorkspace(req) {
      const at = checked((i) => {
        requireInstanceRef(req.id, ['id'], i);
        return req.at === undefined ? undefined : requestInstant(req.at, ['at'], i);
      });
      return workspaceExplainToProto(await service.explainWorkspace(req.id, at));
    },
    async putNotificationTarget(req) {
      const input = checked((i) => targetInputFromProto(req.target, i));
      const { target, changed } = await service.putNotificationTarget(input, { createOnly: req.createOnly });
      return { target: targetToProto(target), changed };
    },
    async getNotificationTarget(req) {
      checked((i) => requireName(req.name, ['name'], i));
      return { target: targetToProto(await service.getNotificationTarget(req.name)) };
    },
    async listNotificationTargets() {
      return { targets: (await service.listNotificationTargets()).map(targetToProto) };
    },
    async deleteNotificationTarget(req) {
      checked((i) => requireName(req.name, ['name'], i));
      await service.deleteNotificationTarget(req.name);
      return {};
    },
    async listNotificationDeliveries(req) {
      const filter = checked((i) => {
        const out: DeliveryFilter = {};
        if (req.state !== undefined) {
          const state = deliveryStateEnum.tryFromProto(req.state);
          if (state === undefined) i.add(['state'], `must be one of ${deliveryStateEnum.names.join(', ')}`);
          else out.state = state;
        }
        if (req.target !== undefined) out.target = requireName(req.target, ['target'], i);
        if (req.limit !== undefined) out.limit = positiveNumber(req.limit, ['limit'], i);
        return out;
      });
      return { deliveries: (await service.listDeliveries(filter)).map(deliveryToProto) };
    },
    async resendNotificationDelivery(req) {
      const id = checked((i) => positiveNumber(req.id, ['id'], i));
      return { delivery: deliveryToProto(await service.resendDelivery(id)) };
    },
    async testNotificationTarget(req) {
      checked((i) => requireName(req.name, ['name'], i));
      return { result: testResultToProto(await service.testNotificationTarget(req.name)) };
    },
  };
}

/** A count or id that selects something: a whole number of at least 1 (the service checks upper bounds). */
function positiveNumber(value: bigint, path: PathStep[], issues: FieldIssues): number {
  if (value < 1n) {
    issues.add(path, `must be a whole number of at least 1, got ${value}`);
    return 0;
  }
  return specNumber(value, path, issues);
}
