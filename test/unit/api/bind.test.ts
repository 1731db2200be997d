import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, test } from '@jest/globals';
import { bindApiServer } from '../../../controller/api/grpc-server';
import { createClient } from '../../../controller/api/client';
import { ApiError } from '../../../controller/api/status';
import * as grpc from '@grpc/grpc-js';
import { TOKEN } from '../../helpers/api-fake';
import { WorkspaceFakeService } from '../../helpers/workspace-fake';

describe('bindApiServer: listen now, serve later', () => {
  test('calls before serve() are UNAVAILABLE ("starting"); after it they are authenticated and served', async () => {
    const server = await bindApiServer({ listen: '127.0.0.1:0', log: () => undefined });
    const client = createClient({ endpoint: server.address, token: TOKEN, timeoutMs: 5000 });
    try {
      await assert.rejects(client.listTemplates(), (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.match(err.message, /starting/);
        return true;
      });
      server.serve(new WorkspaceFakeService(), (t) => t === TOKEN);
      assert.deepEqual([...(await client.listTemplates())], []);
      const wrong = createClient({ endpoint: server.address, token: 'wrong', timeoutMs: 5000 });
      await assert.rejects(wrong.listTemplates(), (err: unknown) => err instanceof ApiError && err.code === grpc.status.UNAUTHENTICATED);
      wrong.close();
    } finally {
      client.close();
      await server.close(100);
    }
  });

  test('a taken address is reported as "address already in use" with the address', async () => {
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    const { port } = other.address() as net.AddressInfo;
    try {
      await assert.rejects(bindApiServer({ listen: `127.0.0.1:${port}`, log: () => undefined }), new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port} for the API: address already in use$`));
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});
