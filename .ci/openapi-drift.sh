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
