/**
 * Test doubles for the wire layer: an in-memory PrewarmService (Maps, no reconciliation) that records every
 * call, plus helpers to run a real API server on 127.0.0.1:0 in front of it.
 */
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../controller/api/grpc-server';
import { createClient, type ClientOptions, type PrewarmClient } from '../../controller/api/client';
import { TOKEN } from './pool-fake';
import { WorkspaceFakeService as FakeService } from './workspace-fake';

export { BIG_TIME, TOKEN } from './pool-fake';
export { FakeService };

export interface TestApi {
  fake: FakeService;
  server: ApiServer;
  client: PrewarmClient;
  logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  endpoint: string;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1:0 in front of a FakeService, and a real client with the right token. */
export async function startTestApi(
  opts: Partial<ApiServerOptions> = {},
  clientOpts: Partial<ClientOptions> = {},
): Promise<TestApi> {
  const fake = new FakeService();
  const logs: TestApi['logs'] = [];
  const server = await startApiServer({
    service: fake,
    listen: '127.0.0.1:0',
    verifyToken: (t) => t === TOKEN,
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
    ...opts,
  });
  const endpoint = server.address;
  const client = createClient({ endpoint, token: TOKEN, timeoutMs: 5000, ...clientOpts });
  return {
    fake,
    server,
    client,
    logs,
    endpoint,
    async close() {
      client.close();
      await server.close(100);
    },
  };
}
