import { Chart, Testing } from 'cdk8s';
import { HoneycombSecret } from '../lib/honeycomb/honeycomb-secret';

function chart(): Chart {
  return new Chart(Testing.app(), 'test');
}

describe('HoneycombSecret', () => {
  test('source existing (default) emits nothing and points at the Secret to create by hand', () => {
    const c = chart();
    const secret = new HoneycombSecret(c, 'honeycomb');
    expect(Testing.synth(c)).toEqual([]);
    expect(secret).toMatchObject({ namespace: 'otel', secretName: 'honeycomb', secretKey: 'api-key', source: 'existing', manifest: undefined });
    expect(HoneycombSecret.manifestsOf(c)).toEqual([]);
    expect(secret.createCommand).toBe('kubectl create secret generic honeycomb --namespace otel --from-literal=api-key="$HONEYCOMB_API_KEY"');
  });

  test('source env emits the Secret as a manifest for the pipeline, never as an object of the chart', () => {
    const c = chart();
    const secret = new HoneycombSecret(c, 'honeycomb', { source: 'env', apiKey: 'hc-test-key', namespace: 'telemetry', secretName: 'hc', secretKey: 'key' });
    expect(Testing.synth(c)).toEqual([]);
    const expected = {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hc', namespace: 'telemetry' }, type: 'Opaque',
      data: { key: Buffer.from('hc-test-key').toString('base64') },
    };
    expect(secret.manifest).toEqual(expected);
    expect(HoneycombSecret.manifestsOf(c.node.root)).toEqual([expected]);
    expect(JSON.stringify(Testing.synth(c))).not.toContain(Buffer.from('hc-test-key').toString('base64'));
  });

  test('source env takes HONEYCOMB_API_KEY by default', () => {
    const saved = process.env.HONEYCOMB_API_KEY;
    process.env.HONEYCOMB_API_KEY = 'from-env';
    try {
      const secret = new HoneycombSecret(chart(), 'honeycomb', { source: 'env' });
      expect(secret.manifest?.data['api-key']).toBe(Buffer.from('from-env').toString('base64'));
    } finally {
      if (saved === undefined) delete process.env.HONEYCOMB_API_KEY;
      else process.env.HONEYCOMB_API_KEY = saved;
    }
  });

  test('source env without a key fails the synth with a clear message (node validation), and emits nothing', () => {
    const saved = process.env.HONEYCOMB_API_KEY;
    delete process.env.HONEYCOMB_API_KEY;
    try {
      const c = chart();
      const secret = new HoneycombSecret(c, 'honeycomb', { source: 'env' });
      expect(secret.manifest).toBeUndefined();
      expect(secret.node.validate()).toEqual(['source "env" needs the API key in HONEYCOMB_API_KEY, which is not set; export it, or use source "existing" and create the Secret with kubectl']);
      expect(() => Testing.synth(c)).toThrow(/HONEYCOMB_API_KEY, which is not set/);
    } finally {
      if (saved !== undefined) process.env.HONEYCOMB_API_KEY = saved;
    }
  });

  test('names that the API server would refuse are validation problems', () => {
    const secret = new HoneycombSecret(chart(), 'honeycomb', { secretName: 'Bad_Name', secretKey: 'a key' });
    expect(secret.node.validate()).toEqual([
      'secretName "Bad_Name" is not a DNS label; use lower-case letters, digits and \'-\'',
      'secretKey "a key" is not a Secret key; use letters, digits, \'-\', \'_\' or \'.\'',
    ]);
  });
});
