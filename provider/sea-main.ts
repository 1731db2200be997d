/**
 * terraform-provider-prewarm as a single executable (a Node single executable application, built by `npm run
 * release`): the same start path as provider/main.ts, with the runtime bundle carried inside the executable as an
 * asset instead of a file beside it, so the release is one file that needs no Node on the PATH.
 */
import * as sea from 'node:sea';
import * as vm from 'node:vm';
import { serve } from './server/serve';
import { guardProcessStdout } from './server/stdout-guard';

guardProcessStdout();

type Payload = typeof import('./payload');

let payload: Payload | undefined;
/**
 * Evaluates the runtime bundle from the executable's asset as the CommonJS module it is built as. A single executable's
 * own require reaches built-in modules only, which is all the bundle asks for.
 */
function loadPayload(): Payload {
  if (payload !== undefined) return payload;
  const source = sea.getAsset('prewarm-provider-runtime.js', 'utf8');
  const module = { exports: {} as Payload };
  const wrapper = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'prewarm-provider-runtime.js' });
  wrapper(module.exports, require, module, 'prewarm-provider-runtime.js', '.');
  payload = module.exports;
  return payload;
}

void serve(() => loadPayload().loadProviderHandlers(), { runtime: loadPayload });
