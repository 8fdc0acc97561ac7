#!/usr/bin/env python3
"""The layering rule of ARCHITECTURE.md, checked on the package graph that `swift package describe --type json`
prints: the pure modules (wire formats, verification, the event grammar, the bundle verifier, the dev chain's
generator) reach no storage, compression, event-loop or HTTP module, directly or through another module.

Usage: swift package describe --type json | scripts/check-layers.py
       scripts/check-layers.py --self-test   (adds one forbidden edge and requires the check to catch it)
"""
import json
import sys

PURE = ["EthPrimitives", "EthRLP", "EthCrypto", "EthTrie", "EthTypes", "EthVerify", "EthRPC", "TokenEvents",
        "ProofVerify", "AssetContent", "DevChain"]
FORBIDDEN = {"CLevelDB", "CZstd", "Store", "AssetIndex", "NIOCore", "NIOPosix", "NIOHTTP1", "AsyncHTTPClient",
             "HTTPTransport"}


def violations(description):
    edges = {t["name"]: t.get("target_dependencies", []) + t.get("product_dependencies", [])
             for t in description["targets"]}
    found = []
    for module in PURE:
        if module not in edges:
            found.append(f"{module}: not a target of the package")
            continue
        # Depth-first over the graph, keeping the path that led to each module, to name it in the failure.
        stack, seen = [(module, [module])], set()
        while stack:
            name, path = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in FORBIDDEN:
                found.append(f"{module} reaches {name}: {' -> '.join(path)}")
                continue
            stack.extend((child, path + [child]) for child in edges.get(name, []))
    return found


def main():
    if sys.argv[1:] == ["--self-test"]:
        import subprocess
        description = json.loads(subprocess.run(["swift", "package", "describe", "--type", "json"], check=True,
                                                capture_output=True, text=True).stdout)
        assert not violations(description), violations(description)
        for target in description["targets"]:
            if target["name"] == "TokenEvents":
                target["target_dependencies"].append("AssetIndex")
        caught = violations(description)
        assert any(v.startswith("TokenEvents reaches AssetIndex") for v in caught), caught
        assert any(v.startswith("ProofVerify reaches AssetIndex: ProofVerify -> TokenEvents") for v in caught), caught
        print("check-layers self-test: a forbidden edge added to TokenEvents is caught, with its path")
        return
    found = violations(json.load(sys.stdin))
    for line in found:
        print("FAIL:", line)
    if found:
        sys.exit(1)
    print(f"layers: {len(PURE)} pure modules reach none of {', '.join(sorted(FORBIDDEN))}")


main()
