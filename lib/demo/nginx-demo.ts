// The generated Kubernetes API classes only: cdk8s-plus-28's index would load all of cdk8s-plus (≈0.1 s).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';

export interface NginxDemoProps {
  /** Namespace of the Pod; the walkthrough used `default`. @default 'default' */
  readonly namespace?: string;
  /**
   * Image of the Pod. The walkthrough's `nginx:latest` is kept so the demo reproduces its alerts
   * (container.image.tag=latest). A real deployment pins a digest (`nginx@sha256:…`): a tag can be
   * re-pushed, so the same YAML would run different code on different nodes and days.
   * @default 'nginx:latest'
   */
  readonly image?: string;
  /** Name of the Pod and of its container; the walkthrough's alerts show `nginx`. @default 'nginx' */
  readonly name?: string;
}

/**
 * The nginx Pod of the manual walkthrough: a target to open a shell in and search for secrets,
 * so that Falco raises its alerts (`npm run demo:trigger`). Not for production use.
 */
export class NginxDemo extends Construct {
  public readonly namespace: string;
  public readonly name: string;
  public readonly image: string;
  public readonly pod: k8s.KubePod;

  constructor(scope: Construct, id: string, props: NginxDemoProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? 'default';
    this.name = props.name ?? 'nginx';
    this.image = props.image ?? 'nginx:latest';

    this.pod = new k8s.KubePod(this, 'pod', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        // run=<name> is the label `kubectl run` gives the pod the walkthrough created by hand.
        labels: { run: this.name, 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/part-of': 'falco-demo' },
      },
      spec: {
        containers: [{ name: this.name, image: this.image, ports: [{ containerPort: 80 }] }],
      },
    });
  }
}
