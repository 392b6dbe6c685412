import { createHash } from 'crypto';
import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { parse, stringify } from 'yaml';
import { DEFAULT_RULES_REPOSITORY, DEFAULT_RULES_VERSION } from './default-ruleset';
import { FalcoList, FalcoMacro, FalcoRule, falcoListSchema, falcoMacroSchema, falcoRuleSchema, RuleSelection, rulesFileEntries } from './rules';
import { HelmRelease } from '../helm/helm-release';
import { FALCO_CHART } from '../helm/pinned';

/** How Falco gets kernel events. */
export type FalcoDriver = 'auto' | 'modern_ebpf' | 'kmod';

/** A Kubernetes toleration. */
export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

/** CPU and memory of a container, as Kubernetes quantities. */
export interface ResourceRequirements {
  readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
  readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
}

export interface FalcoDaemonSetProps {
  /** Namespace of Falco; a Namespace object is emitted for it. @default 'falco' */
  readonly namespace?: string;
  /** Helm release name, the prefix of every object's name. @default 'falco' */
  readonly releaseName?: string;
  /** Driver: `auto` lets Falco pick, `modern_ebpf` or `kmod` force one. @default 'auto' */
  readonly driver?: FalcoDriver;
  /**
   * Run modern eBPF with the capabilities BPF, SYS_RESOURCE, PERFMON and SYS_PTRACE instead of a
   * privileged container (the chart's `driver.modernEbpf.leastPrivileged`). Needs driver `modern_ebpf`.
   * @default false
   */
  readonly leastPrivileged?: boolean;
  /** Version of the default ruleset `ghcr.io/falcosecurity/rules/falco-rules` installed at pod start. @default '5.1.0' */
  readonly rulesVersion?: string;
  /**
   * Let falcoctl follow the ruleset's major tag and update the rules weekly. Off by default: the
   * rules a cluster runs then change outside git and differ between nodes. @default false
   */
  readonly followRulesUpdates?: boolean;
  /** Custom rules, loaded from /etc/falco/rules.d after the default ruleset. @default - none */
  readonly rules?: FalcoRule[];
  /** Custom macros. @default - none */
  readonly macros?: FalcoMacro[];
  /** Custom lists. @default - none */
  readonly lists?: FalcoList[];
  /** Names of rules to disable, default or custom. @default - none */
  readonly disabledRules?: string[];
  /** Tags whose rules are disabled. @default - none */
  readonly disabledTags?: string[];
  /** Resources of the falco container. @default - the chart's (requests 100m/512Mi, limits 1000m/1024Mi) */
  readonly resources?: ResourceRequirements;
  /** Tolerations added to the chart's, which let Falco run on control-plane nodes. @default - none */
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

/** The tolerations in the chart's values.yaml (falco 9.1.0): Falco runs on control-plane nodes too. */
export const CHART_TOLERATIONS: readonly Toleration[] = [
  { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
  { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
];

/** The file under /etc/falco/rules.d that holds custom rules. */
export const CUSTOM_RULES_FILE = 'custom-rules.yaml';

/**
 * Falco as a DaemonSet on every node, from the pinned falco chart, printing JSON alerts on stdout.
 *
 * Rules added with `addRule()` and friends after construction still reach the output: the rules
 * ConfigMap, falco.yaml and the pods' checksum annotations are produced at synth time.
 */
export class FalcoDaemonSet extends Construct {
  public readonly namespace: string;
  public readonly releaseName: string;
  /** Name of the container that runs Falco (the one whose logs carry the alerts). */
  public readonly containerName = 'falco';
  /** Tolerations of the DaemonSet's pods: the chart's and the extra ones. */
  public readonly tolerations: Toleration[];
  public readonly release: HelmRelease;
  public readonly daemonSet: ApiObject;

  private readonly rules: FalcoRule[] = [];
  private readonly macros: FalcoMacro[] = [];
  private readonly lists: FalcoList[] = [];
  private readonly selection: RuleSelection[] = [];

  constructor(scope: Construct, id: string, props: FalcoDaemonSetProps = {}) {
    super(scope, id);
    const driver = props.driver ?? 'auto';
    if (props.leastPrivileged && driver !== 'modern_ebpf') {
      throw new Error(`FalcoDaemonSet: leastPrivileged needs driver 'modern_ebpf' (got '${driver}'); set driver: 'modern_ebpf' or drop leastPrivileged`);
    }
    this.namespace = props.namespace ?? 'falco';
    this.releaseName = props.releaseName ?? 'falco';
    this.tolerations = [...CHART_TOLERATIONS, ...(props.tolerations ?? [])];

    new k8s.KubeNamespace(props.namespaceScope ?? this, `${id}-namespace`, { metadata: { name: this.namespace } });

    this.release = new HelmRelease(this, 'release', {
      chart: FALCO_CHART,
      releaseName: this.releaseName,
      namespace: this.namespace,
      kubernetesVersion: props.kubernetesVersion,
      helmExecutable: props.helmExecutable,
      chartsDir: props.chartsDir,
      values: this.chartValues(props, driver),
    });

    props.lists?.forEach((l) => this.addList(l));
    props.macros?.forEach((m) => this.addMacro(m));
    props.rules?.forEach((r) => this.addRule(r));
    props.disabledRules?.forEach((r) => this.disableRule(r));
    props.disabledTags?.forEach((t) => this.disableTag(t));

    this.daemonSet = this.produceRulesAtSynth();
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

  /** Disables a rule by name (falco.yaml `rules: - disable: {rule: …}`). */
  public disableRule(name: string): void {
    this.selection.push({ disable: { rule: name } });
  }

  /** Disables every rule with this tag (falco.yaml `rules: - disable: {tag: …}`). */
  public disableTag(tag: string): void {
    this.selection.push({ disable: { tag } });
  }

  /** The custom rules file as it is written to /etc/falco/rules.d. */
  public renderRulesFile(): string {
    const entries = rulesFileEntries(this.rules, this.macros, this.lists);
    const header = '# Custom rules of this cluster, rendered by FalcoDaemonSet (lib/falco/falco-daemonset.ts).\n';
    return header + (entries.length > 0 ? stringify(entries, { lineWidth: 0 }) : '[]\n');
  }

  private chartValues(props: FalcoDaemonSetProps, driver: FalcoDriver): Record<string, unknown> {
    const rulesRef = `${DEFAULT_RULES_REPOSITORY}:${props.rulesVersion ?? DEFAULT_RULES_VERSION}`;
    return {
      tty: true,
      falco: { json_output: true },
      driver: { kind: driver, modernEbpf: { leastPrivileged: props.leastPrivileged ?? false } },
      tolerations: this.tolerations,
      ...(props.resources ? { resources: props.resources } : {}),
      // Placeholder content: the real file is produced at synth time (produceRulesAtSynth).
      customRules: { [CUSTOM_RULES_FILE]: '[]' },
      falcoctl: {
        artifact: { follow: { enabled: props.followRulesUpdates ?? false } },
        config: { artifact: { install: { refs: [rulesRef] }, follow: { refs: [rulesRef] } } },
      },
    };
  }

  /**
   * Replaces the rules ConfigMap, the falco.yaml ConfigMap and the DaemonSet by copies whose rules
   * content and checksum annotations are computed at synth time, after every addRule().
   */
  private produceRulesAtSynth(): ApiObject {
    const rulesData = () => ({ [CUSTOM_RULES_FILE]: this.renderRulesFile() });
    const rulesMap = this.release.findObject('ConfigMap', `${this.releaseName}-rules`);
    this.release.replaceObject(rulesMap, (json) => ({ ...json, data: Lazy.any({ produce: rulesData }) }));

    const configMap = this.release.findObject('ConfigMap', this.releaseName);
    const falcoYaml = parse(configMap.toJson().data['falco.yaml']);
    const configData = () => ({
      'falco.yaml': stringify(this.selection.length > 0 ? { ...falcoYaml, rules: this.selection } : falcoYaml, { lineWidth: 0 }),
    });
    this.release.replaceObject(configMap, (json) => ({ ...json, data: Lazy.any({ produce: configData }) }));

    const daemonSet = this.release.findObject('DaemonSet', this.releaseName);
    return this.release.replaceObject(daemonSet, (json) => {
      const annotations = json.spec.template.metadata.annotations;
      annotations['checksum/config'] = Lazy.any({ produce: () => sha256(configData()) });
      annotations['checksum/rules'] = Lazy.any({ produce: () => sha256(rulesData()) });
      return json;
    });
  }
}

function sha256(data: object): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

function describe(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(entry)'} ${i.message}`).join('; ');
}
