//! Several server nodes on one PostgreSQL database: live editing across nodes, awareness across
//! nodes, a node killed mid-edit, and compaction by one node while another holds the plan.
//! Runs when `SAMSKRIV_TEST_POSTGRES_URL` is set; reports itself skipped otherwise.

use yrs::{GetString, Text, Transact, WriteTxn};

use crate::helpers::*;

fn text_of(client: &TestClient) -> String {
    let text = client.doc().get_or_insert_text("t");
    text.get_string(&client.doc().transact())
}

/// Two nodes on a fresh schema of their own.
async fn two_nodes(
    configure: fn(&mut samskriv::config::ServeConfig),
) -> Option<(PostgresSchema, TestApp, TestApp)> {
    let schema = postgres_schema().await?;
    let first = TestApp::spawn_with_url(&schema.url(), configure).await;
    let second = TestApp::spawn_with_url(&schema.url(), configure).await;
    Some((schema, first, second))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_two_nodes_edit_live_and_see_each_others_awareness() {
    let Some((_schema, one, two)) = two_nodes(|_| {}).await else {
        return;
    };
    let plan = one.create_plan().await;
    let mut a = one.client(plan).await;
    let mut b = two.client(plan).await;

    // Concurrent edits on both nodes converge.
    for i in 0..20 {
        a.edit(|txn| txn.get_or_insert_text("t").push(txn, &format!("a{i};")))
            .await;
        b.edit(|txn| txn.get_or_insert_text("t").push(txn, &format!("b{i};")))
            .await;
    }
    let both = |c: &TestClient| {
        let text = text_of(c);
        text.contains("a19;") && text.contains("b19;")
    };
    a.wait_for(both).await;
    b.wait_for(both).await;
    a.wait_for(|c| c.state_vector() == b.state_vector()).await;
    assert_eq!(text_of(&a), text_of(&b));

    // Awareness set on one node is seen on the other, and removed when its client leaves.
    a.set_awareness(r#"{"user":{"name":"Kari","unit":"NAV"}}"#)
        .await;
    b.wait_for(|c| c.peers().values().any(|s| s.contains("Kari")))
        .await;
    drop(a);
    b.wait_for(|c| !c.peers().values().any(|s| s.contains("Kari")))
        .await;

    one.stop().await;
    two.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_loses_nothing_it_relayed() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let survivor = TestApp::spawn_with_url(&schema.url(), |_| {}).await;
    let plan = survivor.create_plan().await;
    let mut reader = survivor.client(plan).await;
    for round in 0..3 {
        let doomed = ServerProcess::start(&schema.url(), &[])
            .await
            .expect("server binary starts");
        let mut writer = TestClient::connect(&doomed.ws_url(plan)).await;
        for i in 0..30 {
            writer
                .edit(|txn| {
                    txn.get_or_insert_text("t")
                        .push(txn, &format!("r{round}e{i};"))
                })
                .await;
        }
        let wanted = format!("r{round}e15;");
        reader.wait_for(|c| text_of(c).contains(&wanted)).await;
        doomed.kill().await.expect("SIGKILL");
    }
    // Everything the reader received through the other node is in the database.
    let seen = reader.state_vector();
    let fresh_node = TestApp::spawn_with_url(&schema.url(), |_| {}).await;
    let check = fresh_node.client(plan).await;
    assert!(covers(&check.state_vector(), &seen));
    fresh_node.stop().await;
    survivor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_by_one_node_keeps_the_other_correct() {
    let Some((_schema, one, two)) = two_nodes(|c| c.live.compact_after = 4).await else {
        return;
    };
    let plan = one.create_plan().await;
    let mut a = one.client(plan).await;
    let mut b = two.client(plan).await;
    for i in 0..30 {
        a.edit(|txn| txn.get_or_insert_text("t").push(txn, &format!("a{i};")))
            .await;
        if i % 3 == 0 {
            b.edit(|txn| txn.get_or_insert_text("t").push(txn, &format!("b{i};")))
                .await;
        }
    }
    let done = |c: &TestClient| {
        let text = text_of(c);
        text.contains("a29;") && text.contains("b27;")
    };
    a.wait_for(done).await;
    b.wait_for(done).await;
    a.wait_for(|c| c.state_vector() == b.state_vector()).await;
    // Compaction happens at once past twice the threshold, or when the room is quiet.
    let compacted = tokio::time::timeout(WAIT, async {
        while one.storage.log_len(plan).await.expect("log") >= 4 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(compacted.is_ok(), "the log was compacted");

    // A client joining either node, and a node loading the plan afresh, see the same document.
    let late_one = one.client(plan).await;
    let late_two = two.client(plan).await;
    assert_eq!(text_of(&late_one), text_of(&a));
    assert_eq!(text_of(&late_two), text_of(&a));
    one.stop().await;
    two.stop().await;
}
