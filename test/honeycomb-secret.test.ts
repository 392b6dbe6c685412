import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { tempDir } from './helpers';
import { HoneycombSecret } from '../lib/honeycomb/honeycomb-secret';

function chart(): Chart {
  return new Chart(Testing.app(), 'test');
}

describe('HoneycombSecret', () => {
  test('source existing (default) emits nothing and points at the Secret to create by hand', () => {
    const c = chart();
    const secret = new HoneycombSecret(c, 'honeycomb');
    expect(Testing.synth(c)).toEqual([]);
    expect(Testing.synth(c)).toMatchSnapshot();
    expect(secret).toMatchObject({ namespace: 'otel', secretName: 'honeycomb', secretKey: 'api-key', source: 'existing', manifestPath: undefined });
    expect(secret.createCommand).toBe('kubectl create secret generic honeycomb --namespace otel --from-literal=api-key="$HONEYCOMB_API_KEY"');
  });

  test('source env writes the Secret to secretsDir (mode 0600), never into the chart', () => {
    const c = chart();
    const secretsDir = path.join(tempDir(), 'secrets');
    const secret = new HoneycombSecret(c, 'honeycomb', {
      source: 'env', apiKey: 'hc-test-key', secretsDir, namespace: 'telemetry', secretName: 'hc', secretKey: 'key',
    });
    expect(Testing.synth(c)).toEqual([]);
    expect(secret.manifestPath).toBe(path.join(secretsDir, 'telemetry-hc.yaml'));
    const manifest = parse(fs.readFileSync(secret.manifestPath!, 'utf8'));
    expect(manifest).toEqual({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hc', namespace: 'telemetry' }, type: 'Opaque',
      data: { key: Buffer.from('hc-test-key').toString('base64') },
    });
    expect(fs.statSync(secret.manifestPath!).mode & 0o777).toBe(0o600);
  });

  test('source env takes HONEYCOMB_API_KEY by default', () => {
    const saved = process.env.HONEYCOMB_API_KEY;
    process.env.HONEYCOMB_API_KEY = 'from-env';
    try {
      const secret = new HoneycombSecret(chart(), 'honeycomb', { source: 'env', secretsDir: tempDir() });
      expect(parse(fs.readFileSync(secret.manifestPath!, 'utf8')).data['api-key']).toBe(Buffer.from('from-env').toString('base64'));
    } finally {
      if (saved === undefined) delete process.env.HONEYCOMB_API_KEY;
      else process.env.HONEYCOMB_API_KEY = saved;
    }
  });

  test('source env without a key is a clear error, and nothing is written', () => {
    const saved = process.env.HONEYCOMB_API_KEY;
    delete process.env.HONEYCOMB_API_KEY;
    const secretsDir = path.join(tempDir(), 'secrets');
    try {
      expect(() => new HoneycombSecret(chart(), 'honeycomb', { source: 'env', secretsDir }))
        .toThrow('HoneycombSecret: source "env" needs the API key in HONEYCOMB_API_KEY, which is not set; export it, or use source "existing" and create the Secret with kubectl');
      expect(fs.existsSync(secretsDir)).toBe(false);
    } finally {
      if (saved !== undefined) process.env.HONEYCOMB_API_KEY = saved;
    }
  });
});
