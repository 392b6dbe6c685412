import { createHash } from 'crypto';
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { load } from 'js-yaml';
import { stringify } from 'yaml';
import { DEFAULT_RULES_VERSION } from './default-ruleset';
import { CUSTOM_RULES_FILE, falcoRelease, falcoRulesRefs, falcoTolerations } from './falco-release';
import { FalcoList, FalcoMacro, FalcoRule, falcoListSchema, falcoMacroSchema, falcoRuleSchema, RuleSelection, rulesFileEntries } from './rules';
import { HelmRelease } from '../helm/helm-release';
import { ensureNamespace } from '../k8s/ensure-namespace';

/** How Falco gets kernel events. */
export type FalcoDriver = 'auto' | 'modern_ebpf' | 'kmod';

/** The drivers the chart supports under their current names. */
export const FALCO_DRIVER_KINDS: readonly FalcoDriver[] = ['auto', 'modern_ebpf', 'kmod'];

/** A Kubernetes toleration. */
export interface Toleration {
  /** Taint key to tolerate. @default - every key (with operator Exists) */
  readonly key?: string;
  /** How key and value are compared. @default 'Equal' */
  readonly operator?: 'Exists' | 'Equal';
  /** Taint value to match with operator Equal. @default - none */
  readonly value?: string;
  /** Taint effect to tolerate. @default - every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /** How long a NoExecute taint is tolerated. @default - forever */
  readonly tolerationSeconds?: number;
}

/** CPU and memory of a container, as Kubernetes quantities. */
export interface ResourceRequirements {
  /** What the scheduler reserves. @default - none */
  readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
  /** The most the container may use. @default - none */
  readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
}

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
   * @default '5.1.0'
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
  /** Kubernetes version the chart is rendered for. @default '1.28.0' */
  readonly kubernetesVersion?: string;
  /** Where the Namespace object goes, so an app can apply it first. @default - this construct */
  readonly namespaceScope?: Construct;
  /** Path of the helm binary. @default - HELM_BIN, else the pinned helm */
  readonly helmExecutable?: string;
  /** Folder of packaged charts. @default - CHARTS_DIR, else the chart repository */
  readonly chartsDir?: string;
}

export { CHART_TOLERATIONS, CUSTOM_RULES_FILE } from './falco-release';

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
 * at synth time.
 */
export class FalcoDaemonSet extends Construct {
  public readonly namespace: string;
  public readonly releaseName: string;
  /** Name of the DaemonSet, and so the prefix of its pods' names (the chart's fullname). */
  public readonly fullName: string;
  /** Name of the container that runs Falco (the one whose logs carry the alerts). */
  public readonly containerName = 'falco';
  /** Tolerations of the DaemonSet's pods: the chart's and the extra ones. */
  public readonly tolerations: Toleration[];
  /** OCI reference of the default ruleset installed at pod start. */
  public readonly rulesRef: string;
  /** OCI reference the falcoctl sidecar follows, when following is on. */
  public readonly followedRulesRef?: string;
  public readonly release: HelmRelease;
  public readonly daemonSet: ApiObject;
  /** The ConfigMap holding falco.yaml. */
  public readonly configMap: ApiObject;
  /** The ConfigMap holding the custom rules file, mounted at /etc/falco/rules.d. */
  public readonly rulesConfigMap: ApiObject;

  private readonly rules: FalcoRule[] = [];
  private readonly macros: FalcoMacro[] = [];
  private readonly lists: FalcoList[] = [];
  private readonly selection: RuleSelection[] = [];

  constructor(scope: Construct, id: string, props: FalcoDaemonSetProps = {}) {
    super(scope, id);
    const driver = props.driver ?? 'auto';
    const rulesVersion = props.rulesVersion ?? DEFAULT_RULES_VERSION;
    validateProps(props, driver, rulesVersion);

    const release = falcoRelease(props);
    this.namespace = release.namespace;
    this.releaseName = release.releaseName;
    this.tolerations = falcoTolerations(props);
    const refs = falcoRulesRefs(props);
    this.rulesRef = refs.rulesRef;
    this.followedRulesRef = refs.followedRulesRef;

    ensureNamespace(props.namespaceScope ?? this, this.namespace);
    this.release = new HelmRelease(this, 'release', release);

    props.lists?.forEach((l) => this.addList(l));
    props.macros?.forEach((m) => this.addMacro(m));
    props.rules?.forEach((r) => this.addRule(r));
    props.disabledRules?.forEach((r) => this.disableRule(r));
    props.disabledTags?.forEach((t) => this.disableTag(t));

    const chartDaemonSet = this.findDaemonSet();
    this.fullName = chartDaemonSet.name;
    const falcoYaml = this.produceFalcoYamlAtSynth(chartDaemonSet);
    const rulesData = this.produceRulesAtSynth(chartDaemonSet);
    this.configMap = falcoYaml.configMap;
    this.rulesConfigMap = rulesData.configMap;
    this.daemonSet = this.replaceDaemonSet(chartDaemonSet, falcoYaml.data, rulesData.data, props.resources);
  }

  /** Adds a custom rule (validated like a rules file entry). */
  public addRule(rule: FalcoRule): void {
    const checked = falcoRuleSchema.safeParse(rule);
    if (!checked.success) throw new Error(`FalcoDaemonSet.addRule(${JSON.stringify(rule.rule)}): ${describe(checked.error)}`);
    if (!rule.override && !rule.append && this.rules.some((r) => r.rule === rule.rule && !r.override && !r.append)) {
      throw new Error(`FalcoDaemonSet.addRule: a rule named ${JSON.stringify(rule.rule)} exists already; use override to change it`);
    }
    this.rules.push(checked.data as FalcoRule);
  }

  /** Adds a custom macro. */
  public addMacro(macro: FalcoMacro): void {
    const checked = falcoMacroSchema.safeParse(macro);
    if (!checked.success) throw new Error(`FalcoDaemonSet.addMacro(${JSON.stringify(macro.macro)}): ${describe(checked.error)}`);
    this.macros.push(checked.data);
  }

  /** Adds a custom list. */
  public addList(list: FalcoList): void {
    const checked = falcoListSchema.safeParse(list);
    if (!checked.success) throw new Error(`FalcoDaemonSet.addList(${JSON.stringify(list.list)}): ${describe(checked.error)}`);
    this.lists.push(checked.data);
  }

  /** Disables a rule by name, `*` wildcards allowed (falco.yaml `rules: - disable: {rule: …}`). */
  public disableRule(name: string): void {
    if (!name) throw new Error('FalcoDaemonSet.disableRule: the rule name is empty; pass the name of a default or custom rule');
    this.selection.push({ disable: { rule: name } });
  }

  /** Disables every rule with this tag (falco.yaml `rules: - disable: {tag: …}`). */
  public disableTag(tag: string): void {
    if (!tag) throw new Error('FalcoDaemonSet.disableTag: the tag is empty; pass a tag such as "network"');
    this.selection.push({ disable: { tag } });
  }

  /** The custom rules file as it is written to /etc/falco/rules.d. */
  public renderRulesFile(): string {
    const entries = rulesFileEntries(this.rules, this.macros, this.lists);
    const header = '# Custom rules of this cluster (config falco.rules, macros, lists), rendered by FalcoDaemonSet.\n';
    // An empty sequence is a valid rules file: Falco's reader loops over no items.
    return header + (entries.length > 0 ? stringify(entries, { lineWidth: 0 }) : '[]\n');
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
    const data = () => ({ 'falco.yaml': this.selection.length === 0 ? chartText : `${chartText}\n${renderSelection(this.selection)}` });
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
  private replaceDaemonSet(chartDaemonSet: ApiObject, falcoYaml: () => object, rules: () => object, resources?: ResourceRequirements): ApiObject {
    const falcoctlData = this.release.findObject('ConfigMap', configMapOfVolume(chartDaemonSet, FALCOCTL_VOLUME)).toJson().data;
    return this.release.replaceObject(chartDaemonSet, (json) => {
      const annotations = json.spec.template.metadata.annotations;
      annotations['checksum/config'] = Lazy.any({ produce: () => sha256(falcoYaml()) });
      annotations['checksum/rules'] = Lazy.any({ produce: () => sha256(rules()) });
      // The chart has no checksum for falcoctl's config: without one, a new rulesVersion would
      // reach only the pods that happen to restart.
      annotations['checksum/falcoctl'] = sha256(falcoctlData);
      if (resources) this.falcoContainer(json).resources = resources;
      return json;
    });
  }

  private falcoContainer(daemonSetJson: any): any {
    const container = daemonSetJson.spec.template.spec.containers.find((c: any) => c.name === this.containerName);
    if (!container) throw new Error(`FalcoDaemonSet: the chart's DaemonSet has no container named ${this.containerName}`);
    return container;
  }
}

function validateProps(props: FalcoDaemonSetProps, driver: FalcoDriver, rulesVersion: string): void {
  if (!FALCO_DRIVER_KINDS.includes(driver)) {
    throw new Error(`FalcoDaemonSet: driver ${JSON.stringify(driver)} is not supported; use one of ${FALCO_DRIVER_KINDS.join(', ')}`);
  }
  if (props.leastPrivileged && driver !== 'modern_ebpf') {
    throw new Error(`FalcoDaemonSet: leastPrivileged needs driver 'modern_ebpf' (got '${driver}'); set driver: 'modern_ebpf' or drop leastPrivileged`);
  }
  if (!EXACT_VERSION.test(rulesVersion)) {
    throw new Error(`FalcoDaemonSet: rulesVersion ${JSON.stringify(rulesVersion)} is not an exact version; pin one such as '${DEFAULT_RULES_VERSION}' (set followRulesUpdates to track its major tag)`);
  }
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

function describe(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(entry)'} ${i.message}`).join('; ');
}
