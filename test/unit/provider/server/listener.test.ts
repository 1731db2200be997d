/** The plugin's listening socket: unix socket in a private directory, or TCP inside go-plugin's port range. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from '@jest/globals';
import { openListener } from '../../../../provider/server/listener';
import { waitFor } from '../../../helpers/wait';

const noError = (err: Error) => assert.fail(err);

test('unix: a fresh 0700 directory under PLUGIN_UNIX_SOCKET_DIR, removed by close()', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-listener-'));
  try {
    const l = await openListener({ PLUGIN_UNIX_SOCKET_DIR: parent }, noError, 'linux');
    assert.equal(l.address.network, 'unix');
    assert.equal(path.dirname(path.dirname(l.address.address)), parent);
    assert.equal(fs.statSync(path.dirname(l.address.address)).mode & 0o777, 0o700);
    l.close();
    l.close();
    assert.equal(fs.existsSync(path.dirname(l.address.address)), false);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test('connections made before attach() are held, unread, and handed over in order', async () => {
  const l = await openListener({}, noError, 'linux');
  try {
    const clients = [net.connect(l.address.address), net.connect(l.address.address)];
    clients[0].write('first');
    clients[1].write('second');
    await waitFor('the listener to accept both connections', () => new Promise<boolean>((resolve) => l.server.getConnections((err, n) => resolve(!err && n === 2))));
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      l.attach((socket) => {
        socket.once('data', (d) => {
          got.push(d.toString());
          if (got.length === 2) resolve();
        });
        socket.resume();
      });
    });
    assert.deepEqual(got.sort(), ['first', 'second']);
    for (const c of clients) c.destroy();
  } finally {
    l.close();
  }
});

test('tcp (Windows): 127.0.0.1 inside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, skipping ports in use', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const busy = (blocker.address() as net.AddressInfo).port;
  try {
    const l = await openListener({ PLUGIN_MIN_PORT: String(busy), PLUGIN_MAX_PORT: String(Math.min(busy + 20, 65535)) }, noError, 'win32');
    assert.equal(l.address.network, 'tcp');
    const [host, port] = l.address.address.split(':');
    assert.equal(host, '127.0.0.1');
    assert.ok(Number(port) > busy && Number(port) <= Math.min(busy + 20, 65535), l.address.address);
    l.close();
    await assert.rejects(openListener({ PLUGIN_MIN_PORT: String(busy), PLUGIN_MAX_PORT: String(busy) }, noError, 'win32'), /no free port/);
    await assert.rejects(openListener({ PLUGIN_MIN_PORT: '9', PLUGIN_MAX_PORT: '8' }, noError, 'win32'), /above/);
  } finally {
    blocker.close();
  }
});
