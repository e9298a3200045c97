// The acceptance suite: the whole platform started by `npm start`'s launcher (tools/start.cjs),
// driven over MQTT and REST. One platform for the file; its scenarios run in order.
module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // one scenario may wait for a detection, an outage and a restart; the whole file takes minutes
  testTimeout: 180_000,
};
