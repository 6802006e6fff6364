#!/usr/bin/env bash
# Start a throwaway lrs (embedded PostgreSQL in a temporary data dir) and run the conformance
# suite against it for xAPI 1.0.3 and 2.0.0. Reports land in ./reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/local-lrs.sh
start_local_lrs conformance
status=0
for version in 1.0.3 2.0.0; do
  echo "== conformance, xAPI $version =="
  # The = form: a generated secret may begin with "-", which would otherwise read as an option.
  python -m conformance --endpoint="$LRS_URL" --user="$LRS_KEY" --password="$LRS_SECRET" \
    --xapi-version "$version" --report "reports/conformance-$version.json" \
    --junit "reports/conformance-$version.xml" || status=1
done
exit $status
