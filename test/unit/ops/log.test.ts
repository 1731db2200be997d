/**
 * The controller's JSON lines, now written by pino: one object per line, `time` (ISO-8601), `level` (a name) and
 * `msg` first and in that order, then the caller's fields; an Error field is its message, a bigint a string; and
 * the level filter drops what is below it.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { jsonLogger, silentLogger } from '../../../controller/log';

function capture(level: Parameters<typeof jsonLogger>[0]) {
  const lines: string[] = [];
  return { log: jsonLogger(level, (l) => lines.push(l)), lines };
}

describe('jsonLogger on pino', () => {
  test('a line is one JSON object: time, level, msg, then the fields; Error as message, bigint as string', () => {
    const { log, lines } = capture('info');
    const before = Date.now();
    log.warn('driver failed %s', {
      preset: 'devbox/a',
      error: new Error('exit status 2'),
      generation: 12345678901234567890n,
      nested: { ids: [1n, 2n], at: new Date(0), note: 'x' },
      attempts: 3,
      skipped: undefined,
    });
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(['time', 'level', 'msg', 'preset', 'error', 'generation', 'nested', 'attempts']);
    // The raw text too: no key twice, no pid or hostname.
    expect(line).toMatch(/^\{"time":"[^"]+","level":"warn","msg":"driver failed %s","preset":"devbox\/a",/);
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const t = Date.parse(entry.time as string);
    expect(t).toBeGreaterThanOrEqual(before - 1);
    expect(t).toBeLessThanOrEqual(Date.now() + 1);
    expect(entry).toMatchObject({
      level: 'warn',
      msg: 'driver failed %s', // no printf-style interpolation
      preset: 'devbox/a',
      error: 'exit status 2',
      generation: '12345678901234567890',
      nested: { ids: ['1', '2'], at: '1970-01-01T00:00:00.000Z', note: 'x' },
      attempts: 3,
    });
  });

  test('a line without fields has only time, level and msg', () => {
    const { log, lines } = capture('debug');
    log.debug('tick');
    expect(Object.keys(JSON.parse(lines[0]))).toEqual(['time', 'level', 'msg']);
  });

  test('the level filter drops lines below the level and keeps the rest, each with its level name', () => {
    const { log, lines } = capture('warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e', { code: 1 });
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);

    const all = capture('debug');
    for (const lvl of ['debug', 'info', 'warn', 'error'] as const) all.log[lvl](lvl);
    expect(all.lines.map((l) => [JSON.parse(l).level, JSON.parse(l).msg])).toEqual([
      ['debug', 'debug'],
      ['info', 'info'],
      ['warn', 'warn'],
      ['error', 'error'],
    ]);

    const errorsOnly = capture('error');
    errorsOnly.log.warn('w');
    errorsOnly.log.error('e');
    expect(errorsOnly.lines).toHaveLength(1);
  });

  test('silentLogger writes nothing', () => {
    expect(() => silentLogger.error('nothing', { a: 1 })).not.toThrow();
  });

  test('without a sink the lines go to stderr, synchronously: the last line before process.exit() is there', () => {
    const log = path.resolve(__dirname, '../../../controller/log');
    const script = `const { jsonLogger } = require(${JSON.stringify(log)}); const l = jsonLogger('info'); l.info('one'); l.error('last', { n: 1n }); process.exit(3);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', cwd: path.resolve(__dirname, '../../..') });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.map((l) => JSON.parse(l)).map(({ level, msg, n }) => ({ level, msg, n }))).toEqual([
      { level: 'info', msg: 'one', n: undefined },
      { level: 'error', msg: 'last', n: '1' },
    ]);
  });
});
