/**
 * The examples every `--help` shows are commands a user can copy: each parses against its command's flags and
 * arguments, and every path in one that points into this repository (examples/…) exists.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS } from '../../../bin/commands';
import { parseArgs } from '../../../controller/cli/args';
import { HELP_FLAG } from '../../../controller/cli/help';
import { repoRoot } from '../../helpers/controller';

describe('help examples', () => {
  for (const cmd of COMMANDS) {
    const name = `prewarm ${cmd.path.join(' ')}`;
    for (const example of cmd.examples ?? []) {
      test(`${name}: ${example}`, () => {
        // An example may be a shell line around the command (`cat f | prewarm …`, `eval "$(prewarm …)"`).
        const at = example.indexOf(name);
        assert.ok(at >= 0, `an example of ${name} runs it`);
        const words = example.slice(at + name.length).split(/[|>;&)"]/)[0]!.trim().split(/\s+/).filter(Boolean);
        const parsed = parseArgs(words, [...cmd.flags, HELP_FLAG], name);
        const specs = cmd.args ?? [];
        assert.ok(parsed.positionals.length <= specs.length, `too many arguments in ${example}`);
        assert.ok(parsed.positionals.length >= specs.filter((a) => !a.optional).length, `missing arguments in ${example}`);
        for (const value of [...parsed.values.values()].flat()) {
          if (/^(\.\/)?examples\//.test(value)) assert.ok(fs.existsSync(path.join(repoRoot, value)), `${value} does not exist in the repository`);
        }
      });
    }
  }
});
