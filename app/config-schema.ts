import { z } from 'zod';
import { FALCO_DEFAULTS, FALCO_DRIVERS } from '../lib/falco/falco-daemon-set';
import { falcoListSchema, falcoMacroSchema, falcoRuleSchema } from '../lib/falco/rules';
import { API_KEY_SOURCES, HONEYCOMB_SECRET_DEFAULTS, SECRET_KEY } from '../lib/honeycomb/honeycomb-secret';
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_MINORS, KUBERNETES_VERSION_PATTERN } from '../lib/k8s/kubernetes-versions';
import { DNS_LABEL, HOST_PORT, hostPortProblem, SYSTEM_NAMESPACES } from '../lib/k8s/patterns';
import { TAINT_EFFECTS, TOLERATION_OPERATORS } from '../lib/k8s/pod-types';
import { DATASET_PATTERN, FALCO_COLLECTOR_DEFAULTS, HONEYCOMB_ENDPOINTS } from '../lib/otel/falco-collector';
import { OTEL_OPERATOR_DEFAULTS } from '../lib/otel/otel-operator';

// The cluster configuration (config/<cluster>.yaml). Enums and defaults come from the constructs
// (lib/), so each is declared once; `npm run schema` publishes this schema as
// config/config.schema.json for editors, which therefore refuses what a field-by-field check here
// refuses. Checks across fields and entries (rule names, macros) are the constructs' own, reported
// with the config's file and line by app/load-config.ts.

const dnsLabel = (what: string) =>
  z.string({ error: `expected a string (${what})` }).regex(DNS_LABEL, {
    error: `is not a DNS label; expected ${what}: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
    abort: true,
  });

/** A namespace this tool creates: a DNS label, not one of Kubernetes' own. */
const namespace = (fallback: string) => dnsLabel('a namespace name')
  .regex(new RegExp(`^(?!(?:${SYSTEM_NAMESPACES.join('|')})$)`), {
    error: `is a namespace of Kubernetes itself; expected a namespace of its own such as "${fallback}": a Namespace object is emitted for it, and a GitOps tool that prunes would delete it with everything in it`,
  })
  .default(fallback);

const supportedMinors = KUBERNETES_MINORS.map((m) => `${m}.x`).join(', ');

// Kubernetes' quantity grammar without a sign (requests and limits must not be negative): a decimal
// number, then a binary suffix (Ki..Ei), a decimal suffix (n u m k M G T P E), an exponent, or nothing.
const QUANTITY = /^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
const quantity = z.union([
  z.string().regex(QUANTITY, { error: 'is not a quantity; expected a non-negative number or quantity such as "500m", "1" or "256Mi"' }),
  z.number().nonnegative({ error: 'is negative; expected a non-negative number or quantity such as "500m" or "256Mi"' }),
], { error: 'expected a number or a quantity string such as "500m" or "256Mi"' });
const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });
const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(TOLERATION_OPERATORS).optional(),
  value: z.string().optional(),
  effect: z.enum(TAINT_EFFECTS).optional(),
  tolerationSeconds: z.number().int().optional(),
});

/** Most entries a list in the config may have: far beyond any real config, small enough to check quickly. */
export const MAX_LIST_ENTRIES = 1000;
const list = <T extends z.ZodType>(element: T) => z.array(element).max(MAX_LIST_ENTRIES, { error: `has more than ${MAX_LIST_ENTRIES} entries; expected at most ${MAX_LIST_ENTRIES}` });



/** The webhook certificate modes the config accepts: `helm` puts a private key into the output. */
const CONFIG_WEBHOOK_CERT_MODES = ['certgen', 'cert-manager'] as const;
const HELM_CERTS_REFUSED = 'writes a new CA, certificate and private key into the output at every synth, and the output must stay reproducible and free of secrets; expected certgen (default) or cert-manager. (The OtelOperator construct still offers webhookCerts: \'helm\' for one-off renders outside git.)';

export const configSchema = z.strictObject({
  cluster: z.strictObject({
    name: dnsLabel('the cluster name, sent as k8s.cluster.name').describe(
      'Name of the cluster, sent to Honeycomb as the resource attribute k8s.cluster.name.'),
  }),
  kubernetesVersion: z
    .string({ error: `expected MAJOR.MINOR.PATCH such as "${DEFAULT_KUBERNETES_VERSION}" (a string)` })
    .regex(/^\d+\.\d+\.\d+$/, { error: `is not a Kubernetes version; expected MAJOR.MINOR.PATCH such as "${DEFAULT_KUBERNETES_VERSION}"`, abort: true })
    .regex(KUBERNETES_VERSION_PATTERN, { error: `is not a supported Kubernetes version; expected one of ${supportedMinors} (README, "Kubernetes versions", says how to add a minor)` })
    .default(DEFAULT_KUBERNETES_VERSION)
    .describe(`Kubernetes version that charts are rendered for (helm --kube-version) and the output is validated against: ${supportedMinors}.`),
  falco: z
    .strictObject({
      namespace: namespace(FALCO_DEFAULTS.namespace).describe('Namespace of the Falco DaemonSet.'),
      driver: z.enum(FALCO_DRIVERS).default(FALCO_DEFAULTS.driver).describe(`Falco driver: ${FALCO_DRIVERS.join(', ')}.`),
      leastPrivileged: z.boolean().default(FALCO_DEFAULTS.leastPrivileged)
        .describe('Run modern eBPF with BPF, SYS_RESOURCE, PERFMON and SYS_PTRACE instead of a privileged container (driver: modern_ebpf only).'),
      rulesVersion: z.string().regex(/^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$/, { error: `is not a version; expected MAJOR.MINOR.PATCH such as "${FALCO_DEFAULTS.rulesVersion}"` })
        .default(FALCO_DEFAULTS.rulesVersion).describe('Version of the default ruleset (ghcr.io/falcosecurity/rules/falco-rules) installed at pod start.'),
      followRulesUpdates: z.boolean().default(FALCO_DEFAULTS.followRulesUpdates)
        .describe('Let falcoctl follow the ruleset\'s major tag and update rules weekly (rules then change outside git).'),
      rules: list(falcoRuleSchema).default([]).describe('Custom rules (Falco rules-file syntax), loaded after the default ruleset.'),
      macros: list(falcoMacroSchema).default([]).describe('Custom macros.'),
      lists: list(falcoListSchema).default([]).describe('Custom lists.'),
      disabledRules: list(z.string().min(1)).default([]).describe('Names of rules to disable (default or custom).'),
      disabledTags: list(z.string().min(1)).default([]).describe('Tags whose rules are disabled.'),
      resources: resources.optional().describe('Falco container resources. Default: the chart\'s.'),
      tolerations: list(toleration).default([]).describe('Tolerations added to the chart\'s (which cover control-plane nodes).'),
    })
    .prefault({}),
  otel: z
    .strictObject({
      namespace: namespace(OTEL_OPERATOR_DEFAULTS.namespace).describe('Namespace of the operator, the collector and the Honeycomb Secret.'),
      webhookCerts: z.enum(CONFIG_WEBHOOK_CERT_MODES, { error: (issue) => (issue.input === 'helm' ? HELM_CERTS_REFUSED : undefined) })
        .default('certgen')
        .describe('Operator webhook certificates: certgen (Jobs in the cluster) or cert-manager.'),
    })
    .prefault({}),
  honeycomb: z
    .strictObject({
      region: z.enum(Object.keys(HONEYCOMB_ENDPOINTS) as [keyof typeof HONEYCOMB_ENDPOINTS]).default(FALCO_COLLECTOR_DEFAULTS.region)
        .describe(`Honeycomb region: ${Object.entries(HONEYCOMB_ENDPOINTS).map(([r, e]) => `${r} (${e})`).join(', ')}.`),
      // The pattern (in the editor schema too) decides; the message says which part is wrong.
      endpoint: z.string()
        .regex(HOST_PORT, { error: (issue) => hostPortProblem(String(issue.input))!.slice(JSON.stringify(String(issue.input)).length + 1) })
        .optional().describe('OTLP gRPC endpoint (host:port); overrides region.'),
      dataset: z.string({ error: 'expected a non-empty string' }).trim()
        .min(1, { error: 'is empty; expected the name of a Honeycomb dataset', abort: true })
        .max(255, { error: 'is longer than 255 characters; expected the name of a Honeycomb dataset', abort: true })
        .regex(DATASET_PATTERN, { error: 'is not a dataset name; expected one line of printable characters, without "${" (the collector would expand it, and could put the API key into the dataset name)' })
        .default(FALCO_COLLECTOR_DEFAULTS.dataset).describe('Honeycomb dataset the alerts are stored in (sent as service.name: Honeycomb takes the dataset of logs from it).'),
      apiKey: z
        .strictObject({
          source: z.enum(API_KEY_SOURCES).default(HONEYCOMB_SECRET_DEFAULTS.source)
            .describe('existing: a Secret created with kubectl; env: built from HONEYCOMB_API_KEY into secrets/ (never dist/).'),
          secretName: dnsLabel('a Secret name').default(HONEYCOMB_SECRET_DEFAULTS.secretName).describe('Name of the Secret holding the API key.'),
          secretKey: z.string().regex(SECRET_KEY, { error: 'is not a Secret key; expected letters, digits, -, _ or .' })
            .default(HONEYCOMB_SECRET_DEFAULTS.secretKey).describe('Key of the API key in the Secret.'),
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
