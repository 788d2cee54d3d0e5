//! Environments and the life after deploy, with a registry: version 1 goes to staging, soaks
//! three days, is promoted to production under a stricter policy (accuracy, a 48-hour soak, the
//! online error rate seen in staging) and deployed; version 2 follows and supersedes it; version
//! 2 goes wrong in production, so production is rolled back to version 1 (its approval checked
//! again against production's policy) and version 2 is retired for cause. After every step it
//! prints each environment's current version; at the end, production's audit table, and the
//! registry stored, sealed and restored.
//!
//! Run it with `cargo run --example promotion`.

use std::error::Error;
use std::time::Duration;

use modelgate::policy::{OnlineMetric, Soak};
use modelgate::registry::PolicyBook;
use modelgate::{
    AnyModel, Environment, HmacSealer, MetricGate, Metrics, Model, Policy, PolicyExt, Receipt,
    Registry, Timestamp, TrainingOutcome,
};

const HOUR: u64 = 3600;

fn staging_policy() -> MetricGate {
    MetricGate::at_least("accuracy", 0.90)
}

fn production_policy() -> impl Policy + Send + Sync + 'static {
    MetricGate::at_least("accuracy", 0.92)
        .and(Soak::at_least(Duration::from_secs(48 * HOUR)))
        .and(OnlineMetric::at_most("error_rate", 0.02))
}

fn main() -> Result<(), Box<dyn Error>> {
    // The host passes time in: hours after an arbitrary start.
    let t = |hours: u64| Timestamp::from_unix_secs(1_764_190_800 + hours * HOUR);
    let staging = Environment::new("staging")?;
    // A production approval must be deployed within 7 days, or it lapses.
    let production =
        Environment::new("production")?.with_approval_validity(Duration::from_secs(7 * 24 * HOUR));
    let mut registry = Registry::new("churn")?;
    let show = |registry: &Registry, step: &str| {
        let current = |env: &Environment| {
            registry
                .current(env)
                .map_or_else(|| "-".to_owned(), |m| format!("v{}", m.version()))
        };
        println!(
            "{step:<58} staging: {:<3} production: {}",
            current(&staging),
            current(&production)
        );
    };

    // Each version: submitted to staging, decided there (with staging's champion), deployed.
    for (version, accuracy, at) in [("1", 0.93, 0), ("2", 0.95, 100)] {
        let outcome = TrainingOutcome::new(
            format!("sha256:churn-{version}"),
            Metrics::new([("accuracy", accuracy)])?,
        )?;
        let model = Model::new("churn", version)?
            .in_environment(staging.clone())
            .submit(outcome, "alice", t(at))?;
        registry.put(model)?;
        let verdict = registry.decide(&staging, version, &staging_policy(), t(at + 1))?;
        println!("v{version} in staging: {verdict}");
        let AnyModel::Approved(approved) = registry.take(&staging, version)? else {
            return Err(format!("v{version} was not approved in staging").into());
        };
        let receipt = Receipt::new(format!("k8s/staging/churn:{version}"));
        registry.deploy(approved, receipt, "ci", t(at + 2))?;
        show(&registry, &format!("v{version} deployed to staging"));

        // After a soak of three days, promoted with the online error rate staging observed.
        let soaked = at + 72;
        let in_staging = registry.current(&staging).ok_or("nothing in staging")?;
        let target = Model::new("churn", version)?.in_environment(production.clone());
        let online = Metrics::new([("error_rate", 0.011)])?;
        registry.put(in_staging.promote(target, online, "alice", t(soaked))?)?;
        let verdict = registry.decide(&production, version, &production_policy(), t(soaked + 1))?;
        println!("v{version} in production: {verdict}");
        let AnyModel::Approved(approved) = registry.take(&production, version)? else {
            return Err(format!("v{version} was not approved in production").into());
        };
        let receipt = Receipt::new(format!("k8s/production/churn:{version}"));
        registry.deploy(approved, receipt, "release-bot", t(soaked + 2))?;
        show(
            &registry,
            &format!("v{version} promoted and deployed to production"),
        );
    }

    // Version 2 goes wrong in production: back to version 1, then retire version 2 for cause.
    registry.roll_back(
        &production,
        &production_policy(),
        "error rate doubled after release",
        "oncall",
        t(200),
    )?;
    show(&registry, "production rolled back");
    registry.retire(
        &production,
        "2",
        "error rate doubled after release",
        true,
        "oncall",
        t(201),
    )?;
    show(&registry, "v2 retired from production, for cause");
    // A second rollback would go to version 2: retired for cause, it is refused.
    match registry.roll_back(&production, &production_policy(), "again", "oncall", t(202)) {
        Err(refused) => println!("a second rollback is refused: {refused}"),
        Ok(()) => return Err("a rollback to a version retired for cause went through".into()),
    }

    println!("\nproduction deployments:");
    for tenure in registry.history(&production) {
        let until = match &tenure.until {
            None => "now".to_owned(),
            Some((at, ended)) => format!("{at}, {ended}"),
        };
        println!("  v{} from {} until {until}", tenure.version, tenure.from);
    }

    println!("\naudit table of production:");
    println!(
        "{:>3}  {:>2}  {:<20}  {:<12}  {:<62}  detail",
        "v", "#", "time", "action", "actor"
    );
    for version in ["1", "2"] {
        let model = registry
            .get(&production, version)
            .ok_or("a production member")?;
        for event in model.history() {
            println!(
                "{:>3}  {:>2}  {:<20}  {:<12}  {:<62}  {}",
                version,
                event.seq(),
                event.at().to_string(),
                event.action(),
                event.actor().to_string(),
                event.detail()
            );
        }
    }

    // Stored as its members' sealed trails and a sealed index; restored under each
    // environment's policy, every decision decided again and the books checked across members.
    let key = HmacSealer::new("registry-key", *b"0123456789abcdef0123456789abcdef");
    let stored = registry.sealed_by(&key)?;
    let json = serde_json::to_string(&stored)?;
    let book = PolicyBook::new()
        .with("staging", staging_policy())
        .with("production", production_policy());
    let restored =
        serde_json::from_str::<modelgate::registry::StoredRegistry>(&json)?.restore(&key, &book)?;
    assert!(restored == registry);
    println!(
        "\nstored the registry ({} members, {} bytes) and restored it",
        stored.members().len(),
        json.len()
    );
    Ok(())
}
