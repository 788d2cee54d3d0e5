//! The lifecycle, told as scripts: each test is a story a host would live through.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::error::Error as _;

use common::*;
use modelgate::model::{ActionError, DeployError, RecordError, SubmitError};
use modelgate::value::TimeWentBackwards;
use modelgate::{
    Decided, DecisionContext, EventKind, Head, MetricGate, Metrics, Model, Policy, Quorum, Receipt,
    Review, Status, Verdict, VerdictKind, Vote,
};

#[test]
fn reject_retrain_resubmit_approve_deploy() {
    let policy = policy();
    let model = untrained()
        .submit(outcome("sha256:1", 0.82), "alice", t(0))
        .unwrap();
    let Decided::Rejected(model) = model.decide(&policy, &DecisionContext::at(t(5))).unwrap()
    else {
        panic!("0.82 must be rejected");
    };
    assert_eq!(model.stage().findings()[0].subject(), "accuracy");

    let model = model.retrain("alice", t(6)).unwrap();
    assert_eq!(model.stage().attempts(), 1);
    assert_eq!(model.stage().feedback()[0].kind(), VerdictKind::Reject);

    let mut model = model
        .submit(outcome("sha256:2", 0.93), "alice", t(60))
        .unwrap();
    assert_eq!(model.stage().submission().attempt(), 2);
    model
        .record(Review::approve("alice", "sha256:2", t(61)))
        .unwrap();
    model
        .record(Review::approve("bob", "sha256:2", t(62)))
        .unwrap();
    let Decided::Pending(mut model, verdict) =
        model.decide(&policy, &DecisionContext::at(t(63))).unwrap()
    else {
        panic!("one counted approval is not enough");
    };
    assert_eq!(
        verdict.to_string(),
        "pending: 1 of 2 approvals from bob (alice is the submitter and does not count)"
    );
    model
        .record(Review::approve("carol", "sha256:2", t(64)))
        .unwrap();
    let Decided::Approved(model) = model.decide(&policy, &DecisionContext::at(t(65))).unwrap()
    else {
        panic!("bob and carol approve");
    };
    let approvers: Vec<_> = model.stage().approvals().map(Review::reviewer).collect();
    assert_eq!(approvers, ["bob", "carol"]);
    assert_eq!(model.stage().decision().digest().as_str(), "sha256:2");
    assert_eq!(
        model.stage().decision().policy(),
        "all(accuracy at least 0.9, 2 approvals)"
    );
    assert_eq!(model.stage().decision().decided_at(), t(65));

    let mut deployer = FakeDeployer::working();
    let model = model.deploy(&mut deployer, "deployer", t(70)).unwrap();
    assert_eq!(deployer.deployed, ["sha256:2"]);
    assert_eq!(model.status(), Status::Deployed);
    let actions: Vec<_> = model.history().iter().map(|e| e.action()).collect();
    assert_eq!(
        actions,
        [
            "submitted",
            "rejected",
            "retraining",
            "submitted",
            "voted",
            "voted",
            "voted",
            "approved",
            "deployed"
        ]
    );
    assert_eq!(model.status(), Status::Deployed);
    // Every event is chained to the one before; the head is the last event's hash.
    let mut prev = Head::of_header(model.name(), model.version(), model.environment());
    for event in model.history() {
        assert_eq!(*event.prev(), prev);
        prev = event.hash();
    }
    assert_eq!(model.head(), prev);
}

#[test]
fn a_reviewers_latest_vote_counts_and_every_vote_stays_in_the_trail() {
    let mut model = submitted(0.95);
    model.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    model
        .record(Review::reject("bob", DIGEST, t(12)).with_comment("wait, leakage"))
        .unwrap();
    model
        .record(Review::approve("carol", DIGEST, t(13)))
        .unwrap();
    let votes: Vec<_> = model
        .stage()
        .votes()
        .iter()
        .map(|r| (r.reviewer(), r.vote()))
        .collect();
    assert_eq!(votes, [("bob", Vote::Reject), ("carol", Vote::Approve)]);
    let voted = model
        .history()
        .iter()
        .filter(|e| matches!(e.kind(), EventKind::Voted { .. }));
    assert_eq!(voted.count(), 3);

    // Bob's change of mind takes his approval away: one approval of two.
    let Decided::Pending(_, verdict) = model
        .decide(&policy(), &DecisionContext::at(t(14)))
        .unwrap()
    else {
        panic!("bob withdrew his approval");
    };
    assert_eq!(
        verdict.findings()[0].message(),
        "1 of 2 approvals from carol"
    );
}

#[test]
fn votes_never_approve_by_themselves() {
    let mut model = submitted(0.95);
    for (i, who) in ["bob", "carol", "dave"].into_iter().enumerate() {
        model
            .record(Review::approve(who, DIGEST, t(11 + i as u64)))
            .unwrap();
    }
    assert_eq!(model.status(), Status::Submitted);
    // A policy that never approves keeps it pending, whatever the votes.
    struct NeverYet;
    impl Policy for NeverYet {
        fn evaluate(&self, _: &modelgate::ReviewContext<'_>) -> Verdict {
            Verdict::new(VerdictKind::Pending, vec![])
        }
    }
    let decided = model
        .decide(&NeverYet, &DecisionContext::at(t(20)))
        .unwrap();
    assert_eq!(decided.status(), Status::Submitted);
}

#[test]
fn a_vote_for_another_artifact_is_refused_and_changes_nothing() {
    let mut model = submitted(0.95);
    let before = model.history().len();
    let err = model
        .record(Review::approve("bob", "sha256:other", t(11)))
        .unwrap_err();
    assert!(matches!(err.error(), RecordError::WrongDigest { .. }));
    assert_eq!(
        err.into_input().digest(),
        "sha256:other",
        "the vote comes back"
    );
    assert_eq!(model.history().len(), before);
    assert!(model.stage().votes().is_empty());
}

#[test]
fn votes_with_empty_ids_or_roles_are_refused() {
    let mut model = submitted(0.95);
    assert!(matches!(
        model
            .record(Review::approve("", DIGEST, t(11)))
            .map_err(|e| e.into_error()),
        Err(RecordError::Reviewer(_))
    ));
    assert!(matches!(
        model
            .record(Review::approve("bob", DIGEST, t(11)).with_role(""))
            .map_err(|e| e.into_error()),
        Err(RecordError::Role { .. })
    ));
    assert!(model.history().len() == 1 && model.stage().votes().is_empty());
}

#[test]
fn time_running_backwards_is_refused_and_hands_the_model_back() {
    // submit after retraining
    let err = retraining()
        .submit(outcome(DIGEST, 0.9), "alice", t(39))
        .unwrap_err();
    assert_eq!(
        err.error(),
        &SubmitError::TimeWentBackwards(TimeWentBackwards {
            at: t(39),
            last: t(40)
        })
    );
    assert_eq!(err.into_input(), (retraining(), outcome(DIGEST, 0.9)));

    // (a vote keeps its reviewer's time: tests/no_vote_is_lost_to_clock_skew.rs)

    // a decision
    let err = submitted(0.95)
        .decide(&policy(), &DecisionContext::at(t(9)))
        .unwrap_err();
    assert_eq!(err.into_input(), submitted(0.95));

    // a deployment: the deployer is not even called
    let mut deployer = FakeDeployer::working();
    let err = approved()
        .deploy(&mut deployer, "deployer", t(29))
        .unwrap_err();
    assert!(matches!(
        err.error(),
        DeployError::Refused(ActionError::TimeWentBackwards(_))
    ));
    assert!(deployer.deployed.is_empty());
    assert_eq!(err.into_input(), approved());

    let err = approved()
        .mark_deployed(Receipt::new("manual"), "deployer", t(29))
        .unwrap_err();
    assert_eq!(err.into_input(), (approved(), Receipt::new("manual")));

    // retraining
    let err = rejected().retrain("alice", t(29)).unwrap_err();
    assert_eq!(err.into_input(), rejected());
}

#[test]
fn the_same_time_as_the_last_event_is_fine() {
    let mut model = submitted(0.95);
    model.record(Review::approve("bob", DIGEST, t(10))).unwrap();
    model
        .record(Review::approve("carol", DIGEST, t(10)))
        .unwrap();
    assert_eq!(
        model
            .decide(&policy(), &DecisionContext::at(t(10)))
            .unwrap()
            .status(),
        Status::Approved
    );
}

#[test]
fn a_failed_deployment_hands_the_approved_model_back_with_the_hosts_error_as_source() {
    let err = approved()
        .deploy(&mut FakeDeployer::failing(), "deployer", t(40))
        .unwrap_err();
    assert_eq!(err.to_string(), "deployer failed");
    assert_eq!(
        err.source().unwrap().to_string(),
        "model registry unreachable"
    );
    assert!(matches!(err.error(), DeployError::Deployer(RegistryDown)));

    // Try again later with a working deployer: nothing was lost, and the failure is on record.
    let model = err.into_input();
    assert_eq!(model.stage(), approved().stage());
    assert_eq!(
        model.history().last().unwrap().to_string(),
        "#5 1970-01-01T00:00:40Z deployer deploy failed: model registry unreachable"
    );
    let deployed = model
        .deploy(&mut FakeDeployer::working(), "deployer", t(50))
        .unwrap();
    assert_eq!(
        deployed.stage().receipt().as_str(),
        "registry/fraud-detector@sha256:aaaa"
    );
    assert_eq!(deployed.stage().deployed_at(), t(50));
}

#[test]
fn hosts_that_deploy_on_their_own_mark_the_model_deployed() {
    let model = approved()
        .mark_deployed(Receipt::new("argo/run/42"), "deployer", t(45))
        .unwrap();
    assert_eq!(model.stage().receipt().as_str(), "argo/run/42");
    assert_eq!(model.stage().approved(), approved().stage());
    assert_eq!(
        model.history().last().unwrap().to_string(),
        "#5 1970-01-01T00:00:45Z deployer deployed: receipt argo/run/42"
    );
}

#[test]
fn bad_names_submitters_and_metrics_are_refused() {
    assert!(Model::new("", "1").is_err());
    assert!(Model::new("m", "").is_err());
    assert!(Model::new("m", "1\t").is_err());
    assert!(Model::new("m".repeat(257), "1").is_err());
    assert!(Model::new("m".repeat(256), "1").is_ok());

    let err = untrained()
        .submit(outcome(DIGEST, 0.9), "bad\nid", t(1))
        .unwrap_err();
    assert!(matches!(err.error(), SubmitError::Submitter(_)));
    assert_eq!(err.into_input(), (untrained(), outcome(DIGEST, 0.9)));

    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(Metrics::new([("accuracy", bad)]).is_err());
    }
    assert!(Metrics::new([("", 0.5)]).is_err());
    assert!(modelgate::TrainingOutcome::new("", Metrics::default()).is_err());
}

#[test]
fn the_champion_is_shown_to_the_policy_and_kept_in_the_decision() {
    struct BeatsChampion;
    impl Policy for BeatsChampion {
        fn evaluate(&self, ctx: &modelgate::ReviewContext<'_>) -> Verdict {
            let champion = ctx
                .champion()
                .and_then(|c| c.get("accuracy"))
                .unwrap_or(0.0);
            let kind = if ctx.metric("accuracy").unwrap_or(0.0) > champion {
                VerdictKind::Approve
            } else {
                VerdictKind::Reject
            };
            Verdict::new(kind, vec![])
        }
    }
    let champion = Metrics::new([("accuracy", 0.91)]).unwrap();
    let ctx = DecisionContext::at(t(20)).with_champion(champion.clone());
    let Decided::Approved(model) = submitted(0.93).decide(&BeatsChampion, &ctx).unwrap() else {
        panic!("0.93 beats 0.91");
    };
    assert_eq!(model.stage().decision().champion(), Some(&champion));
    assert_eq!(model.stage().decision().policy(), "custom policy");
    let ctx = DecisionContext::at(t(20)).with_champion(Metrics::new([("accuracy", 0.95)]).unwrap());
    assert_eq!(
        submitted(0.93)
            .decide(&BeatsChampion, &ctx)
            .unwrap()
            .status(),
        Status::Rejected
    );
}

#[test]
fn an_automatic_approval_is_recorded_as_such() {
    struct AutoAbove(f64);
    impl Policy for AutoAbove {
        fn evaluate(&self, ctx: &modelgate::ReviewContext<'_>) -> Verdict {
            if ctx.metric("accuracy").is_some_and(|a| a > self.0) {
                Verdict::automatic("accuracy above 0.97", vec![])
            } else {
                Verdict::new(VerdictKind::Pending, vec![])
            }
        }
    }
    let Decided::Approved(model) = submitted(0.98)
        .decide(&AutoAbove(0.97), &DecisionContext::at(t(11)))
        .unwrap()
    else {
        panic!("0.98 > 0.97");
    };
    assert_eq!(
        model.stage().decision().automatic_rule(),
        Some("accuracy above 0.97")
    );
    assert_eq!(model.stage().approvals().count(), 0);
    assert_eq!(approved().stage().decision().automatic_rule(), None);
}

#[test]
fn policies_behind_pointers_and_trait_objects_decide_alike() {
    let p = policy();
    let boxed: Box<dyn Policy> = Box::new(policy());
    let arc = std::sync::Arc::new(policy());
    let decide = |p: &dyn Policy| {
        let mut m = submitted(0.93);
        m.record(Review::approve("bob", DIGEST, t(11))).unwrap();
        m.decide(p, &DecisionContext::at(t(12)))
            .unwrap()
            .verdict()
            .clone()
    };
    assert_eq!(decide(&p), decide(&*boxed));
    assert_eq!(decide(&p), decide(&arc));
    assert_eq!(decide(&&p), decide(&p));
    assert_eq!(
        MetricGate::at_most("latency_ms", 50.0).name(),
        "latency_ms at most 50"
    );
    assert_eq!(Quorum::new(1).name(), "1 approval");
}

#[test]
fn models_and_errors_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Model<modelgate::Submitted>>();
    send_sync::<Model<modelgate::Approved>>();
    send_sync::<modelgate::StoredModel>();
    send_sync::<modelgate::Refused<Model<modelgate::Approved>, DeployError<RegistryDown>>>();
}

#[test]
fn the_seeds_automatic_approval_is_named_in_the_decision_record() {
    let policy = modelgate::when(MetricGate::above("accuracy", 0.90))
        .approve_automatically()
        .otherwise(Quorum::new(1));
    let Decided::Approved(model) = submitted(0.93)
        .decide(&policy, &DecisionContext::at(t(11)))
        .unwrap()
    else {
        panic!("0.93 > 0.90 approves automatically");
    };
    assert_eq!(
        model.stage().decision().automatic_rule(),
        Some("accuracy above 0.9")
    );
    assert_eq!(model.stage().approvals().count(), 0);
    let Decided::Pending(..) = submitted(0.85)
        .decide(&policy, &DecisionContext::at(t(11)))
        .unwrap()
    else {
        panic!("0.85 needs a manual approval");
    };
}
