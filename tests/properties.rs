//! Properties of the whole lifecycle, on random operation sequences:
//! - after every step the trail replays to the status, counts from 1 and never goes back in time;
//! - the counted votes are the latest vote of each reviewer (checked against a naive reading of
//!   the trail), and the submitter never counts as an approver;
//! - a refused step leaves the model as it was;
//! - every stage round-trips through JSON without loss;
//! - no stored data, however edited, restores into an approved or deployed model that the
//!   caller's policy does not approve on the recorded evidence.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::FakeDeployer;
use modelgate::{
    AnyModel, Approved, Decided, DecisionContext, Deployed, EventKind, MetricGate, Metrics, Model,
    Policy, Quorum, Receipt, Rejected, Restored, Retraining, Review, Status, Submitted, Timestamp,
    TrainingOutcome, Untrained, Vote,
};
use proptest::prelude::*;

const PEOPLE: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const DIGESTS: [&str; 3] = ["sha256:1", "sha256:2", "sha256:3"];

/// A small family of policies: accuracy threshold and quorum size.
fn policy(k: u8) -> (MetricGate, Quorum) {
    let threshold = [0.5, 0.8, 0.9][usize::from(k % 3)];
    (
        MetricGate::at_least("accuracy", threshold),
        Quorum::new(usize::from(k / 3 % 4)),
    )
}

#[derive(Clone, Debug)]
enum Op {
    Submit {
        accuracy: f64,
        digest: usize,
        submitter: usize,
    },
    Vote {
        reviewer: usize,
        approve: bool,
        wrong_digest: bool,
        lead: bool,
    },
    Decide {
        policy: u8,
    },
    Deploy {
        fail: bool,
    },
    MarkDeployed,
    Retrain,
}

#[derive(Clone, Debug)]
struct Step {
    op: Op,
    /// Seconds forward; with `back`, that many seconds before the last event instead.
    dt: u64,
    back: bool,
}

fn step() -> impl Strategy<Value = Step> {
    let op = prop_oneof![
        2 => (0.0..1.0f64, 0..DIGESTS.len(), 0..2usize)
            .prop_map(|(accuracy, digest, submitter)| Op::Submit { accuracy, digest, submitter }),
        5 => (0..PEOPLE.len(), any::<bool>(), prop::bool::weighted(0.1), any::<bool>())
            .prop_map(|(reviewer, approve, wrong_digest, lead)| Op::Vote { reviewer, approve, wrong_digest, lead }),
        2 => any::<u8>().prop_map(|policy| Op::Decide { policy }),
        1 => prop::bool::weighted(0.3).prop_map(|fail| Op::Deploy { fail }),
        1 => Just(Op::MarkDeployed),
        1 => Just(Op::Retrain),
    ];
    (op, 0..5u64, prop::bool::weighted(0.05)).prop_map(|(op, dt, back)| Step { op, dt, back })
}

/// A model in any stage, as the host holds it.
#[derive(Debug)]
enum Live {
    Untrained(Model<Untrained>),
    Submitted(Model<Submitted>),
    Approved(Model<Approved>),
    Rejected(Model<Rejected>),
    Retraining(Model<Retraining>),
    Deployed(Model<Deployed>),
}

impl Live {
    fn any(&self) -> AnyModel {
        match self {
            Live::Untrained(m) => m.into(),
            Live::Submitted(m) => m.into(),
            Live::Approved(m) => m.into(),
            Live::Rejected(m) => m.into(),
            Live::Retraining(m) => m.into(),
            Live::Deployed(m) => m.into(),
        }
    }

    fn from_restored(r: Restored) -> Live {
        match r {
            Restored::Untrained(m) => Live::Untrained(m),
            Restored::Submitted(m) => Live::Submitted(m),
            Restored::Approved(m) => Live::Approved(m),
            Restored::Rejected(m) => Live::Rejected(m),
            Restored::Retraining(m) => Live::Retraining(m),
            Restored::Deployed(m) => Live::Deployed(m),
        }
    }
}

/// Applies `step` at `now`; returns the next model and whether the step was refused.
fn apply(live: Live, step: &Step, now: Timestamp) -> (Live, bool) {
    let vote_digest = |m: &Model<Submitted>, wrong: bool| {
        if wrong {
            "sha256:wrong".to_owned()
        } else {
            m.stage().submission().outcome().digest().to_string()
        }
    };
    let outcome = |accuracy: f64, digest: usize| {
        TrainingOutcome::new(
            DIGESTS[digest],
            Metrics::new([("accuracy", accuracy)]).unwrap(),
        )
        .unwrap()
    };
    match (live, &step.op) {
        (
            Live::Untrained(m),
            Op::Submit {
                accuracy,
                digest,
                submitter,
            },
        ) => match m.submit(outcome(*accuracy, *digest), PEOPLE[*submitter], now) {
            Ok(m) => (Live::Submitted(m), false),
            Err(e) => (Live::Untrained(e.into_model()), true),
        },
        (
            Live::Retraining(m),
            Op::Submit {
                accuracy,
                digest,
                submitter,
            },
        ) => match m.submit(outcome(*accuracy, *digest), PEOPLE[*submitter], now) {
            Ok(m) => (Live::Submitted(m), false),
            Err(e) => (Live::Retraining(e.into_model()), true),
        },
        (
            Live::Submitted(mut m),
            Op::Vote {
                reviewer,
                approve,
                wrong_digest,
                lead,
            },
        ) => {
            let vote = if *approve {
                Vote::Approve
            } else {
                Vote::Reject
            };
            let mut review =
                Review::new(PEOPLE[*reviewer], vote, vote_digest(&m, *wrong_digest), now);
            if *lead {
                review = review.with_role("team_lead");
            }
            let refused = m.record(review).is_err();
            (Live::Submitted(m), refused)
        }
        (Live::Submitted(m), Op::Decide { policy: k }) => {
            match m.decide(&policy(*k), &DecisionContext::at(now)) {
                Ok(Decided::Approved(m)) => (Live::Approved(m), false),
                Ok(Decided::Rejected(m)) => (Live::Rejected(m), false),
                Ok(Decided::Pending(m, _)) => (Live::Submitted(m), false),
                Err(e) => (Live::Submitted(e.into_model()), true),
            }
        }
        (Live::Approved(m), Op::Deploy { fail }) => {
            let mut deployer = if *fail {
                FakeDeployer::failing()
            } else {
                FakeDeployer::working()
            };
            match m.deploy(&mut deployer, now) {
                Ok(m) => (Live::Deployed(m), false),
                Err(e) => (Live::Approved(e.into_model()), true),
            }
        }
        (Live::Approved(m), Op::MarkDeployed) => match m.mark_deployed(Receipt::new("manual"), now)
        {
            Ok(m) => (Live::Deployed(m), false),
            Err(e) => (Live::Approved(e.into_model()), true),
        },
        (Live::Rejected(m), Op::Retrain) => match m.retrain(now) {
            Ok(m) => (Live::Retraining(m), false),
            Err(e) => (Live::Rejected(e.into_model()), true),
        },
        // Any other operation does not exist for that stage (the typestate forbids it).
        (live, _) => (live, true),
    }
}

/// The counted votes, read naively from the trail: after the last submission, the last vote of
/// each reviewer, in the order reviewers first voted.
fn naive_counted(history: &[modelgate::Event]) -> Vec<Review> {
    let mut counted: Vec<Review> = Vec::new();
    for event in history {
        match event.kind() {
            EventKind::Submitted { .. } => counted.clear(),
            EventKind::Voted { review } => {
                let first = counted
                    .iter()
                    .position(|r| r.reviewer() == review.reviewer());
                match first {
                    Some(i) => counted[i] = review.clone(),
                    None => counted.push(review.clone()),
                }
            }
            _ => {}
        }
    }
    counted
}

fn check_invariants(live: &Live) {
    let any = live.any();
    let history = any.history();
    assert_eq!(
        Status::replay(history),
        Ok(any.status()),
        "the trail replays to the status"
    );
    for (i, event) in history.iter().enumerate() {
        assert_eq!(event.seq(), i as u64 + 1, "sequence numbers count from 1");
    }
    assert!(
        history.windows(2).all(|w| w[0].at() <= w[1].at()),
        "time never runs backwards"
    );
    match live {
        Live::Submitted(m) => assert_eq!(
            m.stage().votes().as_slice(),
            naive_counted(history).as_slice()
        ),
        Live::Approved(m) => {
            assert_eq!(
                m.stage().decision().votes(),
                naive_counted(history).as_slice()
            );
            let submitter = m.stage().submission().submitter();
            assert!(
                m.stage()
                    .approvals()
                    .all(|r| r.reviewer() != submitter && r.vote() == Vote::Approve)
            );
        }
        Live::Deployed(m) => {
            let approved = m.stage().approved();
            let submitter = approved.submission().submitter();
            assert!(approved.approvals().all(|r| r.reviewer() != submitter));
        }
        _ => {}
    }
}

fn run(steps: &[Step]) -> Vec<Live> {
    let mut live = Live::Untrained(Model::new("m", "1").unwrap());
    let mut clock = 1_000u64;
    let mut seen = Vec::new();
    for step in steps {
        let now = if step.back {
            clock.saturating_sub(step.dt + 1)
        } else {
            clock + step.dt
        };
        let before = live.any();
        let (next, refused) = apply(live, step, Timestamp::from_unix_secs(now));
        if refused {
            assert_eq!(
                next.any(),
                before,
                "a refused step changes nothing: {step:?}"
            );
        } else {
            clock = now;
        }
        check_invariants(&next);
        seen.push(Live::from_restored(next.any().restore_unchecked().unwrap()));
        live = next;
    }
    seen
}

/// Every leaf of a JSON value, as a JSON pointer.
fn leaves(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| leaves(v, format!("{at}/{k}"), out)),
        serde_json::Value::Array(items) => {
            out.push(at.clone()); // arrays themselves can be edited (drop, duplicate, reverse)
            items
                .iter()
                .enumerate()
                .for_each(|(i, v)| leaves(v, format!("{at}/{i}"), out));
        }
        _ => out.push(at),
    }
}

/// One edit of stored JSON: a number nudged, a string replaced, a flag flipped, an array shortened,
/// duplicated or reversed, or the stage replaced by another record's.
fn edit(json: &mut serde_json::Value, donor: &serde_json::Value, pick: usize, how: u8) {
    if how % 7 == 6 {
        json["stage"] = donor["stage"].clone();
        return;
    }
    let mut paths = Vec::new();
    leaves(json, String::new(), &mut paths);
    let path = &paths[pick % paths.len()];
    let Some(target) = json.pointer_mut(path) else {
        return;
    };
    *target = match (target.take(), how % 7) {
        (serde_json::Value::Number(n), k) => {
            let x = n.as_f64().unwrap_or(0.0);
            let y = [x + 1.0, x - 1.0, x * 2.0, 0.0, x + 0.05, x - 0.05][usize::from(k % 6)];
            if n.is_u64() {
                serde_json::json!(y.max(0.0) as u64)
            } else {
                serde_json::json!(y)
            }
        }
        (serde_json::Value::String(s), k) => {
            let pool = [
                "approve", "reject", "pending", "alice", "bob", "sha256:1", "sha256:2",
            ];
            serde_json::json!(pool.get(usize::from(k)).copied().unwrap_or(s.as_str()))
        }
        (serde_json::Value::Array(mut items), k) => {
            match k % 3 {
                0 => {
                    items.pop();
                }
                1 => {
                    if let Some(first) = items.first().cloned() {
                        items.push(first)
                    }
                }
                _ => items.reverse(),
            }
            serde_json::Value::Array(items)
        }
        (serde_json::Value::Bool(b), _) => serde_json::json!(!b),
        (other, _) => other,
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lifecycle_invariants_hold_after_every_step(steps in prop::collection::vec(step(), 0..40)) {
        run(&steps);
    }

    #[test]
    fn every_stage_round_trips_through_json(steps in prop::collection::vec(step(), 0..40)) {
        for live in run(&steps) {
            let any = live.any();
            let text = serde_json::to_string(&any).unwrap();
            let back: AnyModel = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &any);
            let restored = Live::from_restored(back.restore_unchecked().unwrap());
            prop_assert_eq!(restored.any(), any);
        }
    }

    #[test]
    fn stored_data_never_yields_an_approval_the_policy_does_not_uphold(
        steps in prop::collection::vec(step(), 0..40),
        donor_steps in prop::collection::vec(step(), 0..40),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        strict in any::<u8>(),
    ) {
        let Some(live) = run(&steps).pop() else { return Ok(()) };
        let donor = run(&donor_steps).pop().map_or(serde_json::Value::Null, |d| serde_json::to_value(d.any()).unwrap());
        let mut json = serde_json::to_value(live.any()).unwrap();
        for (pick, how) in edits {
            edit(&mut json, &donor, pick, how);
        }
        let Ok(stored) = serde_json::from_value::<AnyModel>(json) else { return Ok(()) };
        let policy = policy(strict);
        match stored.restore(&policy) {
            Ok(Restored::Approved(m)) => {
                prop_assert!(policy.evaluate(&m.stage().review_context()).is_approved());
                let naive = naive_counted(m.history());
                prop_assert_eq!(m.stage().decision().votes(), naive.as_slice());
            }
            Ok(Restored::Deployed(m)) => {
                prop_assert!(policy.evaluate(&m.stage().approved().review_context()).is_approved());
            }
            Ok(other) => prop_assert_eq!(Status::replay(Live::from_restored(other).any().history()).is_ok(), true),
            Err(_) => {}
        }
    }
}
