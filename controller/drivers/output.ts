/**
 * Bounded capture of a driver's output streams and parsing of its stdout answer. Drivers are operator code and may
 * be arbitrarily chatty, so nothing here ever holds more than its limit plus one pipe chunk.
 */
import { utf8TailStart } from './format';

/** Keeps the last `limit` bytes written to it (stderr: the end of a log is where the error is). */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.limit <= 0) {
      this.dropped += chunk.length;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Drop whole chunks from the front while the rest still covers the limit; the final cut happens in text().
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      const first = this.chunks.shift()!;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  /** Bytes seen but no longer kept. */
  get droppedBytes(): number {
    return this.dropped + Math.max(0, this.size - this.limit);
  }

  /** The kept tail as text, starting on a UTF-8 character boundary. */
  text(): string {
    const all = Buffer.concat(this.chunks, this.size);
    return all.subarray(utf8TailStart(all, this.limit)).toString('utf8');
  }
}

/** Keeps the first `limit` bytes and remembers whether more came (stdout: an answer over the limit is rejected). */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private over = false;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.over) return;
    if (this.size + chunk.length > this.limit) {
      // Keep what fits for the error excerpt, then discard everything else (but the caller keeps draining the pipe
      // so the driver is never blocked on a full pipe).
      this.chunks.push(chunk.subarray(0, this.limit - this.size));
      this.size = this.limit;
      this.over = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  get overflowed(): boolean {
    return this.over;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

export type ParsedAnswer = { ok: true; attributes: Record<string, string> } | { ok: false; reason: string };

function describeJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a driver's stdout. Empty output means "no attributes" (valid for every op). Otherwise the whole output must be
 * one JSON object; `attributes`, if present, must be a flat object of strings, numbers or booleans, which are
 * stringified because instance attributes are a string map everywhere else. Unknown top-level keys are ignored so
 * drivers can be written against newer contracts.
 */
export function parseAnswer(stdout: Buffer): ParsedAnswer {
  // A BOM or surrounding whitespace is not worth failing a create over.
  const text = stdout.toString('utf8').replace(/^\uFEFF/, '').trim();
  if (text === '') return { ok: true, attributes: {} };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `output that is not JSON: ${(err as Error).message}` };
  }
  if (!isPlainObject(doc)) return { ok: false, reason: `JSON that is not an object (got ${describeJsonType(doc)})` };
  const attrs = doc['attributes'];
  if (attrs === undefined) return { ok: true, attributes: {} };
  if (!isPlainObject(attrs)) {
    return { ok: false, reason: `"attributes" that is not an object (got ${describeJsonType(attrs)})` };
  }
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === 'string') entries.push([key, value]);
    else if (typeof value === 'number' || typeof value === 'boolean') entries.push([key, String(value)]);
    else {
      return {
        ok: false,
        reason: `"attributes" that is not flat: attributes[${JSON.stringify(key)}] is ${describeJsonType(value)}, want a string, number or boolean`,
      };
    }
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain attribute.
  return { ok: true, attributes: Object.fromEntries(entries) };
}
