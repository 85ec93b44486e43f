#!/usr/bin/env python3
"""python-hl7 row of bench/peers.sh: parses every message of an HL7 v2 file
with `hl7.parse` (python-hl7), and nothing else: no mapping, no FHIR, no
output. Splits messages at each segment that starts with MSH, as the other
rows do.

    python3 bench/peers/parse_hl7.py CORPUS.hl7
"""
import re
import sys

import hl7


def main():
    text = open(sys.argv[1], encoding="utf-8", newline="").read()
    starts = [m.start(1) for m in re.finditer(r"(?:^|[\r\n])(MSH\|)", text)]
    parsed = 0
    failed = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        message = text[start:end].rstrip("\r\n").replace("\r\n", "\r").replace("\n", "\r")
        try:
            m = hl7.parse(message)
            # Touch one field so a lazy parser could not skip the work.
            if not str(m.segment("PID")(3)):
                raise ValueError("no PID-3")
            parsed += 1
        except Exception as e:  # noqa: BLE001 - report and go on, like the other rows
            failed += 1
            if failed <= 5:
                print(f"message {i + 1}: {e}", file=sys.stderr)
    print(f"python-hl7: parsed {parsed}, failed {failed} (of {len(starts)} messages)", file=sys.stderr)
    sys.exit(3 if failed else 0)


if __name__ == "__main__":
    main()
