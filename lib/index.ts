// The construct library: each construct works on its own in any cdk8s app. It never imports the
// app (app/), the synth pipeline (synth/) or the command-line tools.
export * from './falco/falco-daemon-set';
export * from './falco/falco-log-source';
export * from './falco/rules';
export { DEFAULT_RULES } from './falco/default-ruleset';
export * from './otel/otel-operator';
export * from './otel/falco-collector';
export * from './otel/webhook-cert-jobs';
export * from './honeycomb/honeycomb-secret';
export * from './demo/nginx-demo';
export * from './helm/helm-release';
export * from './helm/helm-renderer';
export * from './k8s/kubernetes-versions';
export * from './k8s/pod-types';
export * from './k8s/secret-key-ref';
export * from './pins';
export * from './problems';
