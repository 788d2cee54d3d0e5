"""Workload W2 (issue 19, "Side by side with MLflow"), MLflow's side.

For each of N versions of one registered model, one after the other, with ``MlflowClient``
talking to the database directly (tracking URI and registry URI both the database URL; no
server):

1. create: ``create_model_version`` (accuracy 0.93 stored as the version tag ``accuracy``);
2. two approvals: ``set_model_version_tag`` x2 (``approval.bob``, ``approval.carol``);
3. decide: the host reads the version back (``get_model_version``), counts the approval tags
   (quorum 2) and checks ``accuracy`` >= 0.9, and records its verdict as the tag ``decision``;
4. deploy: ``set_registered_model_alias(name, "production", version)``;
5. read back which version is in production: ``get_model_version_by_alias``, checked to be
   this version.

The client's first call (which creates or migrates MLflow's schema) and
``create_registered_model`` are not timed; the N versions are. Prints one line,
``mlflow <n> <seconds> <versions/s>``, on stdout, and the time in each step on stderr.

    python w2_mlflow.py <database url> <versions>

The URL is ``sqlite:///<file>`` or ``postgresql://…``; use a fresh database.
"""

import logging
import sys
import time
import warnings

NAME = "w2-model"
QUORUM = 2
THRESHOLD = 0.9


def main() -> int:
    url, n = sys.argv[1], int(sys.argv[2])
    warnings.filterwarnings("ignore")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=url, registry_uri=url)
    # Untimed: the schema is created on the first call, then the registered model.
    client.search_experiments(max_results=1)
    client.create_registered_model(NAME)

    steps = dict.fromkeys(["create", "votes", "decide", "deploy", "read_back"], 0.0)
    started = time.perf_counter()
    for v in range(1, n + 1):
        t = time.perf_counter()
        mv = client.create_model_version(
            NAME,
            source=f"file:///models/{NAME}/{v}",
            tags={"accuracy": "0.93"},
        )
        version = mv.version
        t2 = time.perf_counter()
        steps["create"] += t2 - t

        t = t2
        for who in ("bob", "carol"):
            client.set_model_version_tag(NAME, version, f"approval.{who}", "approved")
        t2 = time.perf_counter()
        steps["votes"] += t2 - t

        t = t2
        tags = client.get_model_version(NAME, version).tags
        approvals = sum(
            1 for k, val in tags.items() if k.startswith("approval.") and val == "approved"
        )
        if approvals < QUORUM or float(tags.get("accuracy", "nan")) < THRESHOLD:
            print(f"{NAME}/{version}: not approved: {tags}", file=sys.stderr)
            return 1
        client.set_model_version_tag(NAME, version, "decision", "approved")
        t2 = time.perf_counter()
        steps["decide"] += t2 - t

        t = t2
        client.set_registered_model_alias(NAME, "production", version)
        t2 = time.perf_counter()
        steps["deploy"] += t2 - t

        t = t2
        current = client.get_model_version_by_alias(NAME, "production")
        if str(current.version) != str(version):
            print(f"{NAME}/{version}: production is {current.version}", file=sys.stderr)
            return 1
        steps["read_back"] += time.perf_counter() - t
    elapsed = time.perf_counter() - started

    print(f"mlflow {n} {elapsed:.3f} {n / elapsed:.1f}")
    per = {k: s * 1e3 / n for k, s in steps.items()}
    print(
        f"mlflow {n}: ms per version: create {per['create']:.2f}, "
        f"2 votes {per['votes']:.2f}, decide {per['decide']:.2f}, "
        f"deploy {per['deploy']:.2f}, read back {per['read_back']:.2f}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
