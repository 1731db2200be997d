/**
 * Rules for free text from users, and how such text is shown back. One module, used by validation (validate.ts),
 * the API server, the CLI and the provider, so every entry point accepts and refuses the same strings.
 *
 * Characters are Unicode code points. "Control characters" are the ones that can change what a terminal or a
 * log viewer shows rather than being shown themselves:
 *   - C0 and C1 controls and DEL (U+0000–U+001F, U+007F–U+009F): NUL, newline, carriage return, tab, ESC (ANSI
 *     escape sequences start with it; U+009B is a one-character CSI on some terminals);
 *   - the line and paragraph separators U+2028 and U+2029;
 *   - bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which reorder
 *     the text around them on screen;
 *   - lone surrogates (not text at all; they cannot be encoded as UTF-8).
 *
 * Showing text (`escapeText`, `quote`) replaces each of them with an escape: `\n`, `\r`, `\t`, else `\uXXXX`.
 */
import { MAX_CRON, MAX_DESCRIPTION, MAX_MAP_KEY, MAX_MAP_VALUE_BYTES, MAX_OWNER, MAX_QUOTED_CHARS } from './limits';

const CONTROL_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]|\\p{Cs}';
const CONTROL = new RegExp(CONTROL_CLASS, 'u');
const CONTROL_ALL = new RegExp(CONTROL_CLASS, 'gu');
/** Inside quotes the quote and the backslash are escaped too, so the quoted text reads back unambiguously. */
const QUOTED_ALL = new RegExp(`["\\\\]|${CONTROL_CLASS}`, 'gu');

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };

function escapeChar(ch: string): string {
  return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Whether `value` has a control character (see the module comment). */
export function hasControl(value: string): boolean {
  return CONTROL.test(value);
}

/**
 * `value` safe to print on one line of a terminal: control characters are replaced by `\n`, `\r`, `\t` or
 * `\uXXXX`; everything else (including backslashes) is left as it is. For human-readable output only: JSON output
 * needs no help, JSON escaping already covers these characters.
 */
export function escapeText(value: string): string {
  return CONTROL.test(value) ? value.replace(CONTROL_ALL, escapeChar) : value;
}

/** The number of characters (code points) in `value`. */
export function charCount(value: string): number {
  let n = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = value.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * A user's value as an error message may show it: in double quotes, escaped as in JSON (plus the characters listed
 * above), and bounded: a value longer than `max` characters shows its first `max`, then its length:
 * `"aaaa…" (10000 characters)`. Short, plain values read exactly as JSON.stringify would write them.
 */
export function quote(value: string, max: number = MAX_QUOTED_CHARS): string {
  let head = '';
  let n = 0;
  let cut = false;
  for (const ch of value) {
    if (n === max) {
      cut = true;
      break;
    }
    head += ch;
    n++;
  }
  const body = head.replace(QUOTED_ALL, escapeChar);
  return cut ? `"${body}…" (${charCount(value)} characters)` : `"${body}"`;
}

/** The first control character of `value` that `allowed` does not contain, with its 1-based character position. */
export function firstControl(value: string, allowed = ''): { char: string; position: number } | null {
  if (!CONTROL.test(value)) return null;
  for (const m of value.matchAll(CONTROL_ALL)) {
    if (!allowed.includes(m[0])) return { char: m[0], position: charCount(value.slice(0, m.index)) + 1 };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

/** A rule for one kind of free text. */
export interface TextRule {
  /** At most this many characters (code points). */
  readonly maxChars?: number;
  /** At most this many bytes of UTF-8. */
  readonly maxBytes?: number;
  /** Control characters the rule lets through (e.g. tab and newline in map values); none by default. */
  readonly allowed?: string;
  /** The rule in words, for messages, help and schema descriptions. */
  readonly words: string;
}

const ALLOWED_NAMES: Readonly<Record<string, string>> = { '\t': 'tab', '\n': 'newline' };

/** Why `value` breaks `rule`, or null. Only the offending character is quoted, never the value. */
export function textProblem(value: string, rule: TextRule): string | null {
  if (rule.maxChars !== undefined && value.length > rule.maxChars) {
    const chars = charCount(value);
    if (chars > rule.maxChars) return `must be at most ${rule.maxChars} characters, got ${chars}`;
  }
  if (rule.maxBytes !== undefined && value.length > rule.maxBytes / 3) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > rule.maxBytes) return `must be at most ${rule.maxBytes} bytes of UTF-8, got ${bytes}`;
  }
  const bad = firstControl(value, rule.allowed);
  if (bad !== null) {
    const except = [...(rule.allowed ?? '')].map((c) => ALLOWED_NAMES[c] ?? escapeChar(c));
    return (
      `must not contain control characters${except.length ? ` other than ${except.join(' and ')}` : ''}, ` +
      `got ${quote(bad.char)} at character ${bad.position}`
    );
  }
  return null;
}

/** Who a claimed instance is for: the claimer's free choice, shown in `prewarm instance list`. */
export const OWNER_TEXT: TextRule = {
  maxChars: MAX_OWNER,
  words: `at most ${MAX_OWNER} characters, without control characters`,
};

/** A preset's description: one line of text for people. */
export const DESCRIPTION_TEXT: TextRule = {
  maxChars: MAX_DESCRIPTION,
  words: `at most ${MAX_DESCRIPTION} characters, without control characters (one line)`,
};

/**
 * A value of a preset's parameters or a template's config: handed to the driver in JSON, so it may span lines
 * (a certificate, a short script); tab and newline are the only control characters allowed.
 */
export const MAP_VALUE_TEXT: TextRule = {
  maxBytes: MAX_MAP_VALUE_BYTES,
  allowed: '\t\n',
  words: `at most ${MAX_MAP_VALUE_BYTES} bytes of UTF-8, without control characters other than tab and newline`,
};

/**
 * A schedule's cron text (its syntax is cron.ts's business; this is the bound checked before parsing). Fields are
 * separated by spaces or tabs, as in a crontab; no other control character.
 */
export const CRON_TEXT: TextRule = {
  maxChars: MAX_CRON,
  allowed: '\t',
  words: `at most ${MAX_CRON} characters, without control characters other than tab`,
};

// "/" is allowed because keys such as kubernetes.io/arch are common driver settings; it has no path meaning here.
const MAP_KEY_PATTERN = new RegExp(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,${MAX_MAP_KEY - 1}}$`);

/** The rule for keys of parameters and config maps, in words. */
export const MAP_KEY_RULE = `1-${MAX_MAP_KEY} characters of letters, digits, "_", "-", "." and "/", starting with a letter, digit or "_"`;

/** Why `key` is not a valid parameters or config key, or null. The key itself is not quoted: paths carry it. */
export function mapKeyProblem(key: string): string | null {
  if (key === '') return 'keys must not be empty';
  if (MAP_KEY_PATTERN.test(key)) return null;
  const chars = charCount(key);
  if (chars > MAX_MAP_KEY) return `key must be at most ${MAX_MAP_KEY} characters, got ${chars}`;
  const bad = [...key].findIndex((c, i) => !(i === 0 ? /[A-Za-z0-9_]/ : /[A-Za-z0-9_./-]/).test(c));
  const at = bad < 0 ? '' : `; ${quote([...key][bad])} at character ${bad + 1} is not allowed`;
  return `key must be ${MAP_KEY_RULE}${at}`;
}

/**
 * Why `owner` is not an acceptable claim owner, or null. Surrounding whitespace does not count (the controller
 * trims it); an empty or blank owner is the caller's to decide (the API stores "anonymous", the CLI refuses it).
 */
export function ownerProblem(owner: string): string | null {
  return textProblem(owner.trim(), OWNER_TEXT);
}

/** The owner a claim is stored with: trimmed, "anonymous" when absent or blank. */
export function normalizeOwner(owner: string | undefined): string {
  const trimmed = owner?.trim() ?? '';
  return trimmed === '' ? 'anonymous' : trimmed;
}

/** The last non-empty line of some output (a driver's stderr), shortened: the most useful single line for a failure message. */
export function lastLine(text: string, max = 200): string {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line !== '') return line.length > max ? `${line.slice(0, max - 1)}…` : line;
  }
  return '';
}
