// The security posture in the YAML: every linter finding on dist/ is fixed, or excepted on the object
// with the reason next to it (see lint.ts for the annotation keys). Fails until the constructs carry
// those annotations: the failure message lists each finding and the annotations that would except it.
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { kubeLinterAnnotationProblems, kubeScore, KUBE_SCORE_IGNORE, KUBE_SCORE_REASON_PREFIX, LintResult } from './lint';
import { removeTempDirs } from './control-plane';
import { configWith, readObjects, synthWithCli, VARIANTS } from './variants';

afterAll(() => removeTempDirs());

function report(name: string, result: LintResult): string {
  const open = result.findings.map((f) => [
    `${f.object}: ${f.check} (${f.grade})`,
    ...f.messages.map((m) => `    ${m}`),
    `    fix it, or except it: ${KUBE_SCORE_IGNORE}: "...,${f.check}" and ${KUBE_SCORE_REASON_PREFIX}${f.check}: "<why>"`,
  ].join('\n'));
  const unexplained = result.exceptions.filter((e) => !e.reason).map((e) => `${e.object}: ${e.check} is in ${KUBE_SCORE_IGNORE} but ${KUBE_SCORE_REASON_PREFIX}${e.check} gives no reason`);
  return [`${result.version}, variant ${name}:`, ...open, ...unexplained].join('\n');
}

// The config variants differ in what they render (Falco's driver and privileges, the cert Jobs or cert-manager).
test.each(VARIANTS.map((v) => [v.name, v]))('variant %s: no kube-score finding without an exception that gives its reason', async (name, variant) => {
  const out = await synthWithCli({ [variant.name]: configWith(variant.config) }, variant.env);
  const result = await kubeScore(out.dirs[0]);
  const unexplained = result.exceptions.filter((e) => !e.reason);
  if (result.findings.length || unexplained.length) {
    process.stderr.write(`${report(name, result)}\n`);
  }
  expect({ findings: result.findings.map((f) => `${f.object}: ${f.check}`), unexplained }).toEqual({ findings: [], unexplained: [] });
  expect(kubeLinterAnnotationProblems(readObjects(out.dirs[0]))).toEqual([]);
});

test('the exception rule itself: an excepted check with a reason is no finding, one without a reason is reported', async () => {
  const out = await synthWithCli({ default: configWith({}) });
  const dir = out.dirs[0];
  const file = path.join(dir, '0001-otel-operator.k8s.yaml');
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON());
  const deployment = docs.find((o) => o.kind === 'Deployment');
  // Without the exceptions the app writes, the Deployment has findings to except again here.
  for (const key of Object.keys(deployment.metadata.annotations)) {
    if (key === KUBE_SCORE_IGNORE || key.startsWith(KUBE_SCORE_REASON_PREFIX)) delete deployment.metadata.annotations[key];
  }
  fs.writeFileSync(file, docs.map((d) => YAML.stringify(d)).join('---\n'));
  const before = (await kubeScore(dir)).findings.filter((f) => f.object === `Deployment otel/${deployment.metadata.name}`).map((f) => f.check);
  expect(before.length).toBeGreaterThan(1);
  const [withReason, ...withoutReason] = before;
  deployment.metadata.annotations = {
    ...deployment.metadata.annotations,
    [KUBE_SCORE_IGNORE]: before.join(','),
    [`${KUBE_SCORE_REASON_PREFIX}${withReason}`]: 'test reason',
  };
  fs.writeFileSync(file, docs.map((d) => YAML.stringify(d)).join('---\n'));
  const after = await kubeScore(dir);
  expect(after.findings.filter((f) => f.object === `Deployment otel/${deployment.metadata.name}`)).toEqual([]);
  const object = `Deployment otel/${deployment.metadata.name}`;
  expect(after.exceptions.filter((e) => e.object === object).sort((a, b) => a.check.localeCompare(b.check))).toEqual(
    [{ object, check: withReason, reason: 'test reason' }, ...withoutReason.map((check) => ({ object, check, reason: undefined }))].sort((a, b) => a.check.localeCompare(b.check)),
  );
});

test('kube-linter annotations must name a kube-linter check and give a reason', () => {
  const o = (annotations: Record<string, string>) => ({ kind: 'DaemonSet', metadata: { name: 'x', namespace: 'n', annotations } });
  expect(kubeLinterAnnotationProblems([o({ 'ignore-check.kube-linter.io/privileged-container': 'Falco loads a kernel driver' })])).toEqual([]);
  expect(kubeLinterAnnotationProblems([o({ 'ignore-check.kube-linter.io/privileged': 'x', 'ignore-check.kube-linter.io/run-as-non-root': ' ' })])).toEqual([
    'DaemonSet n/x: ignore-check.kube-linter.io/privileged names no kube-linter check',
    'DaemonSet n/x: ignore-check.kube-linter.io/run-as-non-root gives no reason',
  ]);
});
