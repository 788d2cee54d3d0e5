#!/usr/bin/env python3
"""DSSE interoperability with an independent implementation, Python's securesystemslib.

Run with the Python of a virtualenv that has `securesystemslib[crypto]` (CI: see .ci/run):

    python3 -m venv target/dsse-venv
    target/dsse-venv/bin/pip install 'securesystemslib[crypto]'
    target/dsse-venv/bin/python scripts/dsse_interop.py

1. Rust signs: `cargo run --example attest` writes an approval's envelope and its public key;
   securesystemslib verifies the envelope (and refuses it with the payload changed).
2. Python signs: securesystemslib signs the same in-toto statement with a fresh Ed25519 key under
   securesystemslib's own key id (the SHA-256 of its JSON key record, not modelgate's); the
   modelgate CLI's deploy gate (`modelgate attest verify`), given only the public key file,
   verifies it (signatures are matched by key, not by key id), and refuses it with the payload
   changed, for another model, another artifact, another environment, or with another key.

Prints one line per check and `dsse interop: N passed, 0 failed`; exits 1 on any failure."""
import base64
import copy
import hashlib
import json
import pathlib
import subprocess
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "target" / "dsse-interop"
out.mkdir(parents=True, exist_ok=True)
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name} {detail}", file=sys.stderr)


def cargo(*args):
    return subprocess.run(["cargo", *args], cwd=root, capture_output=True, text=True)


def raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sslib_key(public_key):
    """The key under modelgate's key id: the hex SHA-256 of the raw public key."""
    return SSlibKey.from_crypto(public_key, keyid=hashlib.sha256(raw(public_key)).hexdigest())


def sslib_own_key(public_key):
    """The key under securesystemslib's own key id (it computes one when none is given)."""
    return SSlibKey.from_crypto(public_key)


# 1. Rust signs, securesystemslib verifies.
run = cargo("run", "-q", "--features", "attest", "--example", "attest", "--", str(out))
check("cargo run --example attest", run.returncode == 0, run.stderr)
if run.returncode != 0:
    sys.exit(1)
envelope_json = json.loads((out / "approval.dsse.json").read_text())
rust_public = serialization.load_pem_public_key((out / "signer.pub.pem").read_bytes())
digest = (out / "digest.txt").read_text().strip()
key = sslib_key(rust_public)
# from_dict changes the dict it reads: give it copies.
envelope = Envelope.from_dict(copy.deepcopy(envelope_json))
check("the envelope names the key by modelgate's key id",
      list(envelope.signatures) == [key.keyid], f"{list(envelope.signatures)} != {key.keyid}")
try:
    accepted = envelope.verify([key], 1)
    check("securesystemslib verifies modelgate's envelope", key.keyid in accepted)
except VerificationError as e:
    check("securesystemslib verifies modelgate's envelope", False, str(e))
statement = json.loads(envelope.payload)
check("the payload is an in-toto Statement v1 of the approval predicate",
      statement["_type"] == "https://in-toto.io/Statement/v1"
      and statement["predicateType"] == "https://modelgate.dev/attestation/approval/v3"
      and statement["subject"][0]["digest"]["sha256"] == digest.removeprefix("sha256:"),
      json.dumps(statement)[:200])
tampered = Envelope.from_dict(copy.deepcopy(envelope_json))
tampered.payload = envelope.payload.replace(b'"environment":"default"', b'"environment":"production"')
try:
    tampered.verify([key], 1)
    check("securesystemslib refuses modelgate's envelope with the payload changed", False)
except VerificationError:
    check("securesystemslib refuses modelgate's envelope with the payload changed", True)

# 2. securesystemslib signs, modelgate's deploy gate verifies.
private = Ed25519PrivateKey.generate()
own_key = sslib_own_key(private.public_key())
check("securesystemslib's own key id is not modelgate's (the gate must not need it)",
      own_key.keyid != hashlib.sha256(raw(private.public_key())).hexdigest(), own_key.keyid)
signer = CryptoSigner(private, own_key)
python_envelope = Envelope(payload=envelope.payload, payload_type="application/vnd.in-toto+json",
                           signatures={})
python_envelope.sign(signer)
check("securesystemslib's envelope names its own key id",
      list(python_envelope.signatures) == [own_key.keyid], str(list(python_envelope.signatures)))
(out / "python.dsse.json").write_text(json.dumps(python_envelope.to_dict()))
(out / "python.pub.pem").write_bytes(private.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
changed = python_envelope.to_dict()
changed["payload"] = base64.b64encode(tampered.payload).decode()
(out / "python-tampered.dsse.json").write_text(json.dumps(changed))

build = cargo("build", "-q", "-p", "modelgate-cli")
check("cargo build -p modelgate-cli", build.returncode == 0, build.stderr)


def gate(envelope_file, expected_digest, environment="default", key="python.pub.pem",
         name="fraud-detector"):
    # Only the public key file: no --key-id. The model `cargo run --example attest` approves.
    return cargo("run", "-q", "-p", "modelgate-cli", "--", "attest", "verify",
                 "--any-policy", "--trust-signer-approvals", str(out / envelope_file), "--key", str(out / key), "--name", name,
                 "--digest", expected_digest, "--environment", environment)


result = gate("python.dsse.json", digest)
check("modelgate verifies securesystemslib's envelope with securesystemslib's own key id, "
      "given only the public key file (exit 0)", result.returncode == 0,
      result.stdout + result.stderr)
result = gate("python.dsse.json", digest, environment="production")
check("modelgate refuses securesystemslib's envelope for another environment (exit 1)",
      result.returncode == 1 and "is for environment" in result.stderr,
      result.stdout + result.stderr)
result = gate("python.dsse.json", digest, name="sandbox")
check("modelgate refuses securesystemslib's envelope for another model (exit 1)",
      result.returncode == 1 and "is for model" in result.stderr,
      result.stdout + result.stderr)
result = gate("python.dsse.json", digest, key="signer.pub.pem")
check("modelgate refuses securesystemslib's envelope with another trusted key (exit 1)",
      result.returncode == 1 and "no signature is by a trusted key" in result.stderr,
      result.stdout + result.stderr)
result = gate("python-tampered.dsse.json", digest)
# The tampered envelope names securesystemslib's key id, which no trusted key has: no trusted key
# verifies its signature, so it is refused as unsigned by a trusted key.
check("modelgate refuses securesystemslib's envelope with the payload changed (exit 1)",
      result.returncode == 1 and "no signature is by a trusted key" in result.stderr,
      result.stdout + result.stderr)
other = "sha256:" + hashlib.sha256(b"another artifact").hexdigest()
result = gate("python.dsse.json", other)
check("modelgate refuses securesystemslib's envelope for another artifact (exit 1)",
      result.returncode == 1 and "is for artifact" in result.stderr, result.stdout + result.stderr)

print(f"dsse interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
