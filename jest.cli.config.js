/** @type {import('jest').Config} */
// The CLI tier (`npm run test:cli`): the project's commands run as a user runs them, as processes:
// every npm script's --help, scripts/run-ts.cjs, `npx cdk8s synth` in a copy of the project, the
// synth CLI killed with -9 or interrupted, run as another user, or given a helm that hangs,
// demo:trigger against a stub kubectl, and npm test without Go. Needs Node only. Kept out of
// `npm test`, whose tests run in-process, because each of these starts Node (or npm) again.
const unit = require('./jest.config');

module.exports = {
  ...unit,
  roots: ['<rootDir>/test/cli'],
  testPathIgnorePatterns: ['/node_modules/'],
};
