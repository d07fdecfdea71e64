#!/bin/sh
# Writes src/client/openapi.d.ts, the typed client's types, from openapi/openapi.json (`npm run client`),
# or with --check regenerates them into a temp folder and fails when the committed file differs.
# A shell script rather than TypeScript: scripts/*.ts are compiled into dist/, which may import only
# production dependencies, and the generator and Prettier are dev dependencies.
set -eu
TYPES=src/client/openapi.d.ts

generate() {
  npx openapi-typescript openapi/openapi.json --output "$1" >/dev/null
  # Laid out by the project's Prettier settings, so `make format-check` and this check agree.
  npx prettier --config .prettierrc.json --log-level warn --write "$1"
}

if [ "${1:-}" = --check ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  generate "$tmp/openapi.d.ts"
  if cmp -s "$tmp/openapi.d.ts" "$TYPES"; then
    echo "$TYPES is up to date."
  else
    echo "$TYPES is stale: run \`npm run client\` and commit the result." >&2
    exit 1
  fi
else
  generate "$TYPES"
  echo "wrote $TYPES"
fi
