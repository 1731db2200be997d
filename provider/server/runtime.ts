/**
 * Everything that runs behind the listener: the gRPC server (grpc-server.ts), the go-plugin services and the
 * tfplugin6 provider service. serve.ts loads this module only after the handshake line is out (it pulls in node's
 * http2 and tls and the protocol descriptors, the bulk of start-up), then attaches it to the listener, which has been
 * holding Terraform's connection in the meantime.
 */
import type { CallRegistry } from './calls';
import type { PrecomputedAnswers, ProviderHandlers } from './handler-contract';
import type { PluginListener } from './listener';
import type { LineSink, Logger } from './hclog';
import { registerPluginServices } from './plugin-services';
import { registerProviderService } from './provider-service';
import { createRpcServer, type TlsMaterial } from './grpc-server';
import { Provider } from '../protocol';

export interface RuntimeDeps {
  listener: PluginListener;
  tls: TlsMaterial | undefined;
  handlers: () => Promise<ProviderHandlers>;
  /** Answered without the handlers (see PrecomputedAnswers). */
  precomputed?: PrecomputedAnswers;
  calls: CallRegistry;
  log: Logger;
  stderr: LineSink;
  /** GRPCController.Shutdown was called (after its response is queued). */
  onShutdown: () => void;
}

export interface Runtime {
  /**
   * Ends the stdio streams and stops the gRPC server: gracefully (in-flight responses, including Shutdown's own,
   * are flushed) for at most `graceMs`, then by force. `done` runs exactly once.
   */
  stop(graceMs: number, done: () => void): void;
}

export function startRuntime(deps: RuntimeDeps): Runtime {
  const rpc = createRpcServer(deps.tls, {
    onConnectionError: (err) => deps.log.debug('A plugin connection failed', { error: err.message }),
  });
  const plugin = registerPluginServices(rpc, { log: deps.log, onShutdown: deps.onShutdown });
  registerProviderService(rpc, { handlers: deps.handlers, precomputed: deps.precomputed, calls: deps.calls, log: deps.log, stderr: deps.stderr });
  deps.listener.attach(rpc.accept);
  return {
    stop(graceMs, done) {
      plugin.endStdio();
      let finished = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (finished) return;
        finished = true;
        if (timer !== undefined) clearTimeout(timer);
        done();
      };
      timer = setTimeout(() => {
        rpc.destroy();
        finish();
      }, graceMs);
      rpc.close(finish);
    },
  };
}

/** Warnings about a handlers object that will not do what its author expects. */
export function checkHandlers(handlers: ProviderHandlers, log: Logger): void {
  const unary = new Set(Provider.methods.filter((m) => m.methodKind === 'unary').map((m) => m.localName));
  for (const [key, value] of Object.entries(handlers)) {
    if (key === 'stopProvider') {
      log.warn('The stopProvider handler is never called: the server answers StopProvider itself and aborts ctx.signal');
    } else if (!unary.has(key)) {
      log.warn('A handler matches no unary tfplugin6 RPC and is never called', { handler: key });
    } else if (typeof value !== 'function') {
      log.warn('A handler is not a function; the RPC answers UNIMPLEMENTED', { handler: key });
    }
  }
}
