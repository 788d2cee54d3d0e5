#!/usr/bin/env python3
"""An independent implementation of modelgate's canonical encoding (format 2), written from the
grammar in the README ("The stored form") and nothing else. It prints the published test vectors:
the head after each step of a small trail. CI compares them with the Rust implementation's
(tests/persistence.rs pins the same values), so the documentation, this script and the crate
cannot drift apart.

Usage: python3 scripts/canonical_vectors.py [--check]
"""
import hashlib
import struct
import sys


def u8(x): return struct.pack(">B", x)
def u32(x): return struct.pack(">I", x)
def u64(x): return struct.pack(">Q", x)
def f64(x): return struct.pack(">d", x)  # the u64 of the IEEE-754 bits, big-endian
def text(s):
    b = s.encode("utf-8")
    return u64(len(b)) + b
def option(x, enc): return u8(0) if x is None else u8(1) + enc(x)
def lst(xs, enc): return u64(len(xs)) + b"".join(enc(x) for x in xs)
def metrics(m):
    items = sorted(m.items(), key=lambda kv: kv[0].encode("utf-8"))
    return u64(len(items)) + b"".join(text(k) + f64(v) for k, v in items)


def header(name, version, environment="default", validity_ms=None):
    return (text("modelgate.header") + u32(2) + text(name) + text(version) + text(environment)
            + option(validity_ms, u64))


def promotion(p):
    return (text(p["from"]) + p["deployment"] + u64(p["deployed_at"]) + metrics(p["online"])
            + u64(p["observed_at"]))


def event(prev, seq, at_ms, tag, fields):
    return text("modelgate.event") + prev + u64(seq) + u64(at_ms) + u8(tag) + fields


def value(v):
    kind, x = v
    if kind == "missing": return u8(0)
    if kind == "number": return u8(1) + f64(x)
    if kind == "count": return u8(2) + u64(x)
    return u8(3) + text(x)


KIND = {"reject": 0, "pending": 1, "approve": 2}


def finding(f):
    return (u8(KIND[f["kind"]]) + text(f["rule"]) + text(f["subject"]) + value(f["observed"])
            + value(f["required"]) + text(f["message"]))


def verdict(v):
    return u8(KIND[v["kind"]]) + lst(v["findings"], finding) + option(v.get("automatic"), text)


def sha(b): return hashlib.sha256(b).digest()


# Bob's Ed25519 signature over his vote statement in the vectors below (tests/persistence.rs
# checks that it verifies).
SIGNED_VOTE = ("sEDZNayjam3oBLklPfaIjpKIm8S6YyPqsbrnoftFGAhEN89JSlD+ZDq6fIuD14VSR4jKFq0mOxQ/"
               "jEchLPzuBA==")


def vectors():
    out = []
    head = sha(header("churn", "1"))
    out.append(("header churn/1", head.hex()))
    # 1 submitted: digest, metrics, notes, submitter, attempt, promotion
    e1 = event(head, 1, 10_000, 1,
               text("sha256:1") + metrics({"accuracy": 0.93}) + text("") + text("alice") + u32(1)
               + option(None, promotion))
    head = sha(e1)
    out.append(("1 submitted", head.hex()))
    # 2 voted: reviewer, roles, vote (0 approve), digest, at, comment
    e2 = event(head, 2, 11_000, 2,
               text("bob") + lst(["team_lead"], text) + u8(0) + text("sha256:1") + u64(11_000)
               + text(""))
    # Tag 18: the same vote signed by bob (Ed25519, the key of seed [7; 32], over his vote
    # statement for this round), the signature as given: u8 0 (Ed25519), text base64.
    signed = (text("bob") + lst(["team_lead"], text) + u8(0) + text("sha256:1") + u64(11_000)
              + text("") + u8(0) + text(SIGNED_VOTE))
    out.append(("2 voted, signed", sha(event(head, 2, 11_000, 18, signed)).hex()))
    head = sha(e2)
    out.append(("2 voted", head.hex()))
    # 3 decided: policy, champion, verdict
    v = {"kind": "approve", "findings": [{
        "kind": "approve", "rule": "metric_at_least", "subject": "accuracy",
        "observed": ("number", 0.93), "required": ("number", 0.9),
        "message": "accuracy 0.93 is at least 0.9"}]}
    # The policy's fingerprint (src/policy/fingerprint.rs): label, u8 4 (gate), metric, u8 0
    # (at_least), f64 threshold, option<range> none.
    policy = sha(text("modelgate.policy") + u8(4) + text("accuracy") + u8(0) + f64(0.9)
                 + option(None, None))
    out.append(("policy fingerprint", policy.hex()))
    # Tag 3: the same decision as recorded before policies had fingerprints.
    legacy = text("accuracy at least 0.9") + option(None, metrics) + verdict(v)
    out.append(("3 decided (tag 3)", sha(event(head, 3, 12_000, 3, legacy)).hex()))
    # Tag 17: policy, its fingerprint, champion, verdict.
    decided = text("accuracy at least 0.9") + policy + option(None, metrics) + verdict(v)
    e3 = event(head, 3, 12_000, 17, decided)
    head = sha(e3)
    out.append(("3 decided", head.hex()))
    # 4 deployed: receipt, by
    e4 = event(head, 4, 13_000, 4, text("prod/churn@1") + text("deployer"))
    deployment = head = sha(e4)
    out.append(("4 deployed", head.hex()))
    # 5 retired: reason, for_cause, by
    e5 = event(head, 5, 300_000, 16, text("replaced") + u8(0) + text("ops"))
    out.append(("5 retired", sha(e5).hex()))

    # The same version in `production` (approvals valid 30 days), promoted with the evidence of
    # deployment 4, approved, then revoked.
    head = sha(header("churn", "1", "production", 30 * 86_400_000))
    out.append(("header production", head.hex()))
    evidence = {"from": "default", "deployment": deployment, "deployed_at": 13_000,
                "online": {"error_rate": 0.01}, "observed_at": 200_000}
    p1 = event(head, 1, 200_000, 1,
               text("sha256:1") + metrics({"accuracy": 0.93}) + text("") + text("alice") + u32(1)
               + option(evidence, promotion))
    head = sha(p1)
    out.append(("1 promoted", head.hex()))
    p2 = event(head, 2, 201_000, 17, decided)
    head = sha(p2)
    out.append(("2 decided", head.hex()))
    # 3 revoked: reason, by
    p3 = event(head, 3, 202_000, 11, text("drift found") + text("carol"))
    head = sha(p3)
    out.append(("3 revoked", head.hex()))

    # A registry of both: its index, ordered by environment, then version.
    members = [("default", "1", sha(e5)), ("production", "1", head)]
    index = (text("modelgate.registry") + u32(2) + text("churn")
             + lst(members, lambda m: text(m[0]) + text(m[1]) + m[2]))
    out.append(("registry index", sha(index).hex()))
    return out


if __name__ == "__main__":
    for name, h in vectors():
        print(f"{name:16} {h}")
    if "--check" in sys.argv:
        source = open(__file__.replace("scripts/canonical_vectors.py", "tests/persistence.rs")).read()
        readme = open(__file__.replace("scripts/canonical_vectors.py", "README.md")).read()
        for where, text_ in [("tests/persistence.rs", source), ("README.md", readme)]:
            missing = [name for name, h in vectors() if h not in text_]
            if missing:
                print(f"not pinned in {where}: {missing}", file=sys.stderr)
                sys.exit(1)
        # The README's grammar is the crate's (src/event/canonical.rs), word for word.
        crate = open(__file__.replace("scripts/canonical_vectors.py", "src/event/canonical.rs")).read()
        block = crate.split("//! ```text\n", 1)[1].split("//! ```", 1)[0]
        grammar = "".join(line[4:] + "\n" if line.startswith("//! ") else "\n"
                          for line in block.rstrip("\n").split("\n"))
        if "```text\n" + grammar + "```" not in readme:
            print("the README's grammar differs from src/event/canonical.rs", file=sys.stderr)
            sys.exit(1)
        # A signed vote's statement (src/signed/mod.rs): the bytes pinned by tests/signed_votes.rs.
        statement = (text("modelgate.vote") + u32(1) + text("churn") + text("4")
                     + text("production") + bytes([1] * 32) + text("rita") + u8(0)
                     + text("sha256:9f2c") + u64(100_000) + text("looks good"))
        snap = open(__file__.replace("scripts/canonical_vectors.py",
                                     "tests/snapshots/signed_votes__vote_statement_bytes.snap")).read()
        if statement.hex() != snap.rsplit("---\n", 1)[1].strip():
            print("the vote statement's bytes differ from the grammar in src/signed/mod.rs",
                  file=sys.stderr)
            sys.exit(1)
        print("all test vectors agree with tests/persistence.rs and the README; so does the grammar;"
              " so does a vote statement")
