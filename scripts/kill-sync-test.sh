#!/usr/bin/env bash
# Crash safety of sync: SIGKILL `provenant sync` at random moments while it syncs the dev chain over HTTP, restart
# it each time, and require the final index to equal, byte for byte (index-digest), that of a sync never
# interrupted. Usage: scripts/kill-sync-test.sh [path/to/provenant]   (KILLS and BLOCKS override the defaults)
set -euo pipefail

bin=${1:-.build/debug/provenant}
kills=${KILLS:-12}
blocks=${BLOCKS:-3000}
work=$(mktemp -d)
devnet_pid=
cleanup() {
    [ -n "$devnet_pid" ] && kill "$devnet_pid" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

digest() { "$bin" index-digest --data-dir "$1"; }

"$bin" devnet --seed 7 --blocks "$blocks" --port 0 > "$work/devnet.out" 2>&1 &
devnet_pid=$!
for _ in $(seq 1 500); do grep -q 'on http://' "$work/devnet.out" && break; sleep 0.02; done
url=$(grep -o 'http://[0-9.:]*/' "$work/devnet.out" | head -1)
[ -n "$url" ] || { echo "FAIL: the devnet did not start"; cat "$work/devnet.out"; exit 1; }

for name in clean crash; do
    cat > "$work/$name.yaml" << YAML
chain: provenant-dev
upstreams: ["$url"]
dataDir: $name
contracts:
  - {name: prompted-visions, address: "0xf5204bf75282e13daf88ab5ac961be1592217e68", startBlock: 0}
  - {name: visions-editions, address: "0x404e4af4f2207c047e91bcacba167fd7817b6e40", startBlock: 0}
  - {name: vision-shares, address: "0x6e89b1a0e55f60809950bf4a9088e3646527559a", startBlock: 0}
YAML
done

"$bin" sync --config "$work/clean.yaml" --until-current > /dev/null 2>&1
expected=$(digest "$work/clean")
echo "clean sync from $url: $expected"

mid=0
before="empty"
for i in $(seq 1 "$kills"); do
    # Kill once the restarted sync has indexed a random number of 50-block steps (it prints one line per step),
    # plus a random fraction of a second: always while it is fetching and writing.
    "$bin" sync --config "$work/crash.yaml" --until-current --progress-every 50 > "$work/out" 2> /dev/null &
    pid=$!
    lines=$((RANDOM % 4 + 2))
    while kill -0 "$pid" 2> /dev/null && [ "$(grep -c '^sync: block' "$work/out" || true)" -lt "$lines" ]; do sleep 0.01; done
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", (r / 32767) * 0.15 }')"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    state=$(digest "$work/crash" 2> /dev/null | cut -d' ' -f2- || echo "not created yet")
    echo "sync kill $i: index at $state"
    if [ "$state" = "block $blocks" ]; then
        # The sync finished before the kill (a fast machine): check it, then start over so that the next kills
        # land mid-sync again.
        [ "$(digest "$work/crash")" = "$expected" ] || { echo "FAIL: a finished sync's index differs from the clean one"; exit 1; }
        rm -rf "$work/crash"
        state="empty"
    elif [ "$state" != "$before" ]; then
        mid=$((mid + 1))
    fi
    before=$state
done
"$bin" sync --config "$work/crash.yaml" --until-current > /dev/null 2>&1
actual=$(digest "$work/crash")
[ "$actual" = "$expected" ] || { echo "FAIL: after $kills killed syncs the index is $actual, expected $expected"; exit 1; }
if [ "$mid" -lt $((kills / 2)) ]; then
    echo "FAIL: only $mid of $kills kills landed mid-sync; the test did not exercise crashes"
    exit 1
fi
echo "sync kill test OK: killed $kills times ($mid mid-sync), each restart resumed, the index equals the clean sync's"
