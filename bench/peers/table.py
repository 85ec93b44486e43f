#!/usr/bin/env python3
"""Builds the Markdown table of bench/peers.sh from the timing JSON files
(hyperfine's --export-json shape) of each row, and the line that checks the
issue's bar: the generated transformer at least 100x the fastest peer.

    python3 bench/peers/table.py CORPUS.hl7 MESSAGES ROWS.tsv

ROWS.tsv: one row per line, tab-separated: tool, what the loop includes,
timing JSON path (or `-` and a reason in the fifth column when the row could
not run), and the row's role: `ref` (Ferry's interpreter, the base of the
ratio column), `gen` (the generated transformer), `peer` (a peer tool; the
fastest timed one is the base of the bar) or empty (a harness step shown for
context, never the bar's base)."""
import json
import os
import sys

# The bar: the generated transformer converts at least this many
# times as many messages per second as the fastest peer.
BAR = 100


def main():
    corpus, messages, rows_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    size = os.path.getsize(corpus)
    rows = []
    for line in open(rows_path, encoding="utf-8"):
        if line.strip():
            tool, includes, timing, role, reason, *_ = line.rstrip("\n").split("\t") + ["", ""]
            rows.append((tool, includes, timing, role, reason))
    rates, results = {}, {}
    for tool, _, timing, _, _ in rows:
        if timing != "-":
            results[tool] = json.load(open(timing))["results"][0]
            rates[tool] = messages / results[tool]["median"]
    ref = next(tool for tool, _, _, role, _ in rows if role == "ref")
    peers = [tool for tool, _, _, role, _ in rows if role == "peer" and tool in rates]
    fastest = max(peers, key=rates.get) if peers else None

    print("| tool | what the loop includes | msgs/s | MB/s in | ratio to Ferry interpreter "
          f"| ratio to fastest peer{f' ({fastest})' if fastest else ''} | median wall time (runs) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for tool, includes, timing, role, reason in rows:
        if timing == "-":
            print(f"| {tool} | {includes} | — | — | — | — | not run: {reason or 'did not run'} |")
            continue
        r = results[tool]
        t = r["median"]
        rate = rates[tool]
        mbs = size / t / 1e6
        ratio = rate / rates[ref]
        if tool == ref:
            ratio_text = "1.00×"
        elif ratio < 1:
            ratio_text = f"{ratio:.3f}× (interpreter {1 / ratio:.1f}× faster)"
        else:
            ratio_text = f"**{ratio:.2f}×** (interpreter {ratio:.1f}× slower)"
        if fastest is None:
            peer_text = "—"
        elif tool == fastest:
            peer_text = "1.00×"
        else:
            peer_ratio = rate / rates[fastest]
            peer_text = f"{peer_ratio:.3f}×" if peer_ratio < 1 else f"{peer_ratio:,.1f}×"
            if role == "gen":
                peer_text = f"**{peer_text}**"
        spread = f"{min(r['times']):.3f}–{max(r['times']):.3f}"
        print(f"| {tool} | {includes} | {rate:,.0f} | {mbs:.2f} | {ratio_text} | {peer_text} "
              f"| {t:.3f} s ({len(r['times'])}: {spread}) |")

    print()
    generated = [tool for tool, _, _, role, _ in rows if role == "gen"]
    for tool in generated:
        if tool not in rates:
            print(f"**Bar (≥{BAR}× the fastest peer): not checked**: the generated transformer's row did not run.")
        elif fastest is None:
            print(f"**Bar (≥{BAR}× the fastest peer): not checked**: no peer row ran.")
        else:
            ratio = rates[tool] / rates[fastest]
            verdict = "**met**" if ratio >= BAR else "**not met**"
            print(f"**Bar (issue): the generated transformer converts ≥{BAR}× the messages per second "
                  f"of the fastest peer.** Fastest peer: {fastest}, {rates[fastest]:,.0f} msgs/s, "
                  f"so the bar is {BAR * rates[fastest]:,.0f} msgs/s. Generated transformer: "
                  f"{rates[tool]:,.0f} msgs/s = {ratio:,.1f}× the fastest peer: {verdict}.")


if __name__ == "__main__":
    main()
