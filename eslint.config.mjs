// Type-aware ESLint for the whole workspace. Module boundaries come from the Nx project tags:
// a project tagged `type:domain` is pure TypeScript and may not import framework or I/O packages.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/** Packages a `type:domain` project may never import (they do I/O or bind a framework). */
export const DOMAIN_FORBIDDEN_IMPORTS = [
  '@nestjs/*',
  'typeorm',
  'typeorm/*',
  'pg',
  'pg/*',
  'aedes',
  'aedes/*',
  'mqtt',
  'mqtt/*',
  '@influxdata/*',
  'ioredis',
  'redis',
];

/** Node I/O modules: forbidden in domain sources, allowed in their specs (fixtures on disk). */
export const DOMAIN_FORBIDDEN_IO = [
  'node:fs',
  'node:fs/*',
  'fs',
  'node:net',
  'net',
  'node:http',
  'http',
  'node:child_process',
  'child_process',
];

function projectsTagged(tag) {
  const roots = [];
  for (const group of ['apps', 'libs']) {
    const dir = path.join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name, 'project.json');
      if (!existsSync(file)) continue;
      const project = JSON.parse(readFileSync(file, 'utf8'));
      if ((project.tags ?? []).includes(tag)) roots.push(`${group}/${name}`);
    }
  }
  return roots;
}

const domainRoots = projectsTagged('type:domain');

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', '.nx/**', 'tmp/**', 'data/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
  {
    // Jest's asymmetric matchers (expect.objectContaining, expect.any) are typed `any`.
    files: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: domainRoots.map((r) => `${r}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', { patterns: [domainRule(DOMAIN_FORBIDDEN_IMPORTS)] }],
    },
  },
  {
    files: domainRoots.map((r) => `${r}/src/**/*.ts`),
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [domainRule([...DOMAIN_FORBIDDEN_IMPORTS, ...DOMAIN_FORBIDDEN_IO])] },
      ],
    },
  },
);

function domainRule(group) {
  return {
    group,
    message: 'type:domain projects are pure TypeScript: no framework or I/O imports (STYLE.md).',
  };
}
