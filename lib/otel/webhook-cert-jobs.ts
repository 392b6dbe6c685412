import { Construct } from 'constructs';

export interface WebhookCertJobsProps {
  /** Namespace of the webhook's Service and Secret (the operator's). */
  readonly namespace: string;
  /** Name of the Service in front of the webhook server. */
  readonly serviceName: string;
  /** Name of the Secret (tls.crt, tls.key, ca.crt) that the webhook server mounts. */
  readonly secretName: string;
  /** MutatingWebhookConfiguration whose caBundle fields are patched. */
  readonly mutatingWebhookConfiguration: string;
  /** ValidatingWebhookConfiguration whose caBundle fields are patched. */
  readonly validatingWebhookConfiguration: string;
  /** CRDs whose conversion webhook caBundle is patched. */
  readonly conversionCrds: string[];
}

// WORK IN PROGRESS: the Jobs are not written yet; this construct emits nothing so far.
export class WebhookCertJobs extends Construct {
  constructor(scope: Construct, id: string, props: WebhookCertJobsProps) {
    super(scope, id);
    void props;
  }
}
