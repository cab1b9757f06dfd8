import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The two seeds' published answer schemas (written from their own spec files, see each
 * file's `$comment`), compiled once. A client generated from either spec reads what these
 * accept; `expectSeedShape` fails a test with every violation listed.
 */
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
for (const file of ['lunar.schema.json', 'upfluence.schema.json']) {
  ajv.addSchema(JSON.parse(readFileSync(join(__dirname, file), 'utf8')) as object);
}

export type SeedSchema =
  | 'lunar#/definitions/models.RocketState'
  | 'lunar#/definitions/launchedRocket'
  | 'lunar#/definitions/rocketList'
  | 'lunar#/definitions/error'
  | 'upfluence#/definitions/AnalysisResponse'
  | 'upfluence#/definitions/ErrorResponse';

/** The violations of `schema` in `body`, as one line each; empty when it conforms. */
export function seedViolations(schema: SeedSchema, body: unknown): string[] {
  const validate = ajv.getSchema(schema);
  if (!validate) throw new Error(`no seed schema ${schema}`);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

export function expectSeedShape(schema: SeedSchema, body: unknown): void {
  const problems = seedViolations(schema, body);
  if (problems.length > 0) {
    throw new Error(`${schema} refuses ${JSON.stringify(body)}:\n${problems.join('\n')}`);
  }
}
