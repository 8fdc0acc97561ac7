#!/usr/bin/env python3
"""Proof bundle sizes against token age and history, and the time `provenant verify` takes on each (RESULTS.md).

Imports the dev chain, then for tokens minted at different depths below the head writes two bundles each: one
anchored at the head in one run of headers (`provenant proof`), and one anchored at the next multiple of 1024 above
the token's last event with past events in segments ending at their own multiple of 1024 (`--anchor nearest`), and
times `provenant verify` on each (median of 5 runs, trusted through the exported anchors file).

Usage: scripts/bundle-sizes.py [--blocks N] [--tokens K]   (PROVENANT_BIN: the binary, default the release build)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

VISIONS = "0xf5204bf75282e13daf88ab5ac961be1592217e68"


def run(binary, *arguments, capture=True):
    result = subprocess.run([binary, *arguments], capture_output=capture, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)}: exit {result.returncode}\n{result.stderr}")
    return result.stdout


def timed_verify(binary, path, trust):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run(binary, "verify", path, *trust)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=60_000)
    parser.add_argument("--tokens", type=int, default=8)
    args = parser.parse_args()
    binary = os.environ.get("PROVENANT_BIN", ".build-release/release/provenant")
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        start = time.perf_counter()
        run(binary, "import-devchain", "--seed", "3", "--blocks", str(args.blocks), "--data-dir", data)
        print(f"imported {args.blocks} dev-chain blocks in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        anchors = os.path.join(work, "anchors.json")
        with open(anchors, "w") as f:
            f.write(run(binary, "anchors", "export", "--every", "1024", "--data-dir", data))
        # Tokens spread over the chain's history: the oldest first, then ids further and further from it (probed with
        # small, nearest-anchored bundles).
        last_token = 1
        while True:
            probe = subprocess.run([binary, "proof", VISIONS, hex(last_token * 2), "--anchor", "nearest", "--data-dir", data], capture_output=True)
            if probe.returncode != 0:
                break
            last_token *= 2
        tokens = sorted({max(1, round(last_token ** (i / (args.tokens - 1)))) for i in range(args.tokens)})
        rows = []
        for token in tokens:
            paths = {}
            for kind, extra in (("head", []), ("nearest", ["--anchor", "nearest", "--every", "1024"])):
                text = run(binary, "proof", VISIONS, hex(token), "--data-dir", data, *extra)
                paths[kind] = os.path.join(work, f"{token}-{kind}.json")
                with open(paths[kind], "w") as f:
                    f.write(text)
            head = json.load(open(paths["head"]))
            near = json.load(open(paths["nearest"]))
            first = min(int(e["blockNumber"], 16) for e in head["events"])
            anchor = int(head["anchor"]["number"], 16)
            trust_head = ["--trust", head["anchor"]["hash"]]
            rows.append({
                "token": token, "age": anchor - first, "events": len(head["events"]),
                "receipt blocks": len(head["blockReceipts"]),
                "head headers": len(head["headers"]), "head bytes": os.path.getsize(paths["head"]),
                "head verify ms": timed_verify(binary, paths["head"], trust_head),
                "near headers": len(near["headers"]) + sum(len(s) for s in near["segments"]),
                "near segments": len(near["segments"]), "near bytes": os.path.getsize(paths["nearest"]),
                # A token whose last event is above the last multiple of 1024 falls back to the head.
                "near verify ms": timed_verify(binary, paths["nearest"], ["--anchors", anchors] + (
                    [] if int(near["anchor"]["number"], 16) % 1024 == 0 else ["--trust", near["anchor"]["hash"]])),
            })
    print(f"| token | age (blocks from first event to head) | events | blocks with receipts | one run: headers | bytes | verify | nearest 1024 + segments: headers (segments) | bytes | verify |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['token']} | {r['age']:,} | {r['events']} | {r['receipt blocks']} | {r['head headers']:,} | {r['head bytes']:,} | "
              f"{r['head verify ms']:.0f} ms | {r['near headers']:,} ({r['near segments']}) | {r['near bytes']:,} | {r['near verify ms']:.0f} ms |")


if __name__ == "__main__":
    main()
