//! The plan's pages print the plan, not the tool: the live page marks unwritten sections with
//! a draft's words, and a frozen version's page leaves out what has no content.

use reqwest::StatusCode;
use samskriv::export::UNWRITTEN;
use serde_json::json;

use crate::helpers::*;

/// Sentences the tool once printed in empty sections as if the plan had said them.
const PLACEHOLDERS: [&str; 4] = [
    "Ingen tekst ennå",
    "Ingen tiltak ennå",
    "Ingen milepæler",
    "Ingen nøkkeltall ennå",
];

#[tokio::test]
async fn the_live_page_marks_a_draft_and_a_frozen_version_prints_only_content() {
    // A new plan: one tiltak row (section 4.5), nothing written, no milestones, nothing ticked.
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.coordinator);

    let (status, live) = api.page(&format!("/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        live.contains(&format!("<p class=\"tomt ikke-skrevet\">{UNWRITTEN}</p>")),
        "the draft's words, in their own style"
    );
    for placeholder in PLACEHOLDERS {
        assert!(!live.contains(placeholder), "live page: {placeholder}");
    }
    assert!(live.contains("Milepæler") && live.contains("Før planen sendes til BU"));

    let (status, version) = api
        .post(
            &format!("/api/plans/{}/versions", f.plan),
            &json!({"name": "Høringsutkast"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let vid = version["id"].as_str().expect("version id");
    let (status, frozen) = api.page(&format!("/plans/{}/versions/{vid}", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    for absent in PLACEHOLDERS.iter().chain(&[
        UNWRITTEN,
        "Hvordan er nåværende russituasjon i bydelen?",
        "Hvor finne nøkkeltall",
        "<span class=\"overskrift\">Milepæler</span>",
        "Veiledning",
        "Før planen sendes til BU",
        "ikke i bruk",
    ]) {
        assert!(!frozen.contains(absent), "frozen page: {absent}");
    }
    // The tiltak and the chapter they are in are printed, with the plan's numbers.
    assert!(frozen.contains("Foreldremøter om alkohol"));
    assert!(
        frozen
            .contains("<span class=\"nummer\">4.5</span><span class=\"overskrift\">Tiltak</span>")
    );
    assert!(frozen.contains("Planprosessen"));
    f.app.stop().await;
}
