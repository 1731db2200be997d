// Builds the same flat inventory as ./proto-text.ts, but from a compiled file descriptor
// (@bufbuild/protobuf reflection), so fixtures taken from published .proto text can be compared
// with generated code or with descriptors embedded in other binaries.
import { ScalarType, type DescEnum, type DescField, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import type { ProtoEnumEntry, ProtoFieldEntry, ProtoInventory, ProtoRpcEntry } from './proto-text';

function scalarName(t: ScalarType): string {
  return ScalarType[t].toLowerCase();
}

function fieldType(f: DescField): string {
  switch (f.fieldKind) {
    case 'scalar':
      return scalarName(f.scalar);
    case 'enum':
      return f.enum.typeName;
    case 'message':
      return f.message.typeName;
    case 'list':
      return f.listKind === 'scalar' ? scalarName(f.scalar) : f.listKind === 'enum' ? f.enum.typeName : f.message.typeName;
    case 'map': {
      const value = f.mapKind === 'scalar' ? scalarName(f.scalar) : f.mapKind === 'enum' ? f.enum.typeName : f.message.typeName;
      return `map<${scalarName(f.mapKey)},${value}>`;
    }
  }
}

function fieldLabel(f: DescField): ProtoFieldEntry['label'] {
  if (f.fieldKind === 'list') return 'repeated';
  if (f.proto.proto3Optional) return 'optional';
  return '';
}

export function inventoryFromDescFile(file: DescFile): ProtoInventory {
  const pkg = file.proto.package;
  const local = (typeName: string) => (pkg && typeName.startsWith(pkg + '.') ? typeName.slice(pkg.length + 1) : typeName);
  const messages: string[] = [];
  const enums: string[] = [];
  const fields: ProtoFieldEntry[] = [];
  const enumValues: ProtoEnumEntry[] = [];

  const visitEnum = (e: DescEnum) => {
    enums.push(local(e.typeName));
    for (const v of e.values) enumValues.push({ enum: local(e.typeName), value: v.name, number: v.number });
  };
  const visitMessage = (m: DescMessage) => {
    messages.push(local(m.typeName));
    for (const f of m.fields) {
      const entry: ProtoFieldEntry = { message: local(m.typeName), field: f.name, number: f.number, label: fieldLabel(f), type: fieldType(f) };
      if (f.oneof) entry.oneof = f.oneof.name;
      fields.push(entry);
    }
    m.nestedEnums.forEach(visitEnum);
    m.nestedMessages.forEach(visitMessage);
  };
  file.messages.forEach(visitMessage);
  file.enums.forEach(visitEnum);

  const rpcs: ProtoRpcEntry[] = [];
  for (const s of file.services) {
    for (const m of s.methods) {
      rpcs.push({
        service: s.name,
        rpc: m.name,
        input: m.input.typeName,
        output: m.output.typeName,
        clientStreaming: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
        serverStreaming: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      });
    }
  }
  return { package: pkg, messages, enums, fields, enumValues, rpcs };
}

export interface InventoryDiff {
  missing: string[]; // in expected, not in actual
  extra: string[]; // in actual, not in expected
  changed: string[]; // same key, different details
}

type Keyed = Map<string, string>;

function keyed(inv: ProtoInventory): Keyed {
  const out: Keyed = new Map();
  for (const m of inv.messages) out.set(`message ${m}`, '');
  for (const e of inv.enums) out.set(`enum ${e}`, '');
  for (const f of inv.fields) {
    out.set(`field ${f.message}.${f.field}`, `number=${f.number} label=${f.label || 'singular'} type=${f.type}${f.oneof ? ` oneof=${f.oneof}` : ''}`);
    // Also key by number, so a renumbering shows up as a conflict on both sides.
    out.set(`field-number ${f.message}#${f.number}`, f.field);
  }
  for (const v of inv.enumValues) {
    out.set(`enum-value ${v.enum}.${v.value}`, String(v.number));
    out.set(`enum-number ${v.enum}#${v.number}`, v.value);
  }
  for (const r of inv.rpcs) {
    out.set(`rpc ${r.service}.${r.rpc}`, `${r.clientStreaming ? 'stream ' : ''}${r.input} -> ${r.serverStreaming ? 'stream ' : ''}${r.output}`);
  }
  return out;
}

/** Compares two inventories entry by entry. */
export function diffInventories(expected: ProtoInventory, actual: ProtoInventory): InventoryDiff {
  const e = keyed(expected);
  const a = keyed(actual);
  const diff: InventoryDiff = { missing: [], extra: [], changed: [] };
  if (expected.package !== actual.package) diff.changed.push(`package: expected ${expected.package}, got ${actual.package}`);
  for (const [k, v] of e) {
    if (!a.has(k)) diff.missing.push(`${k} ${v}`.trim());
    else if (a.get(k) !== v) diff.changed.push(`${k}: expected ${v}, got ${a.get(k)}`);
  }
  for (const [k, v] of a) if (!e.has(k)) diff.extra.push(`${k} ${v}`.trim());
  return diff;
}
