module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'grafana',
  rootDir: __dirname,
  // the boards' SQL runs on the same one-PostgreSQL-per-run set-up as the API's tests
  globalSetup: '<rootDir>/../apps/api/test/global-setup.mjs',
  globalTeardown: '<rootDir>/../apps/api/test/global-teardown.mjs',
  // the query proofs start influxd and the API on a loaded machine: generous but bounded
  testTimeout: 120_000,
};
