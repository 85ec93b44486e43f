#!/usr/bin/env python3
"""Checks that a peer's NDJSON output equals Ferry's, line by line: JSON
equality where object member order does not matter and array order does.

    python3 bench/peers/compare.py FERRY.ndjson PEER.ndjson

Prints `same N of M` and the first differences; exit 0 only when every line
is the same."""
import json
import sys


def diff(a, b, path=""):
    if type(a) is not type(b):
        return [f"{path or '/'}: ferry {json.dumps(a)[:80]}, peer {json.dumps(b)[:80]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append(f"{path}/{k}: missing in peer (ferry {json.dumps(a[k])[:80]})")
            elif k not in a:
                out.append(f"{path}/{k}: extra in peer ({json.dumps(b[k])[:80]})")
            else:
                out += diff(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list):
        out = []
        if len(a) != len(b):
            out.append(f"{path}: ferry has {len(a)} items, peer {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}/{i}")
        return out
    return [] if a == b else [f"{path}: ferry {json.dumps(a)[:80]}, peer {json.dumps(b)[:80]}"]


def main():
    ferry = open(sys.argv[1], encoding="utf-8").read().splitlines()
    peer = open(sys.argv[2], encoding="utf-8").read().splitlines()
    same, shown = 0, 0
    for i, (f, p) in enumerate(zip(ferry, peer), 1):
        d = diff(json.loads(f), json.loads(p))
        if not d:
            same += 1
        elif shown < 3:
            shown += 1
            print(f"line {i}:", *d[:5], sep="\n  ")
    total = max(len(ferry), len(peer))
    print(f"same {same} of {total}")
    sys.exit(0 if same == total else 1)


if __name__ == "__main__":
    main()
