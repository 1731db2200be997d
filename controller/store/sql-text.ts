const numberedCache = new Map<string, string>();

/**
 * A statement written with `?` placeholders (SQLite's style, as the store's fixed statements are) in PostgreSQL's
 * `$1, $2, …` style. None of those statements has a `?` inside a literal or a comment.
 */
export function numbered(text: string): string {
  let out = numberedCache.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    numberedCache.set(text, out);
  }
  return out;
}
