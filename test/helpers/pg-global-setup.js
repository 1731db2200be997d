/**
 * jest globalSetup: one throwaway PostgreSQL cluster for the whole run (test/helpers/pg-cluster.js), its superuser
 * URL in $PREWARM_TEST_PG_ADMIN_URL. jest runs this in its main process before it starts any worker, and workers are
 * forked with that process's environment, so every test file sees the variable (test/helpers/postgres.ts reads it:
 * testCluster(), createTestDatabase()). test/helpers/pg-global-teardown.js stops the cluster.
 *
 * - $PREWARM_TEST_PG_ADMIN_URL already set: that server is used and nothing is started (a superuser URL).
 * - No server binaries: under CI ($CI set) the run fails here, since CI must run the PostgreSQL tests; elsewhere one
 *   line says so and the PostgreSQL tests skip.
 */
'use strict';

const { ADMIN_URL_ENV, pgUnavailableReason, startCluster } = require('./pg-cluster.js');

const CLUSTER_KEY = Symbol.for('prewarm.test.pgCluster');

function underCi() {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

module.exports = async function pgGlobalSetup() {
  if (process.env[ADMIN_URL_ENV]) return;
  const reason = pgUnavailableReason();
  if (reason) {
    if (underCi()) {
      throw new Error(`no PostgreSQL test cluster under CI: ${reason} (.ci/run installs Debian's postgresql package)`);
    }
    process.stderr.write(`PostgreSQL tests will skip: ${reason}\n`);
    return;
  }
  const cluster = await startCluster();
  globalThis[CLUSTER_KEY] = cluster;
  process.env[ADMIN_URL_ENV] = cluster.adminUrl;
};
