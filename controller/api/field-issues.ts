/**
 * Server-side structural checks of prewarm.v1 request fields. Problems are collected, not thrown one at a time, so
 * one ValidationError names every bad field; the service still does the semantic validation.
 *
 * Identifiers that only select something (names in get/delete, instance ids, preset ids) are checked against the
 * domain's rules here, before any lookup: a "not found" message quotes what it looked for, so only a valid,
 * bounded identifier may reach one.
 */
import { ValidationError, type FieldError, type PathStep } from '../domain/errors';
import { instanceRefProblem, presetIdProblem } from '../domain/ids';
import { nameProblem } from '../domain/names';
import { ownerProblem } from '../domain/text';

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

/** A template or preset name that selects an existing object: required, and a valid name. */
export function requireName(value: string, path: PathStep[], issues: FieldIssues): string {
  if (value.trim() === '') issues.add(path, 'is required');
  else {
    const problem = nameProblem(value);
    if (problem !== null) issues.add(path, problem);
  }
  return value;
}

/** A reference to an instance (its id, a prefix of the id, or its name): required, and shaped like one. */
export function requireInstanceRef(value: string, path: PathStep[], issues: FieldIssues): string {
  if (value.trim() === '') issues.add(path, 'is required');
  else {
    const problem = instanceRefProblem(value);
    if (problem !== null) issues.add(path, problem);
  }
  return value;
}

/** A claim's owner, when given: the domain's owner rule (blank is allowed; the service stores "anonymous"). */
export function checkOwner(value: string | undefined, path: PathStep[], issues: FieldIssues): void {
  if (value === undefined) return;
  const problem = ownerProblem(value);
  if (problem !== null) issues.add(path, problem);
}

/** A preset id (TEMPLATE/NAME); reported against `path` otherwise. */
export function checkPresetId(value: string, path: PathStep[], issues: FieldIssues): string {
  const problem = presetIdProblem(value);
  if (problem !== null) issues.add(path, problem);
  return value;
}
