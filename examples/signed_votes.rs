//! Reviewers sign their own votes; the gate counts signatures, not the service's word.
//!
//! `cargo run --features signed-votes --example signed_votes`
//!
//! Two admins keep a roster that binds rita (risk officer) and bob (model validator) to their
//! keys. The service that records votes is compromised: it records an unsigned "risk officer"
//! approval by mallory, and claims bob is a risk officer. Under `SignedVotes` neither counts;
//! rita's and bob's signed votes do, with the roster's roles. The sealed trail carries the
//! signatures, and restoring it checks them again.

use modelgate::policy::SignedVotes;
use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion, VoteSignature};
use modelgate::value::Environment;
use modelgate::{
    Decided, DecisionContext, HmacSealer, Metrics, Model, PolicyExt, RequiredRole, Review,
    StoredModel, Timestamp, TrainingOutcome,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = Timestamp::from_unix_secs;
    // Private seeds: each on its holder's own machine (or an OpenSSH key and `ssh-keygen -Y sign`).
    let (admin_a, admin_b, rita, bob) = ([1; 32], [2; 32], [10; 32], [12; 32]);

    // The roster's first version, signed by both admins; the host pins its hash.
    let mut first = RosterVersion::first(
        vec![
            ReviewerKey::from_seed(&admin_a),
            ReviewerKey::from_seed(&admin_b),
        ],
        2,
        vec![
            Member::new("rita", ReviewerKey::from_seed(&rita), t(0)).with_role("risk_officer"),
            Member::new("bob", ReviewerKey::from_seed(&bob), t(0)).with_role("model_validator"),
        ],
    );
    first.sign(&admin_a);
    first.sign(&admin_b);
    let pinned = first.hash();
    let roster = Roster::new(vec![first]);
    println!("roster pinned at {pinned}");

    // Four eyes: a risk officer and a model validator, counted from signatures.
    let rule = RequiredRole::new("risk_officer").and(RequiredRole::new("model_validator"));
    let policy = SignedVotes::new(roster.verify_first_time(pinned)?, rule);

    let production = Environment::new("production")?;
    let outcome = TrainingOutcome::new("sha256:9f2c", Metrics::new([("auc", 0.91)])?)?;
    let mut model = Model::new("churn", "4")?
        .in_environment(production)
        .submit(outcome, "alice", t(10))?;

    // The compromised service: an unsigned approval by mallory as a risk officer.
    model.record(Review::approve("mallory", "sha256:9f2c", t(15)).with_role("risk_officer"))?;
    // Bob signs his approval on his machine; the service records him as a risk officer.
    let review = Review::approve("bob", "sha256:9f2c", t(20)).with_role("risk_officer");
    let signature = VoteSignature::sign_ed25519(&model.vote_statement(&review), &bob);
    model.record(review.with_signature(signature))?;

    let model = match model.decide(&policy, &DecisionContext::at(t(30)))? {
        Decided::Pending(model, verdict) => {
            println!("pending after mallory's and bob's votes:");
            for finding in verdict.findings() {
                println!("  [{}] {}", finding.rule(), finding.message());
            }
            model
        }
        other => return Err(format!("neither vote should make a risk officer: {other:?}").into()),
    };

    // Rita signs hers.
    let mut model = model;
    let review = Review::approve("rita", "sha256:9f2c", t(40));
    let signature = VoteSignature::sign_ed25519(&model.vote_statement(&review), &rita);
    model.record(review.with_signature(signature))?;
    let approved = model
        .decide(&policy, &DecisionContext::at(t(50)))?
        .approved()?;
    println!("approved by `{}`", approved.stage().decision().policy());

    // Sealed and stored with the signatures; restored with them checked again.
    let key = HmacSealer::new("service-2026", *b"0123456789abcdef0123456789abcdef");
    let json = serde_json::to_string(&StoredModel::from(&approved).sealed_by(&key)?)?;
    let stored: StoredModel = serde_json::from_str(&json)?;
    let restored = stored.restore(&key, &policy)?;
    println!(
        "restored: {:?}, head {}",
        restored.status(),
        restored.head()
    );
    for event in approved.history() {
        println!("  {event}");
    }
    Ok(())
}
