/**
 * PrewarmService over prewarm.v1: what the CLI and the Terraform provider use to talk to the controller.
 * Errors come back as the same classes the service throws (ValidationError with field paths, NotFoundError,
 * ConflictError); transport problems become ApiErrors with messages that say what to do.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { create, fromBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import type { ClaimRequest, ExplainReport, NotificationTargetInput, PrewarmService, StatusReport, WorkspaceExplainReport, WorkspaceSettings } from './service';
import type { PresetSpec, TemplateSpec } from '../domain/specs';
import { parseHostPort } from './address';
import { parseEndpoint, type ParsedEndpoint } from './endpoint';
import { statusToError, type CallContext } from './status';
import { encodeMessage, methodPath } from './grpc-bridge';
import { fromInt64, specInt64, toInt64 } from './codec-int64';
import { deliveryStateEnum, instanceStateEnum } from './codec-enums';
import { presetSpecToProto, templateSpecToProto } from './codec-specs';
import { instanceFromProto, presetFromProto, templateFromProto } from './codec-records';
import { explainReportFromProto, statusReportFromProto } from './codec-reports';
import { workspaceExplainFromProto, workspaceFromProto } from './codec-workspaces';
import { deliveryFromProto, targetFromProto, targetInputToProto, testResultFromProto } from './codec-notifications';
import { FieldIssues } from './field-issues';
import type { DeliveryFilter, DeliveryRecord, NotificationTargetRecord, TestDeliveryResult } from '../domain/notification-target';
import type { WorkspaceFilter, WorkspaceOp, WorkspaceRecord } from '../domain/workspace';
import type { InstanceRecord, PresetRecord, TemplateRecord, PutOptions } from '../domain/records';
import type { InstanceState } from '../domain/states';
import { type Clock, systemClock } from '../clock/clock';

export interface ClientOptions {
  /** `host:port` (plaintext), `https://host:port` (TLS) or `http://host:port`. The port defaults to 7420. */
  endpoint: string;
  token: string;
  /** PEM (Buffer, or a string containing "-----BEGIN") or a path to a PEM file. Implies TLS. */
  caCert?: Buffer | string;
  /** TLS without verifying the server certificate (chain and name). Implies TLS. */
  insecure?: boolean;
  /** Per-call deadline; default 30 s. */
  timeoutMs?: number;
  /** Client certificate and key (PEM, or paths) for controllers started with --tls-client-ca. Imply TLS. */
  clientCert?: Buffer | string;
  clientKey?: Buffer | string;
  /** Where call deadlines are measured from; the system clock by default. */
  clock?: Pick<Clock, 'now'>;
}

export type PrewarmClient = PrewarmService & { close(): void };

// In a module of their own so that the Terraform provider can check endpoints without loading grpc-js.
export { DEFAULT_ENDPOINT, parseEndpoint, type ParsedEndpoint } from './endpoint';

const DEFAULT_TIMEOUT_MS = 30_000;
/** The largest answer the client accepts. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

function pem(value: Buffer | string, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value.includes('-----BEGIN')) return Buffer.from(value, 'utf8');
  try {
    return readFileSync(value);
  } catch (err) {
    throw new Error(`cannot read ${what} ${value}: ${(err as Error).message}`);
  }
}

function channelCredentials(opts: ClientOptions): grpc.ChannelCredentials {
  if ((opts.clientCert === undefined) !== (opts.clientKey === undefined)) {
    throw new Error('a client certificate and its key must be given together');
  }
  const ca = opts.caCert === undefined ? null : pem(opts.caCert, 'CA certificate');
  const key = opts.clientKey === undefined ? null : pem(opts.clientKey, 'client key');
  const cert = opts.clientCert === undefined ? null : pem(opts.clientCert, 'client certificate');
  if (opts.insecure) {
    // Skip both the chain check and the host-name check: the operator asked for encryption without identity.
    return grpc.credentials.createSsl(ca, key, cert, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
  }
  return grpc.credentials.createSsl(ca, key, cert);
}

/**
 * grpc-js always sends the target host as TLS SNI, and Node warns (DEP0123) when that is an IP literal, which
 * is the common case for https://127.0.0.1:7420. The warning is about SNI only (certificate checks against IP
 * SANs are unaffected), so drop exactly that one, once, for TLS clients dialing an IP.
 */
let sniWarningFiltered = false;
function filterIpSniWarning(): void {
  if (sniWarningFiltered) return;
  sniWarningFiltered = true;
  const original = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    return (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

export function createClient(opts: ClientOptions): PrewarmClient {
  if (typeof opts.token !== 'string' || opts.token.trim() === '') {
    throw new Error('no API token: set --token or PREWARM_TOKEN (the controller prints one on first start)');
  }
  if (/\s/.test(opts.token.trim())) throw new Error('the API token must not contain whitespace');
  const endpoint = parseEndpoint(opts.endpoint, opts);
  const credentials = endpoint.tls ? channelCredentials(opts) : grpc.credentials.createInsecure();
  if (endpoint.tls && isIP(parseHostPort(endpoint.target).host) !== 0) filterIpSniWarning();
  return new GrpcPrewarmClient(opts, endpoint, credentials);
}

/** The controller's gRPC server accepts pings this often (grpc-js servers enforce no minimum). */
const KEEPALIVE_TIME_MS = 30_000;

class GrpcPrewarmClient implements PrewarmService {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;
  private readonly authorization: string;

  constructor(
    private readonly opts: ClientOptions,
    private readonly endpoint: ParsedEndpoint,
    credentials: grpc.ChannelCredentials,
  ) {
    // Lists (instances, workspaces) are answered whole: at 100,000 workspaces of a few hundred bytes each an answer
    // is tens of megabytes, past grpc-js's 4 MiB default for what a client accepts.
    this.client = new grpc.Client(endpoint.target, credentials, {
      'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
      // One connection carries every call of a client (a provider's whole plan walk, a workspace wait that polls
      // for an hour); pings while calls are open notice a vanished controller in ~40 s. None while idle: gRPC proxies
      // in C-core or Go refuse idle pings more often than every 5 minutes and drop the connection.
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': 10_000,
    });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.authorization = `Bearer ${opts.token.trim()}`;
  }

  close(): void {
    this.client.close();
  }

  /** The one generic unary call: serialization from the descriptor, token per call, errors mapped back. */
  private call<I extends DescMessage, O extends DescMessage>(
    method: DescMethod & { input: I; output: O },
    init: MessageInitShape<I>,
  ): Promise<MessageShape<O>> {
    const request = create(method.input, init);
    const metadata = new grpc.Metadata();
    // Per-call metadata rather than call credentials: grpc-js refuses call credentials on plaintext channels,
    // and loopback plaintext is the default deployment.
    metadata.set('authorization', this.authorization);
    const ctx: CallContext = {
      endpoint: this.opts.endpoint.trim(),
      method: method.name,
      timeoutMs: this.timeoutMs,
      tls: this.endpoint.tls,
    };
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<MessageShape<I>, MessageShape<O>>(
        methodPath(method),
        (value) => encodeMessage(method.input, value),
        (bytes) => fromBinary(method.output, bytes),
        request,
        metadata,
        { deadline: (this.opts.clock ?? systemClock).now() + this.timeoutMs },
        (err, response) => {
          if (err) reject(statusToError(err, ctx));
          else if (response === undefined) reject(new Error(`the controller sent no response to ${method.name}`));
          else resolve(response);
        },
      );
    });
  }

  async putTemplate(spec: TemplateSpec, opts: PutOptions = {}): Promise<TemplateRecord> {
    const res = await this.call(pb.Prewarm.method.putTemplate, { template: templateSpecToProto(spec), createOnly: opts.createOnly ?? false });
    return templateFromProto(res.template);
  }

  async getTemplate(name: string): Promise<TemplateRecord> {
    return templateFromProto((await this.call(pb.Prewarm.method.getTemplate, { name })).template);
  }

  async listTemplates(): Promise<TemplateRecord[]> {
    return (await this.call(pb.Prewarm.method.listTemplates, {})).templates.map(templateFromProto);
  }

  async deleteTemplate(name: string): Promise<void> {
    await this.call(pb.Prewarm.method.deleteTemplate, { name });
  }

  async putPreset(spec: PresetSpec, opts: PutOptions = {}): Promise<PresetRecord> {
    const res = await this.call(pb.Prewarm.method.putPreset, { preset: presetSpecToProto(spec), createOnly: opts.createOnly ?? false });
    return presetFromProto(res.preset);
  }

  async getPreset(template: string, name: string): Promise<PresetRecord> {
    return presetFromProto((await this.call(pb.Prewarm.method.getPreset, { template, name })).preset);
  }

  async listPresets(template?: string): Promise<PresetRecord[]> {
    return (await this.call(pb.Prewarm.method.listPresets, { template })).presets.map(presetFromProto);
  }

  async deletePreset(template: string, name: string): Promise<void> {
    await this.call(pb.Prewarm.method.deletePreset, { template, name });
  }

  async explain(req: { at?: number; presetId?: string }): Promise<ExplainReport> {
    const res = await this.call(pb.Prewarm.method.explain, {
      at: req.at === undefined ? undefined : toInt64(req.at, 'at'),
      presetId: req.presetId,
    });
    return explainReportFromProto(res);
  }

  async status(req: { presetId?: string }): Promise<StatusReport> {
    return statusReportFromProto(await this.call(pb.Prewarm.method.status, { presetId: req.presetId }));
  }

  async claim(req: ClaimRequest): Promise<WorkspaceRecord> {
    const res = await this.call(pb.Prewarm.method.claim, {
      template: req.template,
      preset: req.preset,
      owner: req.owner,
      noFallback: req.noFallback,
      autoDestroyAt: req.autoDestroyAt,
      autoDestroyInactivity: req.autoDestroyInactivity,
    });
    if (res.workspace === undefined) {
      throw new Error('the controller answered the claim without the workspace: it predates workspaces; upgrade it to match this client');
    }
    return workspaceFromProto(res.workspace);
  }

  async getInstance(id: string): Promise<InstanceRecord> {
    return instanceFromProto((await this.call(pb.Prewarm.method.getInstance, { id })).instance);
  }

  async listInstances(req: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]> {
    const res = await this.call(pb.Prewarm.method.listInstances, {
      presetId: req.presetId,
      state: req.state === undefined ? undefined : instanceStateEnum.toProto(req.state),
    });
    return res.instances.map(instanceFromProto);
  }

  async pause(presetId?: string): Promise<void> {
    await this.call(pb.Prewarm.method.pause, { presetId });
  }

  async resume(presetId?: string): Promise<void> {
    await this.call(pb.Prewarm.method.resume, { presetId });
  }

  async invalidate(template: string, name: string): Promise<{ invalidatedAt: number }> {
    const res = await this.call(pb.Prewarm.method.invalidate, { template, name });
    return { invalidatedAt: fromInt64(res.invalidatedAt, 'invalidated_at') };
  }

  async listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]> {
    const res = await this.call(pb.Prewarm.method.listWorkspaces, {
      owner: filter.owner,
      presetId: filter.presetId,
      archived: filter.archived ?? false,
    });
    return res.workspaces.map(workspaceFromProto);
  }

  async getWorkspace(ref: string): Promise<WorkspaceRecord> {
    return workspaceFromProto((await this.call(pb.Prewarm.method.getWorkspace, { id: ref })).workspace);
  }

  async workspaceOp(ref: string, op: WorkspaceOp): Promise<WorkspaceRecord> {
    switch (op) {
      case 'start':
        return workspaceFromProto((await this.call(pb.Prewarm.method.startWorkspace, { id: ref })).workspace);
      case 'stop':
        return workspaceFromProto((await this.call(pb.Prewarm.method.stopWorkspace, { id: ref })).workspace);
      case 'delete':
        return workspaceFromProto((await this.call(pb.Prewarm.method.deleteWorkspace, { id: ref })).workspace);
      default:
        throw new Error(`unknown workspace operation ${JSON.stringify(op)}`);
    }
  }

  async reportActivity(ref: string): Promise<WorkspaceRecord> {
    return workspaceFromProto((await this.call(pb.Prewarm.method.reportActivity, { id: ref })).workspace);
  }

  async setWorkspace(ref: string, change: WorkspaceSettings): Promise<WorkspaceRecord> {
    // On the wire "" clears a setting (null here) and an absent field leaves it (undefined here).
    const wire = (v: string | null | undefined) => (v === null ? '' : v);
    const res = await this.call(pb.Prewarm.method.setWorkspace, {
      id: ref,
      autoDestroyAt: wire(change.autoDestroyAt),
      autoDestroyInactivity: wire(change.autoDestroyInactivity),
    });
    return workspaceFromProto(res.workspace);
  }

  async explainWorkspace(ref: string, at?: number): Promise<WorkspaceExplainReport> {
    const res = await this.call(pb.Prewarm.method.explainWorkspace, { id: ref, at: at === undefined ? undefined : toInt64(at, 'at') });
    return workspaceExplainFromProto(res);
  }

  async putNotificationTarget(input: NotificationTargetInput, opts: PutOptions = {}): Promise<{ target: NotificationTargetRecord; changed: boolean }> {
    const res = await this.call(pb.Prewarm.method.putNotificationTarget, { target: targetInputToProto(input), createOnly: opts.createOnly ?? false });
    return { target: targetFromProto(res.target), changed: res.changed };
  }

  async getNotificationTarget(name: string): Promise<NotificationTargetRecord> {
    return targetFromProto((await this.call(pb.Prewarm.method.getNotificationTarget, { name })).target);
  }

  async listNotificationTargets(): Promise<NotificationTargetRecord[]> {
    return (await this.call(pb.Prewarm.method.listNotificationTargets, {})).targets.map(targetFromProto);
  }

  async deleteNotificationTarget(name: string): Promise<void> {
    await this.call(pb.Prewarm.method.deleteNotificationTarget, { name });
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    const issues = new FieldIssues();
    const limit = filter.limit === undefined ? undefined : specInt64(filter.limit, ['limit'], issues);
    issues.throwIfAny();
    const res = await this.call(pb.Prewarm.method.listNotificationDeliveries, {
      state: filter.state === undefined ? undefined : deliveryStateEnum.toProto(filter.state),
      target: filter.target,
      limit,
    });
    return res.deliveries.map(deliveryFromProto);
  }

  async resendDelivery(id: number): Promise<DeliveryRecord> {
    const issues = new FieldIssues();
    const wireId = specInt64(id, ['id'], issues);
    issues.throwIfAny();
    return deliveryFromProto((await this.call(pb.Prewarm.method.resendNotificationDelivery, { id: wireId })).delivery);
  }

  async testNotificationTarget(name: string): Promise<TestDeliveryResult> {
    return testResultFromProto((await this.call(pb.Prewarm.method.testNotificationTarget, { name })).result);
  }
}
