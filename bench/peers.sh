#!/usr/bin/env bash
# Compares conversion throughput of Ferry's interpreter and of the Rust
# transformer generated from the same spec (examples/embed, `ferry-embed`)
# with peers on one generated ADT^A01 corpus, and prints a Markdown table
# (also written to bench/results/peers-<date>.md). See bench/README.md.
#
#   bash bench/peers.sh            # N=10000 messages, RUNS=5 timed runs per row
#   N=2000 RUNS=3 bash bench/peers.sh
#   RESULTS=/tmp/out.md bash bench/peers.sh   # write the results elsewhere
#
# Needs cargo, node (>= 20) with npm, and python3 with venv. Installs the
# peers from npm and PyPI into bench/.peers (git-ignored); uses hyperfine
# when it is installed, else a Python timer (median of RUNS runs).
set -uo pipefail

cd "$(dirname "$0")/.."
N="${N:-10000}"
RUNS="${RUNS:-5}"
SEED="${SEED:-20261124}"
TZ_NAME="America/New_York"
JSONATA_VERSION="${JSONATA_VERSION:-2.2.2}"
FUMIFIER_VERSION="${FUMIFIER_VERSION:-2.1.2}"
PYHL7_VERSION="${PYHL7_VERSION:-0.4.5}"

PEERS=bench/.peers
WORK="$PEERS/run"
CORPUS="$PEERS/corpus-$N.hl7"
DATE="$(date -u +%Y-%m-%d)"
RESULTS="${RESULTS:-bench/results/peers-$DATE.md}"
mkdir -p "$WORK" bench/results
rm -f "$WORK"/*

log() { printf '==> %s\n' "$*" >&2; }

# --- 1. Ferry: build first, so that only the run is timed. ---------------
log "building ferry and ferry-embed (release)"
cargo build --release -p ferry-compiler -p ferry-embed-example >&2 || { echo "cargo build failed" >&2; exit 1; }
FERRY="${CARGO_TARGET_DIR:-target}/release/ferry"
EMBED="${CARGO_TARGET_DIR:-target}/release/ferry-embed"

# --- 2. The corpus. --------------------------------------------------------
log "generating $N ADT^A01 messages (seed $SEED)"
python3 bench/gen_adt.py -n "$N" --seed "$SEED" -o "$CORPUS" || exit 1
BYTES=$(stat -c %s "$CORPUS")

log "checking that Ferry converts every message"
"$FERRY" run specs/hl7v2/adt_a01.ferry "$CORPUS" --time-zone "$TZ_NAME" \
  -o "$WORK/ferry.ndjson" --rejects "$WORK/ferry.rejects" 2>"$WORK/ferry.stderr"
rc=$?
lines=$(wc -l <"$WORK/ferry.ndjson")
if [ "$rc" -ne 0 ] || [ "$lines" -ne "$N" ]; then
  echo "ferry run: exit $rc, $lines of $N converted; rejects:" >&2
  head -5 "$WORK/ferry.rejects" >&2
  exit 1
fi

# The generated transformer must give the interpreter's output, byte for
# byte, or its row means nothing.
log "checking that ferry-embed's output equals ferry run's, byte for byte"
"$EMBED" --map adt_a01 --time-zone "$TZ_NAME" <"$CORPUS" >"$WORK/embed.ndjson" 2>"$WORK/embed.stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "ferry-embed: exit $rc; rejects:" >&2
  head -5 "$WORK/embed.stderr" >&2
  exit 1
fi
if ! cmp "$WORK/ferry.ndjson" "$WORK/embed.ndjson" >&2; then
  echo "ferry-embed's output differs from ferry run's ($WORK/embed.ndjson vs $WORK/ferry.ndjson);" >&2
  python3 bench/peers/compare.py "$WORK/ferry.ndjson" "$WORK/embed.ndjson" >&2
  exit 1
fi
embed_lines=$(wc -l <"$WORK/embed.ndjson")

# --- 3. The peers, installed locally. -------------------------------------
ROWS="$WORK/rows.tsv"
: >"$ROWS"
NOTES="$WORK/notes.md"
: >"$NOTES"

log "installing jsonata@$JSONATA_VERSION and fumifier@$FUMIFIER_VERSION into $PEERS"
[ -f "$PEERS/package.json" ] || printf '{ "name": "ferry-bench-peers", "private": true }\n' >"$PEERS/package.json"
npm_ok=1
npm install --prefix "$PEERS" --no-audit --no-fund --loglevel=error \
  "jsonata@$JSONATA_VERSION" "fumifier@$FUMIFIER_VERSION" >"$WORK/npm.log" 2>&1 || npm_ok=0

log "installing hl7==$PYHL7_VERSION (python-hl7) into $PEERS/venv"
py_ok=1
{ [ -x "$PEERS/venv/bin/python" ] || python3 -m venv "$PEERS/venv"; } >"$WORK/pip.log" 2>&1 &&
  "$PEERS/venv/bin/python" -m pip install -q "hl7==$PYHL7_VERSION" >>"$WORK/pip.log" 2>&1 || py_ok=0

# A peer's conversion must succeed on every message and (for mappings) give
# Ferry's output, else its row says why instead of showing a number.
check_mapping() { # name engine
  local name=$1 engine=$2
  if [ "$npm_ok" -ne 1 ]; then echo "npm install failed: $(grep -m1 -i err "$WORK/npm.log")"; return 1; fi
  if ! node bench/peers/run_jsonata.mjs "$engine" "$CORPUS" -o "$WORK/$engine.ndjson" 2>"$WORK/$engine.stderr"; then
    echo "conversion failed: $(head -1 "$WORK/$engine.stderr")"; return 1
  fi
  if ! python3 bench/peers/compare.py "$WORK/ferry.ndjson" "$WORK/$engine.ndjson" >"$WORK/$engine.compare"; then
    echo "output differs from Ferry's: $(tail -1 "$WORK/$engine.compare")"; return 1
  fi
  printf -- '- %s: %s; output compared with Ferry'"'"'s, %s (JSON equality, member order ignored).\n' \
    "$name" "$(tail -1 "$WORK/$engine.stderr")" "$(tail -1 "$WORK/$engine.compare")" >>"$NOTES"
}

# --- 4. Timing. ------------------------------------------------------------
if ! command -v hyperfine >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing hyperfine from Debian"
  { apt-get install -y -qq hyperfine || { apt-get update -qq && apt-get install -y -qq hyperfine; }; } >"$WORK/apt.log" 2>&1 ||
    log "hyperfine did not install (see $WORK/apt.log); using bench/peers/timeit.py"
fi
if command -v hyperfine >/dev/null 2>&1; then
  TIMER="hyperfine $(hyperfine --version | cut -d' ' -f2), --warmup 1 --runs $RUNS, median"
  if hyperfine --help | grep -q -- '--input'; then
    STDIN_HOW="hyperfine \`-N --input CORPUS\`"
  else
    STDIN_HOW="hyperfine \`--shell=sh 'exec ferry-embed … < CORPUS'\` (this hyperfine has no \`--input\`; it subtracts the shell's start-up as it measures it)"
  fi
else
  TIMER="bench/peers/timeit.py (hyperfine not installed), 1 warm-up + $RUNS runs, median"
  STDIN_HOW="bench/peers/timeit.py \`--stdin CORPUS\`"
fi
time_row() { # json-out command...
  local out=$1; shift
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$out" "$*" >&2
  else
    python3 bench/peers/timeit.py "$RUNS" "$out" "$@"
  fi
}
# The same, with FILE on the command's stdin. hyperfine >= 1.16 has
# --input; older ones run `exec command < FILE` in sh, and subtract the
# shell's own start-up as they measure it.
time_row_stdin() { # json-out input-file command...
  local out=$1 input=$2; shift 2
  if command -v hyperfine >/dev/null 2>&1; then
    if hyperfine --help | grep -q -- '--input'; then
      hyperfine -N --warmup 1 --runs "$RUNS" --input "$input" --export-json "$out" "$*" >&2
    else
      hyperfine --shell=sh --warmup 1 --runs "$RUNS" --export-json "$out" \
        "exec $(printf '%q ' "$@")< $(printf '%q' "$input")" >&2
    fi
  else
    python3 bench/peers/timeit.py --stdin "$input" "$RUNS" "$out" "$@"
  fi
}
# tool, what the loop includes, timing JSON (or -), role, reason when not run.
# Roles: ref (the interpreter, the ratio column's base), gen (the generated
# transformer), peer (a peer tool: the fastest one is the bar's base), or
# empty (a harness step shown for context).
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }

log "timing ferry"
time_row "$WORK/t-ferry.json" "$FERRY" run specs/hl7v2/adt_a01.ferry "$CORPUS" --time-zone "$TZ_NAME" -o /dev/null &&
  row "Ferry interpreter (\`ferry run\`, release)" \
      "whole process: spec check + schema load, ER7 read, map to Bundle (Patient + Encounter), NDJSON write" \
      "$WORK/t-ferry.json" ref "" ||
  { echo "timing ferry failed" >&2; exit 1; }
printf -- '- Ferry: %s\n' "$(tail -1 "$WORK/ferry.stderr")" >>"$NOTES"

log "timing ferry-embed"
time_row_stdin "$WORK/t-embed.json" "$CORPUS" "$EMBED" --map adt_a01 --time-zone "$TZ_NAME" &&
  row "Ferry generated transformer (\`ferry-embed --map adt_a01\`, release)" \
      "whole process: ER7 split + read, generated \`adt_a01_with\` (Patient + Encounter Bundle), NDJSON write; corpus on stdin" \
      "$WORK/t-embed.json" gen "" ||
  { echo "timing ferry-embed failed" >&2; exit 1; }
printf -- '- Ferry generated transformer: converted %s, rejected 0; output identical to `ferry run`'"'"'s, byte for byte (`cmp`).\n' \
  "$embed_lines" >>"$NOTES"

for engine in jsonata fumifier; do
  case $engine in
    jsonata) name="jsonata $JSONATA_VERSION (npm)"
             what="whole node process: ER7 → JSON (bench/peers/er7.mjs), same mapping in JSONata (adt_a01.jsonata), JSON.stringify, NDJSON write" ;;
    fumifier) name="fumifier $FUMIFIER_VERSION (npm, FUME's engine)"
              what="as jsonata: same ER7 → JSON, same JSONata mapping run by fumifier (no FLASH: it needs FHIR packages, see README)" ;;
  esac
  log "checking and timing $engine"
  if reason=$(check_mapping "$name" "$engine"); then
    time_row "$WORK/t-$engine.json" node bench/peers/run_jsonata.mjs "$engine" "$CORPUS" -o /dev/null &&
      row "$name" "$what" "$WORK/t-$engine.json" peer "" ||
      row "$name" "$what" - peer "timing failed"
  else
    row "$name" "$what" - peer "$reason"
  fi
done

log "timing the ER7 → JSON step alone"
if [ "$npm_ok" -eq 1 ] && node bench/peers/run_jsonata.mjs er7-only "$CORPUS" -o /dev/null 2>"$WORK/er7.stderr"; then
  time_row "$WORK/t-er7.json" node bench/peers/run_jsonata.mjs er7-only "$CORPUS" -o /dev/null &&
    row "bench/peers/er7.mjs alone (node)" "**parse only**: the ER7 → JSON step of the two rows above, no mapping, no output" "$WORK/t-er7.json" "" ""
else
  row "bench/peers/er7.mjs alone (node)" "parse only" - "" "$(head -1 "$WORK/er7.stderr" 2>/dev/null)"
fi

log "checking and timing python-hl7"
name="python-hl7 $PYHL7_VERSION (PyPI \`hl7\`)"
what="**parse only**: whole python process, \`hl7.parse\` of each message (no mapping, no FHIR, no output)"
if [ "$py_ok" -ne 1 ]; then
  row "$name" "$what" - peer "pip install failed: $(grep -m1 -i error "$WORK/pip.log")"
elif ! "$PEERS/venv/bin/python" bench/peers/parse_hl7.py "$CORPUS" 2>"$WORK/pyhl7.stderr"; then
  row "$name" "$what" - peer "parse failed: $(head -1 "$WORK/pyhl7.stderr")"
else
  printf -- '- %s\n' "$(tail -1 "$WORK/pyhl7.stderr")" >>"$NOTES"
  time_row "$WORK/t-pyhl7.json" "$PEERS/venv/bin/python" bench/peers/parse_hl7.py "$CORPUS" &&
    row "$name" "$what" "$WORK/t-pyhl7.json" peer "" || row "$name" "$what" - peer "timing failed"
fi

# --- 5. The table. -----------------------------------------------------------
TABLE=$(python3 bench/peers/table.py "$CORPUS" "$N" "$ROWS") || exit 1
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# Peer throughput, $DATE"
  echo
  echo "Corpus: $N generated ADT^A01 messages (\`bench/gen_adt.py -n $N --seed $SEED\`),"
  echo "$BYTES bytes ($((BYTES / N)) B/message), CR segment terminators. MB = 10^6 bytes of HL7 input."
  echo "Each row times the whole process over the corpus (output to /dev/null): $TIMER."
  echo "ferry-embed reads the corpus on stdin: $STDIN_HOW."
  echo
  echo "$TABLE"
  echo
  echo "Checks before timing:"
  echo
  cat "$NOTES"
  echo
  echo "Machine: $CPU, $(nproc) CPUs, $(uname -sr); rustc $(rustc --version | cut -d' ' -f2),"
  echo "node $(node --version), python $(python3 --version | cut -d' ' -f2). One process per row, run one at a time;"
  echo "the conversions are single-threaded (node's GC has helper threads: its user time exceeds wall time)."
  echo "See bench/README.md for what each row measures and the caveats."
} >"$RESULTS"
echo
cat "$RESULTS"
log "written to $RESULTS"
