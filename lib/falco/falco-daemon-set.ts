import { createHash } from 'crypto';
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { load } from 'js-yaml';
import { stringify } from 'yaml';
import { IFalcoLogSource } from './falco-log-source';
import { FalcoList, FalcoMacro, FalcoRule, falcoListSchema, falcoMacroSchema, falcoRuleSchema, RuleSelection, rulesFileEntries } from './rules';
import { rulesetProblems, SelectionEntry } from './ruleset-checks';
import { HelmRelease } from '../helm/helm-release';
import { HelmRenderer, HelmTemplate } from '../helm/helm-renderer';
import { ensureNamespace, PodSecurity } from '../k8s/ensure-namespace';
import { COMMON_EXCEPTIONS, LintException, lintExceptionAnnotations } from '../k8s/lint-exceptions';
import { DEFAULT_KUBERNETES_VERSION, kubernetesVersionProblem } from '../k8s/kubernetes-versions';
import { namespaceProblem } from '../k8s/patterns';
import { ResourceRequirements, Toleration } from '../k8s/pod-types';
import { FALCO_CHART, FALCO_RULES } from '../pins';
import { formatPropProblem, PropProblem } from '../problems';

/** How Falco gets kernel events: `auto` lets the driver loader pick, the others force one. */
export const FALCO_DRIVERS = ['auto', 'modern_ebpf', 'kmod'] as const;
export type FalcoDriver = (typeof FALCO_DRIVERS)[number];

/** The defaults of FalcoDaemonSetProps; the config schema takes its defaults from here. */
export const FALCO_DEFAULTS = {
  namespace: 'falco',
  releaseName: 'falco',
  driver: 'auto' as FalcoDriver,
  leastPrivileged: false,
  rulesVersion: FALCO_RULES.version,
  followRulesUpdates: false,
} as const;

export interface FalcoDaemonSetProps {
  /** Namespace of Falco; a Namespace object is emitted for it. @default 'falco' */
  readonly namespace?: string;
  /**
   * Helm release name. Objects are named after the chart's fullname: the release name if it
   * contains "falco", else `<release>-falco`. @default 'falco'
   */
  readonly releaseName?: string;
  /** Driver: `auto` lets Falco pick, `modern_ebpf` or `kmod` force one. @default 'auto' */
  readonly driver?: FalcoDriver;
  /**
   * Run modern eBPF with the capabilities BPF, SYS_RESOURCE, PERFMON and SYS_PTRACE instead of a
   * privileged container (the chart's `driver.modernEbpf.leastPrivileged`). Needs driver `modern_ebpf`.
   * @default false
   */
  readonly leastPrivileged?: boolean;
  /**
   * Exact version (MAJOR.MINOR.PATCH) of the default ruleset
   * `ghcr.io/falcosecurity/rules/falco-rules` that falcoctl installs when a pod starts.
   * @default - the pinned version (lib/helm/pins.json, falcoRules)
   */
  readonly rulesVersion?: string;
  /**
   * Keep the chart's falcoctl sidecar, which follows the ruleset's major tag
   * (`falco-rules:<major>`) and installs whatever that tag points to, at pod start and then
   * weekly. Off by default: the rules a cluster runs would change outside git and differ
   * between nodes.
   * @default false
   */
  readonly followRulesUpdates?: boolean;
  /** Custom rules, loaded from /etc/falco/rules.d after the default ruleset. @default - none */
  readonly rules?: FalcoRule[];
  /** Custom macros. @default - none */
  readonly macros?: FalcoMacro[];
  /** Custom lists. @default - none */
  readonly lists?: FalcoList[];
  /** Names of rules to disable, default or custom (falco.yaml `rules:` selection). @default - none */
  readonly disabledRules?: string[];
  /** Tags whose rules are disabled (falco.yaml `rules:` selection). @default - none */
  readonly disabledTags?: string[];
  /**
   * Resources of the falco container. Replaces the chart's as a whole: what is not given is not
   * set. @default - the chart's (requests 100m/512Mi, limits 1000m/1024Mi)
   */
  readonly resources?: ResourceRequirements;
  /** Tolerations added after the chart's, which let Falco run on control-plane nodes. @default - none */
  readonly tolerations?: Toleration[];
  /** Kubernetes version the chart is rendered for. @default DEFAULT_KUBERNETES_VERSION */
  readonly kubernetesVersion?: string;
  /** Where the Namespace object goes, so an app can apply it first. @default - this construct */
  readonly namespaceScope?: Construct;
  /** Renders the chart. @default HelmRenderer.shared() */
  readonly renderer?: HelmRenderer;
}

/** The tolerations in the chart's values.yaml (falco 9.1.0): Falco runs on control-plane nodes too. */
export const CHART_TOLERATIONS: readonly Toleration[] = [
  { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
  { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
];

/** Why Falco's namespace must allow privileged pods. */
export const FALCO_POD_SECURITY: PodSecurity = {
  level: 'privileged',
  reason: 'Falco\'s pods load a kernel driver or eBPF programs (a privileged container, or BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE with falco.leastPrivileged) and mount host paths (/proc, /dev, /boot, the container runtime socket); Pod Security\'s baseline level forbids both.',
};

/** Resources of the chart's init containers, which it leaves unset. */
const DRIVER_LOADER_RESOURCES = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '1Gi' } };
const FALCOCTL_INSTALL_RESOURCES = { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** The linter findings on Falco's DaemonSet that are so on purpose, and why. */
function falcoLintExceptions(privileged: boolean): LintException[] {
  return [
    ...(privileged ? [{
      kubeScore: 'container-security-context-privileged',
      kubeLinter: ['privileged-container', 'privilege-escalation-container'],
      reason: 'Falco\'s kernel driver (the kernel module, or the eBPF probe the driver loader picks) must be loaded into the kernel to see every syscall on the node; falco.leastPrivileged (modern eBPF) runs unprivileged with BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE instead',
    }] : []),
    {
      kubeScore: 'container-security-context-user-group-id',
      kubeLinter: ['run-as-non-root'],
      reason: 'runs as root: Falco reads /proc of every process on the node and the container runtime\'s socket, which only root may read',
    },
    {
      kubeScore: 'container-security-context-readonlyrootfilesystem',
      kubeLinter: ['no-read-only-root-fs'],
      reason: 'the chart\'s containers write at start: the driver loader downloads or builds the kernel driver, falcoctl installs the ruleset and plugins, Falco writes its runtime files',
    },
    {
      kubeScore: 'pod-probes-identical',
      reason: 'Falco serves one health endpoint (/healthz on port 8765), and the chart probes it for liveness and readiness alike',
    },
    {
      kubeScore: 'container-ephemeral-storage-request-and-limit',
      reason: 'the containers write only small emptyDirs (driver, ruleset, plugins) and their logs; a limit that counts the logs could evict Falco while it is busy alerting',
    },
    {
      kubeLinter: ['sensitive-host-mounts', 'docker-sock'],
      reason: 'Falco reads the host: /proc for processes, /dev and /sys for its driver, /boot, /usr and /lib/modules for kernel headers and modules, and the container runtime\'s socket (whichever of docker, containerd, CRI-O, podman, k3s exists) to name containers',
    },
    {
      kubeLinter: ['writable-host-mount'],
      reason: 'the chart mounts the runtime sockets, /proc and /sys/module writable (a socket must be, to be connected to) and /lib/modules writable for the driver loader, which installs the kernel module there',
    },
    ...COMMON_EXCEPTIONS,
  ];
}

/** The file under /etc/falco/rules.d that holds custom rules. */
export const CUSTOM_RULES_FILE = 'custom-rules.yaml';

/** Volumes of the chart's pod template that carry falco.yaml and the custom rules. */
const FALCO_YAML_VOLUME = 'falco-yaml';
const RULES_VOLUME = 'rules-volume';
const FALCOCTL_VOLUME = 'falcoctl-config-volume';

const EXACT_VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

/**
 * Falco as a DaemonSet on every node, from the pinned falco chart, printing JSON alerts on stdout.
 *
 * Rules added with `addRule()` and friends after construction still reach the output: the rules
 * ConfigMap, the `rules:` selection of falco.yaml and the pods' checksum annotations are produced
 * at synth time. Rules, macros, lists and the selection are checked together at synth time as
 * Falco's rule loader checks them (node validation; `problems()` lists them).
 */
export class FalcoDaemonSet extends Construct implements IFalcoLogSource {
  /** The `helm template` this construct renders for `props`. */
  public static chartTemplate(props: FalcoDaemonSetProps = {}): HelmTemplate {
    const { rulesRef, followedRulesRef } = rulesRefs(props);
    return {
      chart: FALCO_CHART,
      releaseName: props.releaseName ?? FALCO_DEFAULTS.releaseName,
      namespace: props.namespace ?? FALCO_DEFAULTS.namespace,
      kubernetesVersion: props.kubernetesVersion,
      values: {
        tty: true,
        falco: { json_output: true },
        driver: {
          kind: props.driver ?? FALCO_DEFAULTS.driver,
          modernEbpf: { leastPrivileged: props.leastPrivileged ?? FALCO_DEFAULTS.leastPrivileged },
          loader: { initContainer: { resources: DRIVER_LOADER_RESOURCES } },
        },
        tolerations: [...CHART_TOLERATIONS, ...(props.tolerations ?? [])],
        // Placeholder: it makes the chart mount /etc/falco/rules.d; the content comes at synth time.
        customRules: { [CUSTOM_RULES_FILE]: '[]' },
        falcoctl: {
          artifact: { install: { resources: FALCOCTL_INSTALL_RESOURCES }, follow: { enabled: followedRulesRef !== undefined } },
          config: {
            artifact: {
              // The chart appends its container plugin to these refs.
              install: { refs: [rulesRef] },
              follow: { refs: followedRulesRef ? [followedRulesRef] : [] },
            },
          },
        },
      },
    };
  }

  public readonly namespace: string;
  public readonly releaseName: string;
  /** Name of the DaemonSet, and so the prefix of its pods' names (the chart's fullname). */
  public readonly daemonSetName: string;
  /** Name of the container that runs Falco (the one whose logs carry the alerts). */
  public readonly containerName = 'falco';
  /** Tolerations of the DaemonSet's pods: the chart's and the extra ones. */
  public readonly tolerations: Toleration[];
  /** OCI reference of the default ruleset installed at pod start. */
  public readonly rulesRef: string;
  /** OCI reference the falcoctl sidecar follows, when following is on. */
  public readonly followedRulesRef?: string;
  public readonly rulesVersion: string;
  public readonly release: HelmRelease;
  public readonly daemonSet: ApiObject;
  /** The ConfigMap holding falco.yaml. */
  public readonly configMap: ApiObject;
  /** The ConfigMap holding the custom rules file, mounted at /etc/falco/rules.d. */
  public readonly rulesConfigMap: ApiObject;

  private readonly rules: FalcoRule[] = [];
  private readonly macros: FalcoMacro[] = [];
  private readonly lists: FalcoList[] = [];
  private readonly selection: SelectionEntry[] = [];
  /** Problems found when entries were added (their shape), by prop path. */
  private readonly entryProblems: PropProblem[] = [];
  private readonly propProblems: PropProblem[];

  constructor(scope: Construct, id: string, props: FalcoDaemonSetProps = {}) {
    super(scope, id);
    const template = FalcoDaemonSet.chartTemplate(props);
    // What helm needs to render at all is checked now; the rest at synth time, all together.
    const [unrenderable] = renderProblems(props);
    if (unrenderable) throw new Error(`FalcoDaemonSet ${this.node.path}: ${formatPropProblem(unrenderable)}`);
    this.propProblems = validateProps(props);
    this.namespace = template.namespace;
    this.releaseName = template.releaseName;
    this.rulesVersion = props.rulesVersion ?? FALCO_DEFAULTS.rulesVersion;
    this.tolerations = [...CHART_TOLERATIONS, ...(props.tolerations ?? [])];
    const refs = rulesRefs(props);
    this.rulesRef = refs.rulesRef;
    this.followedRulesRef = refs.followedRulesRef;

    ensureNamespace(props.namespaceScope ?? this, this.namespace, FALCO_POD_SECURITY);
    this.release = new HelmRelease(this, 'release', { ...template, renderer: props.renderer });

    props.lists?.forEach((l) => this.addList(l));
    props.macros?.forEach((m) => this.addMacro(m));
    props.rules?.forEach((r) => this.addRule(r));
    props.disabledRules?.forEach((r) => this.disableRule(r));
    props.disabledTags?.forEach((t) => this.disableTag(t));

    const chartDaemonSet = this.findDaemonSet();
    this.daemonSetName = chartDaemonSet.name;
    const falcoYaml = this.produceFalcoYamlAtSynth(chartDaemonSet);
    const rulesData = this.produceRulesAtSynth(chartDaemonSet);
    this.configMap = falcoYaml.configMap;
    this.rulesConfigMap = rulesData.configMap;
    this.daemonSet = this.replaceDaemonSet(chartDaemonSet, falcoYaml.data, rulesData.data, props.resources, props.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
    const privileged = JSON.stringify(this.daemonSet.toJson().spec.template.spec).includes('"privileged":true');
    for (const [key, value] of Object.entries(lintExceptionAnnotations(falcoLintExceptions(privileged)))) this.daemonSet.metadata.addAnnotation(key, value);
    this.node.addValidation({ validate: () => this.problems().map(formatPropProblem) });
  }

  /** Adds a custom rule; checked like a rules-file entry. */
  public addRule(rule: FalcoRule): void {
    this.add(this.rules, 'rules', falcoRuleSchema, rule);
  }

  /** Adds a custom macro. */
  public addMacro(macro: FalcoMacro): void {
    this.add(this.macros, 'macros', falcoMacroSchema, macro);
  }

  /** Adds a custom list. */
  public addList(list: FalcoList): void {
    this.add(this.lists, 'lists', falcoListSchema, list);
  }

  /** Disables a rule by name, `*` wildcards allowed (falco.yaml `rules: - disable: {rule: …}`). */
  public disableRule(name: string): void {
    const index = this.selection.filter((s) => s.path[0] === 'disabledRules').length;
    this.selection.push({ entry: { disable: { rule: name } }, path: ['disabledRules', index] });
  }

  /** Disables every rule with this tag (falco.yaml `rules: - disable: {tag: …}`). */
  public disableTag(tag: string): void {
    const index = this.selection.filter((s) => s.path[0] === 'disabledTags').length;
    this.selection.push({ entry: { disable: { tag } }, path: ['disabledTags', index] });
  }

  /**
   * Every problem of the props, rules, macros, lists and selection, as Falco's rule loader would
   * find them, by prop path (an entry added with addRule() continues the `rules` indices).
   */
  public problems(): PropProblem[] {
    const ruleset = { rulesVersion: this.rulesVersion, rules: this.rules, macros: this.macros, lists: this.lists, selection: this.selection };
    // Cross-entry checks only on well-formed entries: one mistake gives one message, not a cascade.
    return [...this.propProblems, ...this.entryProblems, ...(this.entryProblems.length === 0 ? rulesetProblems(ruleset) : [])];
  }

  /** The custom rules file as it is written to /etc/falco/rules.d. */
  public renderRulesFile(): string {
    const entries = rulesFileEntries(this.rules, this.macros, this.lists);
    const header = '# Custom rules of this cluster (config falco.rules, macros, lists), rendered by FalcoDaemonSet.\n';
    // An empty sequence is a valid rules file: Falco's reader loops over no items.
    return header + (entries.length > 0 ? stringify(entries, { lineWidth: 0 }) : '[]\n');
  }

  private add<T>(entries: T[], field: string, schema: { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, entry: T): void {
    const index = entries.length;
    const checked = schema.safeParse(entry);
    if (checked.success) {
      entries.push(checked.data as T);
      return;
    }
    // Kept as given, so that later indices stay those of the props.
    entries.push(entry);
    for (const issue of checked.error.issues) {
      this.entryProblems.push({ path: [field, index, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], message: () => issue.message });
    }
  }

  /** The chart's only DaemonSet. */
  private findDaemonSet(): ApiObject {
    const found = this.release.apiObjects.filter((o) => o.kind === 'DaemonSet');
    if (found.length !== 1) throw new Error(`FalcoDaemonSet: expected the falco chart to render one DaemonSet, it rendered ${found.length}`);
    return found[0];
  }

  /**
   * Replaces the falco.yaml ConfigMap by one that is the chart's text, unchanged, plus the
   * `rules:` selection when a rule or tag is disabled. Appending text instead of re-serializing
   * keeps every other byte as the chart wrote it.
   */
  private produceFalcoYamlAtSynth(daemonSet: ApiObject): { configMap: ApiObject; data: () => Record<string, string> } {
    const chartConfigMap = this.release.findObject('ConfigMap', configMapOfVolume(daemonSet, FALCO_YAML_VOLUME));
    const chartText: string = chartConfigMap.toJson().data['falco.yaml'];
    if ('rules' in ((load(chartText) as object | null) ?? {})) {
      throw new Error('FalcoDaemonSet: the chart\'s falco.yaml has a rules: key already; use disableRule()/disableTag() instead of falco.rules chart values');
    }
    const data = () => ({ 'falco.yaml': this.selection.length === 0 ? chartText : `${chartText}\n${renderSelection(this.selection.map((s) => s.entry))}` });
    const configMap = this.release.replaceObject(chartConfigMap, (json) => ({ ...json, data: Lazy.any({ produce: data }) }));
    return { configMap, data };
  }

  /** Replaces the chart's rules ConfigMap by one whose file is rendered at synth time. */
  private produceRulesAtSynth(daemonSet: ApiObject): { configMap: ApiObject; data: () => Record<string, string> } {
    const chartConfigMap = this.release.findObject('ConfigMap', configMapOfVolume(daemonSet, RULES_VOLUME));
    const data = () => ({ [CUSTOM_RULES_FILE]: this.renderRulesFile() });
    const configMap = this.release.replaceObject(chartConfigMap, (json) => ({ ...json, data: Lazy.any({ produce: data }) }));
    return { configMap, data };
  }

  /**
   * Replaces the chart's DaemonSet by a copy whose checksums follow the synth-time rules and
   * falco.yaml, and whose falco container has `resources` when given.
   */
  private replaceDaemonSet(chartDaemonSet: ApiObject, falcoYaml: () => object, rules: () => object, resources: ResourceRequirements | undefined, kubernetesVersion: string): ApiObject {
    const falcoctlData = this.release.findObject('ConfigMap', configMapOfVolume(chartDaemonSet, FALCOCTL_VOLUME)).toJson().data;
    return this.release.replaceObject(chartDaemonSet, (json) => {
      const annotations = json.spec.template.metadata.annotations;
      annotations['checksum/config'] = Lazy.any({ produce: () => sha256(falcoYaml()) });
      annotations['checksum/rules'] = Lazy.any({ produce: () => sha256(rules()) });
      // The chart has no checksum for falcoctl's config: without one, a new rulesVersion would
      // reach only the pods that happen to restart.
      annotations['checksum/falcoctl'] = sha256(falcoctlData);
      if (resources) this.falcoContainer(json).resources = resources;
      // Kubernetes 1.30 replaced the AppArmor annotation (which the chart writes) by a field, and
      // warns on the annotation: the field, where the cluster has it.
      const appArmor = `container.apparmor.security.beta.kubernetes.io/${this.containerName}`;
      if (annotations[appArmor] === 'unconfined' && Number(kubernetesVersion.split('.')[1]) >= 30) {
        delete annotations[appArmor];
        const container = this.falcoContainer(json);
        container.securityContext = { ...container.securityContext, appArmorProfile: { type: 'Unconfined' } };
      }
      return json;
    });
  }

  private falcoContainer(daemonSetJson: any): any {
    const container = daemonSetJson.spec.template.spec.containers.find((c: any) => c.name === this.containerName);
    if (!container) throw new Error(`FalcoDaemonSet: the chart's DaemonSet has no container named ${this.containerName}`);
    return container;
  }
}

/** OCI references of the default ruleset: installed at pod start, and followed when following is on. */
function rulesRefs(props: FalcoDaemonSetProps): { rulesRef: string; followedRulesRef?: string } {
  const rulesVersion = props.rulesVersion ?? FALCO_DEFAULTS.rulesVersion;
  return {
    rulesRef: `${FALCO_RULES.repository}:${rulesVersion}`,
    // The exact version never moves; following makes sense only for the major tag.
    followedRulesRef: props.followRulesUpdates ? `${FALCO_RULES.repository}:${rulesVersion.split('.')[0]}` : undefined,
  };
}

/** Props without which the chart cannot be rendered as this construct means it. */
function renderProblems(props: FalcoDaemonSetProps): PropProblem[] {
  const problems: PropProblem[] = [];
  const namespace = namespaceProblem(props.namespace ?? FALCO_DEFAULTS.namespace);
  if (namespace) problems.push({ path: ['namespace'], message: () => namespace });
  if (props.driver !== undefined && !FALCO_DRIVERS.includes(props.driver)) {
    problems.push({ path: ['driver'], message: () => `${JSON.stringify(props.driver)} is not accepted; expected one of: ${FALCO_DRIVERS.join(', ')}` });
  }
  const version = props.kubernetesVersion === undefined ? undefined : kubernetesVersionProblem(props.kubernetesVersion);
  if (version) problems.push({ path: ['kubernetesVersion'], message: () => version });
  return problems;
}

/** Problems of the props that rendering does not need, reported at synth time with the rules'. */
function validateProps(props: FalcoDaemonSetProps): PropProblem[] {
  const problems: PropProblem[] = [];
  const driver = props.driver ?? FALCO_DEFAULTS.driver;
  if (props.leastPrivileged && driver !== 'modern_ebpf') {
    problems.push({ path: ['leastPrivileged'], message: (at) => `true needs ${at(['driver'])}: modern_ebpf (it is ${JSON.stringify(driver)}); expected driver: modern_ebpf, or no leastPrivileged` });
  }
  const rulesVersion = props.rulesVersion ?? FALCO_DEFAULTS.rulesVersion;
  if (!EXACT_VERSION.test(rulesVersion)) {
    problems.push({ path: ['rulesVersion'], message: () => `${JSON.stringify(rulesVersion)} is not a version; expected MAJOR.MINOR.PATCH such as "${FALCO_DEFAULTS.rulesVersion}" (set followRulesUpdates to track its major tag)` });
  }
  return problems;
}

/** Name of the ConfigMap behind one of the pod template's volumes. */
function configMapOfVolume(daemonSet: ApiObject, volumeName: string): string {
  const volumes: any[] = daemonSet.toJson().spec.template.spec.volumes ?? [];
  const name = volumes.find((v) => v.name === volumeName)?.configMap?.name;
  if (!name) throw new Error(`FalcoDaemonSet: the chart's DaemonSet has no ConfigMap volume ${volumeName}`);
  return name;
}

function renderSelection(selection: RuleSelection[]): string {
  return '# Rule selection added by FalcoDaemonSet (Falco 0.38+), applied after all rules files.\n'
    + stringify({ rules: selection }, { lineWidth: 0 });
}

function sha256(data: object): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}
