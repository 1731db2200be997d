/** JSON files given by users (`put --file`): parse errors say where and why, with line and column. */
import { ValidationError } from './errors';

/** JSON.parse that reports syntax errors as a ValidationError with line and column. */
export function parseJsonFile(text: string, what: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new ValidationError([{ path: [], message: `${what}: invalid JSON at ${describeJsonError(body)}` }]);
  }
}

/**
 * Where and why `text` (which JSON.parse refused) is not JSON: "line L, column C: reason". With `quoteSource: false`
 * the reason never repeats the text itself, for files whose contents are secret.
 */
export function describeJsonError(text: string, opts: { quoteSource?: boolean } = {}): string {
  const { pos, reason } = locateJsonError(text, opts.quoteSource ?? true);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${reason}`;
}

class JsonStop {
  constructor(readonly pos: number, readonly reason: string) {}
}

/** Finds where and why `s` is not JSON; Node 20's JSON.parse messages do not always carry a position. */
function locateJsonError(s: string, quoteSource: boolean): { pos: number; reason: string } {
  let i = 0;
  const stop = (reason: string): never => {
    throw new JsonStop(i, reason);
  };
  const ws = (): void => {
    while (i < s.length && ' \t\n\r'.includes(s[i])) i++;
  };
  const unexpected = (): never => {
    if (i >= s.length) return stop('unexpected end of input');
    const c = s[i];
    if (c === '/') return stop('comments are not allowed in JSON');
    if (c === "'") return stop('strings must use double quotes');
    const word = /^[A-Za-z_$][\w$]*/.exec(s.slice(i, i + 40));
    if (word !== null) {
      const shown = quoteSource ? ` "${word[0]}"` : '';
      return stop(`unexpected word${shown} (strings need double quotes; the literals are true, false and null)`);
    }
    return stop(quoteSource ? `unexpected character ${JSON.stringify(c)}` : 'unexpected character');
  };
  const str = (): void => {
    i++;
    for (;;) {
      if (i >= s.length) stop('unterminated string');
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) stop('control character in string (write newlines as \\n)');
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else stop('invalid escape in string');
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] !== '"') {
          if (s[i] === '}') stop('trailing comma before "}"');
          if (s[i] === '/') stop('comments are not allowed in JSON');
          stop('expected a double-quoted property name');
        }
        str();
        ws();
        if (s[i] !== ':') stop('expected ":" after property name');
        i++;
        value();
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === '}') {
          i++;
          return;
        }
        stop(i >= s.length ? 'unexpected end of input' : 'expected "," or "}" after property value');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] === ']') stop('trailing comma before "]"');
        value();
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') {
          i++;
          return;
        }
        stop(i >= s.length ? 'unexpected end of input' : 'expected "," or "]" after list element');
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
      m.lastIndex = i;
      if (!m.exec(s)) stop('invalid number');
      i = m.lastIndex;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    unexpected();
  };
  try {
    value();
    ws();
    if (i < s.length) stop('unexpected text after the JSON value');
  } catch (e) {
    if (e instanceof JsonStop) return { pos: e.pos, reason: e.reason };
  }
  return { pos: Math.min(i, s.length), reason: 'not valid JSON' };
}
