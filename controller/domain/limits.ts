/**
 * Every numeric limit on user input, in one place: validation, the provider's schema descriptions and the
 * CLI's help quote these constants, so a limit is never written twice.
 */

/** Upper bound of any instance count (base pool size and per-window counts). */
export const MAX_INSTANCES = 10_000;
/** A pool may be warmed at most this long before its window opens. */
export const MAX_LEAD_TIME_MS = 24 * 3_600_000;
/** A TTL is 0 (no expiry) or within [TTL_MIN_SECONDS, TTL_MAX_SECONDS]. */
export const TTL_MIN_SECONDS = 60;
export const TTL_MAX_SECONDS = 31_536_000;
/** Characters in a preset description. */
export const MAX_DESCRIPTION = 256;
/** Characters in a key of a parameters or config map. */
export const MAX_MAP_KEY = 128;
/** Characters in a template, preset or driver name. */
export const MAX_NAME = 63;
