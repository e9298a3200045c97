module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'sla',
  rootDir: __dirname,
};
