import { execFileSync } from 'child_process';
import { Chart, Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { findOne, pinnedChartFile, testRenderer } from './support/helpers';
import { buildApp } from '../app/falco-otel-app';
import { parseConfig } from '../app/load-config';
import { DEFAULT_RULES, DEFAULT_RULES_REPOSITORY, DEFAULT_RULES_VERSION } from '../lib/falco/default-ruleset';
import { CHART_TOLERATIONS, CUSTOM_RULES_FILE, FalcoDaemonSet, FalcoDaemonSetProps } from '../lib/falco/falco-daemon-set';
import { FalcoPriority } from '../lib/falco/rules';
import { resolveHelm } from '../lib/helm/helm-binary';
import { FALCO_CHART } from '../lib/pins';
import { formatPropProblem } from '../lib/problems';

// What these tests cannot prove here (no cluster, no registry): that Falco loads the rendered files,
// that falcoctl pulls the pinned artifacts, and that the least-privileged pod gets its events on a
// given kernel. They check what the chart renders for Kubernetes and Falco to act on.

interface Rendered {
  falco: FalcoDaemonSet;
  objects: any[];
}

/** A FalcoDaemonSet alone in a chart; `configure` runs after construction, before synth. */
function render(props: FalcoDaemonSetProps = {}, configure: (falco: FalcoDaemonSet) => void = () => {}): Rendered {
  const chart = new Chart(Testing.app(), 'test');
  const falco = new FalcoDaemonSet(chart, 'falco', { renderer: testRenderer(), ...props });
  configure(falco);
  return { falco, objects: Testing.synth(chart) };
}

const daemonSet = (objects: any[], name = 'falco') => findOne(objects, 'DaemonSet', name);
const podSpec = (objects: any[], name?: string) => daemonSet(objects, name).spec.template.spec;
const falcoContainer = (objects: any[], name?: string) => podSpec(objects, name).containers.find((c: any) => c.name === 'falco');
const falcoYamlText = (objects: any[], name = 'falco'): string => findOne(objects, 'ConfigMap', name).data['falco.yaml'];
const falcoYaml = (objects: any[], name?: string) => parse(falcoYamlText(objects, name));
const rulesFile = (objects: any[], name = 'falco-rules') => parse(findOne(objects, 'ConfigMap', name).data[CUSTOM_RULES_FILE]);
const falcoctlYaml = (objects: any[]) => parse(findOne(objects, 'ConfigMap', 'falco-falcoctl').data['falcoctl.yaml']);
const initContainer = (objects: any[], name: string) => (podSpec(objects).initContainers ?? []).find((c: any) => c.name === name);

/** The manual step: `helm template` of the pinned chart with only the walkthrough's values. */
function manualStep(): any[] {
  const out = execFileSync(resolveHelm(undefined).path, [
    'template', 'falco', pinnedChartFile(FALCO_CHART), '-n', 'falco', '--kube-version', '1.28.0',
    '--set', 'tty=true', '--set', 'falco.json_output=true',
  ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(out).map((d) => d.toJS()).filter((o) => o);
}

const myRule = {
  rule: 'Netcat in container',
  desc: 'A netcat process started in a container',
  condition: 'spawned_process and container and proc.name in (netcat_binaries)',
  output: 'Netcat started in a container (command=%proc.cmdline container=%container.name)',
  priority: FalcoPriority.WARNING,
  tags: ['container', 'network'],
};

describe('FalcoDaemonSet', () => {
  const defaults = render();
  const manual = manualStep();

  test('snapshot', () => {
    expect(defaults.objects).toMatchSnapshot();
  });

  describe('against the manual helm install', () => {
    test('every object the manual step creates is there, plus the namespace --create-namespace made', () => {
      const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      const ours = new Set(defaults.objects.map(key));
      expect(manual.length).toBeGreaterThan(0);
      for (const object of manual) expect(ours).toContain(key(object));
      expect(findOne(defaults.objects, 'Namespace', 'falco')).toBeDefined();
      expect(daemonSet(defaults.objects).metadata.namespace).toBe('falco');
    });

    test('tty and JSON output as in the manual step', () => {
      expect(falcoContainer(defaults.objects).tty).toBe(true);
      expect(falcoYaml(defaults.objects).json_output).toBe(true);
      expect(falcoYaml(defaults.objects).stdout_output).toEqual({ enabled: true });
    });

    test('falco.yaml is the chart\'s text, byte for byte, when no rule is disabled', () => {
      expect(falcoYamlText(defaults.objects)).toBe(falcoYamlText(manual));
    });

    test('the only pod difference on purpose is the missing follow sidecar', () => {
      const names = (objects: any[]) => podSpec(objects).containers.map((c: any) => c.name);
      expect(names(manual)).toEqual(['falco', 'falcoctl-artifact-follow']);
      expect(names(defaults.objects)).toEqual(['falco']);
    });
  });

  describe('tolerations, resources, driver', () => {
    test('CHART_TOLERATIONS are the chart\'s own defaults', () => {
      expect(podSpec(manual).tolerations).toEqual(CHART_TOLERATIONS);
      expect(podSpec(defaults.objects).tolerations).toEqual(CHART_TOLERATIONS);
    });

    test('extra tolerations are appended after the two control-plane ones', () => {
      const extra = [{ key: 'dedicated', operator: 'Equal' as const, value: 'gpu', effect: 'NoSchedule' as const }, { operator: 'Exists' as const }];
      const { falco, objects } = render({ tolerations: extra });
      expect(podSpec(objects).tolerations).toEqual([...CHART_TOLERATIONS, ...extra]);
      expect(falco.tolerations).toEqual([...CHART_TOLERATIONS, ...extra]);
    });

    test('resources replace the falco container\'s, the default is the chart\'s', () => {
      expect(falcoContainer(defaults.objects).resources).toEqual(falcoContainer(manual).resources);
      const resources = { requests: { cpu: '250m', memory: '768Mi' }, limits: { memory: '2Gi' } };
      const { objects } = render({ resources });
      expect(falcoContainer(objects).resources).toEqual(resources);
      // Only the falco container: the init containers keep theirs (which the chart leaves unset; set here for linters and the scheduler).
      expect(initContainer(objects, 'falcoctl-artifact-install').resources).toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
      expect(initContainer(objects, 'falco-driver-loader').resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '1Gi' } });
    });

    test('every linter exception on the DaemonSet gives its reason; privileged is excepted only when the pod is privileged', () => {
      const annotations = daemonSet(defaults.objects).metadata.annotations;
      const ignored: string[] = annotations['kube-score/ignore'].split(',');
      expect(ignored).toContain('container-security-context-privileged');
      for (const check of ignored) expect(annotations[`ignore-reason.kube-score/${check}`]).toMatch(/^.{30,}$/);
      const least = daemonSet(render({ driver: 'modern_ebpf', leastPrivileged: true }).objects).metadata.annotations;
      expect(least['kube-score/ignore'].split(',')).not.toContain('container-security-context-privileged');
      expect(least['ignore-check.kube-linter.io/privileged-container']).toBeUndefined();
    });

    test('rendered for Kubernetes 1.30 or later, the AppArmor annotation becomes the securityContext field', () => {
      const props = { driver: 'modern_ebpf', leastPrivileged: true } as const;
      const old = daemonSet(render(props).objects);
      expect(old.spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/falco']).toBe('unconfined');
      const current = render({ ...props, kubernetesVersion: '1.30.2' }).objects;
      expect(daemonSet(current).spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/falco']).toBeUndefined();
      expect(falcoContainer(current).securityContext.appArmorProfile).toEqual({ type: 'Unconfined' });
    });

    test('the namespace allows privileged pods, and says why', () => {
      const chart = new Chart(Testing.app(), 'ns');
      new FalcoDaemonSet(chart, 'falco', { renderer: testRenderer() });
      const namespace = findOne(Testing.synth(chart), 'Namespace', 'falco');
      expect(namespace.metadata.labels).toEqual({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged' });
      expect(namespace.metadata.annotations['falco-otel-honeycomb/pod-security-reason']).toMatch(/kernel driver or eBPF programs/);
    });

    test('driver auto: the driver loader picks at start, Falco prefers modern eBPF', () => {
      expect(initContainer(defaults.objects, 'falco-driver-loader').args).toEqual(['auto']);
      expect(falcoYaml(defaults.objects).engine.kind).toBe('modern_ebpf');
      expect(falcoContainer(defaults.objects).securityContext).toEqual({ privileged: true });
    });

    test('driver kmod: the driver loader builds or fetches the kernel module', () => {
      const { objects } = render({ driver: 'kmod' });
      expect(initContainer(objects, 'falco-driver-loader').args).toEqual(['kmod']);
      expect(falcoYaml(objects).engine.kind).toBe('kmod');
      expect(falcoContainer(objects).securityContext).toEqual({ privileged: true });
    });

    test('driver modern_ebpf: no driver loader (the probe is built into Falco), still privileged', () => {
      const { objects } = render({ driver: 'modern_ebpf' });
      expect(initContainer(objects, 'falco-driver-loader')).toBeUndefined();
      expect(falcoYaml(objects).engine.kind).toBe('modern_ebpf');
      expect(falcoContainer(objects).securityContext).toEqual({ privileged: true });
    });

    test('an unknown driver is refused before helm runs', () => {
      expect(() => render({ driver: 'ebpf' as any })).toThrow('FalcoDaemonSet test/falco: driver: "ebpf" is not accepted; expected one of: auto, modern_ebpf, kmod');
    });
  });

  describe('least privilege', () => {
    const { objects } = render({ driver: 'modern_ebpf', leastPrivileged: true });

    test('the falco container gets four capabilities instead of privileged', () => {
      const securityContext = falcoContainer(objects).securityContext;
      expect(securityContext).toEqual({ capabilities: { add: ['BPF', 'SYS_RESOURCE', 'PERFMON', 'SYS_PTRACE'] } });
      expect(JSON.stringify(podSpec(objects))).not.toMatch(/"privileged":true/);
    });

    test('AppArmor is unconfined for the falco container, as the chart does for this mode', () => {
      expect(daemonSet(objects).spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/falco']).toBe('unconfined');
    });

    test.each(['auto', 'kmod'] as const)('is refused for driver %s with what to do', (driver) => {
      // Checked with the rules, when the app is synthesized: every problem at once.
      expect(() => render({ driver, leastPrivileged: true })).toThrow(`[test/falco] leastPrivileged: true needs driver: modern_ebpf (it is "${driver}"); expected driver: modern_ebpf, or no leastPrivileged`);
    });
  });

  describe('pinned default ruleset', () => {
    const pinned = `${DEFAULT_RULES_REPOSITORY}:${DEFAULT_RULES_VERSION}`;
    const containerPluginRef = (objects: any[]) => parse(findOne(objects, 'ConfigMap', 'falco-falcoctl').data['falcoctl.yaml'])
      .artifact.install.refs.find((r: string) => r.startsWith('ghcr.io/falcosecurity/plugins/plugin/container:'));

    test('the pin is falco-rules 5.1.0 from ghcr.io', () => {
      expect(pinned).toBe('ghcr.io/falcosecurity/rules/falco-rules:5.1.0');
      expect(defaults.falco.rulesRef).toBe(pinned);
    });

    test('falcoctl installs the pinned ruleset and the chart\'s container plugin at pod start', () => {
      const plugin = containerPluginRef(manual);
      expect(plugin).toMatch(/:\d+\.\d+\.\d+$/);
      expect(falcoctlYaml(defaults.objects).artifact.install.refs).toEqual([pinned, plugin]);
      const install = initContainer(defaults.objects, 'falcoctl-artifact-install');
      expect(install.args.slice(0, 2)).toEqual(['artifact', 'install']);
      expect(install.volumeMounts).toContainEqual({ mountPath: '/etc/falcoctl', name: 'falcoctl-config-volume' });
      // The manual step installs the moving major tag instead.
      expect(falcoctlYaml(manual).artifact.install.refs).toEqual(['falco-rules:5', plugin]);
    });

    test('nothing follows updates by default: no sidecar, no follow refs', () => {
      expect(podSpec(defaults.objects).containers.map((c: any) => c.name)).not.toContain('falcoctl-artifact-follow');
      expect(falcoctlYaml(defaults.objects).artifact.follow.refs).toEqual([]);
      expect(defaults.falco.followedRulesRef).toBeUndefined();
    });

    test('followRulesUpdates keeps the sidecar, following the major tag; install stays pinned', () => {
      const { falco, objects } = render({ followRulesUpdates: true });
      const sidecar = podSpec(objects).containers.find((c: any) => c.name === 'falcoctl-artifact-follow');
      expect(sidecar.args.slice(0, 2)).toEqual(['artifact', 'follow']);
      expect(falcoctlYaml(objects).artifact.follow.refs).toEqual(['ghcr.io/falcosecurity/rules/falco-rules:5']);
      expect(falcoctlYaml(objects).artifact.install.refs[0]).toBe(pinned);
      expect(falco.followedRulesRef).toBe('ghcr.io/falcosecurity/rules/falco-rules:5');
    });

    test('rulesVersion moves the pin, and every pod rolls to install it', () => {
      const { objects } = render({ rulesVersion: '5.2.0' });
      expect(falcoctlYaml(objects).artifact.install.refs[0]).toBe('ghcr.io/falcosecurity/rules/falco-rules:5.2.0');
      const checksum = (o: any[]) => daemonSet(o).spec.template.metadata.annotations['checksum/falcoctl'];
      expect(checksum(defaults.objects)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(objects)).not.toBe(checksum(defaults.objects));
    });

    test.each(['5', '5.1', 'latest', '5.1.0-rc1'])('rulesVersion %s is refused: a pin is an exact version', (version) => {
      expect(() => render({ rulesVersion: version })).toThrow(`[test/falco] rulesVersion: "${version}" is not a version; expected MAJOR.MINOR.PATCH such as "5.1.0" (set followRulesUpdates to track its major tag)`);
    });

    test('the walkthrough\'s three rules are in the pinned ruleset', () => {
      const names = DEFAULT_RULES.map((r) => r.name);
      expect(names).toHaveLength(25);
      expect(names).toEqual(expect.arrayContaining(['Terminal shell in container', 'Search Private Keys or Passwords', 'Find AWS Credentials']));
    });
  });

  describe('custom rules', () => {
    test('falco.yaml still loads /etc/falco/rules.d, where the rules ConfigMap is mounted', () => {
      expect(falcoYaml(defaults.objects).rules_files).toContain('/etc/falco/rules.d');
      expect(falcoContainer(defaults.objects).volumeMounts).toContainEqual({ mountPath: '/etc/falco/rules.d', name: 'rules-volume' });
      expect(podSpec(defaults.objects).volumes).toContainEqual({ name: 'rules-volume', configMap: { name: 'falco-rules' } });
      // Since Falco 0.41 only .yaml/.yml files of a rules directory are read.
      expect(CUSTOM_RULES_FILE).toMatch(/\.ya?ml$/);
    });

    test('without custom rules the file is an empty sequence, which Falco reads as no items', () => {
      expect(rulesFile(defaults.objects)).toEqual([]);
    });

    test('a rule added from TypeScript after construction reaches the ConfigMap', () => {
      const { objects } = render({}, (falco) => falco.addRule(myRule));
      expect(rulesFile(objects)).toEqual([myRule]);
    });

    test('lists and macros come before the rules that use them', () => {
      const { objects } = render({ rules: [myRule] }, (falco) => {
        falco.addMacro({ macro: 'my_container', condition: 'container.id != host' });
        falco.addList({ list: 'netcat_binaries', items: ['nc', 'ncat', 'netcat'] });
      });
      expect(rulesFile(objects).map((e: any) => e.list ?? e.macro ?? e.rule)).toEqual(['netcat_binaries', 'my_container', myRule.rule]);
    });

    test('priorities are written in the upper-case spelling of Falco\'s schema', () => {
      const { objects } = render({ rules: [{ ...myRule, priority: 'notice' as FalcoPriority }] });
      expect(rulesFile(objects)[0].priority).toBe('NOTICE');
    });

    test('bad rules from TypeScript are checked as the config\'s are, all at once, by prop path', () => {
      const { falco } = render();
      falco.addRule({ rule: 'No condition', desc: 'd', output: 'o', priority: FalcoPriority.INFORMATIONAL });
      falco.addRule(myRule);
      falco.addRule(myRule);
      falco.disableRule('typo');
      expect(falco.problems().map(formatPropProblem)).toEqual([
        'rules.0: rule "No condition" has no condition; expected desc, condition, output and priority in a new rule (to change an existing rule instead, add override: with the keys to change)',
      ]);
      const { falco: wellFormed } = render();
      wellFormed.addRule(myRule);
      wellFormed.addRule(myRule);
      wellFormed.disableRule('typo');
      expect(wellFormed.problems().map(formatPropProblem)).toEqual([
        'rules.1.rule: "Netcat in container" is already the name of rules.0; expected a unique rule name (to change that rule instead, add override: with the keys to change)',
        'disabledRules.0: "typo" is not a rule of falco-rules 5.1.0 or of rules; expected the name of one of the 25 rules of falco-rules 5.1.0 (lib/falco/default-ruleset.ts) or of a rule in rules',
      ]);
      expect(() => Testing.synth(wellFormed.node.scope as Chart)).toThrow(/\[test\/falco\] disabledRules\.0: "typo" is not a rule/);
    });

    test('disabled rules and tags reach falco.yaml\'s rules: in call order; nothing else changes', () => {
      const { objects } = render({ disabledRules: ['Terminal shell in container'], disabledTags: ['network'] }, (falco) => {
        falco.disableRule('Find AWS Credentials');
        falco.disableTag('mitre_discovery');
      });
      const text = falcoYamlText(objects);
      expect(text.startsWith(falcoYamlText(manual))).toBe(true);
      expect(parse(text)).toEqual({
        ...parse(falcoYamlText(manual)),
        rules: [
          { disable: { rule: 'Terminal shell in container' } },
          { disable: { tag: 'network' } },
          { disable: { rule: 'Find AWS Credentials' } },
          { disable: { tag: 'mitre_discovery' } },
        ],
      });
    });

    test('checksum annotations change with the rules, so pods roll', () => {
      const checksums = (objects: any[]) => daemonSet(objects).spec.template.metadata.annotations;
      const base = checksums(defaults.objects);
      const added = checksums(render({}, (f) => f.addRule(myRule)).objects);
      const disabled = checksums(render({}, (f) => f.disableRule('Find AWS Credentials')).objects);
      expect(checksums(render().objects)).toEqual(base);
      expect(added['checksum/rules']).not.toBe(base['checksum/rules']);
      expect(added['checksum/config']).toBe(base['checksum/config']);
      expect(disabled['checksum/config']).not.toBe(base['checksum/config']);
      expect(disabled['checksum/rules']).toBe(base['checksum/rules']);
    });
  });

  test('another release name: objects follow the chart\'s fullname, rules still land', () => {
    const { falco, objects } = render({ releaseName: 'sec', disabledRules: ['Find AWS Credentials'] }, (f) => f.addRule(myRule));
    expect(falco.daemonSetName).toBe('sec-falco');
    expect(podSpec(objects, 'sec-falco').volumes).toContainEqual({ name: 'rules-volume', configMap: { name: 'sec-falco-rules' } });
    expect(rulesFile(objects, 'sec-falco-rules')).toEqual([myRule]);
    expect(falcoYaml(objects, 'sec-falco').rules).toEqual([{ disable: { rule: 'Find AWS Credentials' } }]);
  });

  test('a rule and a disabled rule from a YAML config reach the ConfigMaps through buildApp', () => {
    const config = parseConfig([
      'cluster: {name: test}',
      'falco:',
      '  rules:',
      '    - rule: Netcat in container',
      '      desc: A netcat process started in a container',
      '      condition: spawned_process and container and proc.name in (netcat_binaries)',
      '      output: Netcat started in a container (command=%proc.cmdline container=%container.name)',
      '      priority: Warning',
      '      tags: [container, network]',
      '  lists:',
      '    - {list: netcat_binaries, items: [nc, ncat, netcat]}',
      '  disabledRules: [Terminal shell in container]',
      '',
    ].join('\n'), 'test.yaml', {});
    const { app } = buildApp(config.config, { renderer: testRenderer() });
    const objects = app.charts.flatMap((c) => Testing.synth(c));
    expect(rulesFile(objects)).toEqual([{ list: 'netcat_binaries', items: ['nc', 'ncat', 'netcat'] }, myRule]);
    expect(falcoYaml(objects).rules).toEqual([{ disable: { rule: 'Terminal shell in container' } }]);
  });
});
