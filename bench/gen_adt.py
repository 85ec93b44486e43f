#!/usr/bin/env python3
"""Writes N realistic, varied ADT^A01 messages (HL7 v2.5.1, ER7, CR segment
terminators) for the peer benchmark. Deterministic: a fixed seed gives the
same bytes on every machine and run.

    python3 bench/gen_adt.py [-n 10000] [--seed 20261124] -o bench/.peers/corpus.hl7

Each message has MSH, EVN, PID (several identifiers, two names, one or two
addresses, home and work phones, SSN, driver's licence), PD1, NK1 x2, PV1
(class in PV1-2, visit number in PV1-19, admit PV1-44, discharge PV1-45 on
about a third), PV2, OBX x2, AL1 x2, DG1 x2: about 1.8 KB.
"""
import argparse
import random
import sys

FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
          "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
          "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson",
          "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "O'Brien",
          "Nguyen", "Kowalski", "Schmidt", "Rossi", "Dubois", "Novak", "Haddad"]
GIVEN_M = ["James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph",
           "Thomas", "Carlos", "Ahmed", "Wei", "Luca", "Pierre", "Jan", "Omar"]
GIVEN_F = ["Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan",
           "Jessica", "Sarah", "Karen", "Maria", "Fatima", "Mei", "Giulia", "Anna", "Aisha"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Park Blvd", "Lake Rd",
           "Hill St", "Washington Ave", "Pine Ct", "Sunset Blvd", "River Rd"]
CITIES = [("Boston", "MA", "021", "Suffolk"), ("Springfield", "IL", "627", "Sangamon"),
          ("Austin", "TX", "787", "Travis"), ("Denver", "CO", "802", "Denver"),
          ("Portland", "OR", "972", "Multnomah"), ("Albany", "NY", "122", "Albany"),
          ("Madison", "WI", "537", "Dane"), ("Raleigh", "NC", "276", "Wake")]
CLASSES = ["I", "I", "I", "E", "E", "O", "O", "P"]
SEX = ["M", "F", "F", "M", "U", "O"]
ALLERGENS = [("DA", "AL101", "Penicillin"), ("FA", "AL202", "Peanuts"), ("MA", "AL302", "Latex"),
             ("DA", "AL103", "Sulfa drugs"), ("FA", "AL204", "Shellfish"), ("EA", "AL401", "Pollen")]
DIAGNOSES = [("I10", "Essential (primary) hypertension"), ("E11.9", "Type 2 diabetes mellitus without complications"),
             ("J18.9", "Pneumonia, unspecified organism"), ("R07.9", "Chest pain, unspecified"),
             ("S72.001A", "Fracture of unspecified part of neck of right femur"),
             ("N39.0", "Urinary tract infection, site not specified"), ("I50.9", "Heart failure, unspecified")]
OBS = [("8867-4", "Heart rate", "NM", "/min", (55, 120)), ("8310-5", "Body temperature", "NM", "Cel", (36, 40)),
       ("8480-6", "Systolic blood pressure", "NM", "mm[Hg]", (95, 180)),
       ("29463-7", "Body weight", "NM", "kg", (45, 130)), ("8302-2", "Body height", "NM", "cm", (150, 195))]
DOCTORS = [("1001", "HOUSE", "GREGORY", "M"), ("1002", "GREY", "MEREDITH", "E"), ("1003", "ROSS", "DOUG", "J"),
           ("1004", "YANG", "CRISTINA", ""), ("1005", "CARTER", "JOHN", "T"), ("1006", "BAILEY", "MIRANDA", "L")]


def ts(r, year_from, year_to, seconds=True):
    y = r.randint(year_from, year_to)
    mo = r.randint(1, 12)
    d = r.randint(1, 28)
    # Hour 2 is skipped: on spring-forward days 02:xx does not exist in US zones,
    # and Ferry rightly rejects such local times (bench runs with America/New_York).
    h, mi, s = r.choice([0, 1] + list(range(3, 24))), r.randint(0, 59), r.randint(0, 59)
    return f"{y:04d}{mo:02d}{d:02d}{h:02d}{mi:02d}" + (f"{s:02d}" if seconds else "")


def phone(r):
    return f"({r.randint(201, 989)}){r.randint(200, 999)}-{r.randint(1000, 9999)}"


def message(r, i):
    sex = r.choice(SEX)
    given = r.choice(GIVEN_F if sex == "F" else GIVEN_M)
    middle = r.choice(GIVEN_F + GIVEN_M)[0]
    family = r.choice(FAMILY)
    mrn = f"{r.randint(100000, 9999999)}"
    now = ts(r, 2024, 2026)
    ctl = f"MSG{i:08d}"
    city, state, zip3, county = r.choice(CITIES)
    addr1 = f"{r.randint(1, 9999)} {r.choice(STREETS)}^Apt {r.randint(1, 40)}^{city}^{state}^{zip3}{r.randint(10, 99)}^USA^H^^{county}"
    addrs = addr1
    if r.random() < 0.4:
        c2 = r.choice(CITIES)
        addrs += f"~PO Box {r.randint(100, 9999)}^^{c2[0]}^{c2[1]}^{c2[2]}{r.randint(10, 99)}^USA^M"
    home, cell, work = phone(r), phone(r), phone(r)
    email = f"{given.lower()}.{family.lower().replace(chr(39), '')}{r.randint(1, 99)}@example.org"
    cls = r.choice(CLASSES)
    visit = f"V{r.randint(10000000, 99999999)}"
    admit = ts(r, 2025, 2026)
    discharge = ts(r, 2026, 2026) if r.random() < 0.33 else ""
    if discharge and discharge < admit:
        admit, discharge = discharge, admit
    doc = r.choice(DOCTORS)
    doc2 = r.choice(DOCTORS)
    kin_family = r.choice(FAMILY)
    segs = [
        f"MSH|^~\\&|ADT_SYS|GENHOSP^2.16.840.1.113883.19.3.1^ISO|EHR|GENHOSP|{now}||ADT^A01^ADT_A01|{ctl}|P|2.5.1|||AL|NE|USA|UNICODE UTF-8",
        f"EVN|A01|{now}|||{doc[0]}^{doc[1]}^{doc[2]}|{now}",
        (f"PID|1||{mrn}^^^GENHOSP&2.16.840.1.113883.19.3.1&ISO^MR~{r.randint(100000000, 999999999)}^^^SSA&2.16.840.1.113883.4.1&ISO^SS"
         f"~A{r.randint(1000000, 9999999)}^^^STATEHIE&urn:example:hie&URI^PI||{family}^{given}^{middle}^^{r.choice(['', 'Mr', 'Ms', 'Dr'])}^^L"
         f"~{r.choice(FAMILY)}^{given}^^^^^M|{r.choice(FAMILY)}^{r.choice(GIVEN_F)}|{ts(r, 1930, 2023)[:8]}|{sex}||"
         f"2106-3^White^CDCREC|{addrs}|{county}|{home}^PRN^PH^^^{home[1:4]}^{home[5:]}~{cell}^PRN^CP~^NET^Internet^{email}|"
         f"{work}^WPN^PH|en^English^ISO639|{r.choice('SMDW')}^^HL70002|CHR^Christian^HL70006|AC{r.randint(1000000, 9999999)}^^^GENHOSP^AN|"
         f"{r.randint(100, 899)}-{r.randint(10, 99)}-{r.randint(1000, 9999)}|D{r.randint(1000000, 9999999)}^{state}^{ts(r, 2027, 2032)[:8]}||"
         f"{r.choice(['2186-5^Not Hispanic or Latino', '2135-2^Hispanic or Latino'])}^CDCREC"),
        f"PD1|||GENHOSP CLINIC^^{r.randint(100, 999)}|{doc2[0]}^{doc2[1]}^{doc2[2]}^{doc2[3]}^^DR",
        f"NK1|1|{kin_family}^{r.choice(GIVEN_F)}|SPO^Spouse^HL70063|{addr1}|{phone(r)}^PRN^PH||EC^Emergency Contact^HL70131",
        f"NK1|2|{r.choice(FAMILY)}^{r.choice(GIVEN_M)}|CHD^Child^HL70063|{r.randint(1, 9999)} {r.choice(STREETS)}^^{city}^{state}^{zip3}{r.randint(10, 99)}^USA^H|{phone(r)}^PRN^CP||N^Next-of-Kin^HL70131",
        (f"PV1|1|{cls}|{r.choice(['ICU', 'MED', 'SUR', 'ER'])}^{r.randint(100, 499)}^{r.randint(1, 4)}^GENHOSP^^^^{r.randint(1, 6)}|"
         f"{r.choice(['E', 'U', 'R', 'C'])}|||{doc[0]}^{doc[1]}^{doc[2]}^{doc[3]}^^DR|{doc2[0]}^{doc2[1]}^{doc2[2]}^^^DR||"
         f"{r.choice(['MED', 'SUR', 'CAR', 'PUL'])}||||{r.choice(['1', '7', ''])}|||{doc[0]}^{doc[1]}^{doc[2]}||{visit}^^^GENHOSP^VN|"
         f"{r.choice(['SP', 'MC', 'CM'])}|||||||||||||||||||GENHOSP|||||{admit}|{discharge}"),
        f"PV2|||{r.choice(DIAGNOSES)[0]}^{r.choice(['Chest pain', 'Fever', 'Fall', 'Shortness of breath'])}^I10||||||||{r.randint(1, 9)}",
    ]
    for k, (code, text, vt, unit, (lo, hi)) in enumerate(r.sample(OBS, 2), 1):
        segs.append(f"OBX|{k}|{vt}|{code}^{text}^LN||{r.randint(lo, hi)}|{unit}^{unit}^UCUM|||||F|||{admit}||{doc[0]}^{doc[1]}^{doc[2]}")
    for k, (typ, code, text) in enumerate(r.sample(ALLERGENS, 2), 1):
        segs.append(f"AL1|{k}|{typ}|{code}^{text}^LOCAL|{r.choice(['MI', 'MO', 'SV'])}|{r.choice(['Rash', 'Hives', 'Anaphylaxis', 'Nausea'])}|{ts(r, 2000, 2024)[:8]}")
    for k, (code, text) in enumerate(r.sample(DIAGNOSES, 2), 1):
        segs.append(f"DG1|{k}||{code}^{text}^I10||{admit}|{r.choice(['A', 'W', 'F'])}|||||||||{k}|{doc2[0]}^{doc2[1]}^{doc2[2]}")
    return "\r".join(segs) + "\r"


def write_corpus(doc, message):
    """The command line both corpus generators share: -n, --seed, -o."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    r = random.Random(a.seed)
    data = "".join(message(r, i) for i in range(1, a.n + 1)).encode("utf-8")
    if a.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(a.output, "wb") as f:
            f.write(data)
    print(f"wrote {a.n} messages, {len(data)} bytes ({len(data) / a.n:.0f} B/message)", file=sys.stderr)


if __name__ == "__main__":
    write_corpus(__doc__, message)
