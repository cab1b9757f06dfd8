import Ajv, { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checks every HTTP response the e2e tests receive against the committed
 * openapi/openapi.json: the status must be documented for that operation and the body
 * must match its schema, with no undocumented fields. A spec that lies fails the tests.
 */

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type Spec = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};

const spec = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8'),
) as Spec;

/** Objects with declared properties accept nothing else, unless the spec says otherwise. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === 'example' ? v : strict(v);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (typeof out.$ref === 'string')
    out.$ref = out.$ref.replace('#/components/', 'spec#/components/');
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(strict({ components: spec.components }) as object, 'spec');

const routes = Object.keys(spec.paths)
  .map((template) => ({
    template,
    regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    params: (template.match(/\{/g) ?? []).length,
  }))
  // Literal segments win over parameters, as in the router.
  .sort((a, b) => a.params - b.params);

const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: object): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = ajv.compile(strict(schema) as object);
    validators.set(key, v);
  }
  return v;
}

export class SpecViolation extends Error {}

/** Throws `SpecViolation` unless `status`/`body` are what the spec promises for this call. */
export function checkAgainstSpec(
  method: string,
  url: string,
  status: number,
  contentType: string | null,
  text: string,
): void {
  const path = new URL(url).pathname;
  const route = routes.find((r) => r.regex.test(path));
  const op = route && spec.paths[route.template][method.toLowerCase()];
  const where = `${method.toUpperCase()} ${path} → ${status}`;
  if (!route || !op) {
    // Paths the API does not have are 404; a method a documented path does not serve is
    // 405 (with Allow); both in the documented error shape.
    if (status !== (route ? 405 : 404)) throw new SpecViolation(`${where}: undocumented operation`);
    checkErrorBody(where, text);
    return;
  }
  const response = op.responses[String(status)] ?? op.responses.default;
  if (!response) throw new SpecViolation(`${where}: status not documented for this operation`);
  const documented = Object.keys(response.content ?? {});
  if (documented.length === 0) {
    if (text.length > 0) {
      throw new SpecViolation(`${where}: body present but none documented: ${text.slice(0, 200)}`);
    }
    return;
  }
  // The body must be one of the documented media types, and match that type's schema.
  const mediaType = contentType?.split(';')[0].trim().toLowerCase() ?? '';
  const schema = response.content?.[mediaType]?.schema;
  if (!schema) {
    throw new SpecViolation(
      `${where}: expected ${documented.join(' or ')}, got ${contentType ?? 'no content type'}`,
    );
  }
  const validate = validatorFor(`${route.template} ${method} ${status} ${mediaType}`, schema);
  const body: unknown = mediaType === 'application/json' ? JSON.parse(text) : text;
  if (!validate(body)) {
    throw new SpecViolation(
      `${where}: body does not match the spec: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`,
    );
  }
}

function checkErrorBody(where: string, text: string): void {
  const validate = validatorFor('error', { $ref: '#/components/schemas/ErrorResponseDto' });
  if (!validate(JSON.parse(text))) {
    throw new SpecViolation(`${where}: error body is not ErrorResponseDto: ${text}`);
  }
}
