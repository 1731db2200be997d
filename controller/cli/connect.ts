/** Flags every client command shares, and turning them into an API client. */
import { readFileSync } from 'node:fs';
import { UsageError, type FlagSpec, type Flags } from './args';
import { parseDurationFlag } from './values';
import { createClient, DEFAULT_ENDPOINT, parseEndpoint, type PrewarmClient } from '../api/client';

export const CLIENT_FLAGS: FlagSpec[] = [
  { name: 'endpoint', kind: 'string', value: 'HOST:PORT', help: 'Controller API address; https://HOST:PORT for TLS', env: 'PREWARM_ENDPOINT', default: DEFAULT_ENDPOINT },
  { name: 'token', kind: 'string', value: 'TOKEN', help: 'API token (prefer the environment variable: flags show up in ps)', env: 'PREWARM_TOKEN' },
  { name: 'ca-cert', kind: 'string', value: 'FILE', help: 'PEM CA certificate to verify the controller with (implies TLS)', env: 'PREWARM_CA_CERT' },
  { name: 'insecure', kind: 'boolean', help: 'Use TLS without verifying the controller certificate' },
  { name: 'client-cert', kind: 'string', value: 'FILE', help: 'PEM client certificate, for controllers started with --tls-client-ca' },
  { name: 'client-key', kind: 'string', value: 'FILE', help: 'PEM key of --client-cert' },
  { name: 'timeout', kind: 'string', value: 'DURATION', help: 'Per-call deadline', default: '30s' },
];

export const JSON_FLAG: FlagSpec = { name: 'json', kind: 'boolean', help: 'Print JSON instead of a readable table' };

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`${flag}: cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

/** Validates the client flags (all usage errors, exit 2) and creates the client. */
export function connect(flags: Flags): PrewarmClient {
  const endpoint = flags.string('endpoint') ?? DEFAULT_ENDPOINT;
  const token = flags.string('token');
  if (token === undefined || token.trim() === '') {
    throw new UsageError(
      'no API token: pass --token or set PREWARM_TOKEN (the controller prints its token once, on first start; ' +
        '"prewarm token rotate" makes a new one, also while it runs)',
    );
  }
  const certPath = flags.string('client-cert');
  const keyPath = flags.string('client-key');
  if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--client-cert and --client-key must be given together');
  const caPath = flags.string('ca-cert');
  const opts = {
    endpoint,
    token,
    insecure: flags.boolean('insecure') || undefined,
    caCert: caPath === undefined ? undefined : readPem(caPath, '--ca-cert'),
    clientCert: certPath === undefined ? undefined : readPem(certPath, '--client-cert'),
    clientKey: keyPath === undefined ? undefined : readPem(keyPath, '--client-key'),
    timeoutMs: parseDurationFlag(flags.string('timeout') ?? '30s', '--timeout'),
  };
  try {
    parseEndpoint(endpoint, opts);
  } catch (err) {
    throw new UsageError(`--endpoint: ${(err as Error).message}`);
  }
  return createClient(opts);
}

/** Runs `fn` with a connected client and always closes it. */
export async function withClient<T>(flags: Flags, fn: (client: PrewarmClient) => Promise<T>): Promise<T> {
  const client = connect(flags);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
