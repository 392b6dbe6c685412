// The construct library: each construct works on its own in any cdk8s app.
export * from './falco/falco-daemon-set';
export * from './falco/rules';
export { DEFAULT_RULES, DEFAULT_RULES_VERSION, DEFAULT_RULES_REPOSITORY } from './falco/default-ruleset';
export * from './otel/otel-operator';
export * from './otel/falco-collector';
export * from './honeycomb/honeycomb-secret';
export * from './demo/nginx-demo';
