#!/usr/bin/env python3
"""A real third-party client against `provenant serve`: web3.py's normal calls (chain id, block number, get_logs)
and make_request for the asset_* methods, cross-checked against each other. Usage: web3-check.py path/to/provenant"""
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from web3 import Web3

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def main(binary):
    lines = subprocess.run([binary, "devchain-info"], check=True, capture_output=True, text=True).stdout.splitlines()
    visions = next(l.split()[2] for l in lines if l.startswith("contract prompted-visions"))
    chain_id = int(next(l.split()[1] for l in lines if l.startswith("chainId")))

    passed = 0
    with tempfile.TemporaryDirectory() as data:
        subprocess.run([binary, "import-devchain", "--blocks", "300", "--data-dir", data], check=True, stdout=subprocess.DEVNULL)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([binary, "serve", "--data-dir", data, "--rpc-addr", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}/"))

            assert w3.eth.chain_id == chain_id, w3.eth.chain_id
            passed += 1
            assert w3.eth.block_number == 300, w3.eth.block_number
            passed += 1

            logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": Web3.to_checksum_address(visions), "topics": [TRANSFER]})
            assert logs, "no Transfer logs"
            passed += 1
            # Replay token 1's transfers from the logs, as a client without the index would.
            owner = None
            for log in logs:
                if int.from_bytes(log["topics"][3], "big") == 1:
                    owner = "0x" + bytes(log["topics"][2])[12:].hex()
            answer = w3.provider.make_request("asset_ownerOf", [visions, "0x1"])
            expected = None if owner == "0x" + "00" * 20 else owner
            assert answer["result"]["owner"] == expected, (answer, owner)
            passed += 1

            provenance = w3.provider.make_request("asset_provenance", [visions, "0x1"])["result"]
            prompt = bytes.fromhex(provenance["aigc"][0]["prompt"][2:]).decode()
            assert prompt.startswith("a lighthouse"), prompt
            mint = next(log for log in logs if int.from_bytes(log["topics"][3], "big") == 1)
            assert provenance["minter"]["transactionHash"] == "0x" + bytes(mint["transactionHash"]).hex(), provenance
            passed += 1

            # A proof bundle of token 1 through the client, checked offline by `provenant verify` against the
            # head hash the client reads itself; its minting transaction is the one web3.py's own get_logs found.
            bundle = w3.provider.make_request("asset_proof", [visions, "0x1"])["result"]
            assert bundle["claim"]["minter"]["transactionHash"] == "0x" + bytes(mint["transactionHash"]).hex(), bundle["claim"]
            head = "0x" + bytes(w3.eth.get_block("latest")["hash"]).hex()
            with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
                json.dump(bundle, f)
                f.flush()
                verified = subprocess.run([binary, "verify", f.name, "--trust", head], capture_output=True, text=True)
            assert verified.returncode == 0 and verified.stdout.startswith("VERIFIED"), verified.stdout + verified.stderr
            passed += 1

            error = w3.provider.make_request("asset_ownerOf", ["0x1234", "0x1"])
            assert error["error"]["code"] == -32602 and "contract" in error["error"]["message"], error
            passed += 1
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"web3.py against provenant serve: {passed} passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/provenant")
