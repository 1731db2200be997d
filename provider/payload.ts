/**
 * The half of terraform-provider-prewarm that runs after the handshake: the gRPC runtime (grpc-js, the protocol
 * descriptors, the go-plugin and tfplugin6 services) and the provider implementation. The build makes it a separate
 * bundle, dist/prewarm-provider-runtime.js, next to the executable, which requires it only once its handshake line
 * is out: parsing this much JavaScript would otherwise take most of the start-up time Terraform waits for
 * (see provider/main.ts).
 */
import type { ProviderHandlers } from './server/handler-contract';

export { checkHandlers, startRuntime } from './server/runtime';

/** provider/rpc-handlers.ts, evaluated on first use (after the gRPC server is up). */
export function loadProviderHandlers(): ProviderHandlers {
  const mod = require('./rpc-handlers') as { createProviderHandlers?: unknown };
  if (typeof mod.createProviderHandlers !== 'function') {
    throw new Error('provider/rpc-handlers.ts does not export a createProviderHandlers() function');
  }
  return (mod.createProviderHandlers as () => ProviderHandlers)();
}
