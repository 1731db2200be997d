/** The `grpc-timeout` request header: at most 8 digits and a unit, the time the client gives the call. */
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/**
 * Milliseconds (0 for a timeout below a millisecond: already due), Infinity when no timer could express it, undefined
 * when the header is malformed.
 */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = TIMEOUT.exec(value.trim());
  if (match === null) return undefined;
  const ms = Math.floor(Number(match[1]) * UNIT_MS[match[2]]);
  // setTimeout fires at once for anything above 2^31-1 ms (about 24.8 days); such a deadline is as good as none.
  return ms > 0x7fffffff ? Infinity : ms;
}
