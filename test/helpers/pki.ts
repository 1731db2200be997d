/**
 * Certificates for mutual-TLS tests, made with the openssl CLI in a directory the caller owns:
 *   ca.pem/ca.key            the CA the controller trusts for clients (--tls-client-ca) and the provider for the server
 *   server.pem/server.key    the controller's certificate: localhost and 127.0.0.1, signed by ca
 *   client.pem/client.key    a client certificate (clientAuth) signed by ca
 *   other-ca.pem             an unrelated CA
 *   rogue.pem/rogue.key      a client certificate signed by other-ca (a controller trusting ca refuses it)
 *   client-enc.key           client.key encrypted with a passphrase
 * EC P-256 keys, one day of validity.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PKI_FILES = ['ca', 'server', 'client', 'other-ca', 'rogue'] as const;

export interface Pki {
  dir: string;
  /** Absolute path of a file in dir. */
  path(file: string): string;
  read(file: string): Buffer;
}

export function opensslUnavailable(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return 'the openssl CLI is not installed; the mutual-TLS tests need it to make certificates';
  }
}

export function makePki(dir: string): Pki {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    run('req', '-x509', ...ecKey, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=prewarm test ${ca}`);
  }
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  const leaves: Array<[name: string, cn: string, ca: string, ext: string]> = [
    ['server', 'localhost', 'ca', 'server.ext'],
    ['client', 'terraform', 'ca', 'client.ext'],
    ['rogue', 'rogue-client', 'other-ca', 'client.ext'],
  ];
  for (const [name, cn, ca, ext] of leaves) {
    run('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', ext);
  }
  run('pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret', '-out', 'client-enc.key');
  return { dir, path: (file) => join(dir, file), read: (file) => readFileSync(join(dir, file)) };
}
