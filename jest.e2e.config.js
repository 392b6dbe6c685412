/** @type {import('jest').Config} */
// The end-to-end tier (`npm run test:e2e`): real upstream programs built from Go modules
// (test/peers/, cached under .cache/peers/) run against the synthesized output. Slow and
// timing-sensitive, so one test file at a time; each file builds the peers it needs (once per machine).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  testTimeout: 30 * 60 * 1000,
  maxWorkers: 1,
};
