import { z } from 'zod';
import { DNS_LABEL, HOST_PORT } from '../k8s/patterns';
import { falcoListSchema, falcoMacroSchema, falcoRuleSchema } from '../falco/rules';

// The cluster configuration (config/<cluster>.yaml). This schema is the single source of truth:
// main.ts validates with it, and `npm run schema` publishes it as config/config.schema.json for
// editors. Every message says what is accepted; the loader adds file, line, path and value.

const dnsLabel = (what: string) =>
  z.string({ error: `expected a string (${what})` }).regex(DNS_LABEL, {
    error: `is not a DNS label; expected ${what}: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
  });

const K8S_VERSION = /^1\.(?:[1-9][0-9]?)\.(?:0|[1-9][0-9]*)$/;
const SEMVER = /^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$/;

const quantity = z.union([z.string(), z.number()], { error: 'expected a number or a quantity string such as "500m" or "256Mi"' });
const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });
const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});

export const FALCO_DRIVERS = ['auto', 'modern_ebpf', 'kmod'] as const;
export const WEBHOOK_CERT_MODES = ['certgen', 'cert-manager', 'helm'] as const;
export const HONEYCOMB_REGIONS = ['us', 'eu'] as const;
export const API_KEY_SOURCES = ['existing', 'env'] as const;

export const configSchema = z.strictObject({
  cluster: z.strictObject({
    name: dnsLabel('the cluster name, sent as k8s.cluster.name').describe(
      'Name of the cluster, sent to Honeycomb as the resource attribute k8s.cluster.name.'),
  }),
  kubernetesVersion: z
    .string({ error: 'expected MAJOR.MINOR.PATCH such as "1.28.0" (a string)' })
    .regex(K8S_VERSION, { error: 'is not a Kubernetes version; expected MAJOR.MINOR.PATCH such as "1.28.0"' })
    .default('1.28.0')
    .describe('Kubernetes version that charts are rendered for (helm --kube-version) and output is validated against.'),
  falco: z
    .strictObject({
      namespace: dnsLabel('a namespace name').default('falco').describe('Namespace of the Falco DaemonSet.'),
      driver: z.enum(FALCO_DRIVERS).default('auto').describe('Falco driver: auto, modern_ebpf or kmod.'),
      leastPrivileged: z.boolean().default(false)
        .describe('Run modern eBPF with BPF, SYS_RESOURCE, PERFMON and SYS_PTRACE instead of a privileged container (driver: modern_ebpf only).'),
      rulesVersion: z.string().regex(SEMVER, { error: 'is not a version; expected MAJOR.MINOR.PATCH such as "5.1.0"' })
        .default('5.1.0').describe('Version of the default ruleset (ghcr.io/falcosecurity/rules/falco-rules) installed at pod start.'),
      followRulesUpdates: z.boolean().default(false)
        .describe('Let falcoctl follow the ruleset\'s major tag and update rules weekly (rules then change outside git).'),
      rules: z.array(falcoRuleSchema).default([]).describe('Custom rules (Falco rules-file syntax), loaded after the default ruleset.'),
      macros: z.array(falcoMacroSchema).default([]).describe('Custom macros.'),
      lists: z.array(falcoListSchema).default([]).describe('Custom lists.'),
      disabledRules: z.array(z.string().min(1)).default([]).describe('Names of rules to disable (default or custom).'),
      disabledTags: z.array(z.string().min(1)).default([]).describe('Tags whose rules are disabled.'),
      resources: resources.optional().describe('Falco container resources. Default: the chart\'s.'),
      tolerations: z.array(toleration).default([]).describe('Tolerations added to the chart\'s (which cover control-plane nodes).'),
    })
    .prefault({}),
  otel: z
    .strictObject({
      namespace: dnsLabel('a namespace name').default('otel').describe('Namespace of the operator, the collector and the Honeycomb Secret.'),
      webhookCerts: z.enum(WEBHOOK_CERT_MODES).default('certgen')
        .describe('Operator webhook certificates: certgen (Jobs in the cluster), cert-manager, or helm (random at every synth).'),
    })
    .prefault({}),
  honeycomb: z
    .strictObject({
      region: z.enum(HONEYCOMB_REGIONS).default('us').describe('Honeycomb region: us (api.honeycomb.io) or eu (api.eu1.honeycomb.io).'),
      endpoint: z.string()
        .regex(HOST_PORT, { error: 'is not host:port; expected a host name or [IPv6] and a port, such as "api.honeycomb.io:443"' })
        .optional().describe('OTLP gRPC endpoint (host:port); overrides region.'),
      dataset: z.string({ error: 'expected a non-empty string' }).trim()
        .min(1, { error: 'is empty; expected the name of a Honeycomb dataset' })
        .default('falco').describe('Honeycomb dataset (x-honeycomb-dataset header).'),
      apiKey: z
        .strictObject({
          source: z.enum(API_KEY_SOURCES).default('existing')
            .describe('existing: a Secret created with kubectl; env: built from HONEYCOMB_API_KEY into secrets/ (never dist/).'),
          secretName: dnsLabel('a Secret name').default('honeycomb').describe('Name of the Secret holding the API key.'),
          secretKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: 'is not a Secret key; expected letters, digits, -, _ or .' })
            .default('api-key').describe('Key of the API key in the Secret.'),
        })
        .prefault({}),
    })
    .prefault({}),
  demo: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Add the walkthrough\'s nginx Pod in namespace default.'),
    })
    .prefault({}),
});

/** A validated configuration, defaults filled in. */
export type Config = z.output<typeof configSchema>;
/** A configuration as written in YAML (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;

/** The JSON schema published as config/config.schema.json. */
export function configJsonSchema(): object {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'falco-otel-honeycomb cluster configuration',
  };
}

/** config/config.schema.json as `npm run schema` writes it. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
