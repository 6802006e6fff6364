#!/usr/bin/env bash
# `lrs pull` between two local lrs servers: N statements (with a few attachments) seeded into
# the source with `lrs import`, then pulled into the target's database, timed, with the pull
# process's peak RSS (GNU time). Run from the repository root after `make install`:
#   N=100000 bash bench/pull_bench.sh
# Databases bench_pull_src / bench_pull_dst on the PostgreSQL at $PG are dropped first.
set -euo pipefail
PG=${PG:-postgresql+asyncpg://postgres@127.0.0.1:5432}
N=${N:-100000}
PAGE=${PAGE:-500}
SRC_PORT=${SRC_PORT:-8701}
DST_PORT=${DST_PORT:-8702}
WORK=$(mktemp -d)
export PATH="$PWD/.venv/bin:$PATH"
export LRS_BOOTSTRAP_KEY=bench LRS_BOOTSTRAP_SECRET=bench-secret LRS_LOG_LEVEL=WARNING
psql_url=${PG/+asyncpg/}
for db in bench_pull_src bench_pull_dst; do
  psql "$psql_url/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  rm -rf "$WORK"
  for db in bench_pull_src bench_pull_dst; do
    psql "$psql_url/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  done
}
trap cleanup EXIT
for side in src:$SRC_PORT dst:$DST_PORT; do
  LRS_DATABASE_URL=$PG/bench_pull_${side%%:*} lrs serve --migrate --port "${side##*:}" \
    >"$WORK/${side%%:*}.log" 2>&1 &
  pids+=($!)
done
for port in $SRC_PORT $DST_PORT; do
  until curl -fs "http://127.0.0.1:$port/ready" >/dev/null; do sleep 0.5; done
done

python -m bench generate --count "$N" >"$WORK/seed.ndjson"
LRS_DATABASE_URL=$PG/bench_pull_src lrs import "$WORK/seed.ndjson" 2>&1 | tail -1
# A few statements with attachments, POSTed to the source (multipart/mixed).
python -m bench.pull_attachments "http://127.0.0.1:$SRC_PORT/xAPI" bench bench-secret 20

echo "pull of $((N + 20)) statements, page size $PAGE:"
LRS_DATABASE_URL=$PG/bench_pull_dst /usr/bin/time -f "wall %e s, peak RSS %M KiB, cpu user %U s sys %S s" \
  lrs pull "http://127.0.0.1:$SRC_PORT/xAPI" --user bench --password bench-secret \
  --page-size "$PAGE" 2>&1 | grep -E "^(received|complete|INCOMPLETE|NOT ALL|wall)"
echo "the same pull again (resumes at the end: reads the last stored batch only):"
LRS_DATABASE_URL=$PG/bench_pull_dst /usr/bin/time -f "wall %e s, peak RSS %M KiB" \
  lrs pull "http://127.0.0.1:$SRC_PORT/xAPI" --user bench --password bench-secret 2>&1 |
  grep -E "^(resumed|received|complete|INCOMPLETE|NOT ALL|wall)"
echo "target server answers GET /statements (attachments=true) with:"
curl -fs -o /dev/null -w "%{http_code} %{content_type}\n" -u bench:bench-secret \
  -H "X-Experience-API-Version: 2.0.0" \
  "http://127.0.0.1:$DST_PORT/xAPI/statements?limit=50&attachments=true"
for db in src dst; do
  psql "$psql_url/bench_pull_$db" -Atc \
    "SELECT '$db: statements ' || count(*) || ', md5 of ids ' || md5(string_agg(id::text, ',' ORDER BY id)) FROM statements"
  psql "$psql_url/bench_pull_$db" -Atc "SELECT '$db: attachments ' || count(*) FROM attachments"
done
uptime
