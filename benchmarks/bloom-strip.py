#!/usr/bin/env python3
"""How much smaller the 36 real block bodies would compress if each receipt's logs bloom (256 bytes, recomputable
from its logs) were dropped before zstd. A what-if for RESULTS.md, not a feature: the block store keeps whole
receipts. Needs `pip install zstandard rlp`. Usage: bloom-strip.py [vectors dir, default ../shared/vectors]"""
import glob
import json
import os
import sys

import rlp
import zstandard


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
        print(f"zstd level {level}: whole {raw_bytes / whole:.2f}x smaller, blooms dropped {raw_bytes / stripped:.2f}x smaller")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PROVENANT_VECTORS", "../shared/vectors"))
