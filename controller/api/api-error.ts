/** The client's own failure type and its wording of grpc-js's connection errors; no grpc-js at run time. */
import type { status as GrpcStatus } from '@grpc/grpc-js';

/** An API failure that is not one of the domain errors; `code` is the gRPC status code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: GrpcStatus,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * grpc-js wraps connection failures as "No connection established. Last error: Error: … (timestamp).
 * Resolution note: "; keep only the cause, which is what the user can act on.
 */
export function cleanDetails(details: string): string {
  let out = details;
  const last = /Last error:\s*([\s\S]*)$/.exec(out);
  if (last) out = last[1];
  out = out
    .replace(/\s*Resolution note:[\s\S]*$/, '')
    .replace(/\s*\(\d{4}-\d{2}-\d{2}T[\d:.]+Z\)/g, '')
    .replace(/^Error:\s*/, '')
    // OpenSSL's "8050…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:file:line:…"
    .replace(/^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):[\s\S]*$/, '$1')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\.$/, '');
  return out === '' ? details.trim() : out;
}
