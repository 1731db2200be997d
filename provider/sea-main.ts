/**
 * terraform-provider-prewarm as a single executable (a Node single executable application, built by `npm run
 * release`): the same start path as provider/main.ts, with the runtime bundle carried inside the executable as an
 * asset instead of a file beside it, so the release is one file that needs no Node on the PATH.
 */
import * as sea from 'node:sea';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { CODE_CACHE_FLAGS, RUNTIME_ASSET, RUNTIME_CACHE_ASSET, wrapRuntime } from './runtime-code-cache';
import { serve } from './server/serve';
import { guardProcessStdout } from './server/stdout-guard';

guardProcessStdout();

type Payload = typeof import('./payload');

let payload: Payload | undefined;
let codeCache: 'accepted' | 'rejected' | 'absent' = 'absent';
/**
 * Evaluates the runtime bundle from the executable's asset as the CommonJS module it is built as, from V8's code cache
 * when the executable carries one (most of the bundle is then not compiled again). A single executable's own require
 * reaches built-in modules only, which is all the bundle asks for.
 */
function loadPayload(): Payload {
  if (payload !== undefined) return payload;
  const source = sea.getAsset(RUNTIME_ASSET, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getAsset(RUNTIME_CACHE_ASSET));
    for (const flag of CODE_CACHE_FLAGS) v8.setFlagsFromString(flag);
  } catch {
    cachedData = undefined; // an executable built without the cache still works, only slower to start
  }
  const script = new vm.Script(wrapRuntime(source), { filename: RUNTIME_ASSET, cachedData });
  if (cachedData !== undefined) codeCache = script.cachedDataRejected === true ? 'rejected' : 'accepted';
  const module = { exports: {} as Payload };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, RUNTIME_ASSET, '.');
  payload = module.exports;
  return payload;
}

void serve(() => loadPayload().loadProviderHandlers(), { runtime: loadPayload, runtimeFacts: () => ({ code_cache: codeCache }) });
