#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (Tests/FuzzTargets), written under OUT/<target>/ at run time.

The shared vectors give real encodings (mainnet headers, transactions and receipts from the raw block fixtures, the
ethereum/tests RLP and transaction vectors); they are read in place and never copied into the repository. The
requests, configs and the bundle are the project's own.

usage: fuzz-seeds.py OUT [--vectors DIR] [--bundle FILE]
"""
import argparse
import glob
import hashlib
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--vectors", default=os.environ.get("PROVENANT_VECTORS", os.path.join(REPO, "..", "shared", "vectors")))
    parser.add_argument("--bundle", help="a proof bundle (provenant proof) to seed the bundle target with")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.vectors, "README.md")):
        sys.exit(f"the shared vectors were not found at {args.vectors} (set PROVENANT_VECTORS)")
    counts = {}

    def seed(target, data):
        folder = os.path.join(args.out, target)
        os.makedirs(folder, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1

    def unhex(text):
        return bytes.fromhex(text[2:] if text.startswith("0x") else text)

    # Raw mainnet blocks: the header, a few transactions and receipts of each era.
    for path in sorted(glob.glob(os.path.join(args.vectors, "blocks", "*.json"))):
        raw = json.load(open(path)).get("raw") or {}
        if raw.get("header"):
            seed("header", unhex(raw["header"]))
            seed("rlp", unhex(raw["header"]))
        for tx in (raw.get("transactions") or [])[:8]:
            seed("transaction", unhex(tx))
        for receipt in (raw.get("receipts") or [])[:8]:
            seed("receipt", unhex(receipt))
    for path in sorted(glob.glob(os.path.join(args.vectors, "headers", "*.json"))):
        for header in json.load(open(path)).get("headers", [])[::256]:
            seed("header", unhex(header))

    # ethereum/tests: RLP (valid, invalid, random) and transactions (valid and invalid).
    for folder, field, target in [("RLPTests", "out", "rlp"), ("TransactionTests", "txbytes", "transaction")]:
        for path in sorted(glob.glob(os.path.join(args.vectors, "ethereum-tests", folder, "**", "*.json"), recursive=True)):
            for case in json.load(open(path)).values():
                value = case.get(field)
                if isinstance(value, str):
                    try:
                        seed(target, unhex(value))
                    except ValueError:
                        pass  # the invalid vectors' deliberately malformed hex

    # JSON: small vector files, and the project's chainspecs.
    for path in sorted(glob.glob(os.path.join(args.vectors, "ethereum-tests", "BasicTests", "*.json"))):
        data = open(path, "rb").read()
        if len(data) <= 16384:
            seed("json", data)
    for path in sorted(glob.glob(os.path.join(REPO, "chainspec", "*.json"))):
        data = open(path, "rb").read()
        seed("json", data)
        seed("config", b"\x01" + data)
    for path in sorted(glob.glob(os.path.join(REPO, "examples", "*.yaml"))):
        seed("config", b"\x00" + open(path, "rb").read())

    # JSON-RPC: every method, well and badly formed, single and batched.
    visions = "0xf5204bf75282e13daf88ab5ac961be1592217e68"
    shares = "0x6e89b1a0e55f60809950bf4a9088e3646527559a"
    holder = "0x" + "11" * 20
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    calls = [
        ("asset_ownerOf", [visions, "0x1"]), ("asset_ownerOf", [visions, "0x1", "0x10"]),
        ("asset_balanceOf", [shares, holder]), ("asset_tokensOf", [holder, {"limit": 2}]),
        ("asset_holdersOf", [shares, None, {"cursor": "0x00", "limit": 3}]), ("asset_userOf", [visions, "0x2", "0x5"]),
        ("asset_history", [visions, "0x1", {"fromBlock": "0x1", "toBlock": "latest", "limit": 5}]),
        ("asset_provenance", [visions, "0x1"]), ("asset_proof", [visions, "0x1", {"anchor": "nearest"}]),
        ("eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest", "address": visions, "topics": [transfer]}]),
        ("eth_getBlockByNumber", ["0x3", True]), ("eth_getBlockByHash", ["0x" + "00" * 32, False]),
        ("asset_status", []), ("eth_chainId", []), ("eth_blockNumber", []), ("net_version", []), ("web3_clientVersion", []),
    ]
    requests = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    for request in requests:
        seed("rpc", json.dumps(request).encode())
        seed("json", json.dumps(request).encode())
    seed("rpc", json.dumps(requests[:4]).encode())
    for text in ['{"jsonrpc":"2.0","id":null,"method":"asset_ownerOf","params":{"contract":"%s","tokenId":"1"}}' % visions,
                 '[]', '{"jsonrpc":"1.0","id":1}', '[1,2,3]', '{"jsonrpc":"2.0","method":"eth_chainId"}']:
        seed("rpc", text.encode())

    # HTTP requests: framings, pipelining, the refusals.
    body = json.dumps(requests[0]).encode()
    heads = [
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n%x;ext=1\r\n" % len(body) + body + b"\r\n0\r\nTrailer: x\r\n\r\n",
        b"GET /health HTTP/1.0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n",
        b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
        b"\r\n\r\nOPTIONS / HTTP/1.1\r\nOrigin: https://app.example\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ]
    for request in heads:
        seed("http", request)

    if args.bundle:
        bundle = open(args.bundle, "rb").read()
        seed("bundle", bundle)
        seed("json", bundle[:16384])

    for target in sorted(counts):
        print(f"{target}: {counts[target]} seeds")


if __name__ == "__main__":
    main()
