import { defineScalarTag, loadAll, mapTag, NOT_RESOLVED, Schema, seqTag, strTag } from 'js-yaml';
import { parseAllDocuments } from 'yaml';

// helm's output is read as cdk8s's Include reads a manifest: the `yaml` package at YAML 1.1, empty
// documents left out. js-yaml reads the operator chart's 780 kB of CRDs in about a quarter of the
// time, and the two differ only in how plain (unquoted) scalars get their type, so js-yaml goes
// first with a schema that types plain scalars itself, accepting only the forms on which YAML 1.1
// and it agree; on any other typed form the `yaml` package reads the text instead.
// test/helm-load.test.ts checks that both give the same objects on real renders.

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
    // (-0 excepted: left to the yaml package.)
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
 * documents left out). Throws on text that is not YAML.
 */
export function loadRenderedManifest(text: string): any[] {
  return nonEmpty(fastLoad(text) ?? yaml11Load(text));
}

/** js-yaml's reading, or undefined where it may differ from YAML 1.1's: a plain scalar typed otherwise, a tag, a duplicate key, an error. */
export function fastLoad(text: string): unknown[] | undefined {
  try {
    return loadAll(text, { schema: SCHEMA });
  } catch {
    return undefined;
  }
}

/** The `yaml` package's reading at YAML 1.1, as cdk8s's Yaml.load does it. */
export function yaml11Load(text: string): unknown[] {
  const documents = parseAllDocuments(text, { version: '1.1' });
  if (!Array.isArray(documents)) return [];
  const error = documents.flatMap((d) => d.errors)[0];
  if (error) throw new Error(error.message);
  return documents.map((d) => d.toJSON());
}

/** The same filter as cdk8s's Yaml.load. */
function nonEmpty(documents: unknown[]): any[] {
  return documents.filter((d: any) => d !== undefined && d !== null
    && !(Array.isArray(d) && d.length === 0)
    && !(typeof d === 'object' && Object.keys(d).length === 0));
}
