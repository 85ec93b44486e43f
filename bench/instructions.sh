#!/usr/bin/env bash
# Instructions a message inside the generated entry points (and inside the
# interpreter's conversion of the same messages), counted by
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
# only inside the calls of `adt_a01_with` / `oru_r01_with` and of the
# interpreter's `Converter::convert` (`--toggle-collect` on the example's
# never-inlined wrappers), and prints one Markdown row per corpus and
# execution.
set -euo pipefail

cd "$(dirname "$0")/.."
ADT_N="${ADT_N:-500}"
ORU_N="${ORU_N:-300}"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

cargo build --release --locked -p ferry-tests --example profile >&2
PROFILE="${CARGO_TARGET_DIR:-target}/release/examples/profile"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

count() { # mode corpus n symbol label
    local mode="$1" corpus="$2" n="$3" symbol="$4" label="$5"
    valgrind --tool=callgrind --toggle-collect="$symbol" \
        --callgrind-out-file="$WORK/$mode.out" \
        "$PROFILE" "$mode" "$corpus" 1 2>"$WORK/$mode.log"
    local total
    total="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/$mode.log")"
    [ -n "$total" ] || { cat "$WORK/$mode.log" >&2; exit 1; }
    echo "| $label | $n | $((total / n)) |"
}

python3 bench/gen_adt.py -n "$ADT_N" -o "$WORK/adt.hl7" >/dev/null
python3 bench/gen_oru.py -n "$ORU_N" -o "$WORK/oru.hl7" >/dev/null
echo "| execution | messages | instructions a message |"
echo "|---|---:|---:|"
count adt "$WORK/adt.hl7" "$ADT_N" '*profile*generated_adt*' 'generated `adt_a01_with` (ADT^A01)'
count oru "$WORK/oru.hl7" "$ORU_N" '*profile*generated_oru*' 'generated `oru_r01_with` (ORU^R01)'
count interp-adt "$WORK/adt.hl7" "$ADT_N" '*profile*interpret*' 'interpreter, `adt_a01.ferry` (ADT^A01)'
count interp-oru "$WORK/oru.hl7" "$ORU_N" '*profile*interpret*' 'interpreter, `oru_r01.ferry` (ORU^R01)'
