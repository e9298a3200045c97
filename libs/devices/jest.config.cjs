module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'devices',
  rootDir: __dirname,
};
