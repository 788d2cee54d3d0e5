//! Verifying an approval that rests on signed votes (issue 20), beside one bare Ed25519
//! signature check measured in the same run.
//!
//! - `ed25519_verify`: `VerifyingKey::verify_strict` of one signature over a vote statement's
//!   bytes (the baseline).
//! - `approval_3_signed`: `SignedVotes::judge` of an approved model's review context whose
//!   three approvals are signed (each vote's statement built and encoded, its reviewer found in
//!   the roster, the signature verified, the inner quorum of 3 counted over the roster's roles).
//! - `approval_3_signed_explained`: the same with `evaluate` (the verdict with its findings).
//!
//! `cargo bench --features signed-votes --bench signed`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, SigningKey};
use modelgate::TrainingOutcome;
use modelgate::policy::SignedVotes;
use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion, VoteSignature};
use modelgate::{DecisionContext, Metrics, Model, Policy, Quorum, Review, Timestamp};

const REVIEWERS: [(&str, [u8; 32]); 3] =
    [("rita", [10; 32]), ("bob", [11; 32]), ("carol", [12; 32])];

fn signed_approval(c: &mut Criterion) {
    let t = Timestamp::from_unix_secs;
    let admin = [1; 32];
    let members = REVIEWERS
        .iter()
        .map(|(id, seed)| Member::new(id, ReviewerKey::from_seed(seed), t(0)).with_role("reviewer"))
        .collect();
    let mut first = RosterVersion::first(vec![ReviewerKey::from_seed(&admin)], 1, members);
    first.sign(&admin);
    let pinned = first.hash();
    let roster = Roster::new(vec![first]);
    let policy = SignedVotes::new(
        roster.verify_first_time(pinned).unwrap(),
        Quorum::new(3).eligible_roles(["reviewer"]),
    );

    let outcome =
        TrainingOutcome::new("sha256:9f2c", Metrics::new([("auc", 0.91)]).unwrap()).unwrap();
    let mut model = Model::new("churn", "4")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap();
    let mut statement_bytes = Vec::new();
    for (i, (id, seed)) in REVIEWERS.iter().enumerate() {
        let review = Review::approve(id, "sha256:9f2c", t(20 + i as u64));
        let statement = model.vote_statement(&review);
        statement_bytes = statement.to_bytes();
        let signature = VoteSignature::sign_ed25519(&statement, seed);
        model.record(review.with_signature(signature)).unwrap();
    }
    let approved = model
        .decide(&policy, &DecisionContext::at(t(30)))
        .unwrap()
        .approved()
        .unwrap();
    let ctx = approved.stage().review_context();

    let key = SigningKey::from_bytes(&REVIEWERS[2].1);
    let signature = key.sign(&statement_bytes);
    let verifying = key.verifying_key();

    let mut g = c.benchmark_group("signed_votes");
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| {
            black_box(&verifying).verify_strict(black_box(&statement_bytes), black_box(&signature))
        })
    });
    g.bench_function("approval_3_signed", |b| {
        b.iter(|| black_box(&policy).judge(black_box(&ctx)))
    });
    g.bench_function("approval_3_signed_explained", |b| {
        b.iter(|| black_box(&policy).evaluate(black_box(&ctx)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = signed_approval }
criterion_main!(benches);
