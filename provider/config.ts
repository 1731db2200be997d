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
 * What can be checked without connecting (endpoint syntax, token present, CA certificate readable) is checked at
 * ConfigureProvider so the error points at the provider block.
 */
import { readFileSync } from 'node:fs';
import { createClient, DEFAULT_ENDPOINT, parseEndpoint, type ClientOptions, type PrewarmClient } from '../controller/api/client';
import { isUnknown, type CtyObject, type CtyValue } from './values';
import { DiagnosticsError, errorDiag, hasErrors, type Diagnostic } from './diagnostics';

export type Env = Readonly<Record<string, string | undefined>>;
export type ClientFactory = (opts: ClientOptions) => PrewarmClient;

export const ENV = {
  endpoint: 'PREWARM_ENDPOINT',
  token: 'PREWARM_TOKEN',
  ca_cert: 'PREWARM_CA_CERT',
  insecure: 'PREWARM_INSECURE',
} as const;

type ConfigAttr = keyof typeof ENV;

/** What ConfigureProvider settled on. */
export interface ResolvedConfig {
  endpoint: string;
  token: string | undefined;
  caCert: Buffer | undefined;
  insecure: boolean;
  /** Attributes whose configured value was unknown: the client cannot be built until they are known. */
  unknown: ConfigAttr[];
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

/**
 * Checks on configured values alone (ValidateProviderConfig: no environment, no file system, values may be
 * unknown).
 */
export function validateProviderConfig(config: CtyObject | null): Diagnostic[] {
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
  if (stringAttr(config, 'ca_cert') === '') {
    diags.push(attrError('Invalid ca_cert', 'ca_cert: must be PEM text or the path of a PEM file, not empty', 'ca_cert'));
  }
  return diags;
}

/**
 * Config + environment → client options. Returns diagnostics for everything that would make every API call
 * fail, each pointing at the attribute when the value came from the configuration.
 */
export function resolveProviderConfig(config: CtyObject | null, env: Env): { resolved: ResolvedConfig; diags: Diagnostic[] } {
  const diags = validateProviderConfig(config);
  const unknown: ConfigAttr[] = [];
  const pick = (name: ConfigAttr): { value: string | undefined; fromConfig: boolean } => {
    const v = stringAttr(config, name);
    if (v === UNKNOWN) {
      unknown.push(name);
      return { value: undefined, fromConfig: true };
    }
    if (v !== null) return { value: v, fromConfig: true };
    const e = env[ENV[name]];
    return { value: e === undefined || e === '' ? undefined : e, fromConfig: false };
  };

  const endpoint = pick('endpoint').value ?? DEFAULT_ENDPOINT;
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

  let caCert: Buffer | undefined;
  const ca = pick('ca_cert');
  if (ca.value !== undefined && ca.value !== '') {
    if (isPem(ca.value)) caCert = Buffer.from(ca.value, 'utf8');
    else {
      try {
        caCert = readFileSync(ca.value);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'no such file' : e.message;
        const where = ca.fromConfig ? 'ca_cert' : ENV.ca_cert;
        const detail = `${where}: cannot read ${ca.value}: ${why} (give PEM text or the path of a PEM file)`;
        diags.push(attrError('Cannot read the CA certificate', detail, ca.fromConfig ? 'ca_cert' : undefined));
      }
    }
  }

  if (!unknown.includes('endpoint') && !unknown.includes('ca_cert') && !unknown.includes('insecure')) {
    try {
      parseEndpoint(endpoint, { caCert, insecure });
    } catch (err) {
      const fromConfig = stringAttr(config, 'endpoint') !== null;
      // The config-only endpoint syntax error was reported by validateProviderConfig already.
      if (!diags.some((d) => d.summary === 'Invalid endpoint')) {
        const detail = `${fromConfig ? 'endpoint' : ENV.endpoint}: ${(err as Error).message}`;
        diags.push(attrError('Invalid endpoint', detail, fromConfig ? 'endpoint' : undefined));
      }
    }
  }

  if (!unknown.includes('token') && (token.value === undefined || token.value.trim() === '')) {
    if (!diags.some((d) => d.summary === 'Invalid token')) {
      diags.push(
        errorDiag(
          'No API token',
          'Set token in the provider block or the PREWARM_TOKEN environment variable. The controller prints its token once, ' +
            'on first start; "prewarm controller --rotate-token" makes a new one.',
        ),
      );
    }
  }

  return { resolved: { endpoint, token: token.value?.trim(), caCert, insecure, unknown }, diags };
}

/** The configured provider: resolved settings and the lazily created client. Safe under concurrent RPCs. */
export class ProviderSession {
  private resolved: ResolvedConfig | undefined;
  private client: PrewarmClient | undefined;

  constructor(
    private readonly env: Env,
    private readonly factory: ClientFactory,
    private readonly timeoutMs?: number,
  ) {}

  configure(config: CtyObject | null): Diagnostic[] {
    const { resolved, diags } = resolveProviderConfig(config, this.env);
    this.close();
    this.resolved = hasErrors(diags) ? undefined : resolved;
    return diags;
  }

  /** Unknown provider attributes (empty when configured with known values, or not configured). */
  get unknownAttributes(): readonly string[] {
    return this.resolved?.unknown ?? [];
  }

  /** The API client; throws DiagnosticsError saying why there is none. `action` reads "create template devbox". */
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
        this.client = this.factory({
          endpoint: r.endpoint,
          token: r.token ?? '',
          caCert: r.caCert,
          insecure: r.insecure || undefined,
          timeoutMs: this.timeoutMs,
        });
      } catch (err) {
        throw new DiagnosticsError([errorDiag(`Cannot ${action}: cannot create the API client`, (err as Error).message)]);
      }
    }
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

export const defaultClientFactory: ClientFactory = createClient;
