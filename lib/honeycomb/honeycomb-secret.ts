import { Construct, IConstruct } from 'constructs';
import { DNS_LABEL } from '../k8s/patterns';
import { ISecretKeyRef } from '../k8s/secret-key-ref';

/**
 * Where the Honeycomb API key comes from.
 * - `existing`: a Secret that the user creates with kubectl; nothing is emitted.
 * - `env`: a Secret built from the API key (HONEYCOMB_API_KEY) at synth time, emitted as a
 *   manifest that the synth pipeline writes outside the output (never into dist/).
 */
export const API_KEY_SOURCES = ['existing', 'env'] as const;
export type ApiKeySource = (typeof API_KEY_SOURCES)[number];

/** The defaults of HoneycombSecretProps; the config schema takes its defaults from here. */
export const HONEYCOMB_SECRET_DEFAULTS = {
  namespace: 'otel',
  secretName: 'honeycomb',
  secretKey: 'api-key',
  source: 'existing' as ApiKeySource,
} as const;

/** A Secret key name: letters, digits, '-', '_' and '.'. */
export const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

export interface HoneycombSecretProps {
  /** Namespace of the Secret; the collector that reads it runs there too. @default 'otel' */
  readonly namespace?: string;
  /** Name of the Secret. @default 'honeycomb' */
  readonly secretName?: string;
  /** Key of the API key in the Secret. @default 'api-key' */
  readonly secretKey?: string;
  /** Where the API key comes from. @default 'existing' */
  readonly source?: ApiKeySource;
  /** The API key, for source `env`. @default - process.env.HONEYCOMB_API_KEY */
  readonly apiKey?: string;
}

/** A Secret manifest that must not be written with the rest of the output. */
export interface SecretManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly type: 'Opaque';
  readonly data: Record<string, string>;
}

const HONEYCOMB_SECRET = Symbol.for('falco-otel-honeycomb.HoneycombSecret');

/**
 * The Secret holding the Honeycomb API key. The key never lands in the synthesized output: either
 * the Secret exists in the cluster already, or (source `env`) `manifest` carries it for the synth
 * pipeline to write elsewhere. It is no ApiObject, so no cdk8s synth writes it into dist/. The
 * constructor reads and writes no files.
 */
export class HoneycombSecret extends Construct implements ISecretKeyRef {
  /** The Secret manifests of every HoneycombSecret under `scope`, in tree order. */
  public static manifestsOf(scope: IConstruct): SecretManifest[] {
    return scope.node.findAll()
      .filter((c): c is HoneycombSecret => (c as any)[HONEYCOMB_SECRET] === true)
      .flatMap((s) => (s.manifest ? [s.manifest] : []));
  }

  public readonly namespace: string;
  public readonly secretName: string;
  public readonly secretKey: string;
  public readonly source: ApiKeySource;
  /** The Secret to apply before the collector, for source `env`. */
  public readonly manifest?: SecretManifest;

  constructor(scope: Construct, id: string, props: HoneycombSecretProps = {}) {
    super(scope, id);
    Object.defineProperty(this, HONEYCOMB_SECRET, { value: true });
    this.namespace = props.namespace ?? HONEYCOMB_SECRET_DEFAULTS.namespace;
    this.secretName = props.secretName ?? HONEYCOMB_SECRET_DEFAULTS.secretName;
    this.secretKey = props.secretKey ?? HONEYCOMB_SECRET_DEFAULTS.secretKey;
    this.source = props.source ?? HONEYCOMB_SECRET_DEFAULTS.source;
    const problems: string[] = [];
    if (!DNS_LABEL.test(this.namespace)) problems.push(`namespace ${JSON.stringify(this.namespace)} is not a DNS label`);
    if (!DNS_LABEL.test(this.secretName)) problems.push(`secretName ${JSON.stringify(this.secretName)} is not a DNS label; use lower-case letters, digits and '-'`);
    if (!SECRET_KEY.test(this.secretKey)) problems.push(`secretKey ${JSON.stringify(this.secretKey)} is not a Secret key; use letters, digits, '-', '_' or '.'`);
    if (this.source === 'env') {
      const apiKey = props.apiKey ?? process.env.HONEYCOMB_API_KEY;
      if (!apiKey) problems.push('source "env" needs the API key in HONEYCOMB_API_KEY, which is not set; export it, or use source "existing" and create the Secret with kubectl');
      else {
        this.manifest = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: this.secretName, namespace: this.namespace },
          type: 'Opaque',
          data: { [this.secretKey]: Buffer.from(apiKey, 'utf8').toString('base64') },
        };
      }
    } else if (this.source !== 'existing') {
      problems.push(`source ${JSON.stringify(this.source)} is not accepted; use one of ${API_KEY_SOURCES.join(', ')}`);
    }
    this.node.addValidation({ validate: () => problems });
  }

  /** The command that creates the Secret by hand (source `existing`). */
  public get createCommand(): string {
    return `kubectl create secret generic ${this.secretName} --namespace ${this.namespace} --from-literal=${this.secretKey}="$HONEYCOMB_API_KEY"`;
  }
}
