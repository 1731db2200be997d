import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { CtyNumber, CtyNumberSyntaxError } from '../../../../provider/values';

const n = (text: string) => CtyNumber.parse(text);

describe('CtyNumber', () => {
  it('compares by exact value, whatever the text', () => {
    assert.ok(n('1.50').equals(n('1.5')));
    assert.ok(n('1e2').equals(n('100')));
    assert.ok(n('0.0').equals(n('0')));
    assert.ok(n('-0').equals(n('0')));
    assert.ok(n('.5').equals(n('0.5')));
    assert.ok(n('+3').equals(n('3')));
    assert.ok(n('12345678901234567890.000').equals(n('12345678901234567890')));
    assert.ok(!n('9007199254740993').equals(n('9007199254740992')));
    assert.ok(!n('0.1').equals(n('0.1000000000000000055511151231257827021181583404541015625')));
    assert.ok(!n('1e400').equals(n('1e401')));
  });

  it('keeps the text it was parsed from when that is JSON syntax', () => {
    assert.equal(n('1.50').toString(), '1.50');
    assert.equal(n('1e400').toString(), '1e400');
    assert.equal(n('12345678901234567890').toString(), '12345678901234567890');
    assert.equal(n('-0.000001').toString(), '-0.000001');
    // not JSON syntax: canonical text instead
    assert.equal(n('.5').toString(), '0.5');
    assert.equal(n('+3').toString(), '3');
    assert.equal(n('1E+3').toString(), '1E+3'); // valid JSON, kept
  });

  it('canonical text', () => {
    const cases: Array<[string, string]> = [
      ['0', '0'], ['100', '100'], ['1.50', '1.5'], ['-0.005', '-0.005'], ['1e20', '100000000000000000000'],
      ['1e21', '1000000000000000000000'], ['1e39', '1' + '0'.repeat(39)], ['1e40', '1e+40'], ['1e400', '1e+400'], ['1.5e-30', '1.5e-30'],
      ['0.0000001', '1e-7'], ['0.000001', '0.000001'], ['123.456e10', '1234560000000'],
      ['-12345678901234567890123', '-12345678901234567890123'],
    ];
    for (const [input, canonical] of cases) assert.equal(n(input).toCanonicalString(), canonical, input);
  });

  it('parses infinities', () => {
    assert.equal(n('Infinity'), CtyNumber.POSITIVE_INFINITY);
    assert.equal(n('-inf'), CtyNumber.NEGATIVE_INFINITY);
    assert.equal(n('+Inf'), CtyNumber.POSITIVE_INFINITY);
    assert.equal(CtyNumber.fromFloat64(-Infinity), CtyNumber.NEGATIVE_INFINITY);
    assert.ok(!CtyNumber.POSITIVE_INFINITY.isFinite());
    assert.throws(() => CtyNumber.POSITIVE_INFINITY.toJSONText(), /cannot be written as a JSON number/);
  });

  it('rejects malformed text', () => {
    for (const bad of ['', 'abc', '1e', '--1', '1_000', '1.2.3', '0x10', ' 1', 'NaN', '1e99999999999']) {
      assert.throws(() => n(bad), CtyNumberSyntaxError, JSON.stringify(bad));
    }
    assert.throws(() => CtyNumber.fromFloat64(NaN), /NaN/);
  });

  it('reads float64 values as their shortest round-trip decimal', () => {
    assert.equal(CtyNumber.fromFloat64(0.1).toString(), '0.1');
    assert.equal(CtyNumber.fromFloat64(0.1 + 0.2).toString(), '0.30000000000000004');
    assert.ok(CtyNumber.fromFloat64(1e21).equals(n('1000000000000000000000')));
    assert.ok(CtyNumber.fromFloat64(5e-324).equals(n('5e-324')));
    assert.ok(CtyNumber.from(42n).equals(n('42')));
    assert.ok(CtyNumber.from('7').equals(CtyNumber.from(7)));
  });

  it('knows which numbers a float64 represents exactly', () => {
    assert.equal(n('0.5').toFloat64IfExact(), 0.5);
    assert.equal(n('0.1').toFloat64IfExact(), 0.1);
    assert.equal(n('1e300').toFloat64IfExact(), 1e300);
    assert.equal(n('9007199254740992').toFloat64IfExact(), 9007199254740992);
    assert.equal(n('9007199254740993').toFloat64IfExact(), undefined);
    assert.equal(n('1e400').toFloat64IfExact(), undefined);
    assert.equal(n('0.1000000000000000055511151231257827021181583404541015625').toFloat64IfExact(), undefined);
    assert.equal(n('123456789012345678901234567890.123456789').toFloat64IfExact(), undefined);
  });

  it('integer conversions', () => {
    assert.equal(n('9223372036854775807').toInt64OrUint64(), 9223372036854775807n);
    assert.equal(n('-9223372036854775808').toInt64OrUint64(), -9223372036854775808n);
    assert.equal(n('18446744073709551615').toInt64OrUint64(), 18446744073709551615n);
    assert.equal(n('18446744073709551616').toInt64OrUint64(), undefined);
    assert.equal(n('-9223372036854775809').toInt64OrUint64(), undefined);
    assert.equal(n('1.5').toInt64OrUint64(), undefined);
    assert.equal(n('1e400').toInt64OrUint64(), undefined);
    assert.equal(n('1e3').toBigInt(), 1000n);
    assert.throws(() => n('1.5').toBigInt(), /not an integer/);
    assert.ok(n('1e3').isInteger() && !n('0.5').isInteger());
    assert.deepEqual([n('-2').sign(), n('0').sign(), n('3').sign()], [-1, 0, 1]);
  });

  it('JSON.stringify writes the exact text as a string, never a rounded number', () => {
    assert.equal(JSON.stringify({ v: n('12345678901234567890') }), '{"v":"12345678901234567890"}');
  });
});
