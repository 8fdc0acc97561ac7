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

# How long an uninterrupted run takes (sync, then the sink catching up), in another data directory and schema: each
# kill then lands at a random moment of a run, in sync's fetching and writing or in the sink's transactions.
sed -e "s/dataDir: crash/dataDir: clean/" -e "s/schema: live/schema: clean/" "$work/crash.yaml" > "$work/clean.yaml"
start=$(date +%s.%N)
"$bin" sync --config "$work/clean.yaml" --until-current > /dev/null 2>&1
span=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
echo "an uninterrupted run takes $span s"

mid=0
moved=0
before="none"
for i in $(seq 1 "$kills"); do
    "$bin" sync --config "$work/crash.yaml" --until-current > "$work/out" 2> "$work/err" &
    pid=$!
    if [ "$i" = $((kills / 2)) ]; then
        # PostgreSQL crashes under the running sync and comes back: the sink waits, reconnects, and goes on.
        sleep 0.5
        as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop > /dev/null
        sleep 0.3
        pg_start
        echo "PostgreSQL crashed and restarted under sync $i"
    fi
    sleep "$(awk -v r="$RANDOM" -v span="$span" 'BEGIN { printf "%.3f", 0.3 + (r / 32767) * span * 0.8 }')"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    index=$("$bin" index-digest --data-dir "$work/crash" 2> /dev/null | cut -d' ' -f2- || echo "not created yet")
    sink=$(rows)
    echo "sync kill $i: index at $index, sink rows (last block, count): $sink"
    [ "$index" != "block $blocks" ] || [ "${sink%% *}" != "$blocks" ] && mid=$((mid + 1))
    [ "$sink" != "$before" ] && moved=$((moved + 1))
    before=$sink
    if [ "$index" = "block $blocks" ] && [ "${sink%% *}" = "$blocks" ]; then
        # Sync and sink both finished before the kill: check them, then start over so that the next kills land
        # mid-run again.
        "$bin" export --check --data-dir "$work/crash" --postgres "$url" --schema live > /dev/null || { echo "FAIL: a finished sync's sink differs from its index"; exit 1; }
        rm -rf "$work/crash"
        as_pg "$pgbin/psql" -X -q -h "$pgdir" -U provenant -d postgres -c "SET client_min_messages TO warning; DROP SCHEMA live CASCADE" > /dev/null
        before="none"
        echo "  (finished and equal: started over)"
    fi
done
"$bin" sync --config "$work/crash.yaml" --until-current > /dev/null 2> "$work/err" || { cat "$work/err"; exit 1; }
"$bin" export --check --data-dir "$work/crash" --postgres "$url" --schema live || { echo "FAIL: after $kills killed syncs the sink differs from the index"; exit 1; }
"$bin" export --data-dir "$work/crash" --postgres "$url" --schema backfill > /dev/null
"$bin" export --check --data-dir "$work/crash" --postgres "$url" --schema backfill || { echo "FAIL: the backfill differs from the index"; exit 1; }
same=$(as_pg "$pgbin/psql" -X -A -t -h "$pgdir" -U provenant -d postgres -c \
    "SELECT count(*) FROM (SELECT * FROM live.token_events EXCEPT SELECT * FROM backfill.token_events) d")
[ "$same" = "0" ] || { echo "FAIL: the live sink and the backfill hold different event rows ($same)"; exit 1; }
if [ "$mid" -lt $((kills / 2)) ] || [ "$moved" -lt $((kills / 3)) ]; then
    echo "FAIL: only $mid of $kills kills landed mid-sync, the sink moved between $moved of them; the test did not exercise crashes"
    exit 1
fi
echo "sink kill test OK: killed $kills times ($mid mid-sync, the sink moved between $moved), PostgreSQL crashed once; the sink and a backfill equal the index"
