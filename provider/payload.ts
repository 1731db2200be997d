/**
 * The half of terraform-provider-prewarm that runs after the handshake: the gRPC runtime (node:http2 and the
 * plugin's own gRPC layer, the protocol descriptors, the go-plugin and tfplugin6 services) and the provider
 * implementation. The build makes it a separate
 * bundle, dist/prewarm-provider-runtime.js, next to the executable, which requires it only once its handshake line
 * is out: parsing this much JavaScript would otherwise take most of the start-up time Terraform waits for
 * (see provider/main.ts).
 */
import type { PrecomputedAnswers, ProviderHandlers } from './server/handler-contract';
import { providerSchemaResponseBytes } from './schema-blob';

export { checkHandlers, startRuntime } from './server/runtime';

/** GetProviderSchema's encoded answer: the process Terraform starts only for the schema never loads the handlers. */
export function precomputedAnswers(): PrecomputedAnswers {
  return { getProviderSchema: providerSchemaResponseBytes };
}

/** provider/rpc-handlers.ts, evaluated on first use (after the gRPC server is up). */
export function loadProviderHandlers(): ProviderHandlers {
  const mod = require('./rpc-handlers') as { createProviderHandlers?: unknown };
  if (typeof mod.createProviderHandlers !== 'function') {
    throw new Error('provider/rpc-handlers.ts does not export a createProviderHandlers() function');
  }
  return (mod.createProviderHandlers as () => ProviderHandlers)();
}
