#!/usr/bin/env python3
"""Writes N realistic ORU^R01 lab results (HL7 v2.5.1, ER7, CR segment
terminators) for the benchmarks. Deterministic: a fixed seed gives the same
bytes on every machine and run.

    python3 bench/gen_oru.py [-n 10000] [--seed 20261124] -o corpus-oru.hl7

Each message has MSH, PID, PV1, then one or two orders (ORC, OBR with its
specimen time and status) of 3 to 8 numeric OBX results each (LOINC code,
value, UCUM units, reference range, abnormal flag, status F or C), an NTE
now and then: about 2 KB.
"""
import random

from gen_adt import write_corpus

FAMILY = ["Smith", "Johnson", "Garcia", "Nguyen", "Kowalski", "Haddad", "Rossi", "Dubois"]
GIVEN = ["Mary", "James", "Wei", "Fatima", "Luca", "Anna", "Omar", "Sarah"]
PANELS = [
    ("57698-3", "Lipid panel", [("2093-3", "Cholesterol", "mg/dL", "<200", 120, 260),
                                 ("2571-8", "Triglyceride", "mg/dL", "<150", 40, 300),
                                 ("2085-9", "HDL Cholesterol", "mg/dL", ">40", 25, 90),
                                 ("13457-7", "LDL Cholesterol", "mg/dL", "<100", 50, 190)]),
    ("24323-8", "Comprehensive metabolic panel", [("2345-7", "Glucose", "mg/dL", "70-99", 60, 250),
                                                 ("2160-0", "Creatinine", "mg/dL", "0.6-1.3", 0.4, 3.0),
                                                 ("2951-2", "Sodium", "mmol/L", "135-145", 125, 150),
                                                 ("2823-3", "Potassium", "mmol/L", "3.5-5.1", 2.8, 6.2),
                                                 ("17861-6", "Calcium", "mg/dL", "8.5-10.5", 7.5, 11.5),
                                                 ("1742-6", "ALT", "U/L", "7-56", 5, 120)]),
    ("58410-2", "CBC panel", [("6690-2", "WBC", "10*3/uL", "4.5-11.0", 2.0, 20.0),
                              ("789-8", "RBC", "10*6/uL", "4.5-5.9", 3.0, 6.5),
                              ("718-7", "Hemoglobin", "g/dL", "13.5-17.5", 8.0, 19.0),
                              ("4544-3", "Hematocrit", "%", "41-53", 25, 58),
                              ("777-3", "Platelets", "10*3/uL", "150-400", 50, 600)]),
]


def ts(r, y0, y1):
    # Hour 02 is skipped: it does not exist on spring-forward days in US zones.
    return (f"{r.randint(y0, y1):04d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
            f"{r.choice([0, 1] + list(range(3, 24))):02d}{r.randint(0, 59):02d}{r.randint(0, 59):02d}")


def message(r, i):
    now = ts(r, 2025, 2026)
    mrn = f"{r.randint(100000, 9999999)}"
    segs = [
        f"MSH|^~\\&|LAB|GENHOSP^2.16.840.1.113883.19.3.2^ISO|EHR|GENHOSP|{now}||ORU^R01^ORU_R01|LAB{i:08d}|P|2.5.1|||AL|NE",
        (f"PID|1||{mrn}^^^GENHOSP&2.16.840.1.113883.19.3.1&ISO^MR||{r.choice(FAMILY)}^{r.choice(GIVEN)}^^^^^L||"
         f"{ts(r, 1930, 2020)[:8]}|{r.choice('MFU')}|||{r.randint(1, 999)} Main St^^Boston^MA^02{r.randint(100, 999)}^USA^H"),
        f"PV1|1|{r.choice('OIE')}|LAB^^^GENHOSP||||1001^HOUSE^GREGORY^^^DR|||||||||||V{r.randint(10000000, 99999999)}^^^GENHOSP^VN",
    ]
    for o in range(1, r.choice([1, 1, 2]) + 1):
        code, name, tests = r.choice(PANELS)
        placer = f"PL{i:07d}{o}"
        filler = f"FL{i:07d}{o}"
        collected = ts(r, 2025, 2026)
        segs.append(f"ORC|RE|{placer}^EHR|{filler}^LAB||CM")
        segs.append(f"OBR|{o}|{placer}^EHR|{filler}^LAB|{code}^{name}^LN|||{collected}|||||||||1001^HOUSE^GREGORY||||||{collected}|||F")
        for k, (lc, ln, unit, rng, lo, hi) in enumerate(r.sample(tests, min(len(tests), r.randint(3, 8))), 1):
            value = round(r.uniform(lo, hi), 1 if isinstance(lo, float) else 0)
            value = f"{value:g}"
            flag = r.choice(["N", "N", "N", "H", "L"])
            segs.append(f"OBX|{k}|NM|{lc}^{ln}^LN||{value}|{unit}^{unit}^UCUM|{rng}|{flag}|||{r.choice('FFFC')}|||{collected}")
            if r.random() < 0.1:
                segs.append(f"NTE|1||Result verified by {r.choice(FAMILY)}")
    return "\r".join(segs) + "\r"


if __name__ == "__main__":
    write_corpus(__doc__, message)
