#!/usr/bin/env python3
"""Proof bundle sizes against token age and history, and the time `provenant verify` takes on each (RESULTS.md).

Imports the dev chain and serves the same chain with `provenant devnet` (for `eth_getProof`), then for each chosen
token writes four bundles and times `provenant verify` on each (median of 5 runs, trusted through the exported
anchors file, one hash every 1024 blocks):

  head     the present by receipts, one run of headers from the token's first event to the head;
  nearest  the present by receipts, anchored at the next multiple of 1024 above the token's last event, past
           events in segments ending at their own next multiple of 1024 (`--anchor nearest`);
  state    the present by storage proofs at the last multiple of 1024 below the head, every event in a segment of
           its own (`--present state --anchor nearest`);
  present  the storage proofs alone (`--state-only`).

Each size is given as JSON and as the zstd frame `--compress` writes.

Usage: scripts/bundle-sizes.py [--seed S] [--blocks N] [--event-block-share X] [--tokens K | --token-ids 1,2,...]
       (PROVENANT_BIN: the binary, default the release build)
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

VISIONS = "0xf5204bf75282e13daf88ab5ac961be1592217e68"


def run(binary, *arguments, output=None):
    result = subprocess.run([binary, *arguments], stdout=output or subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"{' '.join(arguments)}: exit {result.returncode}\n{result.stderr.decode()}")
    return result.stdout.decode() if output is None else None


def timed_verify(binary, path, trust):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run(binary, "verify", path, *trust)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request).read())


def event_blocks(url, token):
    """The blocks of the token's whole history, through `asset_history`."""
    blocks, cursor = set(), None
    while True:
        options = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = rpc(url, "asset_history", [VISIONS, hex(token), options])["result"]
        blocks.update(int(e["blockNumber"], 16) for e in page["events"])
        cursor = page.get("next")
        if not cursor:
            return sorted(blocks)


def started(arguments, pattern):
    """A background provenant process and the first match of `pattern` in its standard output."""
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        match = re.search(pattern, line)
        if match:
            return process, match.group(1)
    sys.exit(f"{arguments[1]} did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=60_000)
    parser.add_argument("--event-block-share", type=float)
    parser.add_argument("--tokens", type=int, default=8)
    parser.add_argument("--token-ids", help="comma-separated token ids instead of --tokens spread over the history")
    args = parser.parse_args()
    binary = os.environ.get("PROVENANT_BIN", ".build-release/release/provenant")
    share = ["--event-block-share", str(args.event_block_share)] if args.event_block_share is not None else []
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        start = time.perf_counter()
        run(binary, "import-devchain", "--seed", str(args.seed), "--blocks", str(args.blocks), "--data-dir", data, *share)
        print(f"imported {args.blocks:,} dev-chain blocks in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        devnet, upstream = started([binary, "devnet", "--seed", str(args.seed), "--blocks", str(args.blocks), "--port", "0", *share],
                                   r"on (http://\S+)")
        anchors = os.path.join(work, "anchors.json")
        with open(anchors, "w") as f:
            f.write(run(binary, "anchors", "export", "--every", "1024", "--data-dir", data))
        rows = []
        try:
            if args.token_ids:
                tokens = [int(t, 0) for t in args.token_ids.split(",")]
            else:
                # Tokens spread over the chain's history: the oldest first, then ids further and further from it
                # (probed with small, nearest-anchored bundles).
                last_token = 1
                while subprocess.run([binary, "proof", VISIONS, hex(last_token * 2), "--anchor", "nearest", "--data-dir", data],
                                     capture_output=True).returncode == 0:
                    last_token *= 2
                tokens = sorted({max(1, round(last_token ** (i / (args.tokens - 1)))) for i in range(args.tokens)})
            bundles = {
                "head": [],
                "nearest": ["--anchor", "nearest", "--every", "1024"],
                "state": ["--present", "state", "--anchor", "nearest", "--every", "1024", "--upstream", upstream],
                "present": ["--state-only", "--anchor", "nearest", "--every", "1024", "--upstream", upstream],
            }
            # The whole history of each token, from the index, through a short-lived server on the data directory.
            server, address = started([binary, "serve", "--data-dir", data, "--rpc-addr", "127.0.0.1:0"], r"on (http://\S+)")
            histories = {token: event_blocks(address, token) for token in tokens}
            server.terminate()
            server.wait()
            for token in tokens:
                row = {"token": token, "event blocks": len(histories[token]), "age": args.blocks - histories[token][0]}
                for kind, extra in bundles.items():
                    path = os.path.join(work, f"{token}-{kind}.json")
                    with open(path, "wb") as f:
                        made = subprocess.run([binary, "proof", VISIONS, hex(token), "--data-dir", data, *extra], stdout=f, stderr=subprocess.PIPE)
                    if made.returncode != 0:
                        # One run from a token's first event to the head past the verifier's header limit.
                        if b"more than" not in made.stderr:
                            sys.exit(f"proof {token} {kind}: {made.stderr.decode()}")
                        row[kind] = None
                        continue
                    with open(path + ".zst", "wb") as f:
                        run(binary, "proof", VISIONS, hex(token), "--data-dir", data, *extra, "--compress", output=f)
                    bundle = json.load(open(path))
                    trusted = ["--anchors", anchors]
                    if int(bundle["anchor"]["number"], 16) % 1024 != 0:
                        # A token whose last event is above the last multiple of 1024 falls back to the head.
                        trusted += ["--trust", bundle["anchor"]["hash"]]
                    row[kind] = {
                        "headers": len(bundle["headers"]) + sum(len(s) for s in bundle.get("segments", [])),
                        "segments": len(bundle.get("segments", [])), "receipt blocks": len(bundle.get("blockReceipts", [])),
                        "bytes": os.path.getsize(path), "zstd": os.path.getsize(path + ".zst"),
                        "ms": timed_verify(binary, path, trusted),
                    }
                rows.append(row)
                print(f"token {token}: done", file=sys.stderr)
        finally:
            devnet.terminate()
            devnet.wait()
    print(f"dev chain seed {args.seed}, {args.blocks:,} blocks" + (f", event block share {args.event_block_share}" if share else "")
          + "; anchors every 1024")
    print()
    print("| token | age (blocks) | event blocks | kind | headers (segments) | blocks with receipts | JSON bytes | zstd bytes | verify |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for kind in bundles:
            b = r[kind]
            if b is None:
                print(f"| {r['token']} | {r['age']:,} | {r['event blocks']} | {kind} | over the {100_000:,}-header limit | | | | |")
                continue
            print(f"| {r['token']} | {r['age']:,} | {r['event blocks']} | {kind} | {b['headers']:,} ({b['segments']}) | {b['receipt blocks']} | "
                  f"{b['bytes']:,} | {b['zstd']:,} | {b['ms']:.0f} ms |")


if __name__ == "__main__":
    main()
