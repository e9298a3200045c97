module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ingest',
  rootDir: __dirname,
  // the same one-PostgreSQL-per-run set-up as the API's tests (the registry behind the broker)
  globalSetup: '<rootDir>/../api/test/global-setup.mjs',
  globalTeardown: '<rootDir>/../api/test/global-teardown.mjs',
  testTimeout: 60_000,
};
