import { JsonSchema } from './check-schema';

/**
 * The JSON schema that the API server applies to a custom resource, from the structural
 * `openAPIV3Schema` of its CRD version:
 * - objects are closed: a field not in `properties` is unknown (the API server prunes it, or
 *   rejects it under strict field validation), unless `x-kubernetes-preserve-unknown-fields`;
 * - `x-kubernetes-int-or-string` accepts an integer or a string, `nullable` accepts null;
 * - `metadata` of the resource (and of embedded resources) is an ObjectMeta whatever the CRD says.
 * `allOf`/`anyOf`/`oneOf`/`not` only add value checks in structural schemas, so they stay as written.
 */
export function customResourceSchema(openAPIV3Schema: JsonSchema, objectMeta: JsonSchema): JsonSchema {
  const schema = structural(openAPIV3Schema, objectMeta);
  return withResourceFields(schema, objectMeta);
}

function structural(s: JsonSchema, objectMeta: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...s };
  if (isSchema(s.properties)) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, structural(v as JsonSchema, objectMeta)]));
  }
  if (isSchema(s.items)) out.items = structural(s.items, objectMeta);
  if (isSchema(s.additionalProperties)) out.additionalProperties = structural(s.additionalProperties, objectMeta);
  if (s['x-kubernetes-int-or-string'] === true) {
    out.type = ['integer', 'string'];
    // The anyOf that spells the same out would only repeat the type error.
    if (Array.isArray(s.anyOf) && s.anyOf.every((b: JsonSchema) => Object.keys(b).join() === 'type')) delete out.anyOf;
  }
  if (s.nullable === true && out.type !== undefined) out.type = [...[out.type].flat(), 'null'];
  delete out.nullable;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const closed = s['x-kubernetes-preserve-unknown-fields'] !== true && (s.type === 'object' || s.properties !== undefined);
  const result = embedded ? withResourceFields(out, objectMeta) : out;
  if (closed && result.additionalProperties === undefined) result.additionalProperties = false;
  return result;
}

/** apiVersion, kind and metadata, which every resource has whether or not its schema lists them. */
function withResourceFields(s: JsonSchema, objectMeta: JsonSchema): JsonSchema {
  return {
    ...s,
    properties: { ...s.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: objectMeta },
  };
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
