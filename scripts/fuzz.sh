#!/usr/bin/env bash
# Runs the libFuzzer targets (Tests/FuzzTargets; the harness is the nested package fuzz/) with address sanitizer,
# each for a chosen time, seeded from the shared vectors and the project's own requests, configs and a bundle.
# Prints a table of what each run did. A crash (or a timeout, or a leak) is copied into
# Tests/FuzzRegressionTests/inputs/<target>/ for `swift test` to replay once it is fixed, and the script exits 1.
#
# usage: scripts/fuzz.sh [-t SECONDS] [TARGET ...]     (default: every target, 60 seconds each)
# The working corpus is kept in fuzz/work/ (not committed): a second run starts where the first left off.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
while getopts "t:h" opt; do
    case $opt in
        t) seconds=$OPTARG ;;
        *) sed -n '2,9p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
all=(rlp header transaction receipt json rpc http bundle config)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

# The largest input each target is given: a bundle of a 200-block chain is about 250 KB; RLP's every length form
# fits in 1 KiB, and shorter inputs run faster.
max_len() {
    case $1 in
        rlp) echo 1024 ;;
        header) echo 2048 ;;
        bundle) echo 300000 ;;
        json|rpc|config) echo 16384 ;;
        *) echo 8192 ;;
    esac
}

echo "== build: fuzz/ in release, every Swift module with -sanitize=fuzzer,address"
swift build -c release --package-path fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
bin=fuzz/.build/release/provenant-fuzz
work=fuzz/work
mkdir -p "$work/logs"

echo "== seeds"
swift build --product provenant
rm -rf "$work/devchain"
.build/debug/provenant import-devchain --blocks 200 --data-dir "$work/devchain" > /dev/null
.build/debug/provenant proof 0xf5204bf75282e13daf88ab5ac961be1592217e68 1 --data-dir "$work/devchain" > "$work/bundle.json"
rm -rf "$work/seeds"
python3 scripts/fuzz-seeds.py "$work/seeds" --bundle "$work/bundle.json"

failed=0
summary="| target | seconds | executions | per second | coverage (edges) | corpus | crashes |"$'\n'"|---|---|---|---|---|---|---|"
for target in "${targets[@]}"; do
    echo "== fuzz $target for $seconds s"
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target" "$work/seeds/$target"
    log="$work/logs/$target.log"
    status=0
    FUZZ_TARGET=$target "$bin" "$work/corpus/$target" "$work/seeds/$target" \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$work/artifacts/$target/" -print_final_stats=1 > "$log" 2>&1 || status=$?
    executions=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
    coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    corpus=$(find "$work/corpus/$target" -type f | wc -l)
    crashes=0
    for artifact in "$work/artifacts/$target"/*; do
        [ -f "$artifact" ] || continue
        crashes=$((crashes + 1))
        mkdir -p "Tests/FuzzRegressionTests/inputs/$target"
        cp "$artifact" "Tests/FuzzRegressionTests/inputs/$target/"
        echo "   $target: $(basename "$artifact") kept in Tests/FuzzRegressionTests/inputs/$target/"
    done
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        grep -m 20 -E "ERROR|panicked|Fatal error|SUMMARY|==[0-9]+==" "$log" || true
    fi
    line="| $target | $seconds | ${executions:-?} | ${rate:-?} | ${coverage:-?} | $corpus | $crashes |"
    echo "   $line"
    summary+=$'\n'"$line"
done
echo
echo "$summary"
exit $failed
