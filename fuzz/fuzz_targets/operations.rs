//! Random operation sequences on a model, through typed transitions and through storage:
//! never a panic; after every step the sealed stored form restores to the same model, the trail
//! is chained in time order, and an approved model is one its deciding policy approves.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use modelgate::{AnyModel, Decided, Environment, DecisionContext, Deployer, Head, HmacSealer, MetricGate, Metrics, Model, Policy, Quorum, Receipt, Review, StoredModel, Timestamp, TrainingOutcome, Veto, Vote};
use modelgate::model::{Trainable};

const PEOPLE: [&str; 4] = ["alice", "bob", "carol", ""];

#[derive(Arbitrary, Debug)]
enum Op {
    Submit {
        accuracy: f64,
        digest: u8,
        submitter: u8,
    },
    Vote {
        reviewer: u8,
        approve: bool,
        wrong_digest: bool,
        role: bool,
    },
    Decide {
        strict: u8,
    },
    Deploy {
        fail: bool,
    },
    MarkDeployed,
    Retrain,
    Revoke,
    Reopen,
    Supersede,
    RollBack,
    Reinstate {
        strict: u8,
    },
    Retire {
        for_cause: bool,
    },
    StoreAndRestore,
}

#[derive(Arbitrary, Debug)]
struct Step {
    op: Op,
    dt: i8,
}

fn policy(k: u8) -> (MetricGate, Quorum, Veto) {
    let threshold = [0.0, 0.5, 0.9][usize::from(k % 3)];
    (
        MetricGate::at_least("accuracy", threshold),
        Quorum::new(usize::from(k / 3 % 3)),
        Veto::new(),
    )
}

struct Flaky(bool);

impl Deployer for Flaky {
    type Error = std::fmt::Error;
    fn deploy(&mut self, _: &Model<modelgate::Approved>) -> Result<Receipt, std::fmt::Error> {
        if self.0 {
            Err(std::fmt::Error)
        } else {
            Ok(Receipt::new("r"))
        }
    }
}

/// Submits `m` if the generated outcome is valid; puts it back with `back` otherwise.
fn submit<S: Trainable>(
    m: Model<S>,
    accuracy: f64,
    digest: u8,
    submitter: &str,
    now: Timestamp,
    back: fn(Model<S>) -> AnyModel,
) -> AnyModel {
    let outcome = Metrics::new([("accuracy", accuracy)])
        .and_then(|metrics| TrainingOutcome::new(format!("sha256:{digest}"), metrics));
    match outcome {
        Ok(outcome) => m
            .submit(outcome, submitter, now)
            .map_or_else(|e| back(e.into_input().0), AnyModel::Submitted),
        Err(_) => back(m),
    }
}

fn apply(model: AnyModel, op: &Op, now: Timestamp, decided_by: &mut Option<u8>) -> AnyModel {
    let pick = |i: u8| PEOPLE[usize::from(i) % PEOPLE.len()];
    match (model, op) {
        (
            AnyModel::Untrained(m),
            Op::Submit {
                accuracy,
                digest,
                submitter,
            },
        ) => submit(
            m,
            *accuracy,
            *digest,
            pick(*submitter),
            now,
            AnyModel::Untrained,
        ),
        (
            AnyModel::Retraining(m),
            Op::Submit {
                accuracy,
                digest,
                submitter,
            },
        ) => submit(
            m,
            *accuracy,
            *digest,
            pick(*submitter),
            now,
            AnyModel::Retraining,
        ),
        (
            AnyModel::Submitted(mut m),
            Op::Vote {
                reviewer,
                approve,
                wrong_digest,
                role,
            },
        ) => {
            let digest = if *wrong_digest {
                "sha256:other".to_owned()
            } else {
                m.stage().submission().outcome().digest().to_string()
            };
            let vote = if *approve {
                Vote::Approve
            } else {
                Vote::Reject
            };
            let mut review = Review::new(pick(*reviewer), vote, digest, now);
            if *role {
                review = review.with_role("team_lead");
            }
            let before = m.revision();
            match m.record(review) {
                Ok(()) => assert_eq!(m.revision(), before + 1),
                Err(_) => assert_eq!(m.revision(), before),
            }
            AnyModel::Submitted(m)
        }
        (AnyModel::Submitted(m), Op::Decide { strict }) => {
            match m.decide(&policy(*strict), &DecisionContext::at(now)) {
                Ok(Decided::Approved(m)) => {
                    *decided_by = Some(*strict);
                    AnyModel::Approved(m)
                }
                Ok(Decided::Rejected(m)) => AnyModel::Rejected(m),
                Ok(Decided::Pending(m, _)) => AnyModel::Submitted(m),
                Err(e) => AnyModel::Submitted(e.into_input()),
            }
        }
        (AnyModel::Approved(m), Op::Deploy { fail }) => m
            .deploy(&mut Flaky(*fail), "deployer", now)
            .map_or_else(|e| AnyModel::Approved(e.into_input()), AnyModel::Deployed),
        (AnyModel::Approved(m), Op::MarkDeployed) => m
            .mark_deployed(Receipt::new("manual"), "deployer", now)
            .map_or_else(|e| AnyModel::Approved(e.into_input().0), AnyModel::Deployed),
        (AnyModel::Rejected(m), Op::Retrain) => m
            .retrain("alice", now)
            .map_or_else(|e| AnyModel::Rejected(e.into_input()), AnyModel::Retraining),
        (AnyModel::Approved(m), Op::Revoke) => m
            .revoke("found a leak", "security", now)
            .map_or_else(|e| AnyModel::Approved(e.into_input()), AnyModel::Rejected),
        (AnyModel::Approved(m), Op::Reopen) => m
            .reopen("alice", now)
            .map_or_else(|e| AnyModel::Approved(e.into_input()), AnyModel::Submitted),
        (AnyModel::Deployed(m), Op::Supersede) => m
            .supersede("2", "deployer", now)
            .map_or_else(|e| AnyModel::Deployed(e.into_input()), AnyModel::Superseded),
        (AnyModel::Deployed(m), Op::RollBack) => m
            .roll_back("0", "latency", "oncall", now)
            .map_or_else(|e| AnyModel::Deployed(e.into_input()), AnyModel::Superseded),
        (AnyModel::Superseded(m), Op::Reinstate { strict }) => {
            match m.reinstate(&policy(*strict), Some("2"), "rollback", "oncall", now) {
                Ok(m) => {
                    *decided_by = Some(*strict);
                    AnyModel::Deployed(m)
                }
                Err(e) => AnyModel::Superseded(e.into_input()),
            }
        }
        (AnyModel::Deployed(m), Op::Retire { for_cause }) => m
            .retire("end of life", *for_cause, "ops", now)
            .map_or_else(|e| AnyModel::Deployed(e.into_input()), AnyModel::Retired),
        (AnyModel::Superseded(m), Op::Retire { for_cause }) => m
            .retire("end of life", *for_cause, "ops", now)
            .map_or_else(|e| AnyModel::Superseded(e.into_input()), AnyModel::Retired),
        (model, Op::StoreAndRestore) => {
            let key = HmacSealer::new("fuzz", *b"0123456789abcdef0123456789abcdef");
            let sealed = StoredModel::from(&model).sealed_by(&key).expect("the key seals");
            let json = serde_json::to_string(&sealed).expect("a model serializes");
            let stored: StoredModel = serde_json::from_str(&json).expect("stored JSON reads back");
            let restored = stored
                .restore_trusting_decisions(&key)
                .expect("a stored model restores");
            assert_eq!(restored, model);
            restored
        }
        (model, _) => model,
    }
}

fuzz_target!(|steps: Vec<Step>| {
    let Ok(model) = Model::new("fuzz", "1") else {
        return;
    };
    // Approvals lapse after a minute, so that lapses and reopening are reached.
    let window = Environment::new("production")
        .expect("a valid name")
        .with_approval_validity(std::time::Duration::from_secs(60));
    let model = model.in_environment(window);
    let mut model = AnyModel::Untrained(model);
    let mut clock: i64 = 1_000;
    let mut decided_by = None;
    for step in steps.iter().take(64) {
        clock = (clock + i64::from(step.dt)).max(0);
        let now = Timestamp::from_unix_secs(clock as u64);
        model = apply(model, &step.op, now, &mut decided_by);
        let stored = StoredModel::from(&model);
        assert!(stored.events().windows(2).all(|w| w[0].at() <= w[1].at()));
        let mut prev = Head::of_header(stored.name(), stored.version(), stored.environment());
        for e in stored.events() {
            assert_eq!(*e.prev(), prev, "chained");
            prev = e.hash();
        }
        assert_eq!(prev, model.head());
        let ctx = match &model {
            AnyModel::Approved(m) => Some(m.stage().review_context()),
            AnyModel::Deployed(m) => Some(m.stage().approved().review_context()),
            AnyModel::Superseded(m) => Some(m.stage().deployed().approved().review_context()),
            _ => None,
        };
        if let (Some(ctx), Some(k)) = (ctx, decided_by) {
            assert!(
                policy(k).evaluate(&ctx).is_approved(),
                "approved only with a passing decision"
            );
        }
    }
});
