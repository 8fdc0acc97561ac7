#!/usr/bin/env bash
# The README's third-party example: a package that depends on the ProofVerify product alone builds without
# LevelDB, zstd, SwiftNIO or an HTTP client, links none of them, and checks a bundle the node exported: it accepts
# the bundle under its anchor's hash, and refuses it with another trusted hash or with a receipt byte changed.
# Usage: scripts/verify-bundle-example.sh [path/to/provenant]
set -euo pipefail

bin=${1:-.build/debug/provenant}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build --package-path examples/verify-bundle
example=$(swift build --package-path examples/verify-bundle --show-bin-path)/verify-bundle
# Built from the example's own build folder: any storage or networking library there came in through the product.
for library in libleveldb libzstd libssl libcrypto; do
    if ldd "$example" | grep -q "$library"; then echo "FAIL: the verifier example links $library"; exit 1; fi
done
for module in CLevelDB CZstd Store AssetIndex NIOCore AsyncHTTPClient; do
    if [ -e "$(dirname "$example")/Modules/$module.swiftmodule" ]; then echo "FAIL: the verifier example built $module"; exit 1; fi
done

"$bin" import-devchain --seed 3 --blocks 300 --data-dir "$work/data" > /dev/null
visions=$("$bin" devchain-info | awk '/prompted-visions/ { print $NF }')
"$bin" proof "$visions" 1 --data-dir "$work/data" > "$work/bundle.json"
anchor=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["anchor"]["hash"])' "$work/bundle.json")

"$example" "$work/bundle.json" "$anchor" | tee "$work/out"
grep -q "minted by 0x" "$work/out" || { echo "FAIL: the example did not report the mint"; exit 1; }

status=0
"$example" "$work/bundle.json" "0x$(printf '11%.0s' {1..32})" > /dev/null || status=$?
[ "$status" = 1 ] || { echo "FAIL: an untrusted anchor gave exit $status, not 1"; exit 1; }

# Flip one nibble in the middle of the first event's receipt: its proof against the receipts root must fail.
python3 - "$work/bundle.json" "$work/tampered.json" << 'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
receipt = bundle["events"][0]["receipt"]
i = len(receipt) // 2
bundle["events"][0]["receipt"] = receipt[:i] + ("1" if receipt[i] != "1" else "2") + receipt[i + 1:]
json.dump(bundle, open(sys.argv[2], "w"))
PY
status=0
"$example" "$work/tampered.json" "$anchor" > "$work/out" || status=$?
[ "$status" = 1 ] || { echo "FAIL: a tampered receipt gave exit $status, not 1"; exit 1; }
grep -q "receipt" "$work/out" || { echo "FAIL: the failure does not name the receipt: $(cat "$work/out")"; exit 1; }
echo "the verifier example accepts the node's bundle and refuses a wrong anchor and a tampered receipt"
