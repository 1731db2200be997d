/**
 * terraform-provider-prewarm: the executable Terraform and OpenTofu start. Built to dist/terraform-provider-prewarm,
 * a node script with a shebang (so the PID Terraform starts and kills is node itself), plus its runtime bundle
 * dist/prewarm-provider-runtime.js (provider/payload.ts) next to it.
 *
 * This entry is the start path and nothing else: the stdout guard first, then the handshake checks, the certificate,
 * the listening socket and the handshake line (provider/server/serve.ts). Only after that is the runtime loaded: the
 * gRPC layer over node:http2, the protocol descriptors and the provider implementation are most of the code, and
 * merely parsing them before the handshake would cost more than everything else on the start path together.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serve } from './server/serve';
import { guardProcessStdout } from './server/stdout-guard';

guardProcessStdout();

type Payload = typeof import('./payload');

/** Beside the built executable. */
const RUNTIME_BUNDLE = path.join(__dirname, 'prewarm-provider-runtime.js');
/** From source (tsx). A variable, so that esbuild leaves this require alone instead of bundling it in here. */
const PAYLOAD_SOURCE = './payload';

let payload: Payload | undefined;
function loadPayload(): Payload {
  if (payload !== undefined) return payload;
  const fromSource = __filename.endsWith('.ts');
  if (!fromSource && !fs.existsSync(RUNTIME_BUNDLE)) {
    throw new Error(`${RUNTIME_BUNDLE} is missing: the executable needs the runtime bundle built next to it (npm run build)`);
  }
  payload = require(fromSource ? PAYLOAD_SOURCE : RUNTIME_BUNDLE) as Payload;
  return payload;
}

void serve(() => loadPayload().loadProviderHandlers(), { runtime: loadPayload });
