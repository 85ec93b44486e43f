#!/usr/bin/env python3
"""Fallback timer of bench/peers.sh when hyperfine is missing: runs a command
RUNS times (after one warm-up run), output discarded, and writes a JSON file
shaped like hyperfine's --export-json (results[0].median, .times).

    python3 bench/peers/timeit.py RUNS OUT.json CMD [ARG...]
"""
import json
import statistics
import subprocess
import sys
import time


def main():
    runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    with open(out, "w") as f:
        json.dump({"results": [{"command": " ".join(cmd), "median": statistics.median(times),
                                "mean": statistics.mean(times), "times": times}]}, f)


if __name__ == "__main__":
    main()
