#!/usr/bin/env python3
"""Fallback timer of bench/peers.sh when hyperfine is missing: runs a command
RUNS times (after one warm-up run), output discarded, and writes a JSON file
shaped like hyperfine's --export-json (results[0].median, .times).

    python3 bench/peers/timeit.py [--stdin FILE] RUNS OUT.json CMD [ARG...]

With --stdin, each run reads FILE on its standard input.
"""
import json
import statistics
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    stdin = None
    if args[:1] == ["--stdin"]:
        stdin, args = args[1], args[2:]
    runs, out, cmd = int(args[0]), args[1], args[2:]

    def run_once():
        if stdin is None:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            return
        with open(stdin, "rb") as f:
            subprocess.run(cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    run_once()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run_once()
        times.append(time.perf_counter() - t)
    with open(out, "w") as f:
        json.dump({"results": [{"command": " ".join(cmd), "median": statistics.median(times),
                                "mean": statistics.mean(times), "times": times}]}, f)


if __name__ == "__main__":
    main()
