/**
 * Attribute paths. Terraform points at the offending line of configuration only when a diagnostic carries an
 * AttributePath whose steps follow the value's structure exactly: attribute_name for attributes and blocks,
 * element_key_int for list elements (including the index of a block that may occur only once), and
 * element_key_string for map keys.
 *
 * Validation errors from controller/model name fields with HCL names but leave out the index of blocks that
 * can occur once (['prebuilds', 'scheduling', 'timezone']), and use a bare string for a map key
 * (['parameters', 'region']). The schema tells which is which, so the mapping walks it.
 */
import { create } from '@bufbuild/protobuf';
import { AttributePathSchema, type AttributePath } from './protocol';
import type { CtyPath, CtyType, PathStep } from './values';
import type { BlockDef, NestedBlockDef } from './schema';
import type { PathStep as ModelPathStep } from '../controller/domain/errors';
import { quote } from '../controller/domain/text';

type Node = { kind: 'block'; block: BlockDef } | { kind: 'list'; list: NestedBlockDef } | { kind: 'type'; type: CtyType } | null;

/** A controller/model FieldError path → the exact path into the resource's value. */
export function fieldPathToCtyPath(path: readonly ModelPathStep[], block: BlockDef): CtyPath {
  const out: PathStep[] = [];
  let node: Node = { kind: 'block', block };
  for (const step of path) {
    if (node !== null && node.kind === 'list') {
      if (typeof step === 'number') {
        out.push({ index: step });
        node = { kind: 'block', block: node.list.block };
        continue;
      }
      // A name right after a block list: the model left out the index of a block that occurs once.
      out.push({ index: 0 });
      node = { kind: 'block', block: node.list.block };
    }
    if (node !== null && node.kind === 'block' && typeof step === 'string') {
      out.push({ attr: step });
      const attr: BlockDef['attributes'][string] | undefined = node.block.attributes[step];
      const nested: NestedBlockDef | undefined = node.block.blocks?.[step];
      node = attr ? { kind: 'type', type: attr.type } : nested ? { kind: 'list', list: nested } : null;
      continue;
    }
    if (node !== null && node.kind === 'type') {
      const t: CtyType = node.type;
      if (t.kind === 'map' && typeof step === 'string') {
        out.push({ key: step });
        node = { kind: 'type', type: t.element };
        continue;
      }
      if ((t.kind === 'list' || t.kind === 'set') && typeof step === 'number') {
        out.push({ index: step });
        node = { kind: 'type', type: t.element };
        continue;
      }
      if (t.kind === 'object' && typeof step === 'string') {
        out.push({ attr: step });
        const at = t.attributes.get(step);
        node = at ? { kind: 'type', type: at } : null;
        continue;
      }
    }
    // Outside the schema (e.g. an attribute the schema does not have): keep the step as it reads.
    out.push(typeof step === 'number' ? { index: step } : { attr: step });
    node = null;
  }
  return out;
}

export function attributePath(path: CtyPath): AttributePath {
  return create(AttributePathSchema, {
    steps: path.map((s) =>
      'attr' in s
        ? { selector: { case: 'attributeName' as const, value: s.attr } }
        : 'index' in s
          ? { selector: { case: 'elementKeyInt' as const, value: BigInt(s.index) } }
          : { selector: { case: 'elementKeyString' as const, value: s.key } },
    ),
  });
}

/**
 * `prebuilds[0].scheduling[0].schedule[1].cron`, `parameters["region"]`: how paths read in messages. A map key is
 * the user's text, so it is quoted bounded and escaped (a 10,000-character key reads `["kkkk…" (10000 characters)]`).
 */
export function describePath(path: CtyPath): string {
  let out = '';
  for (const s of path) {
    if ('attr' in s) out += out === '' ? s.attr : `.${s.attr}`;
    else if ('index' in s) out += `[${s.index}]`;
    else out += `[${quote(s.key)}]`;
  }
  return out;
}
