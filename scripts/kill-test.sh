#!/usr/bin/env bash
# Crash safety: SIGKILL `provenant import-devchain` and `provenant reindex` at random moments, restart them, and
# require the final index to equal, byte for byte (index-digest), that of a run that was never interrupted.
# The shares contract is left unwatched, so blocks mixing its transactions with the others keep partial bodies
# and the reindex replays both kinds.
# Usage: scripts/kill-test.sh [path/to/provenant]   (KILLS and BLOCKS override the defaults)
set -euo pipefail

bin=${1:-.build/debug/provenant}
kills=${KILLS:-12}
blocks=${BLOCKS:-3000}
seed=7
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

random_delay() { awk -v r="$RANDOM" -v max="$1" 'BEGIN { printf "%.3f", 0.05 + (r / 32767) * max }'; }
watch=prompted-visions,visions-editions
digest() { "$bin" index-digest --data-dir "$1"; }

"$bin" import-devchain --seed "$seed" --blocks "$blocks" --watch "$watch" --data-dir "$work/clean" > /dev/null
expected=$(digest "$work/clean")
echo "clean run: $expected"

mid=0
before="empty"
for i in $(seq 1 "$kills"); do
    # Kill once the restarted import has written a random number of blocks (it reports every 10), plus a
    # random fraction of a second: always while it is writing.
    "$bin" import-devchain --seed "$seed" --blocks "$blocks" --watch "$watch" --data-dir "$work/crash" --progress-every 10 > "$work/out" 2>&1 &
    pid=$!
    lines=$((RANDOM % 12 + 1))
    while kill -0 "$pid" 2> /dev/null && [ "$(grep -c '^import:' "$work/out" || true)" -lt "$lines" ]; do sleep 0.02; done
    sleep "$(random_delay 0.2)"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    state=$(digest "$work/crash" | cut -d' ' -f2-)
    echo "import kill $i: index at $state"
    if [ "$state" = "block $blocks" ]; then
        # The import finished before the kill (a fast machine): check it, then start over so that the next kills
        # land mid-import again.
        [ "$(digest "$work/crash")" = "$expected" ] || { echo "FAIL: a finished import's index differs from the clean one"; exit 1; }
        rm -rf "$work/crash"
        state="empty"
    elif [ "$state" != "$before" ]; then
        # A kill that landed while blocks were being written: the index moved, and did not finish.
        mid=$((mid + 1))
    fi
    before=$state
done
"$bin" import-devchain --seed "$seed" --blocks "$blocks" --watch "$watch" --data-dir "$work/crash" > /dev/null
actual=$(digest "$work/crash")
[ "$actual" = "$expected" ] || { echo "FAIL: after $kills killed imports the index is $actual, expected $expected"; exit 1; }
echo "imports killed $kills times ($mid mid-way): index equals the clean run's"

for i in $(seq 1 "$kills"); do
    "$bin" reindex --data-dir "$work/crash" > /dev/null 2>&1 &
    pid=$!
    sleep "$(random_delay 1.5)"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    echo "reindex kill $i: index at $(digest "$work/crash" | cut -d' ' -f2-)"
done
"$bin" reindex --data-dir "$work/crash" > /dev/null
actual=$(digest "$work/crash")
[ "$actual" = "$expected" ] || { echo "FAIL: after $kills killed reindexes the index is $actual, expected $expected"; exit 1; }
echo "reindexes killed $kills times: index equals the clean run's"
if [ "$mid" -lt $((kills / 2)) ]; then
    echo "FAIL: only $mid of $kills import kills landed mid-import; the test did not exercise crashes"
    exit 1
fi
echo "kill test OK: $((2 * kills)) kills, the index always equal to the clean run's"
