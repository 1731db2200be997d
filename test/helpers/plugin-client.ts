/**
 * A go-plugin-like client for the plugin-server tests: starts the plugin process with Terraform's environment,
 * reads and checks the handshake line, and connects a grpc-js client the way go-plugin does (mTLS with its own
 * self-signed client certificate, root pool = only the server certificate from the handshake, ServerName localhost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { create, type DescMethod, type DescService, type Message, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { grpcServiceDefinition } from '../../controller/api/grpc-bridge';
import { pemFromDer } from '../../provider/server/certificate';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../provider/server/handshake';
const repoRoot = path.resolve(__dirname, '../..');

export const serverEntry = path.join(repoRoot, 'test/helpers/provider-server-entry.ts');

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

export function terraformEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: '6,5',
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
    TF_LOG: 'trace',
  };
  delete env.PLUGIN_CLIENT_CERT;
  delete env.NODE_OPTIONS; // tsx's loader hooks arrive through --import below, nothing else may
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Handshake {
  line: string;
  core: string;
  app: string;
  network: string;
  address: string;
  protocol: string;
  cert?: string;
  fieldCount: number;
}

export function parseHandshake(line: string): Handshake {
  const fields = line.replace(/\n$/, '').split('|');
  return {
    line,
    core: fields[0],
    app: fields[1],
    network: fields[2],
    address: fields[3],
    protocol: fields[4],
    cert: fields[5],
    fieldCount: fields.length,
  };
}

/** The server certificate from the handshake: RawStdEncoding, as go-plugin decodes it (padding re-added here). */
export function certificateFromHandshake(raw: string): { der: Buffer; pem: string } {
  const padded = raw + '='.repeat((4 - (raw.length % 4)) % 4);
  const der = Buffer.from(padded, 'base64');
  return { der, pem: pemFromDer(der, 'CERTIFICATE') };
}

export interface PluginProcess {
  child: ChildProcess;
  pid: number;
  handshake: Handshake;
  /** Everything the plugin wrote to stdout so far (must stay exactly the handshake line). */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  kill(): void;
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** Default: the test entry under tsx. */
  command?: string[];
  timeoutMs?: number;
}

/** Spawns the plugin and waits for its first stdout line (rejects with its stderr if it exits first). */
export async function startPlugin(options: StartOptions): Promise<PluginProcess> {
  const [cmd, ...args] = options.command ?? [process.execPath, '--import', 'tsx', serverEntry];
  const child = spawn(cmd, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no handshake within ${options.timeoutMs ?? 20000} ms; stderr:\n${err}`));
    }, options.timeoutMs ?? 20000);
    child.stdout!.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl + 1));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the plugin exited (code ${code}, signal ${signal}) before the handshake; stdout ${JSON.stringify(out)}; stderr:\n${err}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    handshake: parseHandshake(line),
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs the plugin to completion (for start-up failures). */
export async function runPlugin(options: StartOptions): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const [cmd, ...args] = options.command ?? [process.execPath, '--import', 'tsx', serverEntry];
  const child = spawn(cmd, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  return { code, signal, stdout: out, stderr: err };
}

type UnaryMethod = DescMethod & { methodKind: 'unary' };

/** A grpc-js client channel to the plugin with one generic client per service. */
export class PluginConnection {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly credentials: grpc.ChannelCredentials;
  private readonly target: string;

  constructor(handshake: Handshake, clientCert: ClientCertificate | undefined, options: { trustPem?: string } = {}) {
    this.target = handshake.network === 'unix' ? `unix://${handshake.address}` : handshake.address;
    if (clientCert === undefined && handshake.cert === undefined) {
      this.credentials = grpc.credentials.createInsecure();
    } else {
      const trust = options.trustPem ?? certificateFromHandshake(handshake.cert ?? '').pem;
      this.credentials =
        clientCert === undefined
          ? grpc.credentials.createSsl(Buffer.from(trust))
          : grpc.credentials.createSsl(Buffer.from(trust), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem));
    }
    this.channelOptions = {
      'grpc.ssl_target_name_override': 'localhost',
      'grpc.default_authority': 'localhost',
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
    };
  }

  private client(service: DescService): grpc.Client {
    let c = this.clients.get(service.typeName);
    if (c === undefined) {
      const Ctor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
      c = new Ctor(this.target, this.credentials, this.channelOptions);
      this.clients.set(service.typeName, c);
    }
    return c;
  }

  unary<M extends UnaryMethod>(
    method: M,
    request: MessageInitShape<M['input']> = {} as MessageInitShape<M['input']>,
    options: { deadlineMs?: number; metadata?: grpc.Metadata } = {},
  ): Promise<MessageShape<M['output']>> {
    const client = this.client(method.parent) as unknown as Record<
      string,
      (req: Message, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Message) => void) => void
    >;
    const deadline = new Date(Date.now() + (options.deadlineMs ?? 10000));
    return new Promise((resolve, reject) => {
      client[method.localName].call(
        client,
        create(method.input, request),
        options.metadata ?? new grpc.Metadata(),
        { deadline },
        (err, res) => (err ? reject(err) : resolve(res as MessageShape<M['output']>)),
      );
    });
  }

  /** Opens a server stream and collects what it delivers until it ends or errors. */
  serverStream(method: DescMethod, request: Message): { messages: Message[]; done: Promise<grpc.StatusObject | Error>; cancel(): void } {
    const client = this.client(method.parent) as unknown as Record<string, (req: Message) => grpc.ClientReadableStream<Message>>;
    const stream = client[method.localName].call(client, request);
    const messages: Message[] = [];
    stream.on('data', (m: Message) => messages.push(m));
    const done = new Promise<grpc.StatusObject | Error>((resolve) => {
      stream.on('status', (s: grpc.StatusObject) => resolve(s));
      stream.on('error', (e: Error) => resolve(e));
    });
    return { messages, done, cancel: () => stream.cancel() };
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
