/**
 * Whether a failed terraform command is the template's fault (permanent: the same inputs fail the same way, so the
 * preset stops creating until someone changes it) or the world's (retryable: a provider API, a network, a lock).
 */
import { stripVTControlCharacters } from 'node:util';

/**
 * Error summaries that only a configuration can cause. `terraform validate` catches most of these before they get
 * here, but it does not look at variable values, so a missing or rejected variable shows up only in plan or apply.
 */
const CONFIG_ERRORS = [
  'No value for required variable',
  'Invalid value for variable',
  'Invalid value for input variable',
  'Unsupported argument',
  'Missing required argument',
  'Reference to undeclared',
  'Unsupported block type',
  'Invalid reference',
  'Unsupported attribute',
  'Call to unknown function',
  'Unreadable module directory',
  'Module not installed',
  'Invalid provider configuration',
  'Missing required provider',
];

/**
 * The first `Error: …` summary of terraform's output: terraform prints its diagnostics in order of importance, and
 * the first line that reads as one is always its own (streamed provisioner output carries the resource's address
 * in front). Later ones may be script output quoted inside a diagnostic's detail.
 */
export function firstErrorSummary(output: string): string | null {
  for (const line of stripVTControlCharacters(output).split('\n')) {
    // terraform draws its diagnostics in a box (│ ╷ ╵) on a terminal and without one in a file.
    const m = /^[\s│╷╵]*Error: (.+?)\s*$/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * True when terraform's first error names one that only the module or its inputs can cause. Only the first: a
 * failed provisioner's output is quoted in its diagnostic's detail, line by line, where a script printing
 * "Error: Unsupported attribute" would pass for a diagnostic of its own; the first error summary is always
 * terraform's (streamed provisioner output carries the resource's address in front).
 */
export function isConfigurationError(output: string): boolean {
  const first = firstErrorSummary(output);
  if (first === null) return false;
  if (/^Terraform encountered problems during initiali[sz]ation, including problems/.test(first)) return true;
  return CONFIG_ERRORS.some((config) => first.startsWith(config));
}

/** `terraform validate -json`'s verdict: null when the output is not its JSON (an older or odd binary). */
export function validateVerdict(stdout: string): { valid: boolean; summary: string | null } | null {
  try {
    const doc = JSON.parse(stdout) as { valid?: unknown; diagnostics?: Array<{ severity?: string; summary?: string }> };
    if (typeof doc.valid !== 'boolean') return null;
    const firstError = doc.diagnostics?.find((d) => d.severity === 'error');
    return { valid: doc.valid, summary: firstError?.summary ?? null };
  } catch {
    return null;
  }
}

/** Module outputs as instance attributes: strings as they are, anything else as JSON; sensitive outputs left out. */
export function outputAttributes(stdout: string): { ok: true; attributes: Record<string, string>; sensitive: string[] } | { ok: false; reason: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout.trim() === '' ? '{}' : stdout);
  } catch {
    // Not the parser's message: it quotes the text, which holds the sensitive outputs' values.
    return { ok: false, reason: 'terraform output -json printed something that is not JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, reason: 'terraform output -json printed JSON that is not an object' };
  const attributes: [string, string][] = [];
  const sensitive: string[] = [];
  for (const [name, entry] of Object.entries(doc as Record<string, { value?: unknown; sensitive?: boolean }>)) {
    // Attributes are shown by the API, the CLI and Terraform state: a value the module marked sensitive stays in
    // the instance's own state file.
    if (entry?.sensitive) {
      sensitive.push(name);
      continue;
    }
    const v = entry?.value;
    attributes.push([name, typeof v === 'string' ? v : JSON.stringify(v ?? null)]);
  }
  return { ok: true, attributes: Object.fromEntries(attributes), sensitive };
}
