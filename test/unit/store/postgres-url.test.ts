/** `--database postgres://…`: what is accepted, what is refused and why, and that no password is ever shown. */
import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import { DatabaseUrlError, parsePostgresUrl, redact } from '../../../controller/store/postgres-connection';

describe('parsePostgresUrl', () => {
  test('host, port, user, database and prewarm\'s own parameters; TLS parameters pass through; the password is hidden', () => {
    const t = parsePostgresUrl('postgres://app:s3cr%40t@db.internal:6543/prewarm?sslmode=verify-full&pool_max=20&statement_timeout_ms=5000');
    assert.equal(t.host, 'db.internal');
    assert.equal(t.port, 6543);
    assert.equal(t.user, 'app');
    assert.equal(t.database, 'prewarm');
    assert.equal(t.poolMax, 20);
    assert.equal(t.statementTimeoutMs, 5000);
    assert.equal(t.connectTimeoutMs, 10_000);
    assert.match(t.connectionString, /sslmode=verify-full/);
    assert.doesNotMatch(t.connectionString, /pool_max|statement_timeout_ms/, 'prewarm\'s parameters are not sent to the server');
    assert.equal(t.display.includes('s3cr'), false);
    assert.match(t.display, /^postgres:\/\/app:\*\*\*@db\.internal:6543\/prewarm/);
  });

  test('defaults: port 5432, pool of 10, 30 s statement timeout; postgresql:// is the same', () => {
    const t = parsePostgresUrl('postgresql://app@localhost/prewarm');
    assert.equal(t.port, 5432);
    assert.equal(t.poolMax, 10);
    assert.equal(t.statementTimeoutMs, 30_000);
  });

  const refused: Array<[string, RegExp]> = [
    ['postgres://app:pw@:5432/prewarm', /not a valid URL|names no host/],
    ['postgres://app:pw@db:notaport/prewarm', /not a valid URL/],
    ['postgres://app:pw@db:5432/', /names no database/],
    ['postgres://app:pw@db:5432', /names no database/],
    ['postgres://app:pw@db/prewarm?pool_max=0', /pool_max="0" must be a whole number from 2 to 200/],
    ['postgres://app:pw@db/prewarm?statement_timeout_ms=fast', /statement_timeout_ms="fast" must be a whole number/],
    ['mysql://app:pw@db/prewarm', /unsupported scheme "mysql:"/],
  ];
  test.each(refused)('%s is refused with the reason, never the password', (url, reason) => {
    assert.throws(
      () => parsePostgresUrl(url),
      (err: unknown) => {
        assert.ok(err instanceof DatabaseUrlError);
        assert.match(err.message, /^--database: /);
        assert.match(err.message, reason);
        assert.equal(err.message.includes(':pw@'), false, err.message);
        return true;
      },
    );
  });

  test('redact hides the password and leaves a URL without one alone', () => {
    assert.equal(redact('postgres://u:p@h/d'), 'postgres://u:***@h/d');
    assert.equal(redact('postgres://u@h/d'), 'postgres://u@h/d');
  });
});
