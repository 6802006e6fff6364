#!/usr/bin/env bash
# Start a throwaway lrs (embedded PostgreSQL in a temporary data dir) and run the conformance
# suite against it for xAPI 1.0.3 and 2.0.0. Reports land in ./reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data_dir=$(mktemp -d)
key=conformance
secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
mkdir -p reports
LRS_DATA_DIR="$data_dir" LRS_BOOTSTRAP_KEY=$key LRS_BOOTSTRAP_SECRET=$secret \
  lrs serve --port "$port" >reports/conformance-server.log 2>&1 &
server=$!
cleanup() { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data_dir"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
status=0
for version in 1.0.3 2.0.0; do
  echo "== conformance, xAPI $version =="
  python -m conformance --endpoint "http://127.0.0.1:$port/xAPI/" --user $key --password "$secret" \
    --xapi-version "$version" --report "reports/conformance-$version.json" \
    --junit "reports/conformance-$version.xml" || status=1
done
exit $status
