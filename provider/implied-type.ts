/**
 * The cty object type a block implies: one attribute per schema attribute, and one
 * per nested block, which for LIST nesting is a list of the nested block's implied object type. Every
 * DynamicValue this provider reads or writes is decoded and encoded against these types.
 */
import { ty, type CtyType, type ObjectType } from './values';
import type { BlockDef } from './schema';

const cache = new WeakMap<BlockDef, ObjectType>();

export function impliedType(block: BlockDef): ObjectType {
  const hit = cache.get(block);
  if (hit) return hit;
  const entries: Array<readonly [string, CtyType]> = Object.entries(block.attributes).map(([name, a]) => [name, a.type] as const);
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    entries.push([name, ty.list(impliedType(nested.block))]);
  }
  const result = ty.object(entries);
  cache.set(block, result);
  return result;
}
