#!/usr/bin/env node
// Compiles apps/*/src and libs/*/src (specs excluded) to dist/ with SWC: CommonJS, decorator
// metadata for NestJS, and the `@orfleet/*` path aliases of tsconfig.base.json rewritten to
// relative requires, so `node dist/apps/api/src/main.js` runs without a loader. Type checking is
// `npm run typecheck`'s job; this only transpiles (a full build takes about a second).
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist');
const { paths } = require('../tsconfig.base.json').compilerOptions;

function sources(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    const isSpec = /\.(spec|int-spec)\.ts$/.test(entry.name) || entry.name.endsWith('.d.ts');
    return entry.name.endsWith('.ts') && !isSpec ? [file] : [];
  });
}

const projects = ['apps', 'libs'].flatMap((group) => {
  const dir = path.join(root, group);
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name, 'src')) : [];
});

function build() {
  fs.rmSync(out, { recursive: true, force: true });
  let count = 0;
  for (const file of projects.flatMap(sources)) {
    const { code, map } = swc.transformFileSync(file, {
      sourceMaps: true,
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        baseUrl: root,
        paths,
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    });
    const target = path.join(out, path.relative(root, file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    fs.writeFileSync(`${target}.map`, map ?? '');
    count++;
  }
  return count;
}

module.exports = { build };
if (require.main === module) console.log(`orfleet: compiled ${build()} files to dist/`);
