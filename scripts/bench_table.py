#!/usr/bin/env python3
"""Reads criterion's estimates under target/criterion and prints, for each scaling group, the mean
time at 1k, 10k and 100k and the growth factor per 10x; for each group with a baseline, the ratio
to it. Run after `cargo bench`. Figures are ratios measured in one run, never asserted."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"


def mean(group, bench):
    path = root / group / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["mean"]["point_estimate"]


def human(ns):
    for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= size:
            return f"{ns / size:.3g} {unit}"
    return f"{ns:.3g} ns"


print("| operation | 1k | 10k | 100k | per 10× | baseline per 10× | ratio to baseline at 1k, 10k, 100k |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for group in ("record", "restore", "validate", "poll", "registry_deploy", "registry_restore",
              "registry_history"):
    times = [mean(f"{group}/modelgate", str(n)) for n in (1000, 10000, 100000)]
    base = [mean(f"{group}/baseline", str(n)) for n in (1000, 10000, 100000)]
    if None in times or None in base:
        continue
    factors = f"{times[1] / times[0]:.1f}×, {times[2] / times[1]:.1f}×"
    bfactors = f"{base[1] / base[0]:.1f}×, {base[2] / base[1]:.1f}×"
    ratios = ", ".join(f"{t / b:.1f}×" for t, b in zip(times, base))
    print(f"| `{group}` | {' | '.join(human(t) for t in times)} | {factors} | {bfactors} | {ratios} |")

print()
print("| benchmark | baseline | modelgate | ratio |")
print("| --- | --- | --- | --- |")
pairs = [
    ("verify_1000", "baseline_sha256_of_canonical_bytes", "verify_chain_and_seal"),
]
for case in ("w1_a", "w1_b", "w1_c"):
    pairs += [(case, "baseline", "judge"), (case, "baseline", "evaluate")]
for case in ("w1_a", "w1_b", "w1_c"):
    for ours in ("judge", "evaluate", "judge_borrowed", "evaluate_borrowed", "model_decide"):
        pairs += [(f"{case}_end_to_end", "baseline_host_data", ours)]
    pairs += [(f"{case}_end_to_end", "baseline_host_data", "baseline_prebuilt")]
pairs += [("attest", "ed25519_sign", "sign_attestation"), ("attest", "ed25519_verify", "verify_attestation")]
for group, base, ours in pairs:
    b, o = mean(group, base), mean(group, ours)
    if b is None or o is None:
        continue
    print(f"| {group} `{ours}` | {human(b)} | {human(o)} | {o / b:.2f}× |")
