//! Stored JSON of any shape, read as a stored model. The chain is recomputed first (what an
//! attacker who can write the storage does), so that the replay itself is fuzzed, not only the
//! hash check. Never a panic; a refused record comes back intact; and whatever restores is
//! exactly what the live transitions record: it stores back as it was read, and an approval in
//! it is one the caller's policy makes on the recorded evidence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelgate::{AnyModel, Head, MetricGate, Policy, Quorum, StoredModel};

/// The JSON with every `prev` recomputed, read back.
fn rechained(mut json: serde_json::Value) -> Option<StoredModel> {
    let n = json.get("events")?.as_array()?.len();
    for i in 0..n {
        let stored: StoredModel = serde_json::from_value(json.clone()).ok()?;
        let prev = match i {
            0 => Head::of_header(stored.name(), stored.version(), stored.environment()),
            _ => stored.events().get(i - 1)?.hash(),
        };
        *json.get_mut("events")?.get_mut(i)?.get_mut("prev")? = prev.to_string().into();
    }
    serde_json::from_value(json).ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Some(stored) = rechained(json) else {
        return;
    };
    let policy = (MetricGate::at_least("accuracy", 0.9), Quorum::new(2));
    match stored.clone().restore_unsealed(&policy) {
        Ok(model) => {
            assert_eq!(
                StoredModel::from(&model),
                stored,
                "a restored model stores as it was read"
            );
            let ctx = match &model {
                AnyModel::Approved(m) => Some(m.stage().review_context()),
                AnyModel::Deployed(m) => Some(m.stage().approved().review_context()),
                _ => None,
            };
            if let Some(ctx) = ctx {
                assert!(policy.evaluate(&ctx).is_approved(), "upheld by the policy");
            }
        }
        Err(e) => {
            let _ = e.to_string();
            assert_eq!(e.into_input(), stored, "a refused record comes back intact");
        }
    }
});
