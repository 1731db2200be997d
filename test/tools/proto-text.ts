// A small, self-contained reader for .proto source text (proto3 subset used by tfplugin6, go-plugin
// and grpc health). It exists so that test fixtures can be derived from the *published text* of a
// .proto file, independently of protoc/buf, and then compared with the descriptors that buf +
// protoc-gen-es generated.
//
// Output is a flat inventory: every field (message path, name, number, label, type, oneof), every
// enum value, every message path and every RPC. Type names are fully qualified (no leading dot).

export interface ProtoFieldEntry {
  message: string; // message path inside the package, e.g. "Schema.Block"
  field: string;
  number: number;
  label: '' | 'repeated' | 'optional';
  type: string; // scalar name, fully qualified message/enum name, or "map<K,V>"
  oneof?: string;
}

export interface ProtoEnumEntry {
  enum: string; // enum path inside the package, e.g. "Diagnostic.Severity"
  value: string;
  number: number;
}

export interface ProtoRpcEntry {
  service: string;
  rpc: string;
  input: string;
  output: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

export interface ProtoInventory {
  package: string;
  messages: string[];
  enums: string[];
  fields: ProtoFieldEntry[];
  enumValues: ProtoEnumEntry[];
  rpcs: ProtoRpcEntry[];
}

const SCALARS = new Set([
  'double', 'float', 'int64', 'uint64', 'int32', 'fixed64', 'fixed32', 'bool', 'string',
  'bytes', 'uint32', 'sfixed32', 'sfixed64', 'sint32', 'sint64',
]);

/** Types imported from well-known files that the inventory may reference. */
const WELL_KNOWN = new Set(['google.protobuf.Timestamp', 'google.protobuf.Empty']);

type Token = { kind: 'ident' | 'number' | 'string' | 'symbol'; text: string; line: number };

export function tokenizeProto(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated block comment at line ${line}`);
      for (let k = i; k < end; k++) if (source[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c) { if (source[j] === '\\') j++; j++; }
      tokens.push({ kind: 'string', text: source.slice(i + 1, j), line });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_.]/.test(source[j])) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9-]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9a-fA-FxX.]/.test(source[j])) j++;
      tokens.push({ kind: 'number', text: source.slice(i, j), line });
      i = j;
      continue;
    }
    if ('{}[]()<>;=,.'.includes(c)) {
      tokens.push({ kind: 'symbol', text: c, line });
      i++;
      continue;
    }
    throw new Error(`unexpected character ${JSON.stringify(c)} at line ${line}`);
  }
  return tokens;
}

interface RawField {
  scope: string[]; // message path segments
  name: string;
  number: number;
  label: '' | 'repeated' | 'optional';
  typeRef: string; // as written
  mapKey?: string;
  mapValueRef?: string;
  oneof?: string;
}

interface RawRpc {
  service: string;
  rpc: string;
  inputRef: string;
  outputRef: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

class Parser {
  private pos = 0;
  pkg = '';
  readonly messages: string[][] = [];
  readonly enums: string[][] = [];
  readonly fields: RawField[] = [];
  readonly enumValues: ProtoEnumEntry[] = [];
  readonly rpcs: RawRpc[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined { return this.tokens[this.pos + offset]; }

  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error('unexpected end of input');
    return t;
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) throw new Error(`line ${t.line}: expected ${JSON.stringify(text)}, got ${JSON.stringify(t.text)}`);
    return t;
  }

  private ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw new Error(`line ${t.line}: expected identifier, got ${JSON.stringify(t.text)}`);
    return t.text;
  }

  private int(): number {
    const t = this.next();
    if (t.kind !== 'number' || !/^-?\d+$/.test(t.text)) throw new Error(`line ${t.line}: expected integer, got ${JSON.stringify(t.text)}`);
    return Number(t.text);
  }

  /** Skips a statement up to and including its ';' (balanced over brackets). */
  private skipStatement(): void {
    let depth = 0;
    for (;;) {
      const t = this.next();
      if (t.text === '[' || t.text === '(' || t.text === '{') depth++;
      if (t.text === ']' || t.text === ')' || t.text === '}') depth--;
      if (t.text === ';' && depth === 0) return;
    }
  }

  /** Skips `[ ... ]` field options if present. */
  private skipFieldOptions(): void {
    if (this.peek()?.text !== '[') return;
    let depth = 0;
    do {
      const t = this.next();
      if (t.text === '[') depth++;
      if (t.text === ']') depth--;
    } while (depth > 0);
  }

  parseFile(): void {
    while (this.pos < this.tokens.length) {
      const t = this.next();
      switch (t.text) {
        case 'syntax': case 'option': case 'import': case 'edition':
          this.skipStatement();
          break;
        case 'package':
          this.pkg = this.ident();
          this.expect(';');
          break;
        case 'message':
          this.parseMessage([]);
          break;
        case 'enum':
          this.parseEnum([]);
          break;
        case 'service':
          this.parseService();
          break;
        case ';':
          break;
        default:
          throw new Error(`line ${t.line}: unexpected top-level token ${JSON.stringify(t.text)}`);
      }
    }
  }

  private parseMessage(outer: string[]): void {
    const scope = [...outer, this.ident()];
    this.messages.push(scope);
    this.expect('{');
    this.parseMessageBody(scope, undefined);
  }

  private parseMessageBody(scope: string[], oneof: string | undefined): void {
    for (;;) {
      const t = this.peek();
      if (!t) throw new Error('unterminated message body');
      if (t.text === '}') { this.next(); return; }
      if (t.text === ';') { this.next(); continue; }
      if (oneof === undefined && t.text === 'message') { this.next(); this.parseMessage(scope); continue; }
      if (oneof === undefined && t.text === 'enum') { this.next(); this.parseEnum(scope); continue; }
      if (t.text === 'option' || t.text === 'reserved' || t.text === 'extensions') { this.next(); this.skipStatement(); continue; }
      if (oneof === undefined && t.text === 'oneof') {
        this.next();
        const name = this.ident();
        this.expect('{');
        this.parseMessageBody(scope, name);
        continue;
      }
      this.parseField(scope, oneof);
    }
  }

  private parseField(scope: string[], oneof: string | undefined): void {
    let label: RawField['label'] = '';
    const first = this.peek();
    if (first?.text === 'repeated' || first?.text === 'optional') {
      label = first.text;
      this.next();
    }
    let typeRef: string;
    let mapKey: string | undefined;
    let mapValueRef: string | undefined;
    if (this.peek()?.text === 'map' && this.peek(1)?.text === '<') {
      this.next();
      this.expect('<');
      mapKey = this.ident();
      this.expect(',');
      mapValueRef = this.ident();
      this.expect('>');
      typeRef = 'map';
    } else {
      typeRef = this.ident();
    }
    const name = this.ident();
    this.expect('=');
    const number = this.int();
    this.skipFieldOptions();
    this.expect(';');
    this.fields.push({ scope, name, number, label, typeRef, mapKey, mapValueRef, oneof });
  }

  private parseEnum(outer: string[]): void {
    const scope = [...outer, this.ident()];
    this.enums.push(scope);
    this.expect('{');
    for (;;) {
      const t = this.next();
      if (t.text === '}') return;
      if (t.text === ';') continue;
      if (t.text === 'option' || t.text === 'reserved') { this.skipStatement(); continue; }
      if (t.kind !== 'ident') throw new Error(`line ${t.line}: unexpected token in enum: ${JSON.stringify(t.text)}`);
      this.expect('=');
      const number = this.int();
      this.skipFieldOptions();
      this.expect(';');
      this.enumValues.push({ enum: scope.join('.'), value: t.text, number });
    }
  }

  private parseService(): void {
    const service = this.ident();
    this.expect('{');
    for (;;) {
      const t = this.next();
      if (t.text === '}') return;
      if (t.text === ';') continue;
      if (t.text === 'option') { this.skipStatement(); continue; }
      if (t.text !== 'rpc') throw new Error(`line ${t.line}: unexpected token in service: ${JSON.stringify(t.text)}`);
      const rpc = this.ident();
      this.expect('(');
      let clientStreaming = false;
      if (this.peek()?.text === 'stream' && this.peek(1)?.text !== ')') { this.next(); clientStreaming = true; }
      const inputRef = this.ident();
      this.expect(')');
      this.expect('returns');
      this.expect('(');
      let serverStreaming = false;
      if (this.peek()?.text === 'stream' && this.peek(1)?.text !== ')') { this.next(); serverStreaming = true; }
      const outputRef = this.ident();
      this.expect(')');
      if (this.peek()?.text === '{') {
        this.next();
        let depth = 1;
        while (depth > 0) {
          const x = this.next();
          if (x.text === '{') depth++;
          if (x.text === '}') depth--;
        }
      } else {
        this.expect(';');
      }
      this.rpcs.push({ service, rpc, inputRef, outputRef, clientStreaming, serverStreaming });
    }
  }
}

/** Parses .proto source text into a flat inventory with fully qualified type names. */
export function readProtoInventory(source: string): ProtoInventory {
  const parser = new Parser(tokenizeProto(source));
  parser.parseFile();
  const pkg = parser.pkg;
  const qualify = (segments: string[]) => (pkg ? `${pkg}.${segments.join('.')}` : segments.join('.'));
  const known = new Set<string>([...WELL_KNOWN]);
  for (const m of parser.messages) known.add(qualify(m));
  for (const e of parser.enums) known.add(qualify(e));

  // Protobuf scoping: look the name up from the innermost scope outwards.
  const resolve = (ref: string, scope: string[]): string => {
    if (SCALARS.has(ref)) return ref;
    if (ref.startsWith('.')) {
      const abs = ref.slice(1);
      if (!known.has(abs)) throw new Error(`unknown type ${ref}`);
      return abs;
    }
    const base = pkg ? pkg.split('.') : [];
    const chain = [...base, ...scope];
    for (let k = chain.length; k >= 0; k--) {
      const candidate = [...chain.slice(0, k), ref].join('.');
      if (known.has(candidate)) return candidate;
    }
    throw new Error(`cannot resolve type ${JSON.stringify(ref)} in scope ${qualify(scope)}`);
  };

  const fields: ProtoFieldEntry[] = parser.fields.map((f) => {
    const type = f.typeRef === 'map'
      ? `map<${resolve(f.mapKey as string, f.scope)},${resolve(f.mapValueRef as string, f.scope)}>`
      : resolve(f.typeRef, f.scope);
    const entry: ProtoFieldEntry = { message: f.scope.join('.'), field: f.name, number: f.number, label: f.label, type };
    if (f.oneof !== undefined) entry.oneof = f.oneof;
    return entry;
  });
  const rpcs: ProtoRpcEntry[] = parser.rpcs.map((r) => ({
    service: r.service,
    rpc: r.rpc,
    input: resolve(r.inputRef, []),
    output: resolve(r.outputRef, []),
    clientStreaming: r.clientStreaming,
    serverStreaming: r.serverStreaming,
  }));
  return {
    package: pkg,
    messages: parser.messages.map((m) => m.join('.')),
    enums: parser.enums.map((e) => e.join('.')),
    fields,
    enumValues: parser.enumValues,
    rpcs,
  };
}
