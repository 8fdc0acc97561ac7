#!/usr/bin/env python3
"""Events per second into PostgreSQL beside the index's own rate, in one run with interleaved trials.

The dev chain is imported once into a data directory (release build). Each round then times, in turn:
  index   `provenant reindex`: every stored block read back, senders recovered, events applied to LevelDB
  export  `provenant export --replace`: the same blocks read back, their events COPYed into PostgreSQL with the
          state tables, in one transaction
  live    the live sink catching up from the store: `provenant sync --until-current` on the synced directory with a
          sink that has no rows yet (the node's code path: groups of blocks, one transaction each)
Rates are events (logs indexed) per second, from the best trial of each. A real PostgreSQL server is started in a
temporary directory on a Unix socket (as the postgres user when run as root).

Usage: scripts/sink-bench.py [--bin .build-release/release/provenant] [--blocks 20000] [--rounds 3]
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time, glob

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=".build-release/release/provenant")
    p.add_argument("--blocks", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    binary = os.path.abspath(a.bin)
    pgbin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    root = os.geteuid() == 0
    as_pg = (lambda cmd: ["runuser", "-u", "postgres", "--"] + cmd) if root else (lambda cmd: cmd)
    work = tempfile.mkdtemp(prefix="sink-bench-")
    pgdir = tempfile.mkdtemp(prefix="sink-bench-pg-")
    if root:
        shutil.chown(pgdir, "postgres")
    devnet = None
    try:
        subprocess.run(as_pg([f"{pgbin}/initdb", "-D", f"{pgdir}/data", "-U", "provenant", "--auth=trust", "-E", "UTF8"]), check=True, stdout=subprocess.DEVNULL, cwd="/tmp")
        subprocess.run(as_pg([f"{pgbin}/pg_ctl", "-D", f"{pgdir}/data", "-l", f"{pgdir}/log", "-w", "-o", f"-p 5432 -k {pgdir} -c listen_addresses=''", "start"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
        url = f"postgres://provenant@/postgres?host={pgdir}&sslmode=disable"
        data = f"{work}/data"
        t = time.monotonic()
        subprocess.run([binary, "import-devchain", "--data-dir", data, "--blocks", str(a.blocks)], check=True, stdout=subprocess.DEVNULL)
        print(f"imported {a.blocks} dev-chain blocks in {time.monotonic() - t:.1f} s", file=sys.stderr)
        devnet = subprocess.Popen([binary, "devnet", "--seed", "1", "--blocks", str(a.blocks), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        upstream = None
        for line in devnet.stdout:
            m = re.search(r"http://[0-9.:]+/", line)
            if m:
                upstream = m.group(0)
                break
        contracts = subprocess.run([binary, "devchain-info"], check=True, capture_output=True, text=True).stdout
        addresses = re.findall(r"^contract \S+ (0x[0-9a-f]{40})$", contracts, re.M)
        events = None
        best = {"index": None, "export": None, "live": None}
        for r in range(a.rounds):
            t = time.monotonic()
            out = subprocess.run([binary, "reindex", "--data-dir", data], check=True, capture_output=True, text=True).stdout
            best["index"] = min(best["index"] or 1e9, time.monotonic() - t)
            events = int(re.search(r"reindexed: (\d+) events", out).group(1))
            t = time.monotonic()
            subprocess.run([binary, "export", "--replace", "--data-dir", data, "--postgres", url, "--schema", "export"], check=True, capture_output=True)
            best["export"] = min(best["export"] or 1e9, time.monotonic() - t)
            config = f"{work}/live.yaml"
            with open(config, "w") as f:
                f.write(f"chain: provenant-dev\nupstreams: [\"{upstream}\"]\ndataDir: {data}\ncontracts:\n")
                for i, address in enumerate(addresses):
                    f.write(f"  - {{name: c{i}, address: \"{address}\", startBlock: 0}}\n")
                f.write(f"sinks:\n  - postgres: {{url: \"{url}\", schema: live{r}}}\n")
            t = time.monotonic()
            synced = subprocess.run([binary, "sync", "--config", config, "--until-current"], capture_output=True, text=True)
            if synced.returncode != 0:
                sys.exit(f"sync with the sink failed: {synced.stderr[-2000:]}")
            best["live"] = min(best["live"] or 1e9, time.monotonic() - t)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()), file=sys.stderr)
        check = subprocess.run([binary, "export", "--check", "--data-dir", data, "--postgres", url, "--schema", f"live{a.rounds - 1}"], capture_output=True, text=True)
        print(check.stdout.strip())
        rows = re.search(r"(\d+) event rows", check.stdout).group(1)
        index_rate = events / best["index"]
        print(f"\n{a.blocks} blocks, {events} events ({rows} rows), best of {a.rounds} interleaved rounds\n")
        print("| path | seconds | events/s | vs the index |")
        print("|---|---|---|---|")
        for name, label in [("index", "index (`reindex`, LevelDB)"), ("export", "`export` (COPY, one transaction)"), ("live", "live sink (catch-up, groups of blocks)")]:
            rate = events / best[name]
            print(f"| {label} | {best[name]:.2f} | {rate:,.0f} | {rate / index_rate:.2f}x |")
    finally:
        if devnet:
            devnet.kill()
        subprocess.run(as_pg([f"{pgbin}/pg_ctl", "-D", f"{pgdir}/data", "-m", "fast", "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pgdir, ignore_errors=True)

if __name__ == "__main__":
    main()
