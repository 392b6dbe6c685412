// Preloaded into a synth (`node -r test/stubs/trace-synth.cjs …`): appends to TRACE_FILE, as JSON
// lines, when the cdk8s package is first required and when a `helm template` starts, so a test
// can check that synth starts rendering before it loads cdk8s. Records only; changes nothing.
'use strict';
const childProcess = require('child_process');
const fs = require('fs');
const Module = require('module');

const file = process.env.TRACE_FILE;
const record = (event) => fs.appendFileSync(file, `${JSON.stringify({ ...event, ms: performance.now() })}\n`);

const load = Module._load;
let cdk8sLoaded = false;
Module._load = function traced(request, ...rest) {
  if (!cdk8sLoaded && request === 'cdk8s') {
    cdk8sLoaded = true;
    record({ event: 'require cdk8s' });
  }
  return load.call(this, request, ...rest);
};

const spawn = childProcess.spawn;
childProcess.spawn = function traced(command, args, ...rest) {
  if (Array.isArray(args) && args[0] === 'template') record({ event: 'helm template', release: args[args.length - 2] });
  return spawn.call(this, command, args, ...rest);
};
