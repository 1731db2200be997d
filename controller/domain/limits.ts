/**
 * Every numeric limit on user input, in one place: validation, the provider's schema descriptions and the
 * CLI's help quote these constants, so a limit is never written twice. The character rules that go with the
 * text limits are in text.ts.
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
/** UTF-8 bytes in a value of a parameters or config map (room for a certificate or a short script). */
export const MAX_MAP_VALUE_BYTES = 4096;
/** Entries in one parameters or config map. */
export const MAX_MAP_ENTRIES = 128;
/** Characters in a template, preset or driver name. */
export const MAX_NAME = 63;
/** Characters in a claim's owner. */
export const MAX_OWNER = 128;
/** Characters in an instance id (the controller's are 36-character UUIDs). */
export const MAX_INSTANCE_ID = 64;
/** Characters in an instance name: its preset's name, "-" and the first 12 hex digits of its id. */
export const MAX_INSTANCE_NAME = MAX_NAME + 13;
/** Characters of an id a prefix must have to select an instance (`prewarm instance get 3f2a9c1e`). */
export const MIN_INSTANCE_ID_PREFIX = 8;
/** Characters in a schedule's cron text. */
export const MAX_CRON = 256;
/** Characters in a time zone name (the longest IANA name has 32). */
export const MAX_TIME_ZONE = 64;
/** Bytes in one API request message; the gRPC server refuses larger ones with INVALID_ARGUMENT. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/**
 * Not an input limit but the bound on echoing one: an error message quotes at most this many characters of a
 * user's value, then says how long the whole value was.
 */
export const MAX_QUOTED_CHARS = 40;

/** The longest lifecycle duration (autostop, TTLs, dormancy, reminders, auto-destroy inactivity): 365 days. */
export const MAX_LIFECYCLE_DURATION_MS = 365 * 86_400_000;
/** Characters in a lifecycle duration's text: "1d23h59m59s" has 11; anything longer is not a duration a person writes. */
export const MAX_LIFECYCLE_DURATION_TEXT = 32;
/** Failed deletes of a workspace that a policy started are retried this many times in all, then left `failed`. */
export const WORKSPACE_DELETE_ATTEMPTS = 5;
/** Backoff between retries of a failed workspace stop or delete: 1 minute, doubling, at most 1 hour. */
export const WORKSPACE_RETRY_BASE_MS = 60_000;
export const WORKSPACE_RETRY_CAP_MS = 3_600_000;
/** Characters in a notification target's URL. */
export const MAX_URL = 2048;
/** A webhook secret: at least this many characters (an HMAC key guessable in a few tries protects nothing)… */
export const MIN_SECRET_CHARS = 16;
/** …and at most this many bytes. */
export const MAX_SECRET_BYTES = 1024;
