//! Comment threads: the whole lifecycle through the API with live delivery over server-sent
//! events, text anchors made by live clients and followed through concurrent edits, who may do
//! what, other plans' ids, and comments kept out of the exports. The last test runs two nodes
//! on PostgreSQL when `SAMSKRIV_TEST_POSTGRES_URL` is set.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::{Method, StatusCode};
use samskriv::plan::PlanId;
use serde_json::{Value, json};
use yrs::updates::encoder::Encode;
use yrs::{
    Array, Assoc, Doc, GetString, IndexedSequence, ReadTxn, StickyIndex, Text, Transact,
    TransactionMut, WriteTxn, XmlElementPrelim, XmlFragment, XmlOut, XmlTextPrelim, XmlTextRef,
};

use crate::helpers::*;

pub(crate) const TEMPLATE: &str = "korus-ruspolitisk-handlingsplan@1";
/// A prose section of the KoRus template.
pub(crate) const SECTION: &str = "hvor-star-vi.russituasjon";
pub(crate) const PARAGRAPH: &str = "Ungdata viser at unge drikker mindre enn for ti år siden.";

impl PlanPeople {
    pub(crate) fn api(&self, person: &Person) -> Api {
        Api::as_person(&self.app, person)
    }

    fn threads(&self) -> String {
        format!("/api/plans/{}/threads", self.plan)
    }

    fn thread(&self, id: &str) -> String {
        format!("/api/plans/{}/threads/{id}", self.plan)
    }

    /// A live client of `person` that has written [`PARAGRAPH`] into [`SECTION`], once the
    /// server has committed it.
    pub(crate) async fn writer(&self, person: &Person) -> TestClient {
        let mut live = TestClient::connect_as(&self.app.ws_url(&self.plan), person).await;
        live.edit(|txn| write_paragraph(txn, SECTION, PARAGRAPH))
            .await;
        committed(&self.app, &self.plan, Some(&self.admin), &mut live).await;
        live
    }
}

/// Writes a paragraph as y-prosemirror stores it: an XmlElement "paragraph" holding an XmlText.
pub(crate) fn write_paragraph(txn: &mut TransactionMut, section: &str, text: &str) {
    let fragment = txn.get_or_insert_xml_fragment(format!("section:{section}"));
    let paragraph = fragment.push_back(txn, XmlElementPrelim::empty("paragraph"));
    paragraph.push_back(txn, XmlTextPrelim::new(text));
}

/// The XmlText of the first paragraph of `section`.
pub(crate) fn first_text<T: ReadTxn>(txn: &T, section: &str) -> XmlTextRef {
    let fragment = txn
        .get_xml_fragment(format!("section:{section}"))
        .expect("section written");
    match fragment.get(txn, 0) {
        Some(XmlOut::Element(paragraph)) => match paragraph.get(txn, 0) {
            Some(XmlOut::Text(text)) => text,
            other => panic!("no text in the paragraph: {other:?}"),
        },
        other => panic!("no paragraph: {other:?}"),
    }
}

pub(crate) fn section_text(doc: &Doc, section: &str) -> String {
    let txn = doc.transact();
    first_text(&txn, section).get_string(&txn)
}

/// A text anchor around `quote` in the first paragraph of `section` of `doc`, as the browser
/// makes it: y-prosemirror's relative positions (associated with the character after each end,
/// or the paragraph's text itself at its end), base64-encoded.
pub(crate) fn text_anchor(doc: &Doc, section: &str, quote: &str) -> Value {
    let txn = doc.transact();
    let text = first_text(&txn, section);
    let content = text.get_string(&txn);
    let from = content.find(quote).expect("quote in the text") as u32;
    let to = from + quote.len() as u32;
    let position = |index: u32| {
        text.sticky_index(&txn, index, Assoc::After)
            .unwrap_or_else(|| StickyIndex::from_type(&txn, &text, Assoc::After))
    };
    let (start, end) = (position(from), position(to));
    json!({
        "kind": "text",
        "section": section,
        "start": BASE64.encode(start.encode_v1()),
        "end": BASE64.encode(end.encode_v1()),
        "quote": quote,
    })
}

/// Waits until the server has committed everything `client` wrote: a fresh client (of `viewer`,
/// or anonymous) receives it, and the server relays nothing it has not committed.
pub(crate) async fn committed(
    app: &TestApp,
    plan: &str,
    viewer: Option<&Person>,
    client: &mut TestClient,
) {
    client.pump_for(Duration::from_millis(50)).await;
    let need = client.state_vector();
    let mut fresh = match viewer {
        Some(person) => TestClient::connect_as(&app.ws_url(plan), person).await,
        None => TestClient::connect(&app.ws_url(plan)).await,
    };
    fresh.wait_for(|c| covers(&c.state_vector(), &need)).await;
}

fn is_rfc3339_utc(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() >= 20 && text.as_bytes()[10] == b'T' && text.ends_with('Z')
}

#[tokio::test]
async fn a_thread_lives_through_the_api_and_every_change_reaches_an_open_page() {
    let f = PlanPeople::new().await;
    let live = f.writer(&f.editor).await;
    let adviser = f.api(&f.adviser);
    let editor = f.api(&f.editor);
    let coordinator = f.api(&f.coordinator);
    // The editor has the plan open: their page listens for comment changes.
    let mut page = CommentEvents::open(&editor, &f.plan).await;

    // The adviser comments on a phrase.
    let anchor = text_anchor(live.doc(), SECTION, "unge drikker");
    let (status, thread) = adviser
        .post(
            &f.threads(),
            &json!({"anchor": anchor, "body": "  Hvilket år gjelder tallene?  "}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let id = thread["id"].as_str().expect("id").to_owned();
    assert_eq!(thread["plan_id"], f.plan.as_str());
    assert_eq!(thread["anchor"], anchor);
    assert_eq!(thread["status"], "open");
    assert_eq!(
        thread["author"],
        json!({"id": format!("user:{}", f.adviser.id), "name": f.adviser.name, "unit": "KoRus"})
    );
    assert!(is_rfc3339_utc(&thread["created_at"]), "{thread}");
    assert_eq!(thread["resolved_at"], Value::Null);
    assert_eq!(thread["resolved_by"], Value::Null);
    assert_eq!(thread["anchor_state"], "present");
    assert_eq!(thread["current_text"], "unge drikker");
    let comments = thread["comments"].as_array().expect("comments");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["body"], "Hvilket år gjelder tallene?");
    assert_eq!(comments[0]["author"], thread["author"]);
    assert_eq!(comments[0]["edited_at"], Value::Null);
    assert!(is_rfc3339_utc(&comments[0]["created_at"]));
    let first_comment = comments[0]["id"].as_str().expect("comment id").to_owned();
    assert_eq!(page.thread(&id).await, thread);

    // The editor answers.
    let (status, reply) = editor
        .post(
            &format!("{}/comments", f.thread(&id)),
            &json!({"body": "Ungdata 2024."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["author"]["unit"], "NAV");
    assert_eq!(reply["body"], "Ungdata 2024.");
    let reply_id = reply["id"].as_str().expect("id").to_owned();
    let seen = page.thread(&id).await;
    assert_eq!(seen["comments"].as_array().map(Vec::len), Some(2));
    assert_eq!(seen["comments"][1], reply);

    // The adviser edits their own comment.
    let (status, edited) = adviser
        .send(
            Method::PATCH,
            &format!("{}/comments/{first_comment}", f.thread(&id)),
            json!({"body": "Hvilket år gjelder tallene, og for hvilken alder?"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert!(is_rfc3339_utc(&edited["edited_at"]), "{edited}");
    let seen = page.thread(&id).await;
    assert_eq!(
        seen["comments"][0]["body"],
        "Hvilket år gjelder tallene, og for hvilken alder?"
    );

    // The coordinator resolves it; the lists follow.
    let (status, resolved) = coordinator
        .post(&format!("{}/resolve", f.thread(&id)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert!(is_rfc3339_utc(&resolved["resolved_at"]));
    assert_eq!(
        resolved["resolved_by"]["id"],
        format!("user:{}", f.coordinator.id)
    );
    assert_eq!(page.thread(&id).await["status"], "resolved");
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect()
    };
    let (status, list) = editor
        .get(&format!("{}?status=resolved", f.threads()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&list), vec![id.clone()]);
    let (_, list) = editor.get(&format!("{}?status=open", f.threads())).await;
    assert!(ids(&list).is_empty(), "{list}");

    // Reopened by its author, and a second thread on the tiltak row, by the editor.
    let (status, reopened) = adviser
        .post(&format!("{}/reopen", f.thread(&id)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["resolved_by"], Value::Null);
    assert_eq!(page.thread(&id).await["status"], "open");
    let (status, on_row) = editor
        .post(
            &f.threads(),
            &json!({"anchor": {"kind": "tiltak", "row": f.row, "quote": "Foreldremøter"},
                    "body": "Hvem leder møtene?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{on_row}");
    let row_thread = on_row["id"].as_str().expect("id").to_owned();
    assert_eq!(
        on_row["anchor"],
        json!({"kind": "tiltak", "row": f.row, "quote": "Foreldremøter"})
    );
    assert_eq!(on_row["anchor_state"], "present");
    assert_eq!(on_row["current_text"], "Foreldremøter om alkohol");
    page.thread(&row_thread).await;

    // Oldest first, and filtered by section and by the author's unit.
    let (_, all) = adviser.get(&f.threads()).await;
    assert_eq!(ids(&all), vec![id.clone(), row_thread.clone()]);
    let (_, in_section) = adviser
        .get(&format!("{}?section={SECTION}", f.threads()))
        .await;
    assert_eq!(ids(&in_section), vec![id.clone()]);
    let (_, by_korus) = adviser.get(&format!("{}?unit=KoRus", f.threads())).await;
    assert_eq!(ids(&by_korus), vec![id.clone()]);
    let (_, by_nav) = adviser
        .get(&format!("{}?unit=NAV&status=open", f.threads()))
        .await;
    assert_eq!(ids(&by_nav), vec![row_thread.clone()]);
    let (status, one) = f.api(&f.reader).get(&f.thread(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["comments"].as_array().map(Vec::len), Some(2));

    // The editor deletes their reply; the adviser deletes the last comment, and the thread goes.
    let (status, _) = editor
        .send(
            Method::DELETE,
            &format!("{}/comments/{reply_id}", f.thread(&id)),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        page.thread(&id).await["comments"].as_array().map(Vec::len),
        Some(1)
    );
    let (status, _) = adviser
        .send(
            Method::DELETE,
            &format!("{}/comments/{first_comment}", f.thread(&id)),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (name, data) = page.next().await;
    assert_eq!((name.as_str(), data), ("thread_deleted", json!({"id": id})));
    let (status, _) = adviser.get(&f.thread(&id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, all) = adviser.get(&f.threads()).await;
    assert_eq!(ids(&all), vec![row_thread]);

    drop(live);
    f.app.stop().await;
}

#[tokio::test]
async fn a_text_anchor_follows_concurrent_edits_and_outlives_its_text() {
    let f = PlanPeople::new().await;
    let mut alice = f.writer(&f.editor).await;
    let mut bob = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.coordinator).await;
    bob.wait_for(|c| {
        let txn = c.doc().transact();
        txn.get_xml_fragment(format!("section:{SECTION}"))
            .is_some_and(|f| f.len(&txn) > 0)
    })
    .await;
    assert_eq!(section_text(bob.doc(), SECTION), PARAGRAPH);

    // The anchor is made from a live client's document.
    let anchor = text_anchor(alice.doc(), SECTION, "unge drikker mindre");
    let adviser = f.api(&f.adviser);
    let (status, thread) = adviser
        .post(&f.threads(), &json!({"anchor": anchor, "body": "Kilde?"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let id = thread["id"].as_str().expect("id").to_owned();

    // Concurrently: Alice writes before the range, Bob inside it.
    alice
        .edit(|txn| {
            let text = first_text(txn, SECTION);
            text.insert(txn, 0, "Nytt i 2025: ");
        })
        .await;
    bob.edit(|txn| {
        let text = first_text(txn, SECTION);
        let at = text.get_string(txn).find("drikker").expect("word") as u32;
        text.insert(txn, at, "i Oslo ");
    })
    .await;
    alice
        .wait_for(|c| section_text(c.doc(), SECTION).contains("i Oslo"))
        .await;
    bob.wait_for(|c| section_text(c.doc(), SECTION).starts_with("Nytt"))
        .await;
    assert_eq!(
        section_text(alice.doc(), SECTION),
        "Nytt i 2025: Ungdata viser at unge i Oslo drikker mindre enn for ti år siden."
    );
    let (status, now) = adviser.get(&f.thread(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(now["anchor_state"], "present");
    assert_eq!(now["current_text"], "unge i Oslo drikker mindre");
    assert_eq!(now["anchor"]["quote"], "unge drikker mindre");

    // Alice deletes the sentence's middle, the anchored text with it.
    alice
        .edit(|txn| {
            let text = first_text(txn, SECTION);
            let content = text.get_string(txn);
            let from = content.find("unge").expect("start") as u32;
            let to = content.find(" enn").expect("end") as u32;
            text.remove_range(txn, from, to - from);
        })
        .await;
    bob.wait_for(|c| !section_text(c.doc(), SECTION).contains("unge"))
        .await;
    let (_, gone) = adviser.get(&f.thread(&id)).await;
    assert_eq!(gone["anchor_state"], "deleted", "{gone}");
    assert_eq!(gone["current_text"], Value::Null);
    assert_eq!(gone["anchor"]["quote"], "unge drikker mindre");

    // Removing the whole paragraph is a deletion too (a second thread on the new text).
    let anchor = text_anchor(alice.doc(), SECTION, "Ungdata viser");
    let (_, second) = adviser
        .post(
            &f.threads(),
            &json!({"anchor": anchor, "body": "Og denne?"}),
        )
        .await;
    assert_eq!(second["current_text"], "Ungdata viser");
    alice
        .edit(|txn| {
            let fragment = txn
                .get_xml_fragment(format!("section:{SECTION}"))
                .expect("section");
            fragment.remove_range(txn, 0, 1);
        })
        .await;
    committed(&f.app, &f.plan, Some(&f.admin), &mut alice).await;
    let (_, list) = adviser.get(&f.threads()).await;
    let states: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["anchor_state"].as_str())
        .collect();
    assert_eq!(states, ["deleted", "deleted"]);
    f.app.stop().await;
}

#[tokio::test]
async fn roles_decide_who_comments_resolves_and_edits() {
    let f = PlanPeople::new().await;
    let live = f.writer(&f.editor).await;
    let anchor = text_anchor(live.doc(), SECTION, "Ungdata");
    let new_thread = |body: &str| json!({"anchor": anchor, "body": body});
    let (coordinator, editor, adviser, reader) = (
        f.api(&f.coordinator),
        f.api(&f.editor),
        f.api(&f.adviser),
        f.api(&f.reader),
    );

    // Readers read but never comment; advisers comment.
    let (status, _) = reader.post(&f.threads(), &new_thread("Leser her")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = reader.get(&f.threads()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, by_adviser) = adviser.post(&f.threads(), &new_thread("Rådgiver")).await;
    assert_eq!(status, StatusCode::CREATED, "{by_adviser}");
    let adviser_thread = by_adviser["id"].as_str().expect("id").to_owned();
    let adviser_comment = by_adviser["comments"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = reader
        .post(
            &format!("{}/comments", f.thread(&adviser_thread)),
            &json!({"body": "Svar"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Only one's own comments are edited or deleted.
    let own = format!("{}/comments/{adviser_comment}", f.thread(&adviser_thread));
    for api in [&editor, &coordinator] {
        let (status, _) = api
            .send(Method::PATCH, &own, json!({"body": "Endret"}).to_string())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = api.send(Method::DELETE, &own, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    // An editor resolves neither others' threads nor reopens them; their own they may.
    let (status, _) = editor
        .post(
            &format!("{}/resolve", f.thread(&adviser_thread)),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, by_editor) = editor.post(&f.threads(), &new_thread("Redaktør")).await;
    let editor_thread = by_editor["id"].as_str().expect("id").to_owned();
    let (status, done) = editor
        .post(&format!("{}/resolve", f.thread(&editor_thread)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["resolved_by"]["unit"], "NAV");
    let (status, _) = adviser
        .post(&format!("{}/reopen", f.thread(&editor_thread)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Resolving twice keeps who resolved it first.
    let (status, again) = coordinator
        .post(&format!("{}/resolve", f.thread(&editor_thread)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["resolved_by"]["id"], format!("user:{}", f.editor.id));

    // The coordinator resolves anyone's; the author reopens their own.
    let (status, _) = coordinator
        .post(
            &format!("{}/resolve", f.thread(&adviser_thread)),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, reopened) = adviser
        .post(&format!("{}/reopen", f.thread(&adviser_thread)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reopened["status"], "open");
    let (status, _) = reader
        .post(
            &format!("{}/resolve", f.thread(&adviser_thread)),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Malformed requests are 400, refused values 422.
    let cases: Vec<(Value, u16)> = vec![
        (json!({"anchor": anchor, "body": "   "}), 422),
        (json!({"anchor": anchor, "body": "x".repeat(5001)}), 422),
        (json!({"anchor": anchor, "body": "å".repeat(5000)}), 201),
        (json!({"anchor": anchor, "body": 5}), 400),
        (json!({"anchor": anchor}), 400),
        (json!({"anchor": "text", "body": "x"}), 400),
        (json!({"anchor": {"kind": "bilde"}, "body": "x"}), 422),
        (
            json!({"anchor": {"kind": "text", "section": SECTION, "start": "!!", "end": anchor["end"]}, "body": "x"}),
            422,
        ),
        (
            json!({"anchor": {"kind": "text", "section": SECTION, "start": BASE64.encode([7u8, 7]), "end": anchor["end"]}, "body": "x"}),
            422,
        ),
        (
            json!({"anchor": {"kind": "text", "section": SECTION, "end": anchor["end"]}, "body": "x"}),
            422,
        ),
        (
            json!({"anchor": {"kind": "text", "section": "finnes.ikke", "start": anchor["start"], "end": anchor["end"]}, "body": "x"}),
            422,
        ),
        (
            json!({"anchor": {"kind": "text", "section": "hvor-star-vi.nokkeltall", "start": anchor["start"], "end": anchor["end"]}, "body": "x"}),
            422,
        ),
        (
            json!({"anchor": {"kind": "text", "section": SECTION, "start": anchor["start"], "end": anchor["end"], "quote": "q".repeat(1001)}, "body": "x"}),
            422,
        ),
        (
            json!({"anchor": {"kind": "tiltak", "row": "finnes-ikke"}, "body": "x"}),
            422,
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = adviser.post(&f.threads(), &body).await;
        assert_eq!(status.as_u16(), expected, "{body} → {answer}");
        if expected != 201 {
            assert!(answer["error"].is_string(), "{answer}");
        }
    }
    let (status, _) = adviser.send(Method::POST, &f.threads(), "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = adviser
        .send(Method::PATCH, &own, json!({"body": ""}).to_string())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = adviser.get(&format!("{}?status=lukket", f.threads())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = adviser.get(&f.thread("ikke-en-id")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A state change from a signed-in browser needs the CSRF token.
    let without_csrf = reqwest::Client::new()
        .post(format!("http://{}{}", f.app.addr, f.threads()))
        .header(
            reqwest::header::COOKIE,
            format!("samskriv_session={}", f.adviser.session),
        )
        .json(&new_thread("uten token"))
        .send()
        .await
        .expect("POST");
    assert_eq!(without_csrf.status(), StatusCode::FORBIDDEN);
    drop(live);
    f.app.stop().await;
}

#[tokio::test]
async fn another_plans_ids_and_non_members_find_nothing() {
    let f = PlanPeople::new().await;
    let admin = f.api(&f.admin);
    let other = admin.create_plan(TEMPLATE).await;
    let (status, thread) = f
        .api(&f.adviser)
        .post(
            &f.threads(),
            &json!({"anchor": {"kind": "tiltak", "row": f.row}, "body": "Her"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let id = thread["id"].as_str().expect("id");
    let comment = thread["comments"][0]["id"].as_str().expect("id");

    // The administrator is coordinator of both plans, yet the thread is only in its own.
    let elsewhere = format!("/api/plans/{other}/threads/{id}");
    let (status, _) = admin.get(&elsewhere).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (method, path, body) in [
        (
            Method::POST,
            format!("{elsewhere}/comments"),
            json!({"body": "x"}),
        ),
        (Method::POST, format!("{elsewhere}/resolve"), json!({})),
        (Method::POST, format!("{elsewhere}/reopen"), json!({})),
        (
            Method::PATCH,
            format!("{elsewhere}/comments/{comment}"),
            json!({"body": "x"}),
        ),
        (
            Method::DELETE,
            format!("{elsewhere}/comments/{comment}"),
            json!({}),
        ),
    ] {
        let (status, answer) = admin.send(method.clone(), &path, body.to_string()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, list) = admin.get(&format!("/api/plans/{other}/threads")).await;
    assert_eq!(list, json!([]));
    // A comment id under another thread of the same plan is not found either.
    let (_, second) = f
        .api(&f.adviser)
        .post(
            &f.threads(),
            &json!({"anchor": {"kind": "tiltak", "row": f.row}, "body": "Der"}),
        )
        .await;
    let wrong = format!(
        "{}/comments/{comment}",
        f.thread(second["id"].as_str().expect("id"))
    );
    let (status, _) = f
        .api(&f.adviser)
        .send(Method::PATCH, &wrong, json!({"body": "x"}).to_string())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Someone who is not a member sees no threads, no thread and no events.
    let outsider = f.api(&f.outsider);
    for path in [f.threads(), f.thread(id), format!("{}/events", f.threads())] {
        let (status, _) = outsider.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = outsider
        .post(
            &f.threads(),
            &json!({"anchor": {"kind": "tiltak", "row": f.row}, "body": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = Api::new(&f.app).get(&f.threads()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    f.app.stop().await;
}

#[tokio::test]
async fn comments_never_reach_the_exports() {
    let f = PlanPeople::new().await;
    let live = f.writer(&f.editor).await;
    let secret = "KOMMENTAR-SOM-ALDRI-EKSPORTERES";
    let anchor = text_anchor(live.doc(), SECTION, "unge drikker");
    let (status, thread) = f
        .api(&f.adviser)
        .post(
            &f.threads(),
            &json!({"anchor": anchor, "body": format!("{secret} 1")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = f
        .api(&f.coordinator)
        .post(
            &format!("{}/comments", f.thread(thread["id"].as_str().expect("id"))),
            &json!({"body": format!("{secret} 2")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = f
        .api(&f.adviser)
        .post(
            &f.threads(),
            &json!({"anchor": {"kind": "tiltak", "row": f.row}, "body": format!("{secret} 3")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let coordinator = f.api(&f.coordinator);
    let (status, _, markdown) = coordinator
        .download(&format!("/plans/{}/export.md", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK);
    let markdown = String::from_utf8(markdown).expect("UTF-8");
    assert!(markdown.contains(PARAGRAPH), "the export has the text");
    assert!(!markdown.contains(secret), "a comment reached the export");
    assert!(!markdown.contains("Hvilket år"));
    let (status, _, pdf) = coordinator
        .download(&format!("/plans/{}/export.pdf", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"));
    assert!(!pdf.windows(secret.len()).any(|w| w == secret.as_bytes()));
    // Nor the document itself: nothing about comments was written into the Y.Doc.
    let plan: PlanId = f.plan.parse().expect("plan id");
    let state = f
        .app
        .registry
        .read(plan, |doc| {
            doc.transact()
                .encode_state_as_update_v1(&yrs::StateVector::default())
        })
        .await
        .expect("read");
    assert!(!state.windows(secret.len()).any(|w| w == secret.as_bytes()));
    drop(live);
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_reach_pages_on_another_node_over_postgres() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    // Open editing: every visitor is a coordinator ("Gjest").
    let one = TestApp::spawn_with_url(&schema.url(), |_| {}).await;
    let two = TestApp::spawn_with_url(&schema.url(), |_| {}).await;
    let (api_one, api_two) = (Api::new(&one), Api::new(&two));
    let plan = api_one.create_plan(TEMPLATE).await;
    let mut live = TestClient::connect(&one.ws_url(&plan)).await;
    live.edit(|txn| write_paragraph(txn, SECTION, PARAGRAPH))
        .await;
    committed(&one, &plan, None, &mut live).await;
    let mut page_on_two = CommentEvents::open(&api_two, &plan).await;

    let anchor = text_anchor(live.doc(), SECTION, "unge drikker");
    let (status, thread) = api_one
        .post(
            &format!("/api/plans/{plan}/threads"),
            &json!({"anchor": anchor, "body": "Fra node 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let id = thread["id"].as_str().expect("id").to_owned();
    let seen = page_on_two.thread(&id).await;
    assert_eq!(seen["current_text"], "unge drikker");
    assert_eq!(
        seen["author"],
        json!({"id": "anonymous", "name": "Gjest", "unit": null})
    );

    // Replies, resolving and filters work the same on PostgreSQL.
    let path = format!("/api/plans/{plan}/threads/{id}");
    let (status, reply) = api_two
        .post(&format!("{path}/comments"), &json!({"body": "Fra node 2"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(page_on_two.thread(&id).await["comments"][1], reply);
    let (status, _) = api_one.post(&format!("{path}/resolve"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page_on_two.thread(&id).await["status"], "resolved");
    let (_, open) = api_two
        .get(&format!(
            "/api/plans/{plan}/threads?status=open&section={SECTION}"
        ))
        .await;
    assert_eq!(open, json!([]));
    let (_, resolved) = api_two
        .get(&format!(
            "/api/plans/{plan}/threads?status=resolved&section={SECTION}"
        ))
        .await;
    assert_eq!(resolved[0]["id"], id.as_str());
    let delete = |comment: &Value| format!("{path}/comments/{}", comment.as_str().expect("id"));
    let (status, _) = api_one
        .send(Method::DELETE, &delete(&reply["id"]), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = page_on_two.thread(&id).await;
    assert_eq!(left["comments"].as_array().map(Vec::len), Some(1));
    let (status, _) = api_one
        .send(Method::DELETE, &delete(&thread["comments"][0]["id"]), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (name, data) = page_on_two.next().await;
    assert_eq!((name.as_str(), data), ("thread_deleted", json!({"id": id})));
    drop(live);
    one.stop().await;
    two.stop().await;
}

#[tokio::test]
async fn someone_removed_from_the_plan_stops_receiving_its_threads() {
    let f = PlanPeople::new().await;
    let mut reader_events = CommentEvents::open(&f.api(&f.reader), &f.plan).await;
    let (status, _) = f
        .api(&f.coordinator)
        .send(
            reqwest::Method::DELETE,
            &format!("/api/plans/{}/members/{}", f.plan, f.reader.id),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, thread) = f
        .api(&f.adviser)
        .post(
            &format!("/api/plans/{}/threads", f.plan),
            &json!({"anchor": {"kind": "tiltak", "row": f.row, "quote": "Foreldremøter"},
                    "body": "Etter at leseren ble fjernet"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    reader_events.ends().await;
    f.app.stop().await;
}

#[tokio::test]
async fn a_thread_on_a_tiltak_row_names_the_number_the_plan_prints_it_with() {
    let f = PlanPeople::new().await;
    let coordinator = f.api(&f.coordinator);
    let number = |thread: &Value| thread["tiltak_number"].clone();
    let (status, thread) = coordinator
        .post(
            &f.threads(),
            &json!({"anchor": {"kind": "tiltak", "row": f.row, "quote": "Foreldremøter"},
                    "body": "Hvem inviterer?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let id = thread["id"].as_str().expect("id").to_owned();
    // The only row of the tiltak section 4.5.
    assert_eq!(number(&thread), json!("4.5-1"));

    // A row appended after it leaves its number; a row put before it in the array moves it on.
    let (status, body) = coordinator
        .post(
            &format!("/api/plans/{}/tiltak", f.plan),
            &json!([{"strategi": "forebygging", "tiltak": "Rusfri skoleavslutning"}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, now) = coordinator.get(&f.thread(&id)).await;
    assert_eq!(number(&now), json!("4.5-1"));
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;
    live.wait_for(|c| {
        c.doc()
            .get_or_insert_array("tiltak")
            .len(&c.doc().transact())
            == 2
    })
    .await;
    live.edit(|txn| {
        txn.get_or_insert_array("tiltak").insert(
            txn,
            0,
            yrs::MapPrelim::from([
                ("id", "5d0c7a8e-2f4b-4c1e-9a53-0b7c1d2e3f40"),
                ("strategi", "forebygging"),
            ]),
        );
    })
    .await;
    committed(&f.app, &f.plan, Some(&f.admin), &mut live).await;
    let (_, now) = coordinator.get(&f.thread(&id)).await;
    assert_eq!(number(&now), json!("4.5-2"));

    // Grouping counts too: in a later group, the row follows every row of the earlier one.
    let (status, body) = coordinator
        .send(
            Method::PATCH,
            &format!("/api/plans/{}/tiltak/{}", f.plan, f.row),
            json!({"strategi": "tidlig_innsats"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = coordinator.get(&f.threads()).await;
    let listed = list
        .as_array()
        .and_then(|threads| threads.iter().find(|t| t["id"] == id.as_str()))
        .expect("listed");
    assert_eq!(number(listed), json!("4.5-3"));

    // The tiltak section set aside: the row is printed nowhere, so it has no number.
    let (status, body) = coordinator
        .send(
            Method::PATCH,
            &format!("/api/plans/{}/sections/planprosessen.tiltak", f.plan),
            json!({"in_use": false}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, now) = coordinator.get(&f.thread(&id)).await;
    assert_eq!(now["anchor_state"], "present");
    assert_eq!(now["current_text"], "Foreldremøter om alkohol");
    assert_eq!(number(&now), Value::Null);
    f.app.stop().await;
}
