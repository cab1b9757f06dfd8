#!/usr/bin/env bash
# Fails when openapi/openapi.json or the client types generated from it differ from
# what the code produces now. Fix with `npm run openapi` and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx nest build >/dev/null
node dist/openapi/generate-openapi.js "$tmp/openapi.json" >/dev/null
npx openapi-typescript "$tmp/openapi.json" -o "$tmp/schema.d.ts" >/dev/null 2>&1
status=0
diff -u openapi/openapi.json "$tmp/openapi.json" || status=1
diff -u test/client/schema.d.ts "$tmp/schema.d.ts" || status=1
if [ "$status" -ne 0 ]; then
  echo "OpenAPI drift: the committed spec does not match the code. Run 'npm run openapi' and commit." >&2
  exit 1
fi
echo "OpenAPI spec matches the code."

# Redocly's recommended rules, with the exceptions in .redocly.lint-ignore.yaml: zero
# errors and zero warnings (a warning fails too, so checkstyle output is counted).
report=$(npx redocly lint openapi/openapi.json --format=checkstyle 2>/dev/null || true)
problems=$(printf '%s' "$report" | grep -c '<error ' || true)
if [ "$problems" -ne 0 ]; then
  npx redocly lint openapi/openapi.json --format=stylish 2>&1 | grep -v '[║╔╚]' >&2
  echo "OpenAPI lint: $problems problems (errors or warnings) in openapi/openapi.json." >&2
  exit 1
fi
echo "OpenAPI lint: no errors, no warnings (Redocly recommended rules)."

