/**
 * The free-text rules at `terraform plan`: ValidateResourceConfig reports them through the same domain validation
 * as the controller, at the exact attribute (map keys included), and no diagnostic repeats a huge or raw value.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import { PRESET_SCHEMA, TEMPLATE_SCHEMA } from '../../../provider/schema';
import type { CtyPath, EncodableValue } from '../../../provider/values';
import { MAX_CRON, MAX_DESCRIPTION, MAX_MAP_ENTRIES, MAX_MAP_KEY, MAX_MAP_VALUE_BYTES } from '../../../controller/domain/limits';
import type { Diagnostic } from '../../../provider/protocol';
import { assertNoDiags, describeDiags, errors, importState, prebuilds, presetObj, scheduling, steps, templateObj, validateResource } from '../../helpers/provider-harness';

const h = createProviderHandlers({ env: {} });
const validatePreset = (o: Record<string, EncodableValue>) => validateResource(h, 'prewarm_preset', presetObj(o));
const validateTemplate = (o: Record<string, EncodableValue>) => validateResource(h, 'prewarm_template', templateObj(o));

const HUGE = 'k'.repeat(10_000);
const ESC = '\u001b';

/** Exactly one error, at `path`, whose summary and detail are short and hold no raw control character. */
function oneError(diags: Diagnostic[], path: CtyPath, detail: RegExp): Diagnostic {
  const all = errors(diags);
  assert.equal(all.length, 1, describeDiags(diags));
  const d = all[0];
  assert.deepEqual(steps(d.attribute), path);
  assert.match(d.detail, detail);
  for (const text of [d.summary, d.detail]) {
    assert.ok(text.length < 400, `${text.length} characters: ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f]/);
  }
  return d;
}

describe('prewarm_preset', () => {
  test('description: one line, bounded', async () => {
    assertNoDiags(await validatePreset({ description: 'US pool — ünïcode 🙂' }));
    oneError(await validatePreset({ description: 'one\ntwo' }), [{ attr: 'description' }], /^description: must not contain control characters, got "\\n" at character 4$/);
    oneError(await validatePreset({ description: `${ESC}[31mred` }), [{ attr: 'description' }], /got "\\u001b" at character 1$/);
    oneError(await validatePreset({ description: HUGE }), [{ attr: 'description' }], new RegExp(`must be at most ${MAX_DESCRIPTION} characters, got 10000$`));
  });

  test('parameters: keys and values at their exact key, however long or strange the key', async () => {
    assertNoDiags(await validatePreset({ parameters: new Map([['app.version', '1'], ['_x', 'multi\nline\tvalue']]) }));
    const nul = oneError(await validatePreset({ parameters: new Map([['a\u0000b', 'v']]) }), [{ attr: 'parameters' }, { key: 'a\u0000b' }], /"\\u0000" at character 2 is not allowed$/);
    assert.equal(nul.summary, 'Invalid value for "parameters["a\\u0000b"]"');
    const long = oneError(await validatePreset({ parameters: new Map([[HUGE, 'v']]) }), [{ attr: 'parameters' }, { key: HUGE }], new RegExp(`at most ${MAX_MAP_KEY} characters, got 10000$`));
    assert.match(long.summary, /^Invalid value for "parameters\["k{40}…" \(10000 characters\)\]"$/);
    oneError(await validatePreset({ parameters: new Map([['region', `u\rs`]]) }), [{ attr: 'parameters' }, { key: 'region' }], /other than tab and newline, got "\\r" at character 2$/);
    oneError(
      await validatePreset({ parameters: new Map([['region', 'v'.repeat(MAX_MAP_VALUE_BYTES + 1)]]) }),
      [{ attr: 'parameters' }, { key: 'region' }],
      new RegExp(`at most ${MAX_MAP_VALUE_BYTES} bytes of UTF-8, got ${MAX_MAP_VALUE_BYTES + 1}$`),
    );
    const many = new Map(Array.from({ length: MAX_MAP_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v'] as [string, string]));
    oneError(await validatePreset({ parameters: many }), [{ attr: 'parameters' }], /at most 128 entries, got 129$/);
  });

  test('cron text is bounded before it is parsed', async () => {
    const cron = `* 8-18 * * ${'1,'.repeat(MAX_CRON)}2`;
    oneError(
      await validatePreset({ prebuilds: [prebuilds({ scheduling: [scheduling({ schedule: [{ cron, instances: 1 }] })] })] }),
      [{ attr: 'prebuilds' }, { index: 0 }, { attr: 'scheduling' }, { index: 0 }, { attr: 'schedule' }, { index: 0 }, { attr: 'cron' }],
      new RegExp(`cron must be at most ${MAX_CRON} characters, got ${cron.length}$`),
    );
  });

  test('an import ID is quoted bounded', async () => {
    const { diagnostics } = await importState(h, 'prewarm_preset', `${HUGE}\n${ESC}[2J`);
    assert.ok(diagnostics.length > 0);
    for (const d of diagnostics) {
      assert.ok(d.summary.length + d.detail.length < 600, `${d.summary.slice(0, 300)} ${d.detail.slice(0, 300)}`);
      assert.doesNotMatch(`${d.summary}${d.detail}`, /[\u0000-\u001f]/);
    }
  });
});

describe('prewarm_template', () => {
  test('config follows the same rules as parameters; empty values stay allowed', async () => {
    assertNoDiags(await validateTemplate({ config: new Map([['image', 'node:20'], ['empty', ''], ['ca', '-----BEGIN-----\nMIIB\n-----END-----\n']]) }));
    oneError(await validateTemplate({ config: new Map([['image', `node${ESC}[8m`]]) }), [{ attr: 'config' }, { key: 'image' }], /got "\\u001b" at character 5$/);
    oneError(await validateTemplate({ config: new Map([['bad key', 'v']]) }), [{ attr: 'config' }, { key: 'bad key' }], /" " at character 4 is not allowed$/);
  });
});

test('schema descriptions quote the limits', () => {
  const preset = PRESET_SCHEMA.block.attributes;
  assert.match(preset.description.description, new RegExp(`one line of at most ${MAX_DESCRIPTION} characters, without control characters`));
  for (const d of [preset.parameters.description, TEMPLATE_SCHEMA.block.attributes.config.description]) {
    assert.ok(d.includes(`At most ${MAX_MAP_ENTRIES} entries. Keys: 1–${MAX_MAP_KEY} characters`), d);
    assert.ok(d.includes(`at most ${MAX_MAP_VALUE_BYTES} bytes of UTF-8`), d);
  }
});
