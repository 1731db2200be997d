/**
 * Error ↔ gRPC status mapping, both directions, kept together so the server and the client cannot drift apart.
 *
 * Server: ValidationError → INVALID_ARGUMENT (+ structured field errors in trailing metadata),
 * NotFoundError → NOT_FOUND, ConflictError → FAILED_PRECONDITION, anything else → INTERNAL with a generic
 * message (the real one goes to the log only: it may contain paths, SQL or driver output).
 * Client: the reverse, plus actionable messages for UNAUTHENTICATED, UNAVAILABLE and DEADLINE_EXCEEDED.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type FieldError, type PathStep } from '../domain/errors';
import { ApiError, cleanDetails } from './api-error';

// Apart so that the Terraform provider can recognise API failures without loading grpc-js.
export { ApiError, cleanDetails } from './api-error';

/** Binary (`-bin`) so any message text survives; the value is UTF-8 JSON: FieldError[]. */
export const FIELD_ERRORS_METADATA_KEY = 'prewarm-field-errors-bin';

/**
 * Class checks by name as well as instanceof: a bundled provider and a test may load errors.ts twice, and
 * a ValidationError from the other copy must still map to INVALID_ARGUMENT.
 */
function isValidationError(err: unknown): err is ValidationError {
  return err instanceof ValidationError || (err instanceof Error && err.name === 'ValidationError' && Array.isArray((err as ValidationError).errors));
}
function isNamed(err: unknown, cls: typeof NotFoundError | typeof ConflictError, name: string): boolean {
  return err instanceof cls || (err instanceof Error && err.name === name);
}

export interface MappedStatus {
  status: Partial<grpc.StatusObject>;
  /** True when the error was unexpected; the server logs it at error level with `ref`. */
  internal: boolean;
  /** Correlates the generic INTERNAL message with the log line. */
  ref?: string;
}

/**
 * Status details and trailers travel as HTTP/2 headers, and an oversized header block kills the call (the client
 * just times out). Both are bounded; what does not fit is summarized as "… and N more problems".
 */
const MAX_DETAILS_CHARS = 4096;
const MAX_FIELD_ERRORS_BYTES = 16 * 1024;

function boundedFieldErrors(errors: FieldError[]): FieldError[] {
  const kept: FieldError[] = [];
  let bytes = 2;
  for (const [i, e] of errors.entries()) {
    const size = Buffer.byteLength(JSON.stringify(e), 'utf8') + 1;
    // Leave room for the summary entry.
    if (bytes + size > MAX_FIELD_ERRORS_BYTES - 100) {
      kept.push({ path: [], message: `… and ${errors.length - i} more problems` });
      break;
    }
    kept.push(e);
    bytes += size;
  }
  return kept;
}

function boundedDetails(errors: FieldError[], full: string): string {
  if (full.length <= MAX_DETAILS_CHARS) return full;
  const parts = full.split('; ');
  let out = '';
  let used = 0;
  for (const part of parts) {
    if (out.length + part.length + 40 > MAX_DETAILS_CHARS) break;
    out += (used > 0 ? '; ' : '') + part;
    used++;
  }
  return `${out}; … and ${Math.max(errors.length, parts.length) - used} more problems`;
}

export function errorToStatus(err: unknown): MappedStatus {
  if (isValidationError(err)) {
    const metadata = new grpc.Metadata();
    metadata.set(FIELD_ERRORS_METADATA_KEY, Buffer.from(JSON.stringify(boundedFieldErrors(err.errors)), 'utf8'));
    return {
      status: { code: grpc.status.INVALID_ARGUMENT, details: boundedDetails(err.errors, err.message), metadata },
      internal: false,
    };
  }
  if (isNamed(err, NotFoundError, 'NotFoundError')) {
    return { status: { code: grpc.status.NOT_FOUND, details: (err as Error).message }, internal: false };
  }
  if (isNamed(err, ConflictError, 'ConflictError')) {
    return { status: { code: grpc.status.FAILED_PRECONDITION, details: (err as Error).message }, internal: false };
  }
  const ref = randomBytes(4).toString('hex');
  return {
    status: { code: grpc.status.INTERNAL, details: `internal error in the prewarm controller (ref ${ref}; details are in the controller log)` },
    internal: true,
    ref,
  };
}

/** Parses the trailer back into FieldErrors; anything malformed is ignored (the message text still has it all). */
export function fieldErrorsFromMetadata(metadata: grpc.Metadata | undefined): FieldError[] | undefined {
  const raw = metadata?.get(FIELD_ERRORS_METADATA_KEY)[0];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw);
    if (!Array.isArray(parsed)) return undefined;
    const out: FieldError[] = [];
    for (const item of parsed) {
      if (typeof item !== 'object' || item === null) return undefined;
      const { path, message } = item as { path?: unknown; message?: unknown };
      if (typeof message !== 'string' || !Array.isArray(path)) return undefined;
      if (!path.every((s): s is PathStep => typeof s === 'string' || typeof s === 'number')) return undefined;
      out.push({ path, message });
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface CallContext {
  /** As the user wrote it, for messages. */
  endpoint: string;
  method: string;
  timeoutMs: number;
  tls: boolean;
}

const TLS_HINT = /certificate|ssl|tls|handshake|self.signed|unable to verify|wrong version number|alert/i;

/** Client side: a grpc-js ServiceError → the error a PrewarmService caller expects. */
export function statusToError(err: grpc.ServiceError, ctx: CallContext): Error {
  const details = err.details || err.message;
  switch (err.code) {
    case grpc.status.INVALID_ARGUMENT: {
      const errors = fieldErrorsFromMetadata(err.metadata) ?? [{ path: [], message: details }];
      return new ValidationError(errors);
    }
    case grpc.status.NOT_FOUND:
      return new NotFoundError(details);
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.ALREADY_EXISTS:
      return new ConflictError(details);
    case grpc.status.UNAUTHENTICATED:
      return new ApiError(
        `the prewarm controller at ${ctx.endpoint} rejected the request: ${details} (set --token or PREWARM_TOKEN to the controller's API token)`,
        err.code,
      );
    case grpc.status.PERMISSION_DENIED:
      return new ApiError(`the prewarm controller at ${ctx.endpoint} denied ${ctx.method}: ${details}`, err.code);
    case grpc.status.UNAVAILABLE: {
      const cause = cleanDetails(details);
      if (/certificate required/i.test(cause)) {
        return new ApiError(
          `the prewarm controller at ${ctx.endpoint} requires a client certificate (${cause}); pass --client-cert and --client-key`,
          err.code,
        );
      }
      if (TLS_HINT.test(cause)) {
        return new ApiError(
          `TLS connection to the prewarm controller at ${ctx.endpoint} failed: ${cause} ` +
            `(check --ca-cert; --insecure skips verification; use a plain HOST:PORT endpoint if the controller has no TLS)`,
          err.code,
        );
      }
      return new ApiError(
        `cannot reach the prewarm controller at ${ctx.endpoint} (is it running? set --endpoint or PREWARM_ENDPOINT` +
          `${ctx.tls ? '' : '; if it uses TLS, use https://HOST:PORT or --ca-cert'}): ${cause}`,
        err.code,
      );
    }
    case grpc.status.CANCELLED:
      return new ApiError(`the prewarm controller at ${ctx.endpoint} cancelled ${ctx.method} (is it shutting down?): ${details}`, err.code);
    case grpc.status.DEADLINE_EXCEEDED:
      return new ApiError(
        `the prewarm controller at ${ctx.endpoint} did not answer ${ctx.method} within ${ctx.timeoutMs} ms`,
        err.code,
      );
    default:
      return new ApiError(`${ctx.method} failed (${grpc.status[err.code] ?? err.code}): ${details}`, err.code);
  }
}
