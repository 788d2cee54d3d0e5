//! A stored run resumes after a restart where it paused and goes on to the end. On SQLite
//! (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DIGEST, TestDb, key, pipeline_spec, t};
use modelgate::{Action, Artifact, Metrics, Model, Receipt, Review, Run, Status};
use modelgate_store::{Awaiting, Retry};

/// A run stored at the approval pause resumes after a restart and goes on to the end.
async fn restart_resumes_a_run(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let k = key("pipeline-model", "7");
    {
        let store = db.open().await;
        let mut run = Run::start(
            pipeline_spec().validate().unwrap(),
            Model::new("pipeline-model", "7").unwrap(),
            "alice",
            t(0),
        )
        .unwrap();
        let written = store.create(&run).await.unwrap();
        assert!(matches!(run.poll(t(1)).unwrap(), Action::Train { .. }));
        run.handle_artifact(Artifact::new(DIGEST, Metrics::default()).unwrap(), t(2))
            .unwrap();
        assert!(matches!(
            run.poll(t(3)).unwrap(),
            Action::AwaitApproval { .. }
        ));
        store.append(written.head, &run).await.unwrap();
        store.close().await;
    } // "restart": the process and its store are gone.
    let store = db.open().await;
    let unfinished = store.unfinished_runs().await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].key, k);
    assert!(unfinished[0].is_run);
    let bob = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        store.awaiting_approval(&bob).await.unwrap().len(),
        1,
        "the pipeline's approvers"
    );
    let pipeline = pipeline_spec().validate().unwrap();
    store
        .record_run_vote(
            &k,
            &pipeline,
            &Review::approve("bob", DIGEST, t(10)),
            &Retry::default(),
        )
        .await
        .unwrap();
    let loaded = store.restore_run(&k, pipeline.clone()).await.unwrap();
    let mut run = loaded.model;
    assert!(matches!(run.poll(t(11)).unwrap(), Action::Deploy { .. }));
    run.handle_deployed(Receipt::new("prod/pipeline-model@7"), t(12))
        .unwrap();
    assert_eq!(
        run.poll(t(13)).unwrap().to_string(),
        "finished: deployed after 1 attempt(s)"
    );
    store.append(loaded.head, &run).await.unwrap();
    assert!(store.unfinished_runs().await.unwrap().is_empty());
    let again = store.restore_run(&k, pipeline).await.unwrap();
    assert_eq!(again.model.status(), Status::Deployed);
    store.close().await;
    db.drop_db().await;
}

common::conformance!(restart_resumes_a_run,);
