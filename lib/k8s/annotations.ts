/** Orders objects in an Argo CD sync; `npm run deploy` stages by it too. No imports: deploy stays free of cdk8s. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
