#!/usr/bin/env bash
# Run real JavaScript xAPI client libraries (@xapi/xapi and TinCanJS, pinned in
# scripts/js-clients/package.json) against an LRS: LRS_URL, LRS_KEY and LRS_SECRET when set,
# otherwise a throwaway lrs started here (embedded PostgreSQL in a temporary data dir).
# Needs Node.js 18+ and npm; the libraries come from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "js-clients needs Node.js 18+ and npm on PATH" >&2
  exit 2
fi
(cd scripts/js-clients && npm ci --no-audit --no-fund --loglevel=error)
if [ -z "${LRS_URL:-}" ]; then
  . scripts/local-lrs.sh
  start_local_lrs js-clients
fi
status=0
node scripts/js-clients/xapi.js || status=1
node scripts/js-clients/tincan.js || status=1
exit $status
