// Type-aware lint: the async rules matter most for an async engine (house style 6.6).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'examples/browser/dist/**', 'packages/*/dist/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-lines': ['error', { max: 600, skipComments: true, skipBlankLines: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'packages/*/src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'max-lines-per-function': ['error', { max: 60, skipComments: true, skipBlankLines: true }],
    },
  },
  {
    // The border of the browser-safe code: Node built-ins, Node-only packages and node-only modules are imported
    // only from the node folders (src/node/**, packages/*/src/node/**), their entries and the CLI. CI also bundles
    // the browser entry for platform 'browser' (test/api/browser-bundle.test.ts).
    files: ['src/**/*.ts', 'packages/*/src/**/*.ts'],
    ignores: ['src/node/**', 'src/cli/**', 'src/index.node.ts', 'packages/*/src/node/**', 'packages/*/src/node.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'url', 'module', 'crypto', 'child_process', 'worker_threads', 'net', 'http', 'buffer', 'cli-progress'],
          message: 'Node-only: browser-safe code imports no Node built-in. Put this code under a node/ folder (src/node/, packages/*/src/node/) and export it from the node entry.' },
        { group: ['**/node/**', '**/node.js', '@kindling/kernels/node'],
          message: 'Browser-safe code must not import node-only modules; inject what you need from the node entry instead.' },
      ] }],
    },
  },
  {
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [
        { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
      ] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
