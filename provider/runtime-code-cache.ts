/**
 * What the single executable (provider/sea-main.ts) and the release build (bin/release.ts) agree on about the runtime
 * bundle they carry and V8's code cache for it. The cache is valid only for exactly the same source text compiled
 * under the same V8 flags, so both sides take the names, the wrapper and the flags from here.
 */

/** The runtime bundle's asset name (also its file name in stack traces). */
export const RUNTIME_ASSET = 'prewarm-provider-runtime.js';
/** V8's code cache for the wrapped bundle, made by the release build after loading the provider handlers once. */
export const RUNTIME_CACHE_ASSET = 'prewarm-provider-runtime.cache';

/** The bundle as the body of a CommonJS module function: what is compiled, with and without the cache. */
export function wrapRuntime(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * The flags the cache is made under. V8 fixes its hash and random seeds at start-up; the build fixes them so that the
 * cache, and with it the release, is the same on every build. V8 accepts a cache only when a hash of its flags
 * matches, so the executable sets the same two flags before compiling; they change nothing else once the process runs
 * (both seeds are consumed when V8 starts).
 */
export const CODE_CACHE_FLAGS: readonly string[] = ['--hash-seed=1', '--random-seed=1'];
