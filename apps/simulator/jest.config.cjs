module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'simulator',
  rootDir: __dirname,
  // the integration spec runs the simulator against a real API (one PostgreSQL per test run)
  globalSetup: '<rootDir>/../api/test/global-setup.mjs',
  globalTeardown: '<rootDir>/../api/test/global-teardown.mjs',
  testTimeout: 120_000,
};
