/**
 * The http driver's template config: `url` (the platform API's base URL) and `secret_ref` (the name of the signing
 * secret). Checked when the template is stored, and again at each run, since a template stored by an older
 * controller may predate a rule.
 */
import type { FieldError } from '../../domain/errors';
import { parseUrlText } from '../../domain/url-text';
import { quote } from '../../domain/text';
import { isLoopbackHostname } from '../../net/local-address';
import { SECRET_NAME, SECRET_NAME_WORDS } from '../secrets';

export const HTTP_CONFIG_KEYS = ['url', 'secret_ref'] as const;

export interface HttpConfig {
  /** The base URL without its trailing slashes; operations go to `<base>/<op>`. */
  base: URL;
  secretRef: string;
}

function urlProblem(value: string): string | null {
  if (value === '') return 'must not be empty: the platform API base URL, e.g. "https://platform.example.com/prewarm"';
  const url = parseUrlText(value, 'an absolute https:// URL');
  if (typeof url === 'string') return url;
  if (url.protocol === 'http:') {
    // The request carries instance details and a signature made with the secret; over plain HTTP across a network
    // anyone on the path could read them (and replay within the signature's tolerance).
    if (!isLoopbackHostname(url.hostname)) return `must use https:// (plain http:// only to localhost or a loopback address), got ${quote(value)}`;
  } else if (url.protocol !== 'https:') {
    return `must use https://, got ${quote(url.protocol.replace(/:$/, ''))}`;
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials (user:password@): requests are signed with secret_ref';
  // Checked on the text too: the parser drops an empty "?" or "#", and the operation is appended to the path.
  if (url.search !== '' || value.includes('?')) return `must not have a query (?…): the operation is appended to the path, got ${quote(value)}`;
  if (url.hash !== '' || value.includes('#')) return `must not have a fragment (#…), got ${quote(value)}`;
  return null;
}

/** The config's problems, each naming its key; and the parsed config when there are none. */
export function parseHttpConfig(config: Readonly<Record<string, string>>): { ok: true; config: HttpConfig } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  for (const key of Object.keys(config)) {
    if (!(HTTP_CONFIG_KEYS as readonly string[]).includes(key)) {
      errors.push({ path: ['config', key], message: `is not a setting of the http driver (known: ${HTTP_CONFIG_KEYS.join(', ')})` });
    }
  }
  const url = Object.hasOwn(config, 'url') ? config['url'] : undefined;
  const ref = Object.hasOwn(config, 'secret_ref') ? config['secret_ref'] : undefined;
  if (url === undefined) errors.push({ path: ['config', 'url'], message: 'is required: the platform API base URL; operations are POSTed to <url>/<op>' });
  else {
    const problem = urlProblem(url);
    if (problem) errors.push({ path: ['config', 'url'], message: problem });
  }
  if (ref === undefined) errors.push({ path: ['config', 'secret_ref'], message: 'is required: the name of the secret requests are signed with' });
  else if (!SECRET_NAME.test(ref)) errors.push({ path: ['config', 'secret_ref'], message: `must be a secret name (${SECRET_NAME_WORDS}), got ${quote(ref)}` });
  if (errors.length > 0) return { ok: false, errors };
  const base = new URL(url!);
  return { ok: true, config: { base, secretRef: ref! } };
}

/** The URL an operation is POSTed to: the base with its trailing slashes trimmed, then `/<op>`. */
export function operationUrl(base: URL, op: string): URL {
  return new URL(`${base.href.replace(/\/+$/, '')}/${op}`);
}

