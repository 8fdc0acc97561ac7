#!/usr/bin/env bash
# Exactly once through crashes: `provenant sync` with a PostgreSQL sink, SIGKILLed at random moments while it
# syncs the dev chain over HTTP (restarted each time), with the PostgreSQL server itself crashed and restarted once
# mid-sync; at the end `provenant export --check` must find every event row, owner, balance, rental and provenance
# row equal to the index, none duplicated or missing, and a backfill by `provenant export` into another schema must
# check equal too. Usage: scripts/sink-kill-test.sh [path/to/provenant]   (KILLS and BLOCKS override the defaults)
set -euo pipefail

bin=${1:-.build/debug/provenant}
kills=${KILLS:-12}
blocks=${BLOCKS:-3000}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "FAIL: PostgreSQL is not installed (apt-get install -y postgresql)"; exit 1; }
work=$(mktemp -d)
# The server's directory must belong to the user it runs as: PostgreSQL refuses to run as root.
pgdir=$(mktemp -d /tmp/provenant-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
devnet_pid=
cleanup() {
    [ -n "$devnet_pid" ] && kill "$devnet_pid" 2> /dev/null || true
    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop > /dev/null 2>&1 || true
    rm -rf "$work" "$pgdir"
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$pgdir/data" -U provenant --auth=trust -E UTF8 --no-sync > /dev/null
pg_start() { as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -o "-p 5432 -k $pgdir -c listen_addresses=''" start > /dev/null; }
pg_start
url="postgres://provenant@/postgres?host=$pgdir&sslmode=disable"

"$bin" devnet --seed 7 --blocks "$blocks" --port 0 > "$work/devnet.out" 2>&1 &
devnet_pid=$!
for _ in $(seq 1 500); do grep -q 'on http://' "$work/devnet.out" && break; sleep 0.02; done
upstream=$(grep -o 'http://[0-9.:]*/' "$work/devnet.out" | head -1)
[ -n "$upstream" ] || { echo "FAIL: the devnet did not start"; cat "$work/devnet.out"; exit 1; }

cat > "$work/crash.yaml" << YAML
chain: provenant-dev
upstreams: ["$upstream"]
dataDir: crash
contracts:
  - {name: prompted-visions, address: "0xf5204bf75282e13daf88ab5ac961be1592217e68", startBlock: 0}
  - {name: visions-editions, address: "0x404e4af4f2207c047e91bcacba167fd7817b6e40", startBlock: 0}
  - {name: vision-shares, address: "0x6e89b1a0e55f60809950bf4a9088e3646527559a", startBlock: 0}
sinks:
  - postgres: {url: "$url", schema: live}
YAML

rows() { as_pg "$pgbin/psql" -X -A -t -h "$pgdir" -U provenant -d postgres -c "SELECT coalesce(max(block_number), -1) || ' ' || count(*) FROM live.token_events" 2> /dev/null || echo "none"; }

mid=0
moved=0
before="none"
for i in $(seq 1 "$kills"); do
    "$bin" sync --config "$work/crash.yaml" --until-current --progress-every 50 > "$work/out" 2> "$work/err" &
    pid=$!
    lines=$((RANDOM % 4 + 2))
    while kill -0 "$pid" 2> /dev/null && [ "$(grep -c '^sync: block' "$work/out" || true)" -lt "$lines" ]; do sleep 0.01; done
    if [ "$i" = $((kills / 2)) ]; then
        # PostgreSQL crashes under the running sync and comes back: the sink waits, reconnects, and goes on.
        as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop > /dev/null
        sleep 0.3
        pg_start
        echo "PostgreSQL crashed and restarted under sync $i"
        sleep 0.5
    fi
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", (r / 32767) * 0.15 }')"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    index=$("$bin" index-digest --data-dir "$work/crash" 2> /dev/null | cut -d' ' -f2- || echo "not created yet")
    sink=$(rows)
    echo "sync kill $i: index at $index, sink rows (last block, count): $sink"
    [ "$index" != "block $blocks" ] && mid=$((mid + 1))
    [ "$sink" != "$before" ] && moved=$((moved + 1))
    before=$sink
done
"$bin" sync --config "$work/crash.yaml" --until-current > /dev/null 2> "$work/err" || { cat "$work/err"; exit 1; }
"$bin" export --check --data-dir "$work/crash" --postgres "$url" --schema live || { echo "FAIL: after $kills killed syncs the sink differs from the index"; exit 1; }
"$bin" export --data-dir "$work/crash" --postgres "$url" --schema backfill > /dev/null
"$bin" export --check --data-dir "$work/crash" --postgres "$url" --schema backfill || { echo "FAIL: the backfill differs from the index"; exit 1; }
same=$(as_pg "$pgbin/psql" -X -A -t -h "$pgdir" -U provenant -d postgres -c \
    "SELECT count(*) FROM (SELECT * FROM live.token_events EXCEPT SELECT * FROM backfill.token_events) d")
[ "$same" = "0" ] || { echo "FAIL: the live sink and the backfill hold different event rows ($same)"; exit 1; }
if [ "$mid" -lt $((kills / 2)) ] || [ "$moved" -lt $((kills / 2)) ]; then
    echo "FAIL: only $mid of $kills kills landed mid-sync, the sink moved between $moved of them; the test did not exercise crashes"
    exit 1
fi
echo "sink kill test OK: killed $kills times ($mid mid-sync, the sink moved between $moved), PostgreSQL crashed once; the sink and a backfill equal the index"
