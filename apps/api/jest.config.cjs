module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api',
  rootDir: __dirname,
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  // Integration specs start a real API on a real PostgreSQL: generous but bounded.
  testTimeout: 60_000,
  // Two files at a time: the health-rule specs spend most of their time waiting on device
  // intervals and outages (one holds a broker down for 120 s), so pairing them halves the wall
  // time on two cores; each file has its own database, processes and ephemeral ports.
  maxWorkers: 2,
};
