//! A vote's event time replays only by the rule (the vote's own time, or the event before's if
//! that is later), and `AnyModel::resume` agrees with a whole restore at every cut of a trail
//! with skewed votes, a decision and a deployment. An independent attacker's checks that held.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{attacker_key, key, outcome, policy, t};
use modelgate::{
    AnyModel, DecisionContext, Environment, Model, Receipt, RestoreError, Review, StoredModel,
};

const D: &str = "sha256:1";

/// A trail with skewed votes, a rejection, a retraining, more skewed votes, an approval and a
/// deployment.
fn rich() -> Model<modelgate::Deployed> {
    let mut m = Model::new("churn", "1")
        .unwrap()
        .in_environment(Environment::new("staging").unwrap())
        .submit(outcome(D, 0.95), "alice", t(100))
        .unwrap();
    m.record(Review::approve("bob", D, t(100))).unwrap(); // at the submission
    m.record(Review::approve("carol", D, t(200))).unwrap(); // ahead
    m.record(Review::approve("dave", D, t(150))).unwrap(); // behind carol
    let a = m
        .decide(&policy(), &DecisionContext::at(t(210)))
        .unwrap()
        .approved()
        .unwrap();
    a.mark_deployed(Receipt::new("r"), "ci", t(220)).unwrap()
}

fn json(stored: &StoredModel) -> serde_json::Value {
    serde_json::to_value(stored).unwrap()
}

fn resealed(json: serde_json::Value) -> StoredModel {
    let s = common::rechain(json);
    let s: StoredModel = {
        let mut j = serde_json::to_value(&s).unwrap();
        j.as_object_mut().unwrap().remove("seal");
        serde_json::from_value(j).unwrap()
    };
    s.sealed_by(&key()).unwrap()
}

#[test]
fn insider_resealed_times_other_than_the_rule_are_refused() {
    let stored = common::sealed(&rich());
    let j = json(&stored);
    let n = j["events"].as_array().unwrap().len();
    for i in 0..n {
        let is_vote = j["events"][i]["event"]["action"] == "voted"
            || j["events"][i].to_string().contains("\"review\"");
        let at = j["events"][i]["at"].as_u64().unwrap();
        let prev_at = if i == 0 {
            0
        } else {
            j["events"][i - 1]["at"].as_u64().unwrap()
        };
        // A vote's time is fixed by its review and the event before it; any other event may
        // not go before the one before it.
        let tries: Vec<u64> = if is_vote {
            vec![at - 1, at + 1, prev_at.saturating_sub(1)]
        } else if i > 0 {
            vec![prev_at - 1]
        } else {
            vec![]
        };
        for changed in tries {
            let mut e = j.clone();
            e["events"][i]["at"] = serde_json::json!(changed);
            let forged = resealed(e);
            assert!(
                forged.restore(&key(), &policy()).is_err(),
                "event {i} at {changed} (was {at}) restored"
            );
        }
    }
}

#[test]
fn resume_agrees_with_a_whole_restore_at_every_cut() {
    let model = rich();
    let whole = common::sealed(&model);
    let events = whole.events().to_vec();
    for cut in 0..=events.len() {
        // The prefix as a verified model: restore of the first `cut` events, sealed.
        let mut pj = json(&whole);
        pj["events"] = serde_json::Value::Array(pj["events"].as_array().unwrap()[..cut].to_vec());
        let prefix_stored = resealed(pj);
        let verified = || -> AnyModel { prefix_stored.clone().restore(&key(), &policy()).unwrap() };
        let rest = events[cut..].to_vec();
        let resumed = verified()
            .resume(rest.clone(), whole.seal().unwrap(), &key(), &policy())
            .unwrap();
        assert_eq!(resumed.head(), model.head());
        // Sealed by another key: refused, the model and events come back.
        let other = StoredModel::from(&model)
            .sealed_by(&attacker_key())
            .unwrap();
        let refused = verified()
            .resume(rest.clone(), other.seal().unwrap(), &key(), &policy())
            .unwrap_err();
        let ((back, evs), e) = refused.into_parts();
        assert!(matches!(e, RestoreError::Seal(_)));
        assert_eq!(back.unwrap().head(), verified().head());
        assert_eq!(evs, rest);
        // Cut short (the last event missing) with the whole's seal: refused.
        if !rest.is_empty() {
            let short = rest[..rest.len() - 1].to_vec();
            assert!(
                verified()
                    .resume(short, whole.seal().unwrap(), &key(), &policy())
                    .is_err()
            );
        }
        // Under a policy that does not uphold the recorded decision (3 approvals): refused
        // whenever the decision is among the new events, with no model back.
        if cut <= 4 {
            let strict = (
                modelgate::MetricGate::at_least("accuracy", 0.9),
                modelgate::Quorum::new(3),
            );
            let r = verified().resume(rest.clone(), whole.seal().unwrap(), &key(), &strict);
            let ((back, _), _) = r.unwrap_err().into_parts();
            assert!(back.is_none());
        }
        // Reordered: refused.
        if rest.len() >= 2 {
            let mut swapped = rest.clone();
            swapped.swap(0, 1);
            assert!(
                verified()
                    .resume(swapped, whole.seal().unwrap(), &key(), &policy())
                    .is_err()
            );
        }
    }
}
