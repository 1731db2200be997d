/**
 * jest with the @swc/jest transform (TypeScript stripped, no type check: `npm test` runs tsc first).
 *
 * Projects:
 *   unit         test/unit/**\/*.test.ts, except the DST suite
 *   store postgres  the store suites again, on a throwaway PostgreSQL cluster (test/helpers/postgres.ts)
 *   integration  test/integration/**\/*.test.ts (real processes, terraform, the Go harness when installed)
 *   dst TZ=…     test/unit/schedule/dst.test.ts once per process time zone below. The zone is set on the worker
 *                process itself by test/helpers/tz-environment.js: a test's `process.env` is a copy, so assigning
 *                TZ from a setup file would not change the zone Date and Intl use.
 * Not collected: test/bench (benchmarks), test/tools (generators), test/conformance (the Go harness).
 */

/** The process time zones the DST suite must pass under (the suite checks that it ran under each of them). */
const DST_PROCESS_ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'];

/**
 * Store suites (and the reconcile loop's, which run on a real store) run on both databases. Not here: SQLite's own file handling (open errors, integrity, checkpoints, the
 * synchronous batcher and the raw-connection paths), which PostgreSQL does not have.
 */
const STORE_SUITES_ON_POSTGRES = [
  ...['store', 'workspaces', 'notification-delivery', 'snapshot', 'instance-ref', 'template-in-use', 'replicas'].map((name) => `store/${name}`),
  'loop/reconciler',
  'loop/reconciler-readiness',
  'executor/leadership-gate',
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Two cores: never more than two test files at a time.
  maxWorkers: 2,
  // Unit tests on SQLite keep jest's 5 s; integration and PostgreSQL store tests get 60 s (test/helpers/real-server-timeout.js)
  // unless a file or test sets its own.
  testTimeout: 5000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  // One throwaway PostgreSQL cluster for the run (test/helpers/postgres.ts); plain JS, loaded without the transform.
  globalSetup: '<rootDir>/test/helpers/pg-global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/pg-global-teardown.js',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/schedule/dst\\.test\\.ts$'],
    },
    {
      // The store suites that are not about SQLite's own file handling, again on PostgreSQL: both stores keep one contract.
      ...common,
      displayName: 'store postgres',
      testMatch: STORE_SUITES_ON_POSTGRES.map((name) => `<rootDir>/test/unit/${name}.test.ts`),
      setupFiles: ['<rootDir>/test/helpers/store-postgres-setup.js'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/real-server-timeout.js'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/real-server-timeout.js'],
    },
    ...DST_PROCESS_ZONES.map((zone) => ({
      ...common,
      displayName: `dst TZ=${zone}`,
      testMatch: ['<rootDir>/test/unit/schedule/dst.test.ts'],
      testEnvironment: '<rootDir>/test/helpers/tz-environment.js',
      testEnvironmentOptions: { processTimeZone: zone },
    })),
  ],
};
