/**
 * go-plugin's handshake: what the environment must say before the plugin
 * starts, and the one line the plugin answers with on stdout.
 */
import { X509Certificate } from 'node:crypto';

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
/** go-plugin's core protocol: anything else is "incompatible core API version". */
export const CORE_PROTOCOL_VERSION = 1;
/** tfplugin6. */
export const APP_PROTOCOL_VERSION = 6;

export type Negotiation =
  | { ok: true; appVersion: number; clientCertPem?: string; offered: number[] | undefined }
  | { ok: false; message: string };

/**
 * Checks what Terraform (or OpenTofu) put in the environment. `offered` is undefined when PLUGIN_PROTOCOL_VERSIONS
 * is unset or empty: go-plugin servers then answer their default version, which for this plugin is 6.
 */
export function negotiate(env: NodeJS.ProcessEnv): Negotiation {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    return {
      ok: false,
      message:
        'This binary is a plugin: terraform-provider-prewarm, a Terraform provider. It is not meant to be ' +
        'executed directly. Terraform (or OpenTofu) starts it and talks to it by itself: install it as a provider ' +
        'and run terraform instead.' +
        (env[MAGIC_COOKIE_KEY] === undefined ? '' : ` (${MAGIC_COOKIE_KEY} is set but does not hold Terraform's value.)`),
    };
  }
  const offered = parseVersions(env.PLUGIN_PROTOCOL_VERSIONS);
  if (offered !== undefined && !offered.includes(APP_PROTOCOL_VERSION)) {
    return {
      ok: false,
      message:
        `terraform-provider-prewarm speaks plugin protocol ${APP_PROTOCOL_VERSION} only, but the client offered ` +
        `PLUGIN_PROTOCOL_VERSIONS=${JSON.stringify(env.PLUGIN_PROTOCOL_VERSIONS)}. Use Terraform 1.0 or later, or OpenTofu.`,
    };
  }
  const clientCertPem = env.PLUGIN_CLIENT_CERT;
  if (clientCertPem === undefined || clientCertPem === '') return { ok: true, appVersion: APP_PROTOCOL_VERSION, offered };
  try {
    new X509Certificate(clientCertPem);
  } catch (err) {
    return {
      ok: false,
      message: `terraform-provider-prewarm: PLUGIN_CLIENT_CERT does not hold a PEM certificate: ${(err as Error).message}`,
    };
  }
  return { ok: true, appVersion: APP_PROTOCOL_VERSION, clientCertPem, offered };
}

/**
 * "5,6", "6,5", " 6 ": an unordered set (Terraform builds it from a Go map). Entries that are not numbers are
 * skipped, as go-plugin does; undefined when nothing was offered at all.
 */
export function parseVersions(text: string | undefined): number[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const versions: number[] = [];
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (/^\d+$/.test(trimmed)) versions.push(Number(trimmed));
  }
  return versions;
}

export interface ListenAddress {
  network: 'unix' | 'tcp';
  /** unix: the socket path itself (no unix:// prefix); tcp: 127.0.0.1:PORT. */
  address: string;
}

/**
 * `CORE|APP|NETWORK|ADDRESS|PROTOCOL[|CERT]\n`. CERT is the DER certificate in standard base64 without `=` padding
 * (go-plugin decodes it with RawStdEncoding), present exactly when the client sent PLUGIN_CLIENT_CERT. Never a 7th
 * field: go-plugin 1.4 splits the line into at most 6.
 */
export function handshakeLine(listen: ListenAddress, appVersion: number, certificateDer?: Uint8Array): string {
  if (/[|\n]/.test(listen.address)) throw new Error(`the listen address cannot go into a handshake line: ${listen.address}`);
  const fields = [String(CORE_PROTOCOL_VERSION), String(appVersion), listen.network, listen.address, 'grpc'];
  if (certificateDer !== undefined) fields.push(rawBase64(certificateDer));
  return `${fields.join('|')}\n`;
}

/** Standard base64 alphabet, padding removed. */
export function rawBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}
