#!/usr/bin/env bash
# Load and soak (issue 17). A node (`provenant run`, release build) syncs from three dev-chain upstreams that grow a
# block every 500 ms, reorganise every 97 blocks and misbehave (one drops connections and rate-limits, one delays and
# fails with 503, one lies about receipts), while:
#   1. wrk drives its server at 1, 4, 16, 64 and 256 connections on each of a mix of methods (the ladder);
#   2. a soak keeps a mixed load on it for SOAK_MINUTES, sampling resident memory, open descriptors and disk use;
#   3. the chain stops growing, and the index must equal that of a fresh sync of the same chain.
# Results go to OUT_DIR: ladder.md (requests/s and latency percentiles per method and concurrency, errors),
# soak.csv (one sample every 15 s) and summary.txt. Exit status 1 when a check fails.
#
# usage: scripts/load-soak.sh [-m SOAK_MINUTES] [-s LADDER_STEP_SECONDS] [-o OUT_DIR]     (defaults: 30, 8, a temp dir)
# Needs wrk (apt-get install -y wrk). Takes the minutes asked plus about 10 (the ladder, a release build if stale).
# PROVENANT_BIN=path skips the build and runs that binary.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
step=8
out=""
while getopts "m:s:o:h" opt; do
    case $opt in
        m) minutes=$OPTARG ;;
        s) step=$OPTARG ;;
        o) out=$OPTARG ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
command -v wrk > /dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 2; }

if [ -n "${PROVENANT_BIN:-}" ]; then
    bin=$(realpath "$PROVENANT_BIN")  # a binary already built (a debug one to try the script quickly)
else
    echo "== build (release)"
    swift build -c release --product provenant --scratch-path .build-release
    bin=$PWD/.build-release/release/provenant
fi
work=$(mktemp -d /tmp/provenant-soak.XXXXXX)
out=${out:-$work/results}
mkdir -p "$out"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    wait 2> /dev/null || true
}
trap cleanup EXIT

visions=0xf5204bf75282e13daf88ab5ac961be1592217e68
editions=0x404e4af4f2207c047e91bcacba167fd7817b6e40
shares=0x6e89b1a0e55f60809950bf4a9088e3646527559a
transfer=0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef
base_port=$((20000 + RANDOM % 20000))
ports=($base_port $((base_port + 1)) $((base_port + 2)))
rpc_port=$((base_port + 3))
url=http://127.0.0.1:$rpc_port/

block_ms=500
start_blocks=400
ladder_s=$((7 * 5 * (step + 1)))
# Growth stops two minutes before the soak ends: sync and then a fresh sync reach the same head.
max_head=$((start_blocks + (ladder_s + minutes * 60 - 120) * 1000 / block_ms))
chain="--seed 11 --blocks $start_blocks --block-time-ms $block_ms --max-head $max_head --reorg-at 450 --reorg-depth 4 --reorg-every 97"

echo "== three upstreams on ${ports[*]}, growing to block $max_head, reorganising every 97 blocks"
# shellcheck disable=SC2086
"$bin" devnet $chain --port "${ports[0]}" --drop-rate 0.01 --rate-limit-rate 0.02 > "$work/devnet-a.log" 2>&1 &
pids+=($!)
# shellcheck disable=SC2086
"$bin" devnet $chain --port "${ports[1]}" --delay-rate 0.05 --delay-ms 100 --server-error-rate 0.01 > "$work/devnet-b.log" 2>&1 &
pids+=($!)
# shellcheck disable=SC2086
"$bin" devnet $chain --port "${ports[2]}" --tamper receipts --tamper-rate 0.2 > "$work/devnet-c.log" 2>&1 &
pids+=($!)

config() { # config DATA_DIR
    cat << EOF
chain: provenant-dev
upstreams: [http://127.0.0.1:${ports[0]}, http://127.0.0.1:${ports[1]}, http://127.0.0.1:${ports[2]}]
quorum: 2
dataDir: $1
reorgWindow: 128
server:
  address: 127.0.0.1:$rpc_port
contracts:
  - {name: prompted-visions, address: "$visions", startBlock: 0}
  - {name: visions-editions, address: "$editions", startBlock: 0}
  - {name: vision-shares, address: "$shares", startBlock: 0}
EOF
}
config "$work/data" > "$work/node.yaml"
config "$work/fresh" > "$work/fresh.yaml"
sleep 2

rpc() { curl -s -m 5 -X POST -H 'content-type: application/json' "$url" -d "$1"; }
indexed() { rpc '{"jsonrpc":"2.0","id":1,"method":"asset_status","params":[]}' | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print(int(r["indexed"]["number"],16) if r.get("indexed") else 0)' 2> /dev/null || echo 0; }

echo "== node: provenant run, serving on $url"
"$bin" run --config "$work/node.yaml" > "$work/node.log" 2>&1 &
node=$!
pids+=($node)
for _ in $(seq 1 240); do
    [ "$(indexed)" -ge "$start_blocks" ] && break
    sleep 0.5
done
echo "   indexed $(indexed)"

call() { printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}' "$1" "$2"; }
declare -A bodies
bodies[eth_blockNumber]="$(call eth_blockNumber '[]')"
bodies[asset_ownerOf]="$(for t in 1 2 3 4 5 6 7 8; do call asset_ownerOf "[\"$visions\",\"0x$t\"]"; echo; done)"
bodies[asset_holdersOf]="$(call asset_holdersOf "[\"$shares\",null,{\"limit\":20}]")"
bodies[asset_history]="$(for t in 1 2 3 4; do call asset_history "[\"$visions\",\"0x$t\",{\"limit\":100}]"; echo; done)"
bodies[asset_provenance]="$(for t in 1 2 3 4; do call asset_provenance "[\"$visions\",\"0x$t\"]"; echo; done)"
bodies[eth_getLogs]="$(call eth_getLogs "[{\"fromBlock\":\"0x0\",\"toBlock\":\"0x190\",\"address\":\"$visions\",\"topics\":[\"$transfer\"]}]")"
bodies[asset_proof]="$(call asset_proof "[\"$visions\",\"0x1\",{\"anchor\":\"0x190\"}]")"
methods=(eth_blockNumber asset_ownerOf asset_holdersOf asset_history asset_provenance eth_getLogs asset_proof)

run_wrk() { # run_wrk CONNECTIONS SECONDS BODIES...
    local connections=$1 seconds=$2
    shift 2
    local threads=$((connections < 2 ? 1 : 2))
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s -s scripts/wrk-jsonrpc.lua "$url" -- "$@" | grep '^result'
}

failed=0
echo "== ladder: each method at 1 to 256 connections, $step s each"
{
    echo "| method | connections | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors |"
    echo "|---|---|---|---|---|---|---|---|"
} > "$out/ladder.md"
for method in "${methods[@]}"; do
    mapfile -t list <<< "${bodies[$method]}"
    for connections in 1 4 16 64 256; do
        line=$(run_wrk "$connections" "$step" "${list[@]}" || true)
        [ -n "$line" ] || line="result requests=0 rps=0 p50_us=0 p90_us=0 p99_us=0 max_us=0 rpc_errors=1 socket_errors=0"
        row=$(echo "$line" | awk -v method="$method" -v connections="$connections" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %d |\n", method, connections, v["rps"], v["p50_us"] / 1000,
                v["p90_us"] / 1000, v["p99_us"] / 1000, v["max_us"] / 1000, v["rpc_errors"] + v["socket_errors"] }')
        echo "$row" | tee -a "$out/ladder.md"
        [ "$(echo "$row" | awk -F'|' '{gsub(/ /, "", $9); print $9}')" = "0" ] || failed=1
    done
done

echo "== soak: $minutes minutes of mixed load (8 connections) while sync follows the chain"
mixed=()
for method in "${methods[@]}"; do
    mapfile -t list <<< "${bodies[$method]}"
    mixed+=("${list[@]}")
done
run_wrk 8 "$((minutes * 60))" "${mixed[@]}" > "$out/soak-wrk.txt" &
load=$!
echo "seconds,rss_kib,peak_rss_kib,open_fds,disk_kib,indexed" > "$out/soak.csv"
start=$(date +%s)
while kill -0 "$load" 2> /dev/null; do
    now=$(($(date +%s) - start))
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$node/status")
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$node/status")
    fds=$(ls "/proc/$node/fd" | wc -l)
    disk=$(du -sk "$work/data" | cut -f1)
    echo "$now,$rss,$hwm,$fds,$disk,$(indexed)" | tee -a "$out/soak.csv"
    sleep 15
done
wait "$load" || true
cat "$out/soak-wrk.txt"

echo "== the end: the chain stops at $max_head; the node's index against a fresh sync"
for _ in $(seq 1 600); do
    [ "$(indexed)" -ge "$max_head" ] && break
    sleep 1
done
final=$(indexed)
kill -TERM "$node"
wait "$node" || true
node_digest=$("$bin" index-digest --data-dir "$work/data" | tail -1)
"$bin" sync --config "$work/fresh.yaml" --stop-at "$max_head" > "$work/fresh.log" 2>&1
fresh_digest=$("$bin" index-digest --data-dir "$work/fresh" | tail -1)

python3 - "$out/soak.csv" "$final" "$max_head" "$node_digest" "$fresh_digest" << 'EOF' | tee "$out/summary.txt"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
final, max_head, node, fresh = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rss = [int(r["rss_kib"]) for r in rows]
fds = [int(r["open_fds"]) for r in rows]
disk = [int(r["disk_kib"]) for r in rows]
warm = rows[len(rows) // 6:] or rows  # after the first sixth of the soak
warm_rss = [int(r["rss_kib"]) for r in warm]
print(f"samples: {len(rows)} over {rows[-1]['seconds']} s")
print(f"resident memory: {min(rss) // 1024}-{max(rss) // 1024} MiB; after warm-up {min(warm_rss) // 1024}-{max(warm_rss) // 1024} MiB; peak {int(rows[-1]['peak_rss_kib']) // 1024} MiB")
print(f"open descriptors: {min(fds)}-{max(fds)} (first {fds[0]}, last {fds[-1]})")
print(f"disk: {disk[0] // 1024} MiB to {disk[-1] // 1024} MiB")
print(f"indexed {final} of {max_head}; node index {node}; fresh sync {fresh}")
ok = final == max_head and node == fresh and max(warm_rss) <= 1.25 * min(warm_rss) + 16384 and fds[-1] <= fds[0] + 8
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
status=${PIPESTATUS[0]}
[ "$failed" -eq 0 ] || echo "the ladder saw errors (see ladder.md)"
echo "results in $out"
exit $((status | failed))
