/**
 * `npm run test:cluster`: the scale-out suite (test/cluster/*.cluster-spec.ts), kept out of `npm test`. Its global
 * setup starts a Redis Cluster, a PostgreSQL primary with a streaming replica and PgBouncer with
 * scripts/cluster/up.sh --infra-only (on CLUSTER_PORT_BASE, default 18000 here), and the suite runs API and worker
 * processes against them. Without the binaries it skips, saying which are missing.
 */
// The e2e project's TypeScript transform and module mapping, so both suites compile the sources alike.
const base = require('./jest.config.js').projects.find((p) => p.displayName === 'e2e');
if (!base) throw new Error('jest.cluster.config.js: jest.config.js has no project named "e2e" to take the transform from');

module.exports = {
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleFileExtensions: base.moduleFileExtensions,
  moduleNameMapper: base.moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
  displayName: 'cluster',
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
  globalSetup: '<rootDir>/test/cluster/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/support/global-teardown.ts',
  testTimeout: 60000,
};
