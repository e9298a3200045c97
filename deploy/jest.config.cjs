module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'deploy',
  rootDir: __dirname,
  // the read-only Grafana role is proven on the same one-PostgreSQL-per-run set-up as the API's
  globalSetup: '<rootDir>/../apps/api/test/global-setup.mjs',
  globalTeardown: '<rootDir>/../apps/api/test/global-teardown.mjs',
  testTimeout: 60_000,
};
