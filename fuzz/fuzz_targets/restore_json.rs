//! Stored JSON of any shape: restoring never panics, and nothing comes back approved or deployed
//! unless the policy approves on the recorded evidence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelgate::{StoredModel, MetricGate, Policy, Quorum, AnyModel};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(stored) = serde_json::from_str::<StoredModel>(text) else {
        return;
    };
    let _ = (stored.status(), stored.revision(), stored.name().len());
    let policy = (MetricGate::at_least("accuracy", 0.9), Quorum::new(2));
    match stored.clone().restore(&policy) {
        Ok(AnyModel::Approved(m)) => {
            assert!(policy.evaluate(&m.stage().review_context()).is_approved())
        }
        Ok(AnyModel::Deployed(m)) => {
            assert!(
                policy
                    .evaluate(&m.stage().approved().review_context())
                    .is_approved()
            );
        }
        Ok(other) => assert_eq!(
            StoredModel::from(other),
            stored,
            "a restored model stores as it was read"
        ),
        Err(e) => {
            let _ = e.to_string();
            assert_eq!(e.into_input(), stored, "a refused record comes back intact");
        }
    }
});
