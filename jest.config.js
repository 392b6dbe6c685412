/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/cli/ is the CLI tier (jest.cli.config.js): the project's commands as processes.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cli/'],
  // swc strips types only; `npm run typecheck` (tsc) checks them.
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  // One `helm template` per distinct chart render per test run, shared by all test files.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // Tests wait on helm and on the CLIs they start much of the time: one worker per core (jest's
  // default, cores − 1, runs a 2-core machine's suite in a single process).
  maxWorkers: '100%',
};
