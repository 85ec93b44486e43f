#!/usr/bin/env bash
# Instructions a message inside the generated entry points, counted by
# valgrind's callgrind: a measure that does not move with the load of a
# shared machine, as wall time does (the criterion bench's msgs/s have moved
# by 25 % between runs on this VM with the code unchanged). See
# bench/README.md.
#
#   bash bench/instructions.sh                 # 500 ADT^A01, 300 ORU^R01 messages
#   ADT_N=100 ORU_N=100 bash bench/instructions.sh
#
# Needs cargo, python3 and valgrind. Builds `tests/examples/profile.rs` in
# release mode (the workspace's profile: fat LTO, one codegen unit), counts
# only inside `adt_a01_with` / `oru_r01_with` (`--toggle-collect`), and
# prints one Markdown row per corpus.
set -euo pipefail

cd "$(dirname "$0")/.."
ADT_N="${ADT_N:-500}"
ORU_N="${ORU_N:-300}"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

cargo build --release --locked -p ferry-tests --example profile >&2
PROFILE="${CARGO_TARGET_DIR:-target}/release/examples/profile"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

count() { # kind generator n entry
    local kind="$1" generator="$2" n="$3" entry="$4"
    python3 "bench/$generator.py" -n "$n" -o "$WORK/$kind.hl7" >/dev/null
    valgrind --tool=callgrind --toggle-collect="*${entry}*" \
        --callgrind-out-file="$WORK/$kind.out" \
        "$PROFILE" "$kind" "$WORK/$kind.hl7" 1 2>"$WORK/$kind.log"
    local total
    total="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/$kind.log")"
    [ -n "$total" ] || { cat "$WORK/$kind.log" >&2; exit 1; }
    echo "| $entry | $n | $((total / n)) |"
}

echo "| entry point | messages | instructions a message |"
echo "|---|---:|---:|"
count adt gen_adt "$ADT_N" adt_a01_with
count oru gen_oru "$ORU_N" oru_r01_with
