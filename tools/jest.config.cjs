const path = require('node:path');

module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'tools',
  rootDir: __dirname,
  // the benches' pure parts (report, plots, series) and the docs/performance.md check
  roots: [__dirname, path.join(__dirname, '..', 'bench')],
};
