#!/usr/bin/env python3
"""Checks that no module imports a layer above its own. The layers, from the bottom: value,
signed (feature `signed-votes`), policy, event, model, trail, log, pipeline, registry, attest (feature `attest`: it may use every layer, none may
use it); then the façade (lib.rs) and testing, which may use everything. Prints each violation and
exits 1 if there is one."""
import pathlib
import re
import sys

LAYERS = ["value", "signed", "policy", "event", "model", "trail", "log", "pipeline", "registry", "attest"]
src = pathlib.Path(__file__).resolve().parent.parent / "src"
bad = []
for path in sorted(src.rglob("*.rs")):
    rel = path.relative_to(src)
    layer = rel.parts[0].removesuffix(".rs")
    if layer not in LAYERS:
        continue
    mine = LAYERS.index(layer)
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip().startswith("//"):
            continue  # doc links may point anywhere
        for used in re.findall(r"crate::(\w+)", line):
            if used in LAYERS and LAYERS.index(used) > mine:
                bad.append(f"src/{rel}:{n}: layer `{layer}` uses `crate::{used}`, a layer above it")
            # Re-exports at the root (crate::Foo) are names from any layer: resolve them.
            elif used not in LAYERS and used[:1].isupper():
                bad.append(f"src/{rel}:{n}: `crate::{used}` goes through the façade; name the layer")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
