#!/usr/bin/env python3
"""Lists every public fallible function (returning `Result`, async or not) in the crates' src/
folders (the core, the CLI, the store) whose doc comment has no `# Errors` section. CI runs it;
it prints nothing and exits 0 when every one has."""
import pathlib
import re
import sys

missing = []
root = pathlib.Path(__file__).resolve().parent.parent
paths = [p for d in ("src", "cli/src", "store/src") for p in root.joinpath(d).rglob("*.rs")]
for path in sorted(paths):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if not re.match(r"\s*pub (async )?fn ", line):
            continue
        # The signature, up to the opening brace.
        sig = ""
        j = i
        while j < len(lines) and "{" not in lines[j] and ";" not in lines[j]:
            sig += lines[j]
            j += 1
        sig += lines[j] if j < len(lines) else ""
        if "-> Result<" not in sig:
            continue
        # The doc comment above (skipping attributes).
        k = i - 1
        doc = []
        while k >= 0 and (lines[k].strip().startswith("///") or lines[k].strip().startswith("#[")):
            doc.append(lines[k])
            k -= 1
        if not any("# Errors" in d for d in doc):
            name = re.search(r"pub (?:async )?fn (\w+)", line).group(1)
            missing.append(f"{path}:{i + 1}: {name}")
for m in missing:
    print(m)
sys.exit(1 if missing else 0)
