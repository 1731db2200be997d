/**
 * Small formatting helpers for driver messages. Messages end up in job rows, logs and `prewarm explain`, so they
 * favour short, unambiguous renderings over precision.
 */

/** Go-style durations (`250ms`, `1.5s`, `30m0s`, `1h0m0s`) because operators read them next to Terraform output. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  // Up to millisecond precision, trailing zeros dropped: 1.5s, 2s, 0.25s never happens here (< 1 s handled above).
  const seconds = Number((totalSeconds % 60).toFixed(3));
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** `64 KiB`, `1 MiB`, `1500 bytes`: limits are configured in powers of two, so show them that way. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * Index at which to cut `buf` so that it holds at most `max` bytes and does not end in the middle of a UTF-8
 * sequence. Used for head excerpts.
 */
export function utf8HeadLength(buf: Buffer, max: number): number {
  if (buf.length <= max) return buf.length;
  let end = max;
  // Walk back over continuation bytes (10xxxxxx) to the lead byte, then drop the lead byte too: the sequence
  // it starts would be cut.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return end;
}

/** Index at which to start `buf` so that the tail holds at most `max` bytes and starts on a character boundary. */
export function utf8TailStart(buf: Buffer, max: number): number {
  let start = Math.max(0, buf.length - max);
  // A tail that starts on continuation bytes would decode to U+FFFD; skip to the next lead byte.
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  return start;
}

/** The first `max` bytes of some output, JSON-quoted so control characters and quotes stay readable in one line. */
export function quotedExcerpt(buf: Buffer, max = 200): string {
  return JSON.stringify(buf.subarray(0, utf8HeadLength(buf, max)).toString('utf8'));
}
