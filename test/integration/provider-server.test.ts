/**
 * The plugin server as a real child process, started the way Terraform starts a provider (go-plugin environment,
 * stdout and stderr pipes), for everything that is about the process: the handshake on stdout, connecting while the
 * server is still loading, Shutdown/SIGINT/SIGTERM, crashes, start-up refusals, the esbuild bundle, and a real
 * `terraform validate` against it when terraform is installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, describe, jest, test } from '@jest/globals';
import { GRPCController, Health, HealthCheckResponse_ServingStatus, Provider } from '../../provider/protocol';
import { createServerCertificate } from '../../provider/server/certificate';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../provider/server/handshake';
import { repoRoot } from '../helpers/controller';
import {
  certificateFromHandshake,
  PluginConnection,
  runPlugin,
  serverEntry,
  startPlugin,
  terraformEnv,
  type PluginProcess,
} from '../helpers/plugin-client';
import { isAlive } from '../helpers/processes';
import { skipping } from '../helpers/skip';
import { waitFor } from '../helpers/wait';

// Every test starts plugin processes under tsx (about a second each on an idle machine).
jest.setTimeout(30_000);

const clientCert = createServerCertificate();
const started: PluginProcess[] = [];
const connections: PluginConnection[] = [];
afterAll(() => {
  for (const c of connections) c.close();
  for (const p of started) p.kill();
});

async function start(env: NodeJS.ProcessEnv, command?: string[]): Promise<PluginProcess> {
  const p = await startPlugin({ env, command });
  started.push(p);
  return p;
}

/** `cert` null: no client certificate (plaintext servers). */
function connect(p: PluginProcess, cert: typeof clientCert | null = clientCert): PluginConnection {
  const c = new PluginConnection(p.handshake, cert ?? undefined);
  connections.push(c);
  return c;
}

const tlsEnv = (extra: Record<string, string | undefined> = {}) => terraformEnv({ PLUGIN_CLIENT_CERT: clientCert.certPem, ...extra });

describe('plugin server process', () => {
  test('stdout carries exactly the handshake line, even when code writes to stdout before and after it', async () => {
    const p = await start(tlsEnv({ PREWARM_TEST_HANDLERS: 'noisy' }));
    const { handshake } = p;
    assert.equal(handshake.fieldCount, 6);
    assert.deepEqual([handshake.core, handshake.app, handshake.network, handshake.protocol], ['1', '6', 'unix', 'grpc']);
    assert.ok(path.isAbsolute(handshake.address));
    assert.ok(Buffer.byteLength(handshake.address) < 104, 'fits sun_path on macOS too');
    assert.match(handshake.cert!, /^[A-Za-z0-9+/]+$/, 'standard base64 without padding');

    const { der } = certificateFromHandshake(handshake.cert!);
    const x509 = new X509Certificate(der);
    assert.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal(x509.ca, true);
    assert.deepEqual([...(x509.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.ok(new Date(x509.validFrom).getTime() < Date.now());

    // Connect at once: the server may still be loading grpc-js; the listener holds the connection.
    const c = connect(p);
    assert.equal((await c.unary(Health.method.check, { service: 'plugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
    await c.unary(Provider.method.validateProviderConfig, {}); // the noisy handler writes to stdout here
    await c.unary(GRPCController.method.shutdown, {});
    const exit = await p.exited;
    assert.equal(exit.code, 0);
    assert.equal(p.stdout(), handshake.line, 'nothing but the handshake line on stdout');
    for (const noise of [
      'noise from console.log before the handshake',
      'noise from process.stdout.write before the handshake',
      'noise from console.log in a handler',
      'noise from console.info in a handler',
      'noise from process.stdout.write in a handler',
    ]) {
      assert.ok(p.stderr().includes(noise), `"${noise}" went to stderr`);
    }
  });

  test('TLS: ALPN h2 (grpc-go 1.67+ requires it), TLS 1.2 at least, the client certificate is required', async () => {
    const p = await start(tlsEnv());
    const serverPem = certificateFromHandshake(p.handshake.cert!).pem;
    // Errors from node:tls are not `instanceof Error` inside a jest test (they come from Node's own realm), so the
    // outcome is tagged instead.
    type Attempt = { accepted: true; alpn: string | false | null; protocol: string | null } | { accepted: false; why: string };
    const attempt = (extra: tls.ConnectionOptions) =>
      new Promise<Attempt>((resolve) => {
        const socket = tls.connect({ path: p.handshake.address, servername: 'localhost', ca: serverPem, ALPNProtocols: ['h2'], ...extra });
        socket.once('secureConnect', () => {
          // The server speaks first on an HTTP/2 connection (its SETTINGS frame), and only once it has accepted the
          // client certificate; with TLS 1.3 a refused one arrives as an alert after the client's handshake is done.
          const negotiated = { accepted: true as const, alpn: socket.alpnProtocol, protocol: socket.getProtocol() };
          socket.once('data', () => {
            resolve(negotiated);
            socket.destroy();
          });
        });
        socket.once('error', (err) => resolve({ accepted: false, why: String(err) }));
        socket.once('close', () => resolve({ accepted: false, why: 'the server closed the connection without a word' }));
      });
    const ok = await attempt({ cert: clientCert.certPem, key: clientCert.keyPem });
    assert.ok(ok.accepted, JSON.stringify(ok));
    assert.equal(ok.alpn, 'h2');
    assert.match(String(ok.protocol), /^TLSv1\.[23]$/);
    const anonymous = await attempt({});
    assert.equal(anonymous.accepted, false, `no client certificate: ${JSON.stringify(anonymous)}`);
    const old = await attempt({ cert: clientCert.certPem, key: clientCert.keyPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
    assert.equal(old.accepted, false, `TLS 1.1: ${JSON.stringify(old)}`);
    p.child.kill('SIGTERM');
    await p.exited;
  });

  test('Shutdown: answered, then the process exits 0 on its own and removes its socket directory', async () => {
    const p = await start(tlsEnv());
    const c = connect(p);
    await c.unary(Health.method.check, { service: 'plugin' });
    await c.unary(GRPCController.method.shutdown, {});
    // The connection stays open on this side: the plugin must exit without waiting for the client to hang up
    // (go-plugin SIGKILLs a plugin that is still there 2 s after Shutdown).
    const exit = await p.exited;
    assert.equal(exit.code, 0);
    assert.equal(exit.signal, null);
    assert.equal(fs.existsSync(path.dirname(p.handshake.address)), false);
    assert.doesNotMatch(p.stderr(), /^panic: /m);
  });

  test('SIGINT is ignored (Terraform sends StopProvider and Shutdown itself)', async () => {
    const p = await start(tlsEnv());
    const c = connect(p);
    await c.unary(Health.method.check, { service: 'plugin' });
    p.child.kill('SIGINT');
    await waitFor(() => `the plugin to log that it ignored SIGINT; stderr:\n${p.stderr()}`, () => p.stderr().includes('SIGINT ignored'), 10_000);
    assert.ok(isAlive(p.pid));
    assert.equal((await c.unary(Health.method.check, { service: 'plugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal((await c.unary(Provider.method.stopProvider, {})).Error, '');
    await c.unary(GRPCController.method.shutdown, {});
    assert.equal((await p.exited).code, 0);
  });

  test('SIGTERM ends the process and removes the socket directory', async () => {
    const p = await start(tlsEnv());
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    assert.equal(exit.code, 143);
    assert.equal(fs.existsSync(path.dirname(p.handshake.address)), false);
  });

  test('plaintext without PLUGIN_CLIENT_CERT: five fields, served without TLS', async () => {
    const p = await start(terraformEnv());
    assert.equal(p.handshake.fieldCount, 5);
    const c = connect(p, null);
    assert.deepEqual(Object.keys((await c.unary(Provider.method.getProviderSchema, {})).resourceSchemas), ['prewarm_thing']);
    await c.unary(GRPCController.method.shutdown, {});
    assert.equal((await p.exited).code, 0);
  });

  test('an uncaught exception is a crash: "panic: " line and stack on stderr, exit status 2', async () => {
    const p = await start(tlsEnv({ PREWARM_TEST_CRASH: 'timer' }));
    const exit = await p.exited;
    assert.equal(exit.code, 2);
    const lines = p.stderr().split('\n');
    const at = lines.indexOf('panic: boom from a timer');
    assert.ok(at >= 0, p.stderr());
    assert.ok(lines.slice(at + 1).some((l) => /^\s+at /.test(l)));
    assert.equal(fs.existsSync(path.dirname(p.handshake.address)), false);
    assert.equal(p.stdout(), p.handshake.line);
  });

  test('a loader that throws: the server still runs and reports the failure', async () => {
    const p = await start(tlsEnv({ PREWARM_TEST_HANDLERS: 'lazy-fail' }));
    const c = connect(p);
    const res = await c.unary(Provider.method.getProviderSchema, {});
    assert.match(res.diagnostics[0].detail, /the handlers module is broken/);
    assert.match(p.stderr(), /^panic: cannot load the provider handlers: the handlers module is broken$/m);
    await c.unary(GRPCController.method.shutdown, {});
    assert.equal((await p.exited).code, 0);
  });

  describe('refusing to start', () => {
    for (const [what, env, message] of [
      ['no magic cookie', terraformEnv({ [MAGIC_COOKIE_KEY]: undefined }), /This binary is a plugin.*run terraform/s],
      ['a wrong magic cookie', terraformEnv({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE.slice(1) }), /This binary is a plugin/],
      ['protocol 5 only', terraformEnv({ PLUGIN_PROTOCOL_VERSIONS: '5' }), /protocol 6 only.*"5"/],
      ['a client certificate that is not PEM', terraformEnv({ PLUGIN_CLIENT_CERT: 'garbage' }), /PLUGIN_CLIENT_CERT/],
    ] as const) {
      test(`${what}: exit 1, a message on stderr, nothing on stdout`, async () => {
        const r = await runPlugin({ env: env as NodeJS.ProcessEnv });
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, message);
      });
    }
  });
});

describe('the esbuild bundle (as npm run build makes it)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-provider-bundle-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'terraform-provider-prewarm');

  test('builds to an executable node script with a shebang, and its runtime bundle beside it', () => {
    const script = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;
    const steps = script
      .split('&&')
      .map((s) => s.trim())
      .filter((s) => /^esbuild provider\/(main|payload)\.ts /.test(s));
    assert.equal(steps.length, 2, 'the build script bundles provider/main.ts and provider/payload.ts');
    for (const step of steps) {
      const command = step.replace(/--outfile=dist\//, `--outfile=${dir}/`);
      execFileSync('sh', ['-c', `${path.join(repoRoot, 'node_modules/.bin')}/${command}`], { cwd: repoRoot, stdio: 'pipe' });
    }
    fs.chmodSync(bin, 0o755);
    assert.equal(fs.readFileSync(bin, 'utf8').split('\n')[0], '#!/usr/bin/env node');
    assert.ok(fs.existsSync(path.join(dir, 'prewarm-provider-runtime.js')));
    // The start path stays small: grpc-js, the protocol and the provider live in the runtime bundle.
    const launcher = fs.statSync(bin).size;
    assert.ok(launcher < 64 * 1024, `the executable is ${launcher} bytes`);
    assert.doesNotMatch(fs.readFileSync(bin, 'utf8'), /grpc-js|tfplugin6\.Provider/);
  });

  test('starts directly (exec), handshakes, serves, and shuts down', async () => {
    // The bundle is built by the test above, so whether it exists is only known now. When it does not, that test
    // has failed and says why; this one only logs and returns.
    if (!fs.existsSync(bin)) {
      console.log('not run: the bundle was not built (see the failure of the build test above)');
      return;
    }
    const p = await start(tlsEnv({ TF_LOG: 'debug' }), [bin]);
    assert.equal(p.handshake.fieldCount, 6);
    if (fs.existsSync(`/proc/${p.pid}/cmdline`)) {
      // `env node` exec'd: the PID Terraform would kill is node running the script, not a wrapper.
      const argv = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
      assert.match(path.basename(argv[0]), /^node/);
      assert.equal(argv[1], bin);
    }
    const c = connect(p);
    assert.equal((await c.unary(Health.method.check, { service: 'plugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
    // Whatever state the real handlers are in, the answer is a response, not a transport error.
    const schema = await c.unary(Provider.method.getProviderSchema, {});
    assert.ok(schema.provider !== undefined || schema.diagnostics.length > 0);
    await c.unary(GRPCController.method.shutdown, {});
    assert.equal((await p.exited).code, 0);
    assert.equal(p.stdout(), p.handshake.line);
    const listening = p
      .stderr()
      .split('\n')
      .find((l) => l.includes('Plugin server listening'));
    assert.ok(listening, p.stderr());
    assert.equal(typeof JSON.parse(listening).handshake_ms, 'number');
  });
});

describe('driven by the real terraform CLI', () => {
  const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
  const missing = terraform.status !== 0 ? 'terraform is not on PATH' : undefined;

  (skipping(missing, 'terraform validate against the plugin server') ? test.skip : test)('terraform validate starts the provider, loads its schema, validates, and shuts it down gracefully', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-server-'));
    try {
      const pluginDir = path.join(work, 'plugins');
      fs.mkdirSync(pluginDir);
      // A wrapper that execs node, so the PID Terraform kills is node itself.
      fs.writeFileSync(
        path.join(pluginDir, 'terraform-provider-prewarm'),
        `#!/bin/sh\ncd '${repoRoot}' && exec '${process.execPath}' --import tsx '${serverEntry}'\n`,
        { mode: 0o755 },
      );
      const cliConfig = path.join(work, 'cli.tfrc');
      fs.writeFileSync(cliConfig, `provider_installation {\n  dev_overrides {\n    "registry.terraform.io/prewarm/prewarm" = "${pluginDir}"\n  }\n  direct {}\n}\n`);
      const config = path.join(work, 'config');
      fs.mkdirSync(config);
      fs.writeFileSync(
        path.join(config, 'main.tf'),
        'terraform {\n  required_providers {\n    prewarm = { source = "prewarm/prewarm" }\n  }\n}\n\nresource "prewarm_thing" "x" {}\n',
      );
      const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_LOG: 'trace' };
      delete env.NODE_OPTIONS;
      delete env.TF_LOG_PATH;
      const r = spawnSync('terraform', ['validate', '-no-color'], { cwd: config, env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr.slice(-4000)}`);
      assert.match(r.stdout, /Success! The configuration is valid/);
      // Terraform re-logs the plugin's hclog JSON lines under its provider logger.
      assert.match(r.stderr, /Plugin server listening/);
      assert.match(r.stderr, /using plugin: version=6/);
      assert.match(r.stderr, /plugin (process )?exited/);
      assert.doesNotMatch(r.stderr, /plugin failed to exit gracefully/);
      assert.doesNotMatch(r.stderr, /Unrecognized remote plugin message/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 150_000); // terraform itself may take up to the 120 s given to it above
});
