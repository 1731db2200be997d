/**
 * Diagnostics: the only way this provider reports problems to Terraform (a gRPC error would surface as
 * "Plugin error" without context). Severity is always ERROR or WARNING, never INVALID (0).
 */
import { create } from '@bufbuild/protobuf';
import { DiagnosticSchema, Diagnostic_Severity, type Diagnostic } from './protocol';
import { CtyValueError, type CtyPath } from './values';
import { attributePath, describePath, fieldPathToCtyPath } from './paths';
import type { BlockDef } from './schema';
import type { FieldError } from '../controller/domain/errors';

export type { Diagnostic };

export function errorDiag(summary: string, detail = '', path?: CtyPath): Diagnostic {
  return create(DiagnosticSchema, {
    severity: Diagnostic_Severity.ERROR,
    summary,
    detail,
    attribute: path && path.length > 0 ? attributePath(path) : undefined,
  });
}

export function warningDiag(summary: string, detail = '', path?: CtyPath): Diagnostic {
  return create(DiagnosticSchema, {
    severity: Diagnostic_Severity.WARNING,
    summary,
    detail,
    attribute: path && path.length > 0 ? attributePath(path) : undefined,
  });
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === Diagnostic_Severity.ERROR);
}

/**
 * Thrown inside the provider to stop an operation with diagnostics; the RPC wrapper turns it into the response's
 * diagnostics. Keeps the "never throw out of a handler" rule in one place.
 */
export class DiagnosticsError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join('; '));
    this.name = 'DiagnosticsError';
  }
}

/**
 * One field problem (from controller/model validation, locally or as the controller's ValidationError) as a
 * diagnostic attached to the exact attribute. `origin` is added to the detail, e.g. "rejected by the controller".
 */
export function fieldErrorDiag(error: FieldError, block: BlockDef, what: string, origin?: string): Diagnostic {
  const suffix = origin ? ` (${origin})` : '';
  if (error.path.length === 0) return errorDiag(`Invalid ${what}`, `${error.message}${suffix}`);
  const path = fieldPathToCtyPath(error.path, block);
  const label = describePath(path);
  let summary = `Invalid value for "${label}"`;
  if (error.message === 'is required') summary = `Missing required argument "${label}"`;
  else if (error.message.startsWith('unknown attribute')) summary = `Unsupported argument "${label}"`;
  else if (/ overlaps schedule\[\d+\]/.test(error.message)) summary = 'Overlapping schedules';
  else if (/^at most one .* block is allowed/.test(error.message)) summary = `Too many "${label}" blocks`;
  else if (/^at least one .* block is required/.test(error.message)) summary = `Missing "${label}" block`;
  return errorDiag(summary, `${label}: ${error.message}${suffix}`, path);
}

/** The field errors of a ValidationError (recognised by name too: a bundle may load errors.ts twice). */
export function fieldErrorsOf(err: unknown): FieldError[] | undefined {
  if (!(err instanceof Error) || err.name !== 'ValidationError') return undefined;
  const errors = (err as Error & { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as FieldError[]) : undefined;
}

/** A problem with one value at a known path. */
export function invalidValueDiag(path: CtyPath, message: string): Diagnostic {
  const label = describePath(path);
  return errorDiag(`Invalid value for "${label}"`, `${label}: ${message}`, path);
}

/** A value that does not fit the schema type (malformed request or state). */
export function valueErrorDiag(err: unknown, what: string): Diagnostic {
  if (err instanceof CtyValueError) {
    return errorDiag(`Invalid ${what}`, `${describePath(err.path) || 'the value'}: ${err.detail}`, err.path);
  }
  return errorDiag(`Invalid ${what}`, err instanceof Error ? err.message : String(err));
}
