/**
 * The interning table the snapshot mirror shares repeated strings through (preset ids, states, owners). Which copy of a
 * string a caller gets cannot be observed from JavaScript; what can is that the value never changes, that the table
 * holds one entry per distinct string, and that its bound and clear behave.
 */
import { expect, test } from '@jest/globals';
import { Interner } from '../../../controller/store/interner';

/** A string equal to `s` but built at run time (not the literal from the source text). */
const copyOf = (s: string): string => [...s].join('');

test('hands back a string equal to the one given, and keeps one entry per distinct string', () => {
  const t = new Interner();
  const values = ['devbox/us-east', 'devbox/eu-west', 'ready', 'ready', copyOf('ready'), copyOf('devbox/us-east')];
  for (const v of values) expect(t.intern(v)).toBe(v);
  expect(t.size).toBe(3);
});

test('strings that differ only in case, surrounding space or normalization are distinct', () => {
  const t = new Interner();
  for (const v of ['Ready', 'ready', ' ready', 'ready ', 'caf\u00e9', 'cafe\u0301']) expect(t.intern(v)).toBe(v);
  expect(t.size).toBe(6);
});

test('the empty string, long strings and strings outside the BMP are interned like any other', () => {
  const t = new Interner();
  const long = 'x'.repeat(100_000);
  for (const v of ['', copyOf(''), long, copyOf(long), '\u{1F600}/p', copyOf('\u{1F600}/p')]) expect(t.intern(v)).toBe(v);
  expect(t.size).toBe(3);
});

test('internNullable passes null through without an entry', () => {
  const t = new Interner();
  expect(t.internNullable(null)).toBeNull();
  expect(t.size).toBe(0);
  expect(t.internNullable('alice')).toBe('alice');
  expect(t.internNullable(copyOf('alice'))).toBe('alice');
  expect(t.size).toBe(1);
});

test('past its limit the table stops growing, and strings come back unchanged all the same', () => {
  const t = new Interner(2);
  expect(t.intern('a')).toBe('a');
  expect(t.intern('b')).toBe('b');
  expect(t.intern('c')).toBe('c');
  expect(t.intern('d')).toBe('d');
  expect(t.size).toBe(2);
  // Strings held before the limit was reached are still found.
  expect(t.intern(copyOf('a'))).toBe('a');
  expect(t.size).toBe(2);
});

test('a limit of 0 holds nothing', () => {
  const t = new Interner(0);
  expect(t.intern('a')).toBe('a');
  expect(t.size).toBe(0);
});

test('clear empties the table; strings seen afterwards fill it again', () => {
  const t = new Interner(3);
  for (const v of ['a', 'b', 'c']) t.intern(v);
  t.clear();
  expect(t.size).toBe(0);
  for (const v of ['c', 'd', 'e', 'f']) expect(t.intern(v)).toBe(v);
  expect(t.size).toBe(3);
});

test('100,000 rows naming 10,000 presets leave 10,000 entries', () => {
  const t = new Interner();
  for (let row = 0; row < 100_000; row++) t.intern(`t${row % 100}/p${row % 10_000}`);
  expect(t.size).toBe(10_000);
});
