//! A model-based test of the whole API: proptest generates operation sequences — create, submit
//! (valid and invalid), vote (valid, wrong digest, stale time, self-vote, duplicate), decide,
//! deploy (succeeding and failing deployer), retrain, seal, store and restore at any point,
//! tamper with the stored JSON — and applies them to the real API and to a naive model. After
//! every step: the same status, attempt and counted votes; the trail only grows, in time order,
//! chained, and replays to the model; approved only with a passing decision; the submitter never
//! among the counted approvers; restore(seal(store(m))) == m under the policies that decided;
//! a sealed record edited in any way never restores; re-sealed, it restores only if every
//! decision in it is what the caller's policy decides.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{FakeDeployer, key, rechain};
use modelgate::{
    AnyModel, Decided, DecisionContext, EventKind, Head, MetricGate, Metrics, Model, Policy,
    Quorum, Receipt, Review, Status, StoredModel, Timestamp, TrainingOutcome, Veto, Vote,
};
use proptest::prelude::*;

const PEOPLE: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const DIGESTS: [&str; 3] = ["sha256:1", "sha256:2", "sha256:3"];

/// A small family of policies: accuracy threshold, quorum size, with or without a veto.
fn policy(k: u8) -> Box<dyn Policy> {
    let gate = MetricGate::at_least("accuracy", [0.5, 0.8, 0.9][usize::from(k % 3)]);
    let quorum = Quorum::new(usize::from(k / 3 % 4));
    if (k / 12).is_multiple_of(2) {
        Box::new((gate, quorum))
    } else {
        Box::new((gate, quorum, Veto::new()))
    }
}

#[derive(Clone, Debug)]
enum Op {
    Submit {
        accuracy: f64,
        digest: usize,
        submitter: usize,
    },
    SubmitWithoutSubmitter,
    SubmitNonFinite,
    Vote {
        reviewer: usize,
        approve: bool,
        role: bool,
    },
    VoteWrongDigest {
        reviewer: usize,
    },
    VoteClockBehind {
        reviewer: usize,
    },
    SelfVote {
        approve: bool,
    },
    Duplicate,
    Decide {
        policy: u8,
    },
    Deploy {
        fail: bool,
    },
    MarkDeployed,
    Retrain,
    StoreAndRestore,
    Tamper {
        pick: usize,
        how: u8,
        strict: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0.0..1.0f64, 0..DIGESTS.len(), 0..2usize)
            .prop_map(|(accuracy, digest, submitter)| Op::Submit { accuracy, digest, submitter }),
        1 => Just(Op::SubmitWithoutSubmitter),
        1 => Just(Op::SubmitNonFinite),
        6 => (0..PEOPLE.len(), any::<bool>(), any::<bool>())
            .prop_map(|(reviewer, approve, role)| Op::Vote { reviewer, approve, role }),
        1 => (0..PEOPLE.len()).prop_map(|reviewer| Op::VoteWrongDigest { reviewer }),
        1 => (0..PEOPLE.len()).prop_map(|reviewer| Op::VoteClockBehind { reviewer }),
        1 => any::<bool>().prop_map(|approve| Op::SelfVote { approve }),
        1 => Just(Op::Duplicate),
        3 => any::<u8>().prop_map(|policy| Op::Decide { policy }),
        1 => prop::bool::weighted(0.3).prop_map(|fail| Op::Deploy { fail }),
        1 => Just(Op::MarkDeployed),
        2 => Just(Op::Retrain),
        2 => Just(Op::StoreAndRestore),
        2 => (any::<usize>(), any::<u8>(), any::<u8>()).prop_map(|(pick, how, strict)| Op::Tamper { pick, how, strict }),
    ]
}

/// The naive model: what a person would write down on paper.
#[derive(Clone, Debug)]
struct Naive {
    status: Status,
    attempts: u32,
    digest: String,
    submitter: String,
    /// Latest vote of each reviewer, in the order they first voted.
    votes: Vec<(String, Vote)>,
    /// When each counted vote was cast (by its reviewer's clock), beside `votes`.
    cast: Vec<Timestamp>,
    /// When the round of review began (the submission).
    since: Timestamp,
    last: Option<Timestamp>,
    events: usize,
    /// The policy that approved, if approved or deployed.
    approved_by: Option<u8>,
    /// The policies of every recorded decision, in order.
    deciders: Vec<u8>,
}

impl Naive {
    fn new() -> Self {
        Naive {
            status: Status::Untrained,
            attempts: 0,
            digest: String::new(),
            submitter: String::new(),
            votes: Vec::new(),
            cast: Vec::new(),
            since: Timestamp::from_unix_millis(0),
            last: None,
            events: 0,
            approved_by: None,
            deciders: Vec::new(),
        }
    }

    fn in_time(&self, at: Timestamp) -> bool {
        self.last.is_none_or(|last| at >= last)
    }

    fn event(&mut self, at: Timestamp) {
        self.events += 1;
        self.last = Some(at);
    }

    /// A reviewer's vote replaces their earlier one: earlier by the time they cast it.
    fn vote(&mut self, who: &str, vote: Vote, at: Timestamp) {
        match self.votes.iter().position(|(w, _)| w == who) {
            Some(i) => {
                if at >= self.cast[i] {
                    self.votes[i].1 = vote;
                    self.cast[i] = at;
                }
            }
            None => {
                self.votes.push((who.to_owned(), vote));
                self.cast.push(at);
            }
        }
    }
}

fn counted(model: &AnyModel) -> Vec<(String, Vote)> {
    let votes = match model {
        AnyModel::Submitted(m) => m.stage().votes(),
        AnyModel::Approved(m) => m.stage().decision().votes(),
        AnyModel::Rejected(m) => m.stage().decision().votes(),
        AnyModel::Deployed(m) => m.stage().decision().votes(),
        _ => return Vec::new(),
    };
    votes
        .iter()
        .map(|r| (r.reviewer().to_owned(), r.vote()))
        .collect()
}

fn outcome(accuracy: f64, digest: usize) -> TrainingOutcome {
    TrainingOutcome::new(
        DIGESTS[digest],
        Metrics::new([("accuracy", accuracy)]).unwrap(),
    )
    .unwrap()
}

/// Applies `op` at `now` to the real model and the naive one; checks they agree on acceptance.
fn apply(model: AnyModel, naive: &mut Naive, op: &Op, now: Timestamp) -> AnyModel {
    let submittable = matches!(naive.status, Status::Untrained | Status::Retraining);
    let reviewable = naive.status == Status::Submitted;
    let review =
        |who: &str, vote: Vote, digest: &str, at: Timestamp| Review::new(who, vote, digest, at);
    match (model, op) {
        (
            model,
            Op::Submit {
                accuracy,
                digest,
                submitter,
            },
        ) if submittable => {
            let accepted = naive.in_time(now);
            let result = match model {
                AnyModel::Untrained(m) => m
                    .submit(outcome(*accuracy, *digest), PEOPLE[*submitter], now)
                    .map(AnyModel::Submitted)
                    .map_err(|e| AnyModel::Untrained(e.into_input().0)),
                AnyModel::Retraining(m) => m
                    .submit(outcome(*accuracy, *digest), PEOPLE[*submitter], now)
                    .map(AnyModel::Submitted)
                    .map_err(|e| AnyModel::Retraining(e.into_input().0)),
                _ => unreachable!("submittable"),
            };
            assert_eq!(result.is_ok(), accepted, "submit at {now}");
            if accepted {
                naive.status = Status::Submitted;
                naive.attempts += 1;
                naive.digest = DIGESTS[*digest].to_owned();
                naive.submitter = PEOPLE[*submitter].to_owned();
                naive.votes.clear();
                naive.cast.clear();
                naive.since = now;
                naive.event(now);
            }
            result.unwrap_or_else(|m| m)
        }
        (AnyModel::Untrained(m), Op::SubmitWithoutSubmitter) => {
            let err = m.submit(outcome(0.9, 0), "", now).unwrap_err();
            AnyModel::Untrained(err.into_input().0)
        }
        (model, Op::SubmitNonFinite) => {
            assert!(
                Metrics::new([("accuracy", f64::NAN)]).is_err(),
                "NaN never enters"
            );
            model
        }
        (
            AnyModel::Submitted(mut m),
            op @ (Op::Vote { .. }
            | Op::VoteWrongDigest { .. }
            | Op::VoteClockBehind { .. }
            | Op::SelfVote { .. }
            | Op::Duplicate),
        ) if reviewable => {
            let at_stale = Timestamp::from_unix_millis(
                naive
                    .last
                    .map_or(0, |l| l.as_unix_millis().saturating_sub(1_000)),
            );
            let (review, in_round) = match op {
                Op::Vote {
                    reviewer,
                    approve,
                    role,
                } => {
                    let vote = if *approve {
                        Vote::Approve
                    } else {
                        Vote::Reject
                    };
                    let r = review(PEOPLE[*reviewer], vote, &naive.digest, now);
                    (if *role { r.with_role("team_lead") } else { r }, true)
                }
                Op::VoteWrongDigest { reviewer } => (
                    review(PEOPLE[*reviewer], Vote::Approve, "sha256:other", now),
                    false,
                ),
                // A reviewer's clock 1 s behind: the vote is recorded all the same.
                Op::VoteClockBehind { reviewer } => (
                    review(PEOPLE[*reviewer], Vote::Approve, &naive.digest, at_stale),
                    true,
                ),
                Op::SelfVote { approve } => {
                    let vote = if *approve {
                        Vote::Approve
                    } else {
                        Vote::Reject
                    };
                    (review(&naive.submitter, vote, &naive.digest, now), true)
                }
                _ => match naive.votes.first() {
                    Some((who, vote)) => (review(who, *vote, &naive.digest, now), true),
                    None => return AnyModel::Submitted(m),
                },
            };
            let (who, vote, at) = (review.reviewer().to_owned(), review.vote(), review.at());
            // A vote cast more than a minute before its round began is refused.
            let accepted =
                in_round && at >= naive.since.saturating_sub(modelgate::value::CLOCK_SKEW);
            let before = StoredModel::from(&m);
            let result = m.record(review.clone());
            assert_eq!(result.is_ok(), accepted, "{op:?}");
            if accepted {
                naive.vote(&who, vote, at);
                // Recorded at the vote's own time, or the last event's if that is later.
                naive.event(naive.last.map_or(at, |last| last.max(at)));
            } else {
                assert_eq!(
                    StoredModel::from(&m),
                    before,
                    "a refused vote changes nothing"
                );
                assert_eq!(result.unwrap_err().into_input(), review, "and comes back");
            }
            AnyModel::Submitted(m)
        }
        (AnyModel::Submitted(m), Op::Decide { policy: k }) => {
            let p = policy(*k);
            if !naive.in_time(now) {
                return AnyModel::Submitted(
                    m.decide(&p, &DecisionContext::at(now))
                        .unwrap_err()
                        .into_input(),
                );
            }
            match m.decide(&p, &DecisionContext::at(now)).unwrap() {
                Decided::Approved(m) => {
                    naive.status = Status::Approved;
                    naive.approved_by = Some(*k);
                    naive.deciders.push(*k);
                    naive.event(now);
                    AnyModel::Approved(m)
                }
                Decided::Rejected(m) => {
                    naive.status = Status::Rejected;
                    naive.deciders.push(*k);
                    naive.event(now);
                    AnyModel::Rejected(m)
                }
                Decided::Pending(m, _) => AnyModel::Submitted(m),
            }
        }
        (AnyModel::Approved(m), Op::Deploy { fail }) => {
            let mut deployer = if *fail {
                FakeDeployer::failing()
            } else {
                FakeDeployer::working()
            };
            let accepted = !fail && naive.in_time(now);
            match m.deploy(&mut deployer, "deployer", now) {
                Ok(m) => {
                    assert!(accepted);
                    naive.status = Status::Deployed;
                    naive.event(now);
                    AnyModel::Deployed(m)
                }
                Err(e) => {
                    assert!(!accepted);
                    if *fail && naive.in_time(now) {
                        naive.event(now); // the failure is recorded
                    }
                    AnyModel::Approved(e.into_input())
                }
            }
        }
        (AnyModel::Approved(m), Op::MarkDeployed) => {
            match m.mark_deployed(Receipt::new("manual"), "deployer", now) {
                Ok(m) => {
                    assert!(naive.in_time(now));
                    naive.status = Status::Deployed;
                    naive.event(now);
                    AnyModel::Deployed(m)
                }
                Err(e) => {
                    assert!(!naive.in_time(now));
                    AnyModel::Approved(e.into_input().0)
                }
            }
        }
        (AnyModel::Rejected(m), Op::Retrain) => match m.retrain("alice", now) {
            Ok(m) => {
                assert!(naive.in_time(now));
                naive.status = Status::Retraining;
                naive.event(now);
                AnyModel::Retraining(m)
            }
            Err(e) => {
                assert!(!naive.in_time(now));
                AnyModel::Rejected(e.into_input())
            }
        },
        (model, Op::StoreAndRestore) => {
            let sealed = StoredModel::from(&model).sealed_by(&key()).unwrap();
            let json = serde_json::to_string(&sealed).unwrap();
            let stored: StoredModel = serde_json::from_str(&json).unwrap();
            assert_eq!(stored, sealed, "the stored form round-trips");
            let restored = stored
                .clone()
                .restore_trusting_decisions(&key())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(restored, model, "restore(seal(store(m))) == m");
            let first = naive.deciders.first().copied().unwrap_or(0);
            let result = stored.restore(&key(), &policy(first));
            if naive.deciders.iter().all(|k| *k == first) {
                assert_eq!(
                    result.as_ref().ok(),
                    Some(&model),
                    "the deciding policy restores"
                );
            } else if let Err(e) = &result {
                assert!(
                    matches!(e.error(), modelgate::RestoreError::Replay { .. }),
                    "another policy's decisions do not replay: {}",
                    e.error()
                );
            }
            restored
        }
        (model, Op::Tamper { pick, how, strict }) => {
            let sealed = StoredModel::from(&model).sealed_by(&key()).unwrap();
            let mut json = serde_json::to_value(&sealed).unwrap();
            edit(&mut json, *pick, *how);
            if let Ok(stored) = serde_json::from_value::<StoredModel>(json.clone()) {
                // Edited but not re-sealed: refused, whatever the edit, unless it changed nothing.
                if stored != sealed {
                    assert!(
                        stored.clone().restore_trusting_decisions(&key()).is_err(),
                        "an edited sealed record never restores"
                    );
                }
                // Re-chained and re-sealed with the host's key: restored only through the
                // transitions, so an approval is one the caller's policy makes.
                if json["events"].is_array() {
                    let resealed = rechain(json).sealed_by(&key()).unwrap();
                    let p = policy(*strict);
                    if let Ok(m) = resealed.restore(&key(), &p) {
                        let ctx = match &m {
                            AnyModel::Approved(m) => Some(m.stage().review_context()),
                            AnyModel::Deployed(m) => Some(m.stage().approved().review_context()),
                            _ => None,
                        };
                        if let Some(ctx) = ctx {
                            assert!(
                                p.evaluate(&ctx).is_approved(),
                                "upheld by the caller's policy"
                            );
                        }
                    }
                }
            }
            model // the live model is untouched by what happens to a copy
        }
        // Anything else does not exist for that stage: the typestate forbids it.
        (model, _) => model,
    }
}

/// Every leaf of a JSON value, as a JSON pointer; arrays too, to be shortened or reversed.
fn leaves(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| leaves(v, format!("{at}/{k}"), out)),
        serde_json::Value::Array(items) => {
            out.push(at.clone());
            items
                .iter()
                .enumerate()
                .for_each(|(i, v)| leaves(v, format!("{at}/{i}"), out));
        }
        _ => out.push(at),
    }
}

/// One edit of stored JSON: a number nudged, a string replaced, a flag flipped, an array
/// shortened, duplicated or reversed, an event's kind changed.
fn edit(json: &mut serde_json::Value, pick: usize, how: u8) {
    if how % 8 == 7 {
        let n = json["events"].as_array().map_or(0, Vec::len);
        if n > 0 {
            let e = &mut json["events"][pick % n]["event"];
            let data = e
                .as_object()
                .and_then(|m| m.values().next().cloned())
                .unwrap_or_default();
            let tag = ["decided", "deployed", "submitted", "retraining"][usize::from(how / 8 % 4)];
            *e = serde_json::json!({ tag: data });
        }
        return;
    }
    let mut paths = Vec::new();
    leaves(json, String::new(), &mut paths);
    let Some(target) = json.pointer_mut(&paths[pick % paths.len()]) else {
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
                        items.push(first);
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

fn check(model: &AnyModel, naive: &Naive) {
    let stored = StoredModel::from(model);
    assert_eq!(model.status(), naive.status, "same status");
    assert_eq!(
        stored.events().len(),
        naive.events,
        "one event per accepted transition, vote or failed deploy"
    );
    assert_eq!(stored.revision(), naive.events as u64);
    assert_eq!(
        model.trail().has_decision(),
        model.trail().latest_decision().is_some(),
        "the trail's decision flag is its events'"
    );
    assert_eq!(
        model.trail().status(),
        model.status(),
        "the trail's status is the stage its transitions reached"
    );
    assert!(
        stored.events().windows(2).all(|w| w[0].at() <= w[1].at()),
        "time never runs backwards"
    );
    let mut prev = Head::of_header(model.name(), model.version(), model.environment());
    for (i, e) in stored.events().iter().enumerate() {
        assert_eq!(e.seq(), i as u64 + 1);
        assert_eq!(*e.prev(), prev, "each event follows the one before");
        prev = e.hash();
    }
    assert_eq!(model.head(), prev, "the head is the last event's hash");
    if naive.status != Status::Untrained && naive.status != Status::Retraining {
        assert_eq!(
            counted(model),
            naive.votes,
            "the latest vote of each reviewer counts"
        );
    }
    let submissions = stored
        .events()
        .iter()
        .filter(|e| matches!(e.kind(), EventKind::Submitted { .. }))
        .count();
    assert_eq!(submissions as u32, naive.attempts);
    let (approvals, submitter, ctx) = match model {
        AnyModel::Approved(m) => (
            m.stage().approvals().collect::<Vec<_>>(),
            m.stage().submission().submitter(),
            Some(m.stage().review_context()),
        ),
        AnyModel::Deployed(m) => {
            let a = m.stage().approved();
            (
                a.approvals().collect(),
                a.submission().submitter(),
                Some(a.review_context()),
            )
        }
        _ => (Vec::new(), "", None),
    };
    assert!(
        approvals.iter().all(|r| r.reviewer() != submitter),
        "the submitter never counts"
    );
    if let (Some(ctx), Some(k)) = (ctx, naive.approved_by) {
        assert!(
            policy(k).evaluate(&ctx).is_approved(),
            "approved only with a passing decision"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn the_api_agrees_with_the_naive_model(steps in prop::collection::vec((op(), 0..5u64, prop::bool::weighted(0.1)), 0..40)) {
        let mut model = AnyModel::Untrained(Model::new("m", "1").unwrap());
        let mut naive = Naive::new();
        let mut clock = 1_000u64;
        for (op, dt, back) in &steps {
            let now = if *back { clock.saturating_sub(dt + 1) } else { clock + dt };
            model = apply(model, &mut naive, op, Timestamp::from_unix_secs(now));
            if naive.last.is_some_and(|l| l.as_unix_millis() == now * 1000) {
                clock = now;
            }
            check(&model, &naive);
        }
    }
}
