/**
 * The plugin server's pure parts: DER encoding, the certificate, the handshake rules, hclog-style logging and crash
 * text, call cancellation, and the error-diagnostic fallback for every tfplugin6 response type.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from '@jest/globals';
import { fromBinary } from '@bufbuild/protobuf';
import { Diagnostic_Severity, Provider } from '../../../../provider/protocol';
import { CallRegistry, StopProviderError } from '../../../../provider/server/calls';
import { CERTIFICATE_BACKDATE_MS, createServerCertificate, pemFromDer } from '../../../../provider/server/certificate';
import * as der from '../../../../provider/server/der';
import {
  handshakeLine,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  negotiate,
  parseVersions,
  rawBase64,
} from '../../../../provider/server/handshake';
import { formatPanic, hclogTimestamp, levelFromEnv, Logger } from '../../../../provider/server/hclog';
import { errorResponse, INTERNAL_ERROR_SUMMARY } from '../../../../provider/server/provider-service';
import { singleUse } from '../../../../provider/server/stdout-guard';
import { skipping } from '../../../helpers/skip';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('DER', () => {
  test('lengths: short and long definite forms', () => {
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(3))), '0403000000');
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(0x80)).subarray(0, 3)), '048180');
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(0x1234)).subarray(0, 4)), '04821234');
  });

  test('INTEGER is minimal and positive', () => {
    assert.equal(hex(der.smallInteger(0)), '020100');
    assert.equal(hex(der.smallInteger(2)), '020102');
    assert.equal(hex(der.smallInteger(128)), '02020080');
    assert.equal(hex(der.unsignedInteger(Buffer.from([0, 0, 0x7f]))), '02017f');
    assert.equal(hex(der.unsignedInteger(Buffer.from([0xff]))), '020200ff');
  });

  test('OID, BOOLEAN, named bits, strings', () => {
    assert.equal(hex(der.oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(der.oid('2.5.29.15')), '0603551d0f');
    assert.equal(hex(der.boolean(true)), '0101ff');
    // digitalSignature(0) keyEncipherment(2) keyAgreement(4) keyCertSign(5): 1010 1100, 2 unused bits
    assert.equal(hex(der.namedBits([0, 2, 4, 5])), '030202ac');
    assert.equal(hex(der.namedBits([0])), '03020780');
    assert.equal(hex(der.utf8String('ok')), '0c026f6b');
    assert.throws(() => der.ia5('é'));
    assert.throws(() => der.oid('1.2.x'));
  });

  test('times: UTCTime before 2050, GeneralizedTime from 2050, always UTC', () => {
    assert.equal(der.time(new Date(Date.UTC(2026, 10, 22, 15, 4, 5))).toString('latin1', 2), '261122150405Z');
    assert.equal(der.time(new Date(Date.UTC(2026, 10, 22, 15, 4, 5)))[0], der.Tag.UTC_TIME);
    const late = der.time(new Date(Date.UTC(2056, 0, 2, 3, 4, 5)));
    assert.equal(late[0], der.Tag.GENERALIZED_TIME);
    assert.equal(late.toString('latin1', 2), '20560102030405Z');
  });
});

describe('server certificate', () => {
  const now = new Date();
  const cert = createServerCertificate({ now });
  const x509 = new X509Certificate(cert.certPem);

  test('parses as X.509 and is self-signed by its own key', () => {
    assert.deepEqual(new X509Certificate(cert.der).raw, cert.der);
    assert.ok(x509.verify(x509.publicKey));
    assert.ok(x509.checkIssued(x509));
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(x509.checkPrivateKey(require('node:crypto').createPrivateKey(cert.keyPem)));
  });

  test('names, SAN, CA flag, key usages', () => {
    assert.match(x509.subject, /CN=localhost/);
    assert.equal(x509.subject, x509.issuer);
    assert.equal(x509.checkHost('localhost'), 'localhost');
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal(x509.ca, true);
    assert.deepEqual([...(x509.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  test('validity: NotBefore 30 s back, NotAfter a year ahead, serial 128 bits and random', () => {
    const from = new Date(x509.validFrom).getTime();
    const to = new Date(x509.validTo).getTime();
    assert.ok(Math.abs(from - (now.getTime() - CERTIFICATE_BACKDATE_MS)) <= 1000, `${x509.validFrom}`);
    assert.ok(to - now.getTime() > 364 * 24 * 3600 * 1000 && to - now.getTime() < 366 * 24 * 3600 * 1000, x509.validTo);
    assert.equal(x509.serialNumber.length, 32);
    assert.notEqual(createServerCertificate().der.toString('hex'), cert.der.toString('hex'));
    assert.notEqual(new X509Certificate(createServerCertificate().der).serialNumber, x509.serialNumber);
  });

  test('the signature is ECDSA with SHA-256 over the TBS bytes', () => {
    // Split Certificate ::= SEQUENCE { tbs, alg, sig } by hand: lengths are long-form (2 bytes) for tbs.
    const outerHeader = cert.der[1] & 0x80 ? 2 + (cert.der[1] & 0x7f) : 2;
    const tbsLenBytes = cert.der[outerHeader + 1] & 0x80 ? cert.der[outerHeader + 1] & 0x7f : 0;
    let tbsLen = tbsLenBytes === 0 ? cert.der[outerHeader + 1] : 0;
    for (let i = 0; i < tbsLenBytes; i++) tbsLen = tbsLen * 256 + cert.der[outerHeader + 2 + i];
    const tbsEnd = outerHeader + 2 + tbsLenBytes + tbsLen;
    const tbs = cert.der.subarray(outerHeader, tbsEnd);
    const rest = cert.der.subarray(tbsEnd);
    assert.equal(hex(rest.subarray(0, 12)), '300a06082a8648ce3d040302');
    const sig = rest.subarray(12 + 3); // BIT STRING tag, length, unused-bits byte
    assert.ok(verify('sha256', tbs, createPublicKey(cert.keyPem), sig));
  });

  const noOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0 ? false : 'openssl is not installed';
  (skipping(noOpenssl, 'the openssl check of the certificate') ? test.skip : test)('openssl shows every extension', () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: cert.certPem, encoding: 'utf8' });
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement, Certificate Sign/);
    assert.match(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
    assert.match(text, /X509v3 Subject Alternative Name:\s+DNS:localhost, IP Address:127\.0\.0\.1/);
    assert.match(text, /X509v3 Subject Key Identifier/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /NIST CURVE: P-256/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-cert-'));
    try {
      fs.writeFileSync(path.join(dir, 'c.pem'), cert.certPem);
      const out = execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', path.join(dir, 'c.pem'), path.join(dir, 'c.pem')], {
        encoding: 'utf8',
      });
      assert.match(out, /OK/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PEM wraps at 64 columns', () => {
    const lines = pemFromDer(Buffer.alloc(100, 1), 'X').trim().split('\n');
    assert.equal(lines[0], '-----BEGIN X-----');
    assert.equal(lines[1].length, 64);
    assert.equal(lines.at(-1), '-----END X-----');
  });

  test('generation is cheap: an EC P-256 key by default, never RSA', () => {
    // What keeps the start path fast is the key type (EC key generation takes well under a millisecond, RSA tens
    // of milliseconds or more), so that is what is checked, not a wall-clock time.
    const key = createPrivateKey(createServerCertificate().keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });
});

describe('handshake', () => {
  const cookie = { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE };

  test('the magic cookie is required and must match exactly', () => {
    for (const env of [{}, { [MAGIC_COOKIE_KEY]: 'nope' }, { [MAGIC_COOKIE_KEY]: `${MAGIC_COOKIE_VALUE} ` }]) {
      const n = negotiate(env);
      assert.equal(n.ok, false);
      assert.match((n as { message: string }).message, /This binary is a plugin.*Terraform/s);
    }
  });

  test('PLUGIN_PROTOCOL_VERSIONS is a set that must contain 6', () => {
    for (const offered of ['5,6', '6,5', '6', ' 5 , 6 ', '4,6,7']) {
      const n = negotiate({ ...cookie, PLUGIN_PROTOCOL_VERSIONS: offered });
      assert.ok(n.ok, offered);
      assert.equal(n.appVersion, 6);
    }
    for (const offered of ['5', '4,5', 'x']) {
      const n = negotiate({ ...cookie, PLUGIN_PROTOCOL_VERSIONS: offered });
      assert.equal(n.ok, false, offered);
      assert.match((n as { message: string }).message, /protocol 6 only.*PLUGIN_PROTOCOL_VERSIONS/);
    }
    // Unset: go-plugin servers answer their default version.
    assert.ok(negotiate({ ...cookie }).ok);
    assert.deepEqual(parseVersions('6,5'), [6, 5]);
    assert.equal(parseVersions(''), undefined);
    assert.deepEqual(parseVersions('a,6'), [6]);
  });

  test('PLUGIN_CLIENT_CERT: absent or empty means plaintext; garbage is refused', () => {
    const n1 = negotiate({ ...cookie, PLUGIN_CLIENT_CERT: '' });
    assert.ok(n1.ok && n1.clientCertPem === undefined);
    const pem = createServerCertificate().certPem;
    const n2 = negotiate({ ...cookie, PLUGIN_CLIENT_CERT: pem });
    assert.ok(n2.ok && n2.clientCertPem === pem);
    const n3 = negotiate({ ...cookie, PLUGIN_CLIENT_CERT: '-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n' });
    assert.equal(n3.ok, false);
  });

  test('the line: 5 fields in plaintext, 6 with the certificate, one newline, no padding', () => {
    const listen = { network: 'unix' as const, address: '/tmp/plugin123/p.sock' };
    assert.equal(handshakeLine(listen, 6), '1|6|unix|/tmp/plugin123/p.sock|grpc\n');
    for (let len = 1; len <= 6; len++) {
      const line = handshakeLine(listen, 6, Buffer.alloc(len, 0xfb));
      assert.ok(line.endsWith('\n') && line.indexOf('\n') === line.length - 1);
      const fields = line.trimEnd().split('|');
      assert.equal(fields.length, 6);
      assert.doesNotMatch(fields[5], /=/);
      assert.match(fields[5], /^[A-Za-z0-9+/]*$/); // standard alphabet, not URL-safe
    }
    assert.equal(rawBase64(Buffer.from([0xfb, 0xff])), '+/8');
    assert.equal(handshakeLine({ network: 'tcp', address: '127.0.0.1:10000' }, 6), '1|6|tcp|127.0.0.1:10000|grpc\n');
    assert.throws(() => handshakeLine({ network: 'unix', address: '/tmp/a|b' }, 6));
  });

  test('the handshake writer refuses a second line or a partial one', () => {
    const written: string[] = [];
    const w = singleUse((l) => written.push(l));
    assert.throws(() => w('no newline'));
    assert.throws(() => w('two\nlines\n'));
    w('1|6|unix|/x|grpc\n');
    assert.throws(() => w('1|6|unix|/x|grpc\n'));
    assert.deepEqual(written, ['1|6|unix|/x|grpc\n']);
  });
});

describe('logging', () => {
  test('timestamps have exactly six fractional digits, in UTC', () => {
    assert.equal(hclogTimestamp(Date.UTC(2026, 10, 22, 15, 4, 5) * 1000 + 123456.7), '2026-11-22T15:04:05.123456Z');
    assert.equal(hclogTimestamp(Date.UTC(2026, 0, 1) * 1000 + 7), '2026-01-01T00:00:00.000007Z');
    assert.match(hclogTimestamp(Date.now() * 1000), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  test('level: TF_LOG_PROVIDER over TF_LOG, Terraform value rules, default info', () => {
    assert.equal(levelFromEnv({}), 'info');
    assert.equal(levelFromEnv({ TF_LOG: 'DEBUG' }), 'debug');
    assert.equal(levelFromEnv({ TF_LOG: 'debug', TF_LOG_PROVIDER: 'ERROR' }), 'error');
    assert.equal(levelFromEnv({ TF_LOG: 'JSON' }), 'trace');
    assert.equal(levelFromEnv({ TF_LOG: 'off' }), 'off');
    assert.equal(levelFromEnv({ TF_LOG: 'loud' }), 'trace');
    assert.equal(levelFromEnv({ TF_LOG: '', TF_LOG_PROVIDER: '' }), 'info');
  });

  test('lines are hclog JSON with string @level/@message and safe fields', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (s: string) => lines.push(s) }, 'debug', {}, 'prewarm', () => Date.UTC(2026, 10, 22) * 1000 + 5);
    log.trace('hidden');
    log.debug('shown', { n: 1n, err: new Error('bad'), '@level': 'fake', nested: { a: [1, 2n] }, nan: NaN, undef: undefined });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.with({ tf_rpc: 'PlanResourceChange' }).warn('multi\nline', { cyclic });
    assert.equal(lines.length, 2);
    for (const l of lines) assert.ok(l.endsWith('\n') && l.indexOf('\n') === l.length - 1, 'one line each');
    const first = JSON.parse(lines[0]);
    assert.deepEqual(first, {
      '@level': 'debug',
      '@message': 'shown',
      '@module': 'prewarm',
      '@timestamp': '2026-11-22T00:00:00.000005Z',
      n: '1',
      err: 'bad',
      '_@level': 'fake',
      nested: { a: [1, '2'] },
      nan: 'NaN',
    });
    const second = JSON.parse(lines[1]);
    assert.equal(second['@message'], 'multi\nline');
    assert.equal(second.tf_rpc, 'PlanResourceChange');
    assert.equal(typeof second.cyclic, 'string');
  });

  test('a broken sink never throws into the caller', () => {
    const log = new Logger({ write: () => { throw new Error('EPIPE'); } }, 'trace');
    log.error('still fine');
  });

  test('panic text: the first line starts with "panic: ", then the stack', () => {
    const err = new Error('kaboom\nsecond line');
    const text = formatPanic('recovered in ReadResource', err);
    const lines = text.split('\n');
    assert.equal(lines[0], 'panic: recovered in ReadResource: kaboom');
    assert.ok(lines.some((l) => /^\s+at /.test(l)));
    assert.equal(formatPanic('', 'a string').split('\n')[0], 'panic: a string');
  });
});

describe('calls and StopProvider', () => {
  test('abortAll aborts the calls in flight only; later calls get a fresh signal', () => {
    const calls = new CallRegistry();
    const a = calls.begin();
    const b = calls.begin();
    calls.end(b);
    assert.equal(calls.abortAll('stop'), 1);
    assert.ok(a.signal.aborted);
    assert.ok(a.signal.reason instanceof StopProviderError);
    assert.equal(b.signal.aborted, false);
    const c = calls.begin();
    assert.equal(c.signal.aborted, false);
    assert.equal(calls.size, 1);
  });
});

describe('error diagnostics for every response type', () => {
  test('every unary tfplugin6 response but StopProvider can carry the error (CallFunction as FunctionError)', () => {
    for (const method of Provider.methods) {
      if (method.methodKind !== 'unary') continue;
      const bytes = errorResponse(method.output, 'detail text');
      if (method.localName === 'stopProvider') {
        assert.equal(bytes, undefined);
        continue;
      }
      if (method.localName === 'callFunction') {
        const decoded = fromBinary(Provider.method.callFunction.output, bytes!);
        assert.equal(decoded.error?.text, `${INTERNAL_ERROR_SUMMARY}: detail text`);
        continue;
      }
      assert.ok(bytes, method.name);
      const decoded = fromBinary(method.output, bytes) as unknown as { diagnostics: Array<{ severity: number; summary: string; detail: string }> };
      assert.deepEqual(
        decoded.diagnostics.map((d) => [d.severity, d.summary, d.detail]),
        [[Diagnostic_Severity.ERROR, INTERNAL_ERROR_SUMMARY, 'detail text']],
        method.name,
      );
    }
  });
});
