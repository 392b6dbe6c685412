#!/usr/bin/env node
// `npx cdk8s …` in this repository (npm ci links node_modules/.bin/cdk8s here, scripts/link-cdk8s.mjs):
// the pinned cdk8s-cli, with its upgrade check off unless CDK8S_CHECK_UPGRADE says otherwise.
'use strict';
process.env.CDK8S_CHECK_UPGRADE ??= 'false';
require(require('path').join(__dirname, '..', 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'));
