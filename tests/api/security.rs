//! Security findings of issue 13 that concern pages, links, sign-in and headers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use yrs::{Any, Text, WriteTxn, XmlFragment};

use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Finding 3: links

const SECTION: &str = "hvor-star-vi.russituasjon";

/// Attributes of a y-prosemirror link mark with `href`.
fn link(href: &str) -> yrs::types::Attrs {
    let attrs = HashMap::from([("href".to_owned(), Any::from(href))]);
    HashMap::from([(Arc::from("link"), Any::Map(Arc::new(attrs)))])
}

#[tokio::test]
async fn a_script_link_from_a_live_update_is_never_a_link() {
    let f = PlanPeople::new().await;
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;
    live.edit(|txn| {
        let fragment = txn.get_or_insert_xml_fragment(format!("section:{SECTION}"));
        let paragraph = fragment.push_back(txn, yrs::XmlElementPrelim::empty("paragraph"));
        let text = paragraph.push_back(txn, yrs::XmlTextPrelim::new(""));
        text.insert_with_attributes(
            txn,
            0,
            "Trykk her",
            link("javascript:alert(document.domain)"),
        );
        text.push(txn, " og ");
        let len = text.len(txn);
        text.insert_with_attributes(txn, len, "her", link("java\tscript:alert(1)"));
        text.push(txn, ", men ");
        let len = text.len(txn);
        text.insert_with_attributes(txn, len, "KoRus", link("https://korus-oslo.no/"));
        text.push(txn, " er trygg.");
    })
    .await;
    // The coordinator's API view, once the update is committed.
    let api = Api::as_person(&f.app, &f.coordinator);
    let mut plan = Value::Null;
    for _ in 0..100 {
        let (status, body) = api.get(&format!("/api/plans/{}", f.plan)).await;
        assert_eq!(status, StatusCode::OK);
        if body.to_string().contains("er trygg.") {
            plan = body;
            break;
        }
        live.pump_for(Duration::from_millis(50)).await;
    }
    let json = plan.to_string();
    assert!(json.contains("Trykk her"), "the text stays: {json}");
    assert!(
        !json.contains("script:"),
        "no script link in the API: {json}"
    );
    assert!(
        json.contains("\"link\":\"https://korus-oslo.no/\""),
        "safe links stay: {json}"
    );
    let (status, page) = api.page(&format!("/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Trykk her"));
    assert!(!page.contains("script:"), "no script link on the page");
    assert!(page.contains("href=\"https://korus-oslo.no/\""));
    let (status, _, markdown) = api.download(&format!("/plans/{}/export.md", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    let markdown = String::from_utf8(markdown).expect("utf-8");
    assert!(markdown.contains("Trykk her"));
    assert!(!markdown.contains("script:"), "no script link in Markdown");
    assert!(markdown.contains("(https://korus-oslo.no/)"));
}
