/**
 * The go-plugin services next to the provider:
 * - `/plugin.GRPCController/Shutdown`: answers, then the server stops and the process exits (serve.ts). Without it
 *   go-plugin waits 2 s and SIGKILLs the process on every close.
 * - `/plugin.GRPCStdio/StreamStdio`: Terraform opens it once per connection. Nothing is ever sent on it (the plugin's
 *   stdout is redirected to stderr, which go-plugin reads directly); the stream stays open until shutdown, which
 *   ends it cleanly. go-plugin treats an open, silent stream exactly like one with nothing to say.
 * - `/grpc.health.v1.Health/Check` and `List`: SERVING for "plugin" (go-plugin's service name) and "" (the whole
 *   server); NOT_FOUND for other names, as grpc-go's health server answers. Watch is not served (UNIMPLEMENTED).
 */
import { GRPCController, GRPCStdio, Health, HealthCheckResponse_ServingStatus, type HealthCheckRequest } from '../protocol';
import type { Logger } from './hclog';
import { encodeResponse, RpcError, Status, type RpcServer, type StreamCall } from './grpc-server';

export const HEALTH_SERVICES: readonly string[] = ['', 'plugin'];

export interface PluginServices {
  /** Ends every open StreamStdio stream (before the server shuts down, so the sessions can close). */
  endStdio(): void;
}

export function registerPluginServices(server: RpcServer, deps: { log: Logger; onShutdown: () => void }): PluginServices {
  const stdioStreams = new Set<StreamCall>();

  server.register([
    {
      method: GRPCController.method.shutdown,
      unary: () => {
        deps.log.debug('Shutdown requested by the client');
        // The answer is queued by the time this runs; the server's graceful close lets it flush before the session goes.
        setImmediate(deps.onShutdown);
        return encodeResponse(GRPCController.method.shutdown.output, {});
      },
    },
    {
      method: GRPCStdio.method.streamStdio,
      serverStream: (call) => {
        stdioStreams.add(call);
        call.signal.addEventListener('abort', () => stdioStreams.delete(call), { once: true });
      },
    },
    {
      method: Health.method.check,
      unary: ({ request }) => {
        const service = (request as HealthCheckRequest).service;
        if (!HEALTH_SERVICES.includes(service)) throw new RpcError(Status.NOT_FOUND, `unknown service ${JSON.stringify(service)}`);
        return encodeResponse(Health.method.check.output, { status: HealthCheckResponse_ServingStatus.SERVING });
      },
    },
    {
      method: Health.method.list,
      unary: () => {
        const statuses = Object.fromEntries(HEALTH_SERVICES.map((name) => [name, { status: HealthCheckResponse_ServingStatus.SERVING }]));
        return encodeResponse(Health.method.list.output, { statuses });
      },
    },
  ]);

  return {
    endStdio() {
      for (const call of stdioStreams) call.end();
      stdioStreams.clear();
    },
  };
}
