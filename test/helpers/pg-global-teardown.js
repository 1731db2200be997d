/** jest globalTeardown: stops the PostgreSQL cluster test/helpers/pg-global-setup.js started, if it started one. */
'use strict';

const { ADMIN_URL_ENV } = require('./pg-cluster.js');

const CLUSTER_KEY = Symbol.for('prewarm.test.pgCluster');

module.exports = async function pgGlobalTeardown() {
  const cluster = globalThis[CLUSTER_KEY];
  if (!cluster) return;
  delete globalThis[CLUSTER_KEY];
  if (process.env[ADMIN_URL_ENV] === cluster.adminUrl) delete process.env[ADMIN_URL_ENV];
  await cluster.stop();
};
