import { defineScalarTag, loadAll, mapTag, NOT_RESOLVED, Schema, seqTag, strTag } from 'js-yaml';

// Why: cdk8s's Include (which Helm extends) loads the rendered chart with Yaml.load, which starts a
// child node process to read the file and then parses it with the `yaml` package at YAML 1.1:
// ≈0.5 s for the operator chart's 780 kB of CRDs. js-yaml reads the same text in-process in about a
// quarter of that. The two differ only in how plain (unquoted) scalars get their type, so this
// loader types plain scalars itself, accepting only the forms on which YAML 1.1 (the `yaml`
// package, as cdk8s calls it) and this loader agree, and gives up on any other typed form; the
// caller then uses cdk8s's own Yaml.load. test/helm-load.test.ts checks both on real renders.

// Plain scalars that the `yaml` package's YAML 1.1 schema does not read as a string (its tag
// tests, yaml 2.9.1: dist/schema/yaml-1.1/*.js and common/null.js), other than the plain forms
// typed below.
const TYPED_IN_YAML_1_1 = [
  /^(?:~|[Nn]ull|NULL)?$/, // null
  /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/, // true
  /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/, // false
  /^[-+]?0b[0-1_]+$/, /^[-+]?0[0-7_]+$/, /^[-+]?[0-9][0-9_]*$/, /^[-+]?0x[0-9a-fA-F_]+$/, // int
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, // float
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/, /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/, // float
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/, // sexagesimal int and float
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/, // timestamp (any that starts with a date)
  /^<<$/, // merge key
];

/** Thrown while loading when a plain scalar could be read differently; never escapes this module. */
class Undecided extends Error {}

const PLAIN_SCALAR = defineScalarTag<unknown>('tag:local:plain-scalar', {
  implicit: true,
  implicitFirstChars: null,
  resolve: (source) => {
    switch (source) {
      case '': case '~': case 'null': case 'Null': case 'NULL': return null;
      case 'true': case 'True': case 'TRUE': return true;
      case 'false': case 'False': case 'FALSE': return false;
      case '__proto__': throw new Undecided(source);
    }
    // Decimal integers and fractions without "+", leading zero, underscore or exponent, short
    // enough that parseInt/parseFloat (the yaml package) and Number (here) give the same number.
    // (-0 excepted: it would not survive the test suite's JSON cache, lib/helm/helm-release.ts.)
    if (/^-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?$/.test(source) && !/^-0(?:\.0*)?$/.test(source)) return Number(source);
    if (TYPED_IN_YAML_1_1.some((re) => re.test(source))) throw new Undecided(source);
    return NOT_RESOLVED; // a string, in both
  },
  identify: () => false,
});

// The yaml package turns a null key into "" where js-yaml would write "null": such a map goes to cdk8s.
const MAP = { ...mapTag, addPair: (map: any, key: unknown, value: unknown) => (key === null ? 'null key' : mapTag.addPair(map, key, value)) };

// No !!int, !!bool, !!timestamp, … tags: an explicitly tagged scalar is an error here, so it goes to cdk8s too.
const SCHEMA = new Schema([strTag, seqTag, MAP, PLAIN_SCALAR]);

/**
 * The objects of a multi-document manifest, exactly as cdk8s's `Yaml.load` returns them (empty
 * documents left out), or undefined when this loader cannot be sure of that: a plain scalar that
 * YAML 1.1 types in another way, an explicit tag, a duplicate key, or anything else js-yaml rejects.
 */
export function loadRenderedManifest(text: string): any[] | undefined {
  let documents: unknown[];
  try {
    documents = loadAll(text, { schema: SCHEMA });
  } catch {
    return undefined;
  }
  // The same filter as cdk8s's Yaml.load.
  return documents.filter((d: any) => d !== undefined && d !== null
    && !(Array.isArray(d) && d.length === 0)
    && !(typeof d === 'object' && Object.keys(d).length === 0));
}
