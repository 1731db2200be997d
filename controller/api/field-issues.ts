/**
 * Server-side structural checks of prewarm.v1 request fields. Problems are collected, not thrown one at a time, so
 * one ValidationError names every bad field; the service still does the semantic validation.
 */
import { ValidationError, type FieldError, type PathStep } from '../domain/errors';
import { presetIdProblem } from '../domain/ids';

/** Collects field problems so one response names every bad field, not just the first. */
export class FieldIssues {
  readonly errors: FieldError[] = [];
  add(path: PathStep[], message: string): void {
    this.errors.push({ path, message });
  }
  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors);
  }
}

export function requireText(value: string, path: PathStep[], issues: FieldIssues): string {
  if (value.trim() === '') issues.add(path, 'is required');
  return value;
}

/** A preset id (TEMPLATE/NAME); reported against `path` otherwise. */
export function checkPresetId(value: string, path: PathStep[], issues: FieldIssues): string {
  const problem = presetIdProblem(value);
  if (problem !== null) issues.add(path, problem);
  return value;
}
