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
import type * as grpc from '@grpc/grpc-js';
import type { Message } from '@bufbuild/protobuf';
import { GRPCController, GRPCStdio, Health, HealthCheckResponse_ServingStatus, type HealthCheckRequest } from '../protocol';
import type { Logger } from './hclog';
import { encodeResponse, registerMethods, Status, type ServerStreamImpl, type UnaryImpl } from './rpc';

export const HEALTH_SERVICES: readonly string[] = ['', 'plugin'];

export interface PluginServices {
  /** Ends every open StreamStdio stream (before the server shuts down, so the sessions can close). */
  endStdio(): void;
}

export function registerPluginServices(server: grpc.Server, deps: { log: Logger; onShutdown: () => void }): PluginServices {
  const stdioStreams = new Set<grpc.ServerWritableStream<Message, Buffer>>();

  const shutdown: UnaryImpl = (_call, callback) => {
    deps.log.debug('Shutdown requested by the client');
    callback(null, encodeResponse(GRPCController.method.shutdown.output, {}));
    // The response is queued; the server's graceful stop lets it flush before the session closes.
    setImmediate(deps.onShutdown);
  };

  const streamStdio: ServerStreamImpl = (call) => {
    stdioStreams.add(call);
    const forget = () => stdioStreams.delete(call);
    call.once('cancelled', forget);
    call.once('close', forget);
    call.on('error', forget);
  };

  const check: UnaryImpl = (call, callback) => {
    const service = (call.request as HealthCheckRequest).service;
    if (!HEALTH_SERVICES.includes(service)) {
      callback({ code: Status.NOT_FOUND, details: `unknown service ${JSON.stringify(service)}` });
      return;
    }
    callback(null, encodeResponse(Health.method.check.output, { status: HealthCheckResponse_ServingStatus.SERVING }));
  };

  const list: UnaryImpl = (_call, callback) => {
    const statuses = Object.fromEntries(HEALTH_SERVICES.map((name) => [name, { status: HealthCheckResponse_ServingStatus.SERVING }]));
    callback(null, encodeResponse(Health.method.list.output, { statuses }));
  };

  registerMethods(server, [{ method: GRPCController.method.shutdown, impl: shutdown }]);
  registerMethods(server, [{ method: GRPCStdio.method.streamStdio, impl: streamStdio }]);
  registerMethods(server, [
    { method: Health.method.check, impl: check },
    { method: Health.method.list, impl: list },
  ]);

  return {
    endStdio() {
      for (const call of stdioStreams) {
        try {
          call.end();
        } catch {
          // already closed by the client
        }
      }
      stdioStreams.clear();
    },
  };
}
