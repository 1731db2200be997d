/**
 * The plugin's TLS server certificate (go-plugin's AutoMTLS): self-signed over a fresh ECDSA P-256
 * key on every start, written as DER by hand and signed with node:crypto. It copies go-plugin's own certificate
 * properties: CN and SAN DNS `localhost` (the client verifies ServerName "localhost"), IP SAN 127.0.0.1, CA:true
 * (the client's root pool holds only this certificate), KeyUsage digitalSignature|keyEncipherment|keyAgreement|
 * keyCertSign, ExtKeyUsage serverAuth+clientAuth, a random 128-bit serial and NotBefore 30 s in the past.
 *
 * Hand-written on purpose: the standard choice (@peculiar/x509 with webcrypto) costs about 150 ms of module
 * loading on every provider start, and Terraform starts the provider several times per plan; this builder
 * needs only node:crypto and costs a few milliseconds.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as der from './der';

export interface ServerCertificate {
  /** The certificate in DER: what the handshake line carries (base64 without padding). */
  der: Buffer;
  certPem: string;
  /** PKCS#8 PEM of the private key (for the TLS server). */
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * One year. A certificate lives exactly as long as its process (a fresh one is made per start, and Terraform starts
 * several processes per command), so the end date only has to survive clock adjustments; go-plugin's 30 years buys
 * nothing more.
 */
export const CERTIFICATE_VALIDITY_MS = 365 * 24 * 3600 * 1000;
/** go-plugin's back-dating, against small clock differences (the client verifies with its own clock). */
export const CERTIFICATE_BACKDATE_MS = 30 * 1000;

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KeyUsageBit = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 };

export interface CertificateOptions {
  /** The moment of issue (default: now). Validity starts CERTIFICATE_BACKDATE_MS before it. */
  now?: Date;
  validityMs?: number;
  /** Default P-256 (fast). Tests use P-521 to stand in for go-plugin's client certificate. */
  namedCurve?: 'P-256' | 'P-384' | 'P-521';
}

export function createServerCertificate(options: CertificateOptions = {}): ServerCertificate {
  const now = options.now ?? new Date();
  // Whole seconds: X.509 times carry no fractions, and truncating NotBefore would only move it further back.
  const notBefore = new Date(Math.floor((now.getTime() - CERTIFICATE_BACKDATE_MS) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now.getTime() + (options.validityMs ?? CERTIFICATE_VALIDITY_MS)) / 1000) * 1000);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: options.namedCurve ?? 'P-256' });

  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive and at most 16 bytes once encoded
  if (serial[0] === 0) serial[0] = 0x01; // keep the full 128-bit width (some tools dislike short serials)

  const signatureAlgorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const name = der.sequence(
    der.set(der.sequence(der.oid(OID.organization), der.utf8String('prewarm'))),
    der.set(der.sequence(der.oid(OID.commonName), der.utf8String('localhost'))),
  );
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name, // issuer
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name, // subject: self-signed
    spki,
    der.explicit(3, der.sequence(...extensions(publicKey))),
  );
  const signature = sign('sha256', tbs, privateKey); // ECDSA-Sig-Value (DER) for EC keys
  const certificate = der.sequence(tbs, signatureAlgorithm, der.bitStringBytes(signature));

  return {
    der: certificate,
    certPem: pemFromDer(certificate, 'CERTIFICATE'),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    notBefore,
    notAfter,
  };
}

function extensions(publicKey: KeyObject): Buffer[] {
  const extension = (id: string, critical: boolean, value: Buffer) =>
    critical
      ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
      : der.sequence(der.oid(id), der.octetString(value));
  return [
    extension(
      OID.keyUsage,
      true,
      der.namedBits([KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment, KeyUsageBit.keyAgreement, KeyUsageBit.keyCertSign]),
    ),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth), der.oid(OID.clientAuth))),
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    extension(OID.subjectKeyIdentifier, false, der.octetString(subjectKeyIdentifier(publicKey))),
    extension(
      OID.subjectAltName,
      false,
      der.sequence(der.implicitPrimitive(2, der.ia5('localhost')), der.implicitPrimitive(7, Buffer.from([127, 0, 0, 1]))),
    ),
  ];
}

/** RFC 5280 §4.2.1.2 method 1 (what Go computes for CA certificates): SHA-1 of the public key point. */
function subjectKeyIdentifier(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
  return createHash('sha1').update(point).digest();
}

export function pemFromDer(bytes: Uint8Array, label: string): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
