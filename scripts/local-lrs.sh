# Sourced by the *-local.sh scripts: `start_local_lrs NAME` starts a throwaway lrs (embedded
# PostgreSQL in a temporary data dir) on a free port with a fresh credential NAME, waits until
# it is ready, and stops and removes it when the calling script exits. It sets LRS_URL,
# LRS_KEY and LRS_SECRET; the server's log goes to reports/NAME-server.log.

start_local_lrs() {
  local name=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  LOCAL_LRS_DATA=$(mktemp -d)
  LRS_URL="http://127.0.0.1:$port/xAPI/"
  LRS_KEY=$name
  LRS_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  export LRS_URL LRS_KEY LRS_SECRET
  mkdir -p reports
  LRS_DATA_DIR="$LOCAL_LRS_DATA" LRS_BOOTSTRAP_KEY=$LRS_KEY LRS_BOOTSTRAP_SECRET=$LRS_SECRET \
    lrs serve --port "$port" >"reports/$name-server.log" 2>&1 &
  LOCAL_LRS_PID=$!
  trap stop_local_lrs EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "the local lrs did not get ready (reports/$name-server.log says why)" >&2
  return 1
}

stop_local_lrs() {
  kill -TERM "$LOCAL_LRS_PID" 2>/dev/null || true
  wait "$LOCAL_LRS_PID" 2>/dev/null || true
  rm -rf "$LOCAL_LRS_DATA"
}
