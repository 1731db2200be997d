// Paths into a value, used in codec error messages. The steps map one-to-one onto
// tfplugin6.AttributePath.Step (attribute_name / element_key_int / element_key_string), so a
// caller can turn a CtyValueError into a Diagnostic pointing at the offending attribute.

export type PathStep =
  | { readonly attr: string }
  | { readonly index: number }
  | { readonly key: string };

export type CtyPath = readonly PathStep[];

/** `.network[0].tags["env"]`; the empty path is shown as `(root)`. */
export function formatPath(path: CtyPath): string {
  if (path.length === 0) return '(root)';
  return path
    .map((s) => ('attr' in s ? `.${s.attr}` : 'index' in s ? `[${s.index}]` : `[${JSON.stringify(s.key)}]`))
    .join('');
}

/** A value does not fit its type (or its bytes are malformed). `path` locates the problem. */
export class CtyValueError extends Error {
  constructor(
    readonly path: CtyPath,
    readonly detail: string,
  ) {
    super(`at ${formatPath(path)}: ${detail}`);
    this.name = 'CtyValueError';
  }
}
