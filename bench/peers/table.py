#!/usr/bin/env python3
"""Builds the Markdown table of bench/peers.sh from the timing JSON files
(hyperfine's --export-json shape) of each row.

    python3 bench/peers/table.py CORPUS.hl7 MESSAGES ROWS.tsv

ROWS.tsv: one row per line, tab-separated: tool, what the loop includes,
timing JSON path (or `-` and a reason in a fifth column when the row could not run),
and whether the row is the reference (`ref`)."""
import json
import os
import sys


def main():
    corpus, messages, rows_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    size = os.path.getsize(corpus)
    rows = [line.rstrip("\n").split("\t") for line in open(rows_path, encoding="utf-8") if line.strip()]
    medians = {}
    for tool, _, timing, *_ in rows:
        if timing != "-":
            medians[tool] = json.load(open(timing))["results"][0]
    ref = next(r[0] for r in rows if len(r) > 3 and r[3] == "ref")
    ref_rate = messages / medians[ref]["median"]
    print("| tool | what the loop includes | msgs/s | MB/s in | ratio to Ferry interpreter | median wall time (runs) |")
    print("|---|---|---:|---:|---:|---:|")
    for tool, includes, timing, *rest in rows:
        if timing == "-":
            reason = rest[1] if len(rest) > 1 else "did not run"
            print(f"| {tool} | {includes} | — | — | — | not run: {reason} |")
            continue
        r = medians[tool]
        t = r["median"]
        rate = messages / t
        mbs = size / t / 1e6
        ratio = rate / ref_rate
        if tool == ref:
            ratio_text = "1.00×"
        elif ratio < 1:
            ratio_text = f"{ratio:.3f}× (Ferry {1 / ratio:.1f}× faster)"
        else:
            ratio_text = f"{ratio:.2f}× (Ferry {ratio:.1f}× slower)"
        spread = f"{min(r['times']):.3f}–{max(r['times']):.3f}"
        print(f"| {tool} | {includes} | {rate:,.0f} | {mbs:.2f} | {ratio_text} | {t:.3f} s ({len(r['times'])}: {spread}) |")


if __name__ == "__main__":
    main()
