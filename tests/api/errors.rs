//! Errors land where they are asked for: browser routes answer a Norwegian HTML page in the
//! site's layout, the JSON API keeps `{"error": …}` with its status. And creating a plan is one
//! transaction: a failure after its row is written leaves no trace of it.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};

use crate::helpers::{Api, PlanPeople, TestApp};
use samskriv::plan::NewPlan;

/// Asserts a Norwegian HTML page with `status` that contains `text`.
async fn assert_page(response: reqwest::Response, status: StatusCode, text: &str) -> String {
    assert_eq!(response.status(), status, "{}", response.url());
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let body = response.text().await.expect("body");
    assert!(body.contains("lang=\"nb\""), "{body}");
    assert!(body.contains(text), "expected «{text}» in {body}");
    assert!(!body.contains("\"error\""), "{body}");
    body
}

/// Asserts a JSON error with `status`.
async fn assert_json(response: reqwest::Response, status: StatusCode) {
    assert_eq!(response.status(), status, "{}", response.url());
    let body: serde_json::Value = response.json().await.expect("JSON error");
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn a_spaces_only_title_shows_the_form_again_with_what_was_typed() {
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.admin);
    let before = f.app.storage.list_plans().await.expect("plans").len();
    let response = api
        .http
        .post(format!("{}/plans", api.base))
        .form(&[
            ("title", "   "),
            ("bydel", "Alna"),
            ("periode", "2026–2029"),
            ("template", "korus-ruspolitisk-handlingsplan"),
            ("csrf_token", f.admin.csrf.as_str()),
        ])
        .send()
        .await
        .expect("post");
    let body = assert_page(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Planen må ha en tittel.",
    )
    .await;
    assert!(body.contains("value=\"2026–2029\""), "periode kept: {body}");
    assert!(
        body.contains("<option selected>Alna</option>"),
        "bydel kept"
    );
    assert!(
        body.contains("aria-invalid=\"true\""),
        "the field is marked"
    );
    let plans = f.app.storage.list_plans().await.expect("plans");
    assert_eq!(plans.len(), before, "nothing was created");

    let (status, _) = api
        .post(
            "/api/plans",
            &serde_json::json!({"title": "  ", "bydel": "Alna", "periode": "2026", "template": "korus-ruspolitisk-handlingsplan"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the API stays JSON"
    );
}

#[tokio::test]
async fn unknown_and_forbidden_plans_read_the_same_in_norwegian() {
    let f = PlanPeople::new().await;
    let outsider = Api::as_person(&f.app, &f.outsider);
    let unknown = "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11";
    let mut bodies = Vec::new();
    for plan in [f.plan.as_str(), unknown] {
        let response = outsider
            .http
            .get(format!("{}/plans/{plan}", outsider.base))
            .send()
            .await
            .expect("get");
        let body = assert_page(
            response,
            StatusCode::NOT_FOUND,
            "Planen finnes ikke, eller du har ikke tilgang til den",
        )
        .await;
        assert!(body.contains("invitasjon"), "says how to get access");
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1], "a non-member learns nothing");
    for plan in [f.plan.as_str(), unknown] {
        let response = outsider
            .http
            .get(format!("{}/api/plans/{plan}", outsider.base))
            .send()
            .await
            .expect("get");
        assert_json(response, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn a_reader_asking_for_the_draft_pdf_is_told_which_versions_to_take() {
    let f = PlanPeople::new().await;
    let reader = Api::as_person(&f.app, &f.reader);
    let response = reader
        .http
        .get(format!("{}/plans/{}/export.pdf", reader.base, f.plan))
        .send()
        .await
        .expect("get");
    let body = assert_page(response, StatusCode::FORBIDDEN, "frosne versjoner").await;
    assert!(
        body.contains(&format!("/plans/{}#versjoner", f.plan)),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_addresses_and_malformed_ids_get_the_norwegian_404() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    for path in [
        "/finnes-ikke",
        "/plans/0b5e3a52-8a0e",
        "/plans/ikke-en-id/export.md",
    ] {
        let response = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .expect("get");
        assert_page(response, StatusCode::NOT_FOUND, "Siden finnes ikke").await;
    }
    let response = api
        .http
        .get(format!("{}/api/plans/0b5e3a52-8a0e", api.base))
        .send()
        .await
        .expect("get");
    assert_json(response, StatusCode::BAD_REQUEST).await;
    let response = api
        .http
        .get(format!("{}/api/finnes-ikke", api.base))
        .send()
        .await
        .expect("get");
    assert_json(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_form_from_an_old_page_explains_and_offers_a_reload() {
    let f = PlanPeople::new().await;
    let response = reqwest::Client::new()
        .post(format!("http://{}/plans/{}/versions", f.app.addr, f.plan))
        .header(
            COOKIE,
            format!("samskriv_session={}", f.coordinator.session),
        )
        .form(&[("name", "Høringsutkast"), ("csrf_token", "utdatert")])
        .send()
        .await
        .expect("post");
    let body = assert_page(response, StatusCode::FORBIDDEN, "Last inn siden på nytt").await;
    assert!(
        body.contains(&format!("href=\"/plans/{}\"", f.plan)),
        "{body}"
    );
    let api = Api::as_person(&f.app, &f.coordinator);
    let (status, versions) = api.get(&format!("/api/plans/{}/versions", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(versions, serde_json::json!([]), "nothing was frozen");

    let response = reqwest::Client::new()
        .post(format!(
            "http://{}/api/plans/{}/versions",
            f.app.addr, f.plan
        ))
        .header(
            COOKIE,
            format!("samskriv_session={}", f.coordinator.session),
        )
        .json(&serde_json::json!({"name": "Høringsutkast"}))
        .send()
        .await
        .expect("post");
    assert_json(response, StatusCode::FORBIDDEN).await;
}

/// The plan row is written first; the coordinator after it refers to no account, so the
/// transaction fails there. Nothing of the plan may remain.
#[tokio::test]
async fn a_failure_after_the_plan_row_leaves_no_trace() {
    let app = TestApp::spawn().await;
    let plan = NewPlan {
        title: "Halvferdig".into(),
        bydel: "Alna".into(),
        periode: "2026–2029".into(),
        template: "korus-ruspolitisk-handlingsplan@1".into(),
        is_demo: false,
    };
    let before = app.storage.list_plans().await.expect("plans").len();
    let failed = app
        .storage
        .create_plan_with_people(&plan, b"", &["NAV", "Utekontakten"], Some("no-such-user"))
        .await;
    assert!(failed.is_err(), "the coordinator's account does not exist");
    let plans = app.storage.list_plans().await.expect("plans");
    assert_eq!(plans.len(), before, "no plan row");
    assert!(plans.iter().all(|p| p.title != "Halvferdig"));
    let db = app.storage.db();
    let units: i64 = samskriv::on_db!(&db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM plan_units pu WHERE NOT EXISTS (SELECT 1 FROM plans p WHERE p.id = pu.plan_id)"
    ).fetch_one(pool).await)
    .expect("count");
    assert_eq!(units, 0, "no units without a plan");
    let updates: i64 = samskriv::on_db!(&db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM plan_updates pu WHERE NOT EXISTS (SELECT 1 FROM plans p WHERE p.id = pu.plan_id)"
    ).fetch_one(pool).await)
    .expect("count");
    assert_eq!(updates, 0, "no log entries without a plan");

    let made = app
        .storage
        .create_plan_with_people(&plan, b"", &["NAV", "Utekontakten"], None)
        .await
        .expect("the same plan without the bad coordinator");
    let units: Vec<String> = samskriv::on_db!(&db, pool => sqlx::query_scalar(
        "SELECT name FROM plan_units WHERE plan_id = $1 ORDER BY position"
    ).bind(made.id.to_string()).fetch_all(pool).await)
    .expect("units");
    assert_eq!(units, ["NAV", "Utekontakten"]);
}

/// Posts a form as a signed-in person would, with the session's CSRF token.
async fn post_form(
    f: &PlanPeople,
    person: &crate::helpers::Person,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", person.csrf.as_str()));
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("http://{}{path}", f.app.addr))
        .header(COOKIE, format!("samskriv_session={}", person.session))
        .form(&fields)
        .send()
        .await
        .expect("post")
}

#[tokio::test]
async fn refused_forms_are_shown_again_with_the_reason_beside_the_field() {
    let f = PlanPeople::new().await;
    let versions = format!("/plans/{}/versions", f.plan);

    let response = post_form(&f, &f.coordinator, &versions, &[("name", "   ")]).await;
    let body = assert_page(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Skriv et navn på versjonen",
    )
    .await;
    assert!(body.contains("id=\"versjonsnavn-feil\""), "{body}");

    let response = post_form(&f, &f.coordinator, &versions, &[("name", "Høring")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = post_form(&f, &f.coordinator, &versions, &[("name", "Høring")]).await;
    let body = assert_page(response, StatusCode::CONFLICT, "Velg et annet navn").await;
    assert!(
        body.contains("value=\"Høring\""),
        "the name is kept: {body}"
    );

    let units = format!("/plans/{}/enheter", f.plan);
    let long = "x".repeat(101);
    let response = post_form(&f, &f.coordinator, &units, &[("name", &long)]).await;
    let body = assert_page(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Navnet på enheten må ha 1 til 100 tegn.",
    )
    .await;
    assert!(
        body.contains(&format!("value=\"{long}\"")),
        "typed name kept"
    );

    let members = format!("/plans/{}/medlemmer", f.plan);
    let response = post_form(
        &f,
        &f.coordinator,
        &members,
        &[("email", "ingen@oslo.kommune.no"), ("role", "editor")],
    )
    .await;
    let body = assert_page(response, StatusCode::NOT_FOUND, "Lag en invitasjonslenke").await;
    assert!(body.contains("value=\"ingen@oslo.kommune.no\""), "{body}");

    // A field of the wrong type is refused by the form parser itself: still a Norwegian page.
    let invites = format!("/plans/{}/invitasjoner", f.plan);
    let response = post_form(
        &f,
        &f.coordinator,
        &invites,
        &[("role", "editor"), ("days", "fjorten")],
    )
    .await;
    assert_page(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Endringen ble ikke lagret",
    )
    .await;
    let response = post_form(
        &f,
        &f.coordinator,
        &invites,
        &[("role", "editor"), ("days", "400")],
    )
    .await;
    assert_page(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "En invitasjon kan gjelde i 1 til 90 dager.",
    )
    .await;
}
