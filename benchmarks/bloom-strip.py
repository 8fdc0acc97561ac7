#!/usr/bin/env python3
"""How much smaller the 36 real block bodies would compress if each receipt's logs bloom (256 bytes, recomputable
from its logs) were dropped before zstd, and if, on top of that, the fields were split into columns (signatures,
recipients, calldata, other transaction fields, log addresses, topics, data) so that like bytes sit together; and
which columns the compressed bytes are. A what-if for RESULTS.md about whole bodies, not a feature: where the block
store keeps a whole body, it is the plain RLP under zstd. Needs `pip install zstandard rlp`. Usage: bloom-strip.py [vectors dir, default ../shared/vectors]"""
import glob
import json
import os
import sys

import rlp
import zstandard


def split_type(encoding):
    """A typed envelope's type byte and its RLP payload; a legacy transaction or receipt is RLP alone."""
    return (encoding[:1], encoding[1:]) if encoding[0] < 0x7F else (b"", encoding)


# Where `to` and `data` sit in each transaction type's field list (EIP-2718 types 0-4).
TO_DATA = {0: (3, 5), 1: (4, 6), 2: (5, 7), 3: (5, 7), 4: (5, 7)}


def columns(txs, receipts):
    cols = {k: [] for k in ("types", "signatures", "recipients", "calldata", "tx other", "receipt other",
                            "log addresses", "log topics", "log data")}
    for t in txs:
        prefix, payload = split_type(t)
        items = rlp.decode(payload)
        to_i, data_i = TO_DATA[prefix[0] if prefix else 0]
        cols["types"].append(prefix)
        cols["signatures"].append(items[-3:])
        cols["recipients"].append(items[to_i])
        cols["calldata"].append(items[data_i])
        cols["tx other"].append([x for i, x in enumerate(items[:-3]) if i not in (to_i, data_i)])
    for r in receipts:
        prefix, payload = split_type(r)
        status, gas, _bloom, logs = rlp.decode(payload)
        cols["types"].append(prefix)
        cols["receipt other"].append([status, gas, len(logs).to_bytes(2, "big")])
        for address, topics, data in logs:
            cols["log addresses"].append(address)
            cols["log topics"].append(topics)
            cols["log data"].append(data)
    return cols


def main(vectors):
    bodies = []
    for path in sorted(glob.glob(os.path.join(vectors, "blocks", "*.json"))):
        raw = json.load(open(path)).get("raw") or {}
        txs = [bytes.fromhex(x[2:]) for x in raw.get("transactions") or []]
        receipts = [bytes.fromhex(x[2:]) for x in raw.get("receipts") or []]
        if txs:
            bodies.append((txs, receipts))
    stripped_receipts = []
    for _, receipts in bodies:
        out = []
        for r in receipts:
            prefix, payload = (r[:1], r[1:]) if r[0] < 0x7F else (b"", r)  # typed receipts: type byte, then RLP
            items = rlp.decode(payload)
            items[2] = b""  # the bloom
            out.append(prefix + rlp.encode(items))
        stripped_receipts.append(out)
    raw_bytes = sum(sum(map(len, t)) + sum(map(len, r)) for t, r in bodies)
    print(f"{len(bodies)} bodies, {raw_bytes} raw bytes")
    for level in (3, 19):
        c = zstandard.ZstdCompressor(level=level)
        whole = sum(len(c.compress(rlp.encode([t, r]))) for t, r in bodies)
        stripped = sum(len(c.compress(rlp.encode([t, s]))) for (t, _), s in zip(bodies, stripped_receipts))
        columnar = sum(len(c.compress(rlp.encode(list(columns(t, r).values())))) for t, r in bodies)
        print(f"zstd level {level}: whole {raw_bytes / whole:.2f}x smaller, blooms dropped {raw_bytes / stripped:.2f}x smaller, "
              f"blooms dropped and columns {raw_bytes / columnar:.2f}x smaller")
    c = zstandard.ZstdCompressor(level=3)
    raw_by, packed_by = {}, {}
    for t, r in bodies:
        for name, column in columns(t, r).items():
            encoded = rlp.encode(column)
            raw_by[name] = raw_by.get(name, 0) + len(encoded)
            packed_by[name] = packed_by.get(name, 0) + len(c.compress(encoded))
    total = sum(packed_by.values())
    print("columns, each compressed alone at level 3: raw bytes -> compressed (share of all compressed bytes)")
    for name in raw_by:
        print(f"  {name:14s} {raw_by[name]:8d} -> {packed_by[name]:8d} ({packed_by[name] / total * 100:4.1f}%)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PROVENANT_VECTORS", "../shared/vectors"))
