import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { stringify } from 'yaml';

/**
 * Where the Honeycomb API key comes from.
 * - `existing`: a Secret that the user creates with kubectl; nothing is emitted.
 * - `env`: a Secret built from HONEYCOMB_API_KEY at synth time, written to a git-ignored folder
 *   (never into dist/), to be applied with `kubectl apply -f secrets/`.
 */
export type ApiKeySource = 'existing' | 'env';

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
  /** Folder the Secret manifest is written to, for source `env`; keep it out of git. @default 'secrets' */
  readonly secretsDir?: string;
}

/**
 * The Secret holding the Honeycomb API key. The key never lands in the synthesized output: either
 * the Secret exists in the cluster already, or its manifest is written to `secretsDir`.
 */
export class HoneycombSecret extends Construct {
  public readonly namespace: string;
  public readonly secretName: string;
  public readonly secretKey: string;
  public readonly source: ApiKeySource;
  /** Path of the written manifest, for source `env`. */
  public readonly manifestPath?: string;

  constructor(scope: Construct, id: string, props: HoneycombSecretProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? 'otel';
    this.secretName = props.secretName ?? 'honeycomb';
    this.secretKey = props.secretKey ?? 'api-key';
    this.source = props.source ?? 'existing';
    if (this.source === 'env') {
      const apiKey = props.apiKey ?? process.env.HONEYCOMB_API_KEY;
      if (!apiKey) {
        throw new Error('HoneycombSecret: source "env" needs the API key in HONEYCOMB_API_KEY, which is not set; export it, or use source "existing" and create the Secret with kubectl');
      }
      this.manifestPath = path.join(props.secretsDir ?? 'secrets', `${this.namespace}-${this.secretName}.yaml`);
      this.writeManifest(this.manifestPath, apiKey);
    }
  }

  /** The command that creates the Secret by hand (source `existing`). */
  public get createCommand(): string {
    return `kubectl create secret generic ${this.secretName} --namespace ${this.namespace} --from-literal=${this.secretKey}="$HONEYCOMB_API_KEY"`;
  }

  private writeManifest(file: string, apiKey: string): void {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: this.secretName, namespace: this.namespace },
      type: 'Opaque',
      data: { [this.secretKey]: Buffer.from(apiKey, 'utf8').toString('base64') },
    };
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `# Written by HoneycombSecret from HONEYCOMB_API_KEY. Never commit this file.\n${stringify(secret)}`, { mode: 0o600 });
  }
}
