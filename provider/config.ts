/**
 * Provider configuration: the `provider "prewarm" {}` block resolved against the environment, and the API client
 * built from it.
 *
 * Unknown values at ConfigureProvider (a provider block that depends on a resource not created yet) are
 * *deferred*, not rejected: configuration succeeds and remembers which attributes were unknown. Everything that
 * needs no API keeps working (validation and planning never call the controller), ReadResource keeps the prior
 * state with a warning (refresh is skipped, so `terraform plan` still shows the planned changes), and every
 * operation that must talk to the controller (apply, import, data source reads) fails with a diagnostic naming
 * the unknown attributes. During apply Terraform configures the provider again once the values are known.
 *
 * The client is created lazily, on the first call that needs it: configuring the provider opens no connection.
 * What can be checked without connecting (endpoint syntax, token present, certificates and key readable PEM, a
 * client certificate and key given together and belonging together) is checked at ConfigureProvider, which
 * `terraform plan` runs too, so the error points at the provider block's attribute. Inline PEM text is checked
 * already at ValidateProviderConfig (`terraform validate`).
 *
 * The client's errors are phrased for the CLI (`--endpoint`, `--client-cert`); the client handed out here
 * rephrases them for Terraform users (attributes and PREWARM_* variables), see controller-errors.ts.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientOptions, PrewarmClient } from '../controller/api/client';
import { DEFAULT_ENDPOINT, parseEndpoint } from '../controller/api/endpoint';
import { isUnknown, type CtyObject, type CtyValue } from './values';
import { DiagnosticsError, errorDiag, hasErrors, type Diagnostic } from './diagnostics';
import { describeCertificate, terraformPhrasing, withTerraformErrors } from './controller-errors';
import { PresetReads } from './preset-reads';

export type Env = Readonly<Record<string, string | undefined>>;
export type ClientFactory = (opts: ClientOptions) => PrewarmClient;

export const ENV = {
  endpoint: 'PREWARM_ENDPOINT',
  token: 'PREWARM_TOKEN',
  ca_cert: 'PREWARM_CA_CERT',
  client_cert: 'PREWARM_CLIENT_CERT',
  client_key: 'PREWARM_CLIENT_KEY',
  insecure: 'PREWARM_INSECURE',
} as const;

export type ConfigAttr = keyof typeof ENV;

/** Where a setting came from: the provider block, its PREWARM_* variable, or neither (built-in default or none). */
export type Source = 'config' | 'env' | 'unset';

/** What ConfigureProvider settled on. */
export interface ResolvedConfig {
  endpoint: string;
  token: string | undefined;
  caCert: Buffer | undefined;
  /** PEM, given together (checked: readable, parseable, the key belongs to the certificate). */
  clientCert: Buffer | undefined;
  clientKey: Buffer | undefined;
  insecure: boolean;
  /** Attributes whose configured value was unknown: the client cannot be built until they are known. */
  unknown: ConfigAttr[];
  /** Where endpoint, token, ca_cert and client_cert came from, for messages that say what to change. */
  sources: Readonly<Record<'endpoint' | 'token' | 'ca_cert' | 'client_cert', Source>>;
}

/** Marks a configured value that is not known yet (a symbol, so no real string can be mistaken for it). */
const UNKNOWN = Symbol('unknown');

function stringAttr(config: CtyObject | null, name: ConfigAttr): string | null | typeof UNKNOWN {
  const v: CtyValue | undefined = config?.[name];
  if (isUnknown(v)) return UNKNOWN;
  return typeof v === 'string' ? v : null;
}

function attrError(summary: string, detail: string, attr?: ConfigAttr): Diagnostic {
  return errorDiag(summary, detail, attr === undefined ? undefined : [{ attr }]);
}

function isPem(text: string): boolean {
  return text.includes('-----BEGIN');
}

/** Parses PREWARM_INSECURE the way people write booleans in the environment. */
export function parseEnvBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === '' || t === '0' || t === 'false' || t === 'no') return false;
  if (t === '1' || t === 'true' || t === 'yes') return true;
  return undefined;
}

type PemAttr = 'ca_cert' | 'client_cert' | 'client_key';
const PEM_WHAT: Record<PemAttr, string> = { ca_cert: 'CA certificate', client_cert: 'client certificate', client_key: 'client key' };

/** One PEM setting as resolved: its bytes and how to name it in a message. */
interface PemSource {
  attr: 'client_cert' | 'client_key';
  pem: Buffer;
  /** `client_cert` or `PREWARM_CLIENT_CERT`: what the user set. */
  where: string;
  /** The attribute, when the value came from the provider block (diagnostics then point at its line). */
  path: ConfigAttr | undefined;
  /** "the PEM text", or "the file /x/client.pem" (a key's path is not repeated: the attribute is sensitive). */
  described: string;
}

/** Content checks of a client certificate: PEM, a certificate (not a key), parseable. */
function parseClientCert(src: PemSource): X509Certificate | string {
  const text = src.pem.toString('latin1');
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return `${src.described} holds a private key, not a certificate (the key belongs in client_key)`;
    return `${src.described} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`;
  }
  try {
    return new X509Certificate(src.pem);
  } catch (err) {
    return `${src.described} is not a valid certificate: ${(err as Error).message}`;
  }
}

/** Content checks of a client key: PEM, a private key (not a certificate), unencrypted, parseable. */
function parseClientKey(src: PemSource): KeyObject | string {
  const text = src.pem.toString('latin1');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(text)) {
    return `${src.described} is an encrypted private key; the provider needs it unencrypted (openssl pkey -in KEY -out KEY.plain)`;
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    if (/-----BEGIN CERTIFICATE-----/.test(text)) return `${src.described} holds a certificate, not a private key (the certificate belongs in client_cert)`;
    return `${src.described} holds no PEM private key (no "-----BEGIN … PRIVATE KEY-----" line)`;
  }
  try {
    return createPrivateKey(src.pem);
  } catch (err) {
    // Node's messages name the format problem, never the key material.
    return `${src.described} is not a valid private key: ${(err as Error).message}`;
  }
}

/**
 * Content checks of whichever of client_cert / client_key are given, and, when both parse, that the key belongs to
 * the certificate (grpc-js would otherwise fail on the first call with "key values mismatch").
 */
function checkClientCredentials(cert: PemSource | undefined, key: PemSource | undefined, diags: Diagnostic[]): void {
  const parsedCert = cert === undefined ? undefined : parseClientCert(cert);
  const parsedKey = key === undefined ? undefined : parseClientKey(key);
  if (cert !== undefined && typeof parsedCert === 'string') diags.push(attrError('Invalid client_cert', `${cert.where}: ${parsedCert}`, cert.path));
  if (key !== undefined && typeof parsedKey === 'string') diags.push(attrError('Invalid client_key', `${key.where}: ${parsedKey}`, key.path));
  if (cert === undefined || key === undefined || typeof parsedCert !== 'object' || typeof parsedKey !== 'object') return;
  let matches: boolean;
  try {
    matches = parsedCert.checkPrivateKey(parsedKey);
  } catch {
    matches = false;
  }
  if (!matches) {
    diags.push(
      attrError(
        'Client key does not match the client certificate',
        `${key.where}: the private key does not belong to the certificate of ${cert.where} (${describeCertificate(parsedCert)}); ` +
          'give the key the certificate was issued for',
        key.path ?? cert.path,
      ),
    );
  }
}

/** An inline PEM value of the provider block (checkable without the file system or the environment). */
function inlinePem(config: CtyObject | null, attr: 'client_cert' | 'client_key'): PemSource | undefined {
  const v = stringAttr(config, attr);
  if (typeof v !== 'string' || !isPem(v)) return undefined;
  return { attr, pem: Buffer.from(v, 'utf8'), where: attr, path: attr, described: 'the PEM text' };
}

/** Syntax checks on configured values alone; shared by ValidateProviderConfig and ConfigureProvider. */
function checkConfigSyntax(config: CtyObject | null): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const endpoint = stringAttr(config, 'endpoint');
  if (typeof endpoint === 'string') {
    try {
      parseEndpoint(endpoint);
    } catch (err) {
      diags.push(attrError('Invalid endpoint', `endpoint: ${(err as Error).message}`, 'endpoint'));
    }
  }
  const token = stringAttr(config, 'token');
  if (typeof token === 'string') {
    if (token.trim() === '') {
      diags.push(attrError('Invalid token', 'token: must not be empty (or leave it out and set PREWARM_TOKEN)', 'token'));
    } else if (/\s/.test(token.trim())) {
      diags.push(attrError('Invalid token', 'token: must not contain whitespace', 'token'));
    }
  }
  for (const attr of ['ca_cert', 'client_cert', 'client_key'] as const) {
    if (stringAttr(config, attr) === '') {
      diags.push(attrError(`Invalid ${attr}`, `${attr}: must be PEM text or the path of a PEM file, not empty`, attr));
    }
  }
  return diags;
}

/**
 * Checks on configured values alone (ValidateProviderConfig: no environment, no file system, values may be
 * unknown). Inline PEM text of client_cert and client_key is checked here; paths and PREWARM_* variables, and
 * whether both are given, only at ConfigureProvider (a key may come from the environment).
 */
export function validateProviderConfig(config: CtyObject | null): Diagnostic[] {
  const diags = checkConfigSyntax(config);
  checkClientCredentials(inlinePem(config, 'client_cert'), inlinePem(config, 'client_key'), diags);
  return diags;
}

/**
 * Config + environment → client options. Returns diagnostics for everything that would make every API call
 * fail, each pointing at the attribute when the value came from the configuration.
 */
export function resolveProviderConfig(config: CtyObject | null, env: Env): { resolved: ResolvedConfig; diags: Diagnostic[] } {
  const diags = checkConfigSyntax(config);
  const unknown: ConfigAttr[] = [];
  const pick = (name: ConfigAttr): { value: string | undefined; fromConfig: boolean; source: Source } => {
    const v = stringAttr(config, name);
    if (v === UNKNOWN) {
      unknown.push(name);
      return { value: undefined, fromConfig: true, source: 'config' };
    }
    if (v !== null) return { value: v, fromConfig: true, source: 'config' };
    const e = env[ENV[name]];
    const value = e === undefined || e === '' ? undefined : e;
    return { value, fromConfig: false, source: value === undefined ? 'unset' : 'env' };
  };

  const ep = pick('endpoint');
  const endpoint = ep.value ?? DEFAULT_ENDPOINT;
  const token = pick('token');

  let insecure = false;
  const insecureValue: CtyValue | undefined = config?.insecure;
  if (isUnknown(insecureValue)) unknown.push('insecure');
  else if (typeof insecureValue === 'boolean') insecure = insecureValue;
  else if (env[ENV.insecure] !== undefined) {
    const parsed = parseEnvBool(env[ENV.insecure] as string);
    if (parsed === undefined) {
      diags.push(attrError('Invalid PREWARM_INSECURE', `PREWARM_INSECURE must be true or false, got ${JSON.stringify(env[ENV.insecure])}`));
    } else insecure = parsed;
  }

  /** PEM text as is, or the file it names; a read failure is a diagnostic naming the attribute or variable. */
  const readPem = (attr: PemAttr, picked: ReturnType<typeof pick>): { pem: Buffer; described: string } | undefined => {
    const value = picked.value;
    if (value === undefined || value === '') return undefined;
    if (isPem(value)) return { pem: Buffer.from(value, 'utf8'), described: 'the PEM text' };
    const where = picked.fromConfig ? attr : ENV[attr];
    // A key given where a path was expected may be key material without its BEGIN line: never repeat it.
    const shown = attr === 'client_key' ? 'the file it names' : value;
    try {
      return { pem: readFileSync(value), described: attr === 'client_key' ? `the file ${where} names` : `the file ${value}` };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
      const detail = `${where}: cannot read ${shown}: ${why} (give PEM text or the path of a PEM file)`;
      diags.push(attrError(`Cannot read the ${PEM_WHAT[attr]}`, detail, picked.fromConfig ? attr : undefined));
      return undefined;
    }
  };

  const ca = pick('ca_cert');
  const caCert = readPem('ca_cert', ca)?.pem;

  const cc = pick('client_cert');
  const ck = pick('client_key');
  const certPem = readPem('client_cert', cc);
  const keyPem = readPem('client_key', ck);
  const source = (attr: 'client_cert' | 'client_key', picked: ReturnType<typeof pick>, read: { pem: Buffer; described: string } | undefined) =>
    read === undefined
      ? undefined
      : { attr, pem: read.pem, described: read.described, where: picked.fromConfig ? attr : ENV[attr], path: picked.fromConfig ? attr : undefined };
  const certSrc = source('client_cert', cc, certPem);
  const keySrc = source('client_key', ck, keyPem);
  const clientUnknown = unknown.includes('client_cert') || unknown.includes('client_key');
  // An empty value was reported as such by checkConfigSyntax; it counts as not given here.
  const given = (picked: ReturnType<typeof pick>) => picked.value !== undefined && picked.value !== '';
  if (!clientUnknown && given(cc) !== given(ck)) {
    // Both or neither: a certificate without its key (or a key alone) cannot authenticate anyone.
    const [have, missing, picked] = given(cc) ? (['client_cert', 'client_key', cc] as const) : (['client_key', 'client_cert', ck] as const);
    const haveWhere = picked.fromConfig ? have : ENV[have];
    diags.push(
      attrError(
        `Missing ${missing}`,
        `${haveWhere} is set but ${missing} is not: a client certificate and its key go together. Set ${missing} in the provider block ` +
          `or the ${ENV[missing]} environment variable, or ${picked.fromConfig ? `remove ${have}` : `unset ${ENV[have]}`}.`,
        picked.fromConfig ? have : undefined,
      ),
    );
  }
  checkClientCredentials(certSrc, keySrc, diags);
  const clientOk = certSrc !== undefined && keySrc !== undefined;

  if (!unknown.includes('endpoint') && !unknown.includes('ca_cert') && !unknown.includes('insecure') && !clientUnknown) {
    try {
      parseEndpoint(endpoint, { caCert, insecure, clientCert: certSrc?.pem, clientKey: keySrc?.pem });
    } catch (err) {
      // The config-only endpoint syntax error was reported by checkConfigSyntax already.
      if (!diags.some((d) => d.summary === 'Invalid endpoint')) {
        const detail = `${ep.fromConfig ? 'endpoint' : ENV.endpoint}: ${terraformPhrasing((err as Error).message)}`;
        diags.push(attrError('Invalid endpoint', detail, ep.fromConfig ? 'endpoint' : undefined));
      }
    }
  }

  if (!unknown.includes('token') && (token.value === undefined || token.value.trim() === '')) {
    if (!diags.some((d) => d.summary === 'Invalid token')) {
      diags.push(
        errorDiag(
          'No API token',
          'Set token in the provider block or the PREWARM_TOKEN environment variable. The controller prints its token once, ' +
            'on first start; "prewarm token rotate" makes a new one, also while it runs.',
        ),
      );
    }
  }

  return {
    resolved: {
      endpoint,
      token: token.value?.trim(),
      caCert,
      clientCert: clientOk ? certSrc.pem : undefined,
      clientKey: clientOk ? keySrc.pem : undefined,
      insecure,
      unknown,
      sources: { endpoint: ep.source, token: token.source, ca_cert: ca.source, client_cert: cc.source },
    },
    diags,
  };
}

/** The configured provider: resolved settings and the lazily created client. Safe under concurrent RPCs. */
export class ProviderSession {
  private resolved: ResolvedConfig | undefined;
  private client: PrewarmClient | undefined;

  /** Refreshes of presets, read through per-template lists; every write through this process invalidates it. */
  readonly presetReads: PresetReads;

  constructor(
    private readonly env: Env,
    private readonly factory: ClientFactory,
    private readonly timeoutMs?: number,
    // Monotonic: a wall clock stepped back would keep a list fresh for as long as the step.
    now: () => number = () => performance.now(),
  ) {
    this.presetReads = new PresetReads(now);
  }

  configure(config: CtyObject | null): Diagnostic[] {
    const { resolved, diags } = resolveProviderConfig(config, this.env);
    this.close();
    this.presetReads.invalidate();
    this.resolved = hasErrors(diags) ? undefined : resolved;
    return diags;
  }

  /** Unknown provider attributes (empty when configured with known values, or not configured). */
  get unknownAttributes(): readonly string[] {
    return this.resolved?.unknown ?? [];
  }

  /**
   * The API client; throws DiagnosticsError saying why there is none. `action` reads "create template devbox".
   * Its transport and authentication errors name provider attributes and PREWARM_* variables, not CLI flags.
   */
  getClient(action: string): PrewarmClient {
    const r = this.resolved;
    if (r === undefined) {
      throw new DiagnosticsError([
        errorDiag(
          `Cannot ${action}: the provider is not configured`,
          'ConfigureProvider did not succeed; see the errors reported for the provider block.',
        ),
      ]);
    }
    if (r.unknown.length > 0) {
      const names = r.unknown.map((n) => `"${n}"`).join(', ');
      throw new DiagnosticsError([
        errorDiag(
          `Cannot ${action}: provider configuration is not known yet`,
          `The provider block's ${names} ${r.unknown.length === 1 ? 'depends' : 'depend'} on values known only after apply, ` +
            'so the provider cannot reach the controller. The value must be known: use a literal, a variable or an ' +
            'environment variable (PREWARM_*), or apply the resources it depends on first (terraform apply -target=…).',
        ),
      ]);
    }
    if (this.client === undefined) {
      try {
        const client = this.factory({
          endpoint: r.endpoint,
          token: r.token ?? '',
          caCert: r.caCert,
          clientCert: r.clientCert,
          clientKey: r.clientKey,
          insecure: r.insecure || undefined,
          timeoutMs: this.timeoutMs,
        });
        this.client = withTerraformErrors(client, r);
      } catch (err) {
        throw new DiagnosticsError([errorDiag(`Cannot ${action}: cannot create the API client`, terraformPhrasing((err as Error).message))]);
      }
    }
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/**
 * The client module (grpc-js and the API's descriptors) is required when the first client is made, not at load:
 * most of the provider processes a Terraform run starts (schema, validation) never talk to the controller.
 */
export const defaultClientFactory: ClientFactory = (opts) => (require('../controller/api/client') as typeof import('../controller/api/client')).createClient(opts);
