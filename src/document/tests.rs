use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, Doc, GetString, Map, MapRef, Out, ReadTxn, StateVector, Text, Transact,
    TransactionMut, Update, WriteTxn, Xml, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

use super::*;
use crate::plan::PlanMeta;
use crate::templates::{MAX_FIELD_CHARS, SectionKind, Template, TemplateRegistry};

pub(super) const KORUS: &str = "korus-ruspolitisk-handlingsplan";
pub(super) const COMBINED: &str = "handlingsplan-psykisk-helse-og-rus";
const FIXTURE: &str = crate::demo::NORDSTRAND_TILTAK;

pub(super) fn template(id: &str) -> Template {
    TemplateRegistry::builtin()
        .expect("built-in templates load")
        .get(id)
        .expect("template exists")
        .clone()
}

fn plan_meta() -> PlanMeta {
    PlanMeta {
        title: "Ruspolitisk handlingsplan".to_owned(),
        bydel: "Nordstrand".to_owned(),
        periode: "2025–2028".to_owned(),
        status: "vedtatt".to_owned(),
    }
}

pub(super) fn apply(doc: &Doc, update: &[u8]) {
    let update = Update::decode_v1(update).expect("valid update");
    doc.transact_mut().apply_update(update).expect("applies");
}

/// A document as the server loads a new plan: the initial update applied to an empty doc.
pub(super) fn new_plan(template: &Template) -> Doc {
    let doc = Doc::new();
    apply(&doc, &initial_update(template, &plan_meta()));
    doc
}

pub(super) fn fixture_rows() -> Vec<serde_json::Map<String, Value>> {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
    fixture["tiltak"]
        .as_array()
        .expect("fixture has a tiltak array")
        .iter()
        .map(|row| row.as_object().expect("rows are objects").clone())
        .collect()
}

pub(super) fn row(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().expect("an object").clone()
}

pub(super) fn write<R>(doc: &Doc, f: impl FnOnce(&mut TransactionMut) -> R) -> R {
    let mut txn = doc.transact_mut();
    f(&mut txn)
}

/// Everything observable about a document, to prove a refused write changed nothing.
pub(super) fn fingerprint(doc: &Doc, template: &Template) -> (StateVector, String) {
    let sv = doc.transact().state_vector();
    let view = serde_json::to_string(&plan_view(doc, template)).expect("serialises");
    (sv, view)
}

pub(super) fn import_fixture(doc: &Doc, template: &Template) -> Vec<String> {
    write(doc, |txn| {
        append_tiltak(txn, template, &fixture_rows(), RowOrigin::Imported)
    })
    .expect("fixture imports")
}

/// Rows made in the editor or the API (the template's defaults apply).
pub(super) fn make(
    doc: &Doc,
    template: &Template,
    rows: &[serde_json::Map<String, Value>],
) -> Result<Vec<String>, DocumentError> {
    write(doc, |txn| {
        append_tiltak(txn, template, rows, RowOrigin::Made)
    })
}

/// Ids of the sections whose text lives in `section:<id>`, in document order.
fn text_ids(view: &PlanView) -> Vec<String> {
    prose_sections(&view.structure)
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[test]
fn initial_korus_document_reads_back() {
    let template = template(KORUS);
    let doc = new_plan(&template);

    let meta = read_meta(&doc);
    assert_eq!(meta.title, "Ruspolitisk handlingsplan");
    assert_eq!(meta.bydel, "Nordstrand");
    assert_eq!(meta.periode, "2025–2028");
    // A new plan is always a draft.
    assert_eq!(meta.status, "utkast");

    let view = plan_view(&doc, &template);
    assert_eq!(view.meta.template, template.key());
    assert_eq!(text_ids(&view), template.prose_section_ids());
    // Every text the plan can hold is read: the prose sections and the chapters' introductions.
    let ids: Vec<&str> = view.sections.iter().map(|s| s.id.as_str()).collect();
    let expected: Vec<&str> = template
        .sections_flat()
        .into_iter()
        .filter(|f| matches!(f.section.kind, SectionKind::Prose | SectionKind::Group))
        .map(|f| f.section.id.as_str())
        .collect();
    assert_eq!(ids, expected);
    assert!(ids.contains(&"hvor-star-vi"));
    assert!(view.sections.iter().all(|s| s.blocks.is_empty()));
    assert!(view.tiltak.is_empty() && view.milestones.is_empty());
    assert!(view.target_groups.is_empty());
    assert!(view.goals.is_empty() && view.figures.is_empty() && view.checklist_items.is_empty());
    // The structure is the template's, untouched.
    let flat = structure::flatten(&view.structure);
    assert_eq!(flat.len(), template.sections_flat().len());
    assert!(
        flat.iter()
            .all(|s| s.in_use && !s.local && s.template_heading.is_none())
    );
    assert_eq!(view.checklist.len(), template.checklist_items().len());
    assert!(view.checklist.values().all(|ticked| !ticked));
    assert!(
        view.checklist
            .contains_key("hvor-star-vi.nokkeltall/ungdata")
    );
}

#[test]
fn initial_combined_document_has_default_target_groups() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    let view = plan_view(&doc, &template);

    let groups: Vec<&str> = view.target_groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(groups, ["barn-og-unge", "unge-voksne", "voksne", "eldre"]);
    let text = text_ids(&view);
    let ids: Vec<&str> = text.iter().map(String::as_str).collect();
    assert!(ids.contains(&"malgrupper.eldre.utfordringsbilde"));
    assert!(ids.contains(&"malgrupper.barn-og-unge.utviklingsomrade"));
    // The tiltak subsection is a view of the tiltak rows, not prose.
    assert!(!ids.contains(&"malgrupper.eldre.nye-tiltak"));
    // Template order: the groups' sections come after "overordnede-satsninger".
    let position = |id: &str| ids.iter().position(|x| *x == id).expect("present");
    assert!(
        position("overordnede-satsninger") < position("malgrupper.barn-og-unge.utfordringsbilde")
    );
    assert!(
        position("malgrupper.eldre.utviklingsomrade") < position("gjennomforing-og-oppfolging")
    );
    assert_eq!(
        ids.len(),
        template.prose_section_ids().len() + 4 * 2,
        "two prose subsections per group"
    );
    // The part and each group may have an introduction.
    assert!(view.section("malgrupper").is_some());
    assert!(view.section("malgrupper.eldre").is_some());
    let part = structure::find(&view.structure, "malgrupper").expect("part");
    let groups: Vec<(&str, &str)> = part
        .children
        .iter()
        .map(|g| (g.id.as_str(), g.number.as_str()))
        .collect();
    assert_eq!(
        groups,
        [
            ("malgrupper.barn-og-unge", "4.1"),
            ("malgrupper.unge-voksne", "4.2"),
            ("malgrupper.voksne", "4.3"),
            ("malgrupper.eldre", "4.4"),
        ]
    );
    let eldre = &part.children[3];
    assert_eq!(eldre.target_group.as_deref(), Some("eldre"));
    assert_eq!(eldre.children[2].id, "malgrupper.eldre.nye-tiltak");
    assert_eq!(eldre.children[2].number, "4.4.3");
    assert_eq!(eldre.children[2].depth, 3);
}

#[test]
fn reading_an_empty_document_works() {
    let template = template(KORUS);
    let doc = Doc::new();
    assert_eq!(read_meta(&doc), PlanMeta::default());
    let view = plan_view(&doc, &template);
    assert!(view.tiltak.is_empty());
    assert_eq!(text_ids(&view).len(), template.prose_section_ids().len());
    assert!(view.goals.is_empty());
}

#[test]
fn fixture_imports_and_reads_back_in_order() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let rows = fixture_rows();
    assert_eq!(rows.len(), 49);

    let ids = import_fixture(&doc, &template);
    assert_eq!(ids.len(), 49);
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 49);
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()));

    let view = plan_view(&doc, &template);
    assert_eq!(view.tiltak.len(), 49);
    for ((read, given), id) in view.tiltak.iter().zip(&rows).zip(&ids) {
        assert_eq!(&read.id, id);
        assert_eq!(read.section, None);
        for field in &template.tiltak.fields {
            // Absent or null stays empty: an import keeps the source's blanks (no default).
            let expected = match given.get(&field.name) {
                Some(Value::String(text)) => vec![text.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            assert_eq!(
                read.values(&field.name),
                expected,
                "row {id}, field {}",
                field.name
            );
        }
    }
    // 27 of the 49 Nordstrand rows have no status, and none gets one on import.
    assert_eq!(
        view.tiltak.iter().filter(|r| r.is_empty("status")).count(),
        27
    );
    // Flat JSON, like the import format; a list field is an array.
    let json = serde_json::to_value(&view.tiltak[0]).expect("serialises");
    assert_eq!(json["id"], json!(ids[0]));
    assert_eq!(json["strategi"], json!("forebygging"));
    assert_eq!(json["status"], json!(""));
    assert_eq!(json["ansvarlig"], json!(["Oppvekst og velferd"]));
    assert_eq!(json["mal"], json!([]));
    assert!(json.get("section").is_none() && json.get("sections").is_none());

    let all: Vec<&TiltakRow> = view.tiltak.iter().collect();
    let groups = group_rows(&all, &template, &view.goals);
    let summary: Vec<(&str, &str, usize)> = groups
        .iter()
        .map(|g| {
            (
                g.value.as_deref().unwrap_or(""),
                g.label.as_str(),
                g.rows.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "forebygging",
                "Forebyggingsoffensiv for å hindre at rusproblemer oppstår",
                8
            ),
            (
                "tidlig_innsats",
                "Tidligere innsats når rusproblemer oppstår og hjelp til å komme ut av rusproblemene",
                10
            ),
            ("livskvalitet", "Økt livskvalitet ved rusproblemer", 31)
        ]
    );
    assert!(groups.iter().all(|g| {
        g.rows.iter().all(|r| {
            r.row.text("strategi") == g.value.as_deref().unwrap_or("") && r.also.is_empty()
        })
    }));
    // Numbered in print order, across the groups.
    let numbers: Vec<usize> = groups
        .iter()
        .flat_map(|g| g.rows.iter().map(|r| r.number))
        .collect();
    assert_eq!(numbers, (1..=49).collect::<Vec<_>>());
}

#[test]
fn defaults_apply_to_made_rows_only() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let imported = write(&doc, |txn| {
        append_tiltak(
            txn,
            &template,
            &[row(json!({"tiltak": "Fra den gamle planen"}))],
            RowOrigin::Imported,
        )
    })
    .expect("imported");
    let made = make(
        &doc,
        &template,
        &[
            row(json!({"tiltak": "Nytt"})),
            // What the maker says wins over the default; "" and null say nothing.
            row(json!({"tiltak": "Påbegynt", "status": "pabegynt"})),
            row(json!({"tiltak": "Tomt", "status": ""})),
            row(json!({"tiltak": "Null", "status": null})),
        ],
    )
    .expect("made");
    let view = plan_view(&doc, &template);
    let status = |id: &str| {
        view.tiltak
            .iter()
            .find(|r| r.id == id)
            .expect("row")
            .text("status")
    };
    assert_eq!(status(&imported[0]), "");
    assert_eq!(status(&made[0]), "ikke_startet");
    assert_eq!(status(&made[1]), "pabegynt");
    assert_eq!(status(&made[2]), "ikke_startet");
    assert_eq!(status(&made[3]), "ikke_startet");
    // No other field has a default, so a made row is otherwise empty.
    let first = view.tiltak.iter().find(|r| r.id == made[0]).expect("row");
    assert!(first.is_empty("strategi") && first.is_empty("ansvarlig") && first.is_empty("frist"));
    // A stored blank stays blank on a later patch of another field.
    write(&doc, |txn| {
        patch_tiltak(txn, &template, &imported[0], &row(json!({"frist": "2026"})))
    })
    .expect("patch");
    assert_eq!(
        plan_view(&doc, &template).tiltak[0].text("status"),
        "",
        "a patch applies no default"
    );
}

#[test]
fn rows_without_strategi_come_last() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    make(
        &doc,
        &template,
        &[
            row(json!({"tiltak": "Uten"})),
            row(json!({"strategi": "livskvalitet", "tiltak": "B"})),
            row(json!({"strategi": "forebygging", "tiltak": "A"})),
        ],
    )
    .expect("valid rows");
    let view = plan_view(&doc, &template);
    let all: Vec<&TiltakRow> = view.tiltak.iter().collect();
    let groups = group_rows(&all, &template, &view.goals);
    let labels: Vec<&str> = groups
        .iter()
        .map(|g| g.value.as_deref().unwrap_or(g.label.as_str()))
        .collect();
    assert_eq!(labels, ["forebygging", "livskvalitet", "Uten strategi"]);
    let titles: Vec<(usize, String)> = groups
        .iter()
        .flat_map(|g| g.rows.iter().map(|r| (r.number, r.row.title(&template))))
        .collect();
    assert_eq!(
        titles,
        [
            (1, "A".to_owned()),
            (2, "B".to_owned()),
            (3, "Uten".to_owned())
        ]
    );
    // Only groups with rows are returned; no rows, no groups.
    assert!(group_rows(&[], &template, &view.goals).is_empty());
}

#[test]
fn enum_labels_are_stored_as_codes() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    make(
        &doc,
        &template,
        &[row(json!({
            "strategi": "Tidlig innsats",
            "status": "PÅBEGYNT",
            "niva": " individ ",
            "forebygging": null,
        }))],
    )
    .expect("labels are accepted");
    let view = plan_view(&doc, &template);
    let row = &view.tiltak[0];
    assert_eq!(row.text("strategi"), "tidlig_innsats");
    assert_eq!(row.text("status"), "pabegynt");
    assert_eq!(row.text("niva"), "individ");
    assert_eq!(row.text("forebygging"), "");
    // Readers see labels (short where there is one).
    let field = |name: &str| template.field(name).expect("field");
    assert_eq!(
        row.display(field("strategi"), &view.goals),
        "Tidlig innsats"
    );
    assert_eq!(row.display(field("status"), &view.goals), "Påbegynt");
    assert_eq!(row.display(field("forebygging"), &view.goals), "");
}

/// A batch whose last row is bad: if validation did not come first, the good rows would stay.
fn refused_append(template: &Template, bad: Value) -> DocumentError {
    let doc = new_plan(template);
    import_fixture(&doc, template);
    let before = fingerprint(&doc, template);
    let rows = vec![
        row(json!({"strategi": "forebygging", "tiltak": "Gyldig"})),
        row(bad),
    ];
    let error = make(&doc, template, &rows).expect_err("refused");
    assert_eq!(fingerprint(&doc, template), before, "{error}");
    error
}

#[test]
fn unknown_field_is_refused_naming_known_fields() {
    let template = template(KORUS);
    let error = refused_append(&template, json!({"tiltak": "x", "ansvar": "NAV"}));
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let message = error.to_string();
    assert!(
        message.starts_with("rows[1]: unknown field `ansvar`"),
        "{message}"
    );
    assert!(
        message.contains("ansvarlig") && message.contains("indikator"),
        "{message}"
    );
}

#[test]
fn bad_enum_is_refused_naming_allowed_values() {
    let template = template(KORUS);
    let error = refused_append(&template, json!({"strategi": "behandling"}));
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let message = error.to_string();
    assert!(
        message.contains("rows[1]") && message.contains("`behandling`"),
        "{message}"
    );
    assert!(
        message.contains("forebygging, tidlig_innsats, livskvalitet"),
        "{message}"
    );
}

#[test]
fn wrong_json_types_are_refused() {
    let template = template(KORUS);
    // A text field takes a string or null.
    for (value, found) in [
        (json!(2025), "a number"),
        (json!(true), "a boolean"),
        (json!(["2025"]), "an array"),
        (json!({"ar": 2025}), "an object"),
    ] {
        let error = refused_append(&template, json!({"frist": value}));
        assert_eq!(error.kind(), ErrorKind::BadRequest);
        let message = error.to_string();
        assert!(
            message.contains("rows[1]") && message.contains("`frist` must be a string or null"),
            "{message}"
        );
        assert!(message.contains(found), "{message}");
    }
    // A list field (units) takes an array of strings, one string, or null.
    for (value, found) in [
        (json!(2025), "a number"),
        (json!(true), "a boolean"),
        (json!({"id": "nav"}), "an object"),
        (json!(["NAV", 3]), "an array with other values than strings"),
    ] {
        let error = refused_append(&template, json!({"ansvarlig": value}));
        assert_eq!(error.kind(), ErrorKind::BadRequest);
        let message = error.to_string();
        assert!(
            message.contains("rows[1]")
                && message.contains("`ansvarlig` must be an array of strings or null"),
            "{message}"
        );
        assert!(message.contains(found), "{message}");
    }
}

#[test]
fn oversize_text_is_refused() {
    let template = template(KORUS);
    let long = "x".repeat(MAX_FIELD_CHARS + 1);
    let error = refused_append(&template, json!({"tiltak": long}));
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.to_string().contains("10001 characters"), "{error}");
    // Exactly at the limit is fine.
    let doc = new_plan(&template);
    let ok = "x".repeat(MAX_FIELD_CHARS);
    make(&doc, &template, &[row(json!({"tiltak": ok}))]).expect("at the limit");
    // A field's own limit from the template (innsatsomrade: 200), also per list item.
    let error = refused_append(&template, json!({"innsatsomrade": "x".repeat(201)}));
    assert!(
        matches!(&error, DocumentError::TooLong { field, max: 200, .. } if field == "innsatsomrade"),
        "{error}"
    );
    make(
        &doc,
        &template,
        &[row(json!({"innsatsomrade": "x".repeat(200)}))],
    )
    .expect("at the field's limit");
    let error = refused_append(
        &template,
        json!({"ansvarlig": ["NAV", "x".repeat(MAX_FIELD_CHARS + 1)]}),
    );
    assert!(matches!(error, DocumentError::TooLong { .. }), "{error}");
}

#[test]
fn ids_must_be_new_uuids() {
    let template = template(KORUS);
    let error = refused_append(&template, json!({"id": "rad-1"}));
    assert!(
        matches!(error, DocumentError::InvalidId { row: Some(1), .. }),
        "{error}"
    );

    let doc = new_plan(&template);
    let ids = import_fixture(&doc, &template);
    let before = fingerprint(&doc, &template);
    let error = make(
        &doc,
        &template,
        &[row(json!({"id": ids[3], "tiltak": "igjen"}))],
    )
    .expect_err("duplicate id");
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(fingerprint(&doc, &template), before);

    // Twice in one batch.
    let id = uuid::Uuid::new_v4().to_string();
    let error = make(
        &doc,
        &template,
        &[row(json!({"id": id})), row(json!({"id": id}))],
    )
    .expect_err("duplicate in batch");
    assert!(matches!(
        error,
        DocumentError::DuplicateId { row: Some(1), .. }
    ));
    assert_eq!(fingerprint(&doc, &template), before);

    // A fresh client-chosen id is kept (in canonical form).
    let chosen = uuid::Uuid::new_v4();
    let written = make(
        &doc,
        &template,
        &[row(
            json!({"id": chosen.simple().to_string().to_uppercase()}),
        )],
    )
    .expect("new id");
    assert_eq!(written, [chosen.to_string()]);
}

#[test]
fn too_many_rows_are_refused() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let rows = vec![row(json!({})); MAX_ROWS_PER_REQUEST + 1];
    let error = make(&doc, &template, &rows).expect_err("too many");
    assert!(matches!(error, DocumentError::TooMany { what: "rows", .. }));
}

#[test]
fn patch_sets_and_clears_fields() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let ids = import_fixture(&doc, &template);
    let id = &ids[0];
    write(&doc, |txn| {
        patch_tiltak(
            txn,
            &template,
            id,
            &row(json!({
                "id": id,
                "tiltak": "Ny tekst",
                "frist": "2. kvartal 2026",
                "status": "Gjennomført",
                "ansvarlig": null,
            })),
        )
    })
    .expect("valid patch");
    let view = plan_view(&doc, &template);
    let row0 = &view.tiltak[0];
    assert_eq!(row0.text("tiltak"), "Ny tekst");
    assert_eq!(row0.text("frist"), "2. kvartal 2026");
    assert_eq!(row0.text("status"), "gjennomfort");
    assert!(row0.values("ansvarlig").is_empty());
    assert_eq!(row0.text("strategi"), "forebygging", "untouched");
    // A list field is set from an array or one string; [] and "" clear it as null does.
    for (value, expected) in [
        (json!(["NAV", "Utekontakten"]), vec!["NAV", "Utekontakten"]),
        (json!("Politiet"), vec!["Politiet"]),
        (json!([]), vec![]),
        (json!(["NAV"]), vec!["NAV"]),
        (json!(""), vec![]),
    ] {
        write(&doc, |txn| {
            patch_tiltak(txn, &template, id, &row(json!({"ansvarlig": value})))
        })
        .expect("list patch");
        assert_eq!(
            plan_view(&doc, &template).tiltak[0].values("ansvarlig"),
            expected
        );
    }
    assert_eq!(view.tiltak[1], plan_view(&doc, &template).tiltak[1]);
}

#[test]
fn refused_patches_leave_the_document_unchanged() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let ids = import_fixture(&doc, &template);
    let before = fingerprint(&doc, &template);
    let cases = [
        (
            uuid::Uuid::new_v4().to_string(),
            json!({"tiltak": "x"}),
            ErrorKind::NotFound,
        ),
        (
            ids[0].clone(),
            json!({"tiltak": "x", "farge": "rød"}),
            ErrorKind::Invalid,
        ),
        (
            ids[0].clone(),
            json!({"tiltak": "x", "status": "ferdig"}),
            ErrorKind::Invalid,
        ),
        (
            ids[0].clone(),
            json!({"tiltak": "x", "frist": 2026}),
            ErrorKind::BadRequest,
        ),
        (
            ids[0].clone(),
            json!({"tiltak": "x".repeat(MAX_FIELD_CHARS + 1)}),
            ErrorKind::Invalid,
        ),
        (
            ids[0].clone(),
            json!({"tiltak": "x", "id": ids[1]}),
            ErrorKind::Invalid,
        ),
    ];
    for (id, patch, kind) in cases {
        let error = write(&doc, |txn| {
            patch_tiltak(txn, &template, &id, &row(patch.clone()))
        })
        .expect_err("refused");
        assert_eq!(error.kind(), kind, "{patch}: {error}");
        assert_eq!(fingerprint(&doc, &template), before, "{patch}");
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    let error = write(&doc, |txn| {
        patch_tiltak(txn, &template, &unknown, &row(json!({})))
    })
    .expect_err("unknown row");
    assert_eq!(
        error.to_string(),
        format!("there is no tiltak row with id `{unknown}`")
    );
}

#[test]
fn target_group_rows_carry_their_section() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    let ids = make(
        &doc,
        &template,
        &[row(json!({
            "section": "malgrupper.eldre.nye-tiltak",
            "strategi": "forebygging",
            "tiltak": "Seniortreff",
        }))],
    )
    .expect("valid section");
    let view = plan_view(&doc, &template);
    assert_eq!(
        view.tiltak[0].section.as_deref(),
        Some("malgrupper.eldre.nye-tiltak")
    );
    let json = serde_json::to_value(&view.tiltak[0]).expect("serialises");
    assert_eq!(json["section"], json!("malgrupper.eldre.nye-tiltak"));

    let before = fingerprint(&doc, &template);
    let error = write(&doc, |txn| {
        patch_tiltak(
            txn,
            &template,
            &ids[0],
            &row(json!({"section": "malgrupper.eldre.utfordringsbilde"})),
        )
    })
    .expect_err("not a tiltak section");
    assert!(
        error.to_string().contains("malgrupper.eldre.nye-tiltak"),
        "{error}"
    );
    assert_eq!(fingerprint(&doc, &template), before);

    write(&doc, |txn| {
        patch_tiltak(txn, &template, &ids[0], &row(json!({"section": null})))
    })
    .expect("clearing the section");
    assert_eq!(plan_view(&doc, &template).tiltak[0].section, None);
}

/// The Y.Text of one tiltak cell, found the way a browser would.
fn cell(txn: &impl ReadTxn, index: u32, field: &str) -> yrs::TextRef {
    let rows = txn.get_array(layout::TILTAK).expect("tiltak array");
    let Some(Out::YMap(row)) = rows.get(txn, index) else {
        panic!("row {index} is a map");
    };
    let row: MapRef = row;
    match row.get(txn, field) {
        Some(Out::YText(text)) => text,
        other => panic!("{field} is a Y.Text, got {other:?}"),
    }
}

#[test]
fn long_text_cells_are_shared_text_even_when_empty() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    make(&doc, &template, &[row(json!({"strategi": "forebygging"}))]).expect("valid");
    write(&doc, |txn| {
        append_tiltak(
            txn,
            &template,
            &[row(json!({"strategi": "livskvalitet"}))],
            RowOrigin::Imported,
        )
    })
    .expect("valid");
    let txn = doc.transact();
    for index in [0, 1] {
        assert_eq!(cell(&txn, index, "tiltak").get_string(&txn), "");
        assert_eq!(cell(&txn, index, "indikator").get_string(&txn), "");
    }
}

#[test]
fn concurrent_typing_in_one_cell_keeps_both_texts() {
    let template = template(KORUS);
    let alice = new_plan(&template);
    make(
        &alice,
        &template,
        &[row(json!({"tiltak": "Felles tekst."}))],
    )
    .expect("valid");
    let bob = Doc::new();
    apply(
        &bob,
        &alice
            .transact()
            .encode_state_as_update_v1(&StateVector::default()),
    );

    let alice_before = alice.transact().state_vector();
    let bob_before = bob.transact().state_vector();
    {
        let mut txn = alice.transact_mut();
        let text = cell(&txn, 0, "tiltak");
        text.insert(&mut txn, 0, "Alice: ");
    }
    {
        let mut txn = bob.transact_mut();
        let text = cell(&txn, 0, "tiltak");
        let end = text.len(&txn);
        text.insert(&mut txn, end, " Bob legger til.");
    }
    let from_alice = alice.transact().encode_state_as_update_v1(&bob_before);
    let from_bob = bob.transact().encode_state_as_update_v1(&alice_before);
    apply(&bob, &from_alice);
    apply(&alice, &from_bob);

    let expected = "Alice: Felles tekst. Bob legger til.";
    assert_eq!(
        plan_view(&alice, &template).tiltak[0].text("tiltak"),
        expected
    );
    assert_eq!(
        plan_view(&bob, &template).tiltak[0].text("tiltak"),
        expected
    );
}

fn marks(pairs: &[(&str, Any)]) -> Attrs {
    pairs
        .iter()
        .map(|(name, value)| (Arc::<str>::from(*name), value.clone()))
        .collect()
}

fn empty_attrs() -> Any {
    Any::Map(Arc::new(HashMap::new()))
}

#[test]
fn prose_fragment_reads_as_blocks() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let section = "hvor-star-vi.nasituasjon";
    {
        let mut txn = doc.transact_mut();
        let fragment = txn.get_or_insert_xml_fragment(layout::section_fragment(section));

        // <heading level=3>Bakgrunn</heading>
        let heading = fragment.push_back(&mut txn, XmlElementPrelim::empty("heading"));
        heading.insert_attribute(&mut txn, "level", 3);
        heading.push_back(&mut txn, XmlTextPrelim::new("Bakgrunn"));

        // <paragraph>Vi har <bold>mange</bold> <italic>unge</italic> <link>Ungdata</link>.<hard_break/>Ny linje</paragraph>
        let paragraph = fragment.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        // Explicit (empty) attributes where text is plain: a bare insert after formatted text
        // takes that formatting, as in Yjs.
        let text = paragraph.push_back(&mut txn, XmlTextPrelim::new(""));
        text.insert(&mut txn, 0, "Vi har ");
        text.insert_with_attributes(&mut txn, 7, "mange", marks(&[("bold", empty_attrs())]));
        text.insert_with_attributes(&mut txn, 12, " ", Attrs::new());
        text.insert_with_attributes(
            &mut txn,
            13,
            "unge",
            marks(&[("italic", empty_attrs()), ("bold", empty_attrs())]),
        );
        text.insert_with_attributes(&mut txn, 17, " ", Attrs::new());
        let link = Any::Map(Arc::new(HashMap::from([
            ("href".to_owned(), Any::from("https://www.ungdata.no")),
            ("title".to_owned(), Any::Null),
        ])));
        // Overlapping marks carry a hash suffix in y-prosemirror.
        text.insert_with_attributes(&mut txn, 18, "Ungdata", marks(&[("link--Ab3+/=x9", link)]));
        text.insert_with_attributes(&mut txn, 25, ".", Attrs::new());
        paragraph.push_back(&mut txn, XmlElementPrelim::empty("hard_break"));
        paragraph.push_back(&mut txn, XmlTextPrelim::new("Ny linje"));

        // <bullet_list><list_item><paragraph>Punkt</paragraph></list_item></bullet_list>
        let list = fragment.push_back(&mut txn, XmlElementPrelim::empty("bullet_list"));
        let item = list.push_back(&mut txn, XmlElementPrelim::empty("list_item"));
        let p = item.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p.push_back(&mut txn, XmlTextPrelim::new("Punkt"));

        // A 2x2 table with a header row.
        let table = fragment.push_back(&mut txn, XmlElementPrelim::empty("table"));
        for (row_index, cells) in [["År", "Antall"], ["2024", "42"]].iter().enumerate() {
            let table_row = table.push_back(&mut txn, XmlElementPrelim::empty("table_row"));
            for cell_text in cells {
                let name = if row_index == 0 {
                    "table_header"
                } else {
                    "table_cell"
                };
                let cell = table_row.push_back(&mut txn, XmlElementPrelim::empty(name));
                let p = cell.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
                p.push_back(&mut txn, XmlTextPrelim::new(*cell_text));
            }
        }

        // A node the schema does not know, with nested text.
        let unknown = fragment.push_back(&mut txn, XmlElementPrelim::empty("code_block"));
        unknown.push_back(&mut txn, XmlTextPrelim::new("let x = 1;"));
        let callout = fragment.push_back(&mut txn, XmlElementPrelim::empty("callout"));
        let p1 = callout.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p1.push_back(&mut txn, XmlTextPrelim::new("Første"));
        let p2 = callout.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p2.push_back(&mut txn, XmlTextPrelim::new("Andre"));
    }

    let text = |text: &str, bold: bool, italic: bool, link: Option<&str>| Inline::Text {
        text: text.to_owned(),
        bold,
        italic,
        link: link.map(str::to_owned),
    };
    let plain = |s: &str| text(s, false, false, None);
    let para = |s: &str| Block::Paragraph {
        content: vec![plain(s)],
    };
    let cell = |header: bool, s: &str| Cell {
        header,
        blocks: vec![para(s)],
    };
    let expected = vec![
        Block::Heading {
            level: 3,
            content: vec![plain("Bakgrunn")],
        },
        Block::Paragraph {
            content: vec![
                plain("Vi har "),
                text("mange", true, false, None),
                plain(" "),
                text("unge", true, true, None),
                plain(" "),
                text("Ungdata", false, false, Some("https://www.ungdata.no")),
                plain("."),
                Inline::HardBreak,
                plain("Ny linje"),
            ],
        },
        Block::BulletList {
            items: vec![ListItem {
                blocks: vec![para("Punkt")],
            }],
        },
        Block::Table {
            rows: vec![
                vec![cell(true, "År"), cell(true, "Antall")],
                vec![cell(false, "2024"), cell(false, "42")],
            ],
        },
        Block::Unknown {
            name: "code_block".to_owned(),
            text: "let x = 1;".to_owned(),
        },
        Block::Unknown {
            name: "callout".to_owned(),
            text: "Første\nAndre".to_owned(),
        },
    ];
    let view = plan_view(&doc, &template);
    let content = view.section(section).expect("section in view");
    assert_eq!(content.blocks, expected);

    // The JSON shape exports and the HTML renderer consume.
    let json = serde_json::to_value(&content.blocks[0]).expect("serialises");
    assert_eq!(
        json,
        json!({"type": "heading", "level": 3, "content": [
            {"type": "text", "text": "Bakgrunn", "bold": false, "italic": false, "link": null}
        ]})
    );
    let json = serde_json::to_value(&Inline::HardBreak).expect("serialises");
    assert_eq!(json, json!({"type": "hard_break"}));
}

#[test]
fn heading_levels_outside_3_to_5_are_clamped() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let section = "innledning.hva-er-planen";
    {
        let mut txn = doc.transact_mut();
        let fragment = txn.get_or_insert_xml_fragment(layout::section_fragment(section));
        for level in [Any::from(1), Any::from(4.0), Any::from("5"), Any::from(9)] {
            let heading = fragment.push_back(&mut txn, XmlElementPrelim::empty("heading"));
            heading.insert_attribute(&mut txn, "level", level);
        }
        let ordered = fragment.push_back(&mut txn, XmlElementPrelim::empty("ordered_list"));
        ordered.insert_attribute(&mut txn, "order", 5);
    }
    let blocks = plan_view(&doc, &template)
        .section(section)
        .expect("section")
        .blocks
        .clone();
    let levels: Vec<u8> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(levels, [3, 4, 5, 5]);
    assert_eq!(
        blocks[4],
        Block::OrderedList {
            start: 5,
            items: vec![]
        }
    );
}

#[test]
fn prose_paragraphs_are_seeded_and_replaced() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let section = "hvor-star-vi.nasituasjon";
    write(&doc, |txn| {
        set_prose_paragraphs(
            txn,
            &template,
            section,
            &["Første avsnitt.", "Andre\nlinje"],
        )
    })
    .expect("prose section");
    let blocks = plan_view(&doc, &template)
        .section(section)
        .expect("section")
        .blocks
        .clone();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].plain_text(), "Første avsnitt.");
    assert!(
        matches!(&blocks[1], Block::Paragraph { content } if content.contains(&Inline::HardBreak))
    );
    assert_eq!(blocks[1].plain_text(), "Andre\nlinje");

    write(&doc, |txn| {
        set_prose_paragraphs(txn, &template, section, &["Bare ett."])
    })
    .expect("replaces");
    let blocks = plan_view(&doc, &template)
        .section(section)
        .expect("section")
        .blocks
        .clone();
    assert_eq!(blocks.len(), 1);

    let before = fingerprint(&doc, &template);
    for (id, kind) in [
        ("hvor-star-vi.nokkeltall", ErrorKind::Invalid),
        ("hvor-star-vi.nokkeltall-tabell", ErrorKind::Invalid),
        ("planprosessen.tiltak", ErrorKind::Invalid),
        ("finnes-ikke", ErrorKind::NotFound),
    ] {
        let error = write(&doc, |txn| set_prose_paragraphs(txn, &template, id, &["x"]))
            .expect_err("refused");
        assert_eq!(error.kind(), kind, "{id}: {error}");
    }
    let long = "x".repeat(MAX_PARAGRAPH_CHARS + 1);
    write(&doc, |txn| {
        set_prose_paragraphs(txn, &template, section, &["ok", &long])
    })
    .expect_err("too long");
    assert_eq!(fingerprint(&doc, &template), before);
}

#[test]
fn target_group_prose_sections_accept_paragraphs() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    write(&doc, |txn| {
        set_prose_paragraphs(
            txn,
            &template,
            "malgrupper.eldre.utfordringsbilde",
            &["Ensomhet."],
        )
    })
    .expect("group prose section");
    let view = plan_view(&doc, &template);
    let content = view
        .section("malgrupper.eldre.utfordringsbilde")
        .expect("present");
    assert_eq!(content.blocks[0].plain_text(), "Ensomhet.");

    let error = write(&doc, |txn| {
        set_prose_paragraphs(txn, &template, "malgrupper.eldre.nye-tiltak", &["x"])
    })
    .expect_err("tiltak subsection");
    assert!(matches!(error, DocumentError::NotProse { .. }), "{error}");
    let error = write(&doc, |txn| {
        set_prose_paragraphs(
            txn,
            &template,
            "malgrupper.studenter.utfordringsbilde",
            &["x"],
        )
    })
    .expect_err("no such group");
    assert!(
        matches!(error, DocumentError::UnknownSection { .. }),
        "{error}"
    );
}

#[test]
fn meta_checklist_and_milestones() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    write(&doc, |txn| -> Result<(), DocumentError> {
        set_meta(txn, "title".parse()?, "Ny tittel")?;
        set_meta(txn, MetaField::Status, "horing")?;
        set_checklist(txn, &template, "hvor-star-vi.nokkeltall/ungdata", true)?;
        let id = add_milestone(
            txn,
            &NewMilestone {
                title: "Vedtak i BU".to_owned(),
                date: "2025-06-19".to_owned(),
                responsible: "Bydelsdirektøren".to_owned(),
                done: false,
            },
        )?;
        set_milestone_done(txn, &id, true)
    })
    .expect("valid writes");

    let meta = read_meta(&doc);
    assert_eq!(
        (meta.title.as_str(), meta.status.as_str()),
        ("Ny tittel", "horing")
    );
    let view = plan_view(&doc, &template);
    assert_eq!(
        view.checklist.get("hvor-star-vi.nokkeltall/ungdata"),
        Some(&true)
    );
    assert_eq!(view.milestones.len(), 1);
    assert!(view.milestones[0].done);
    assert_eq!(view.milestones[0].responsible, "Bydelsdirektøren");

    let before = fingerprint(&doc, &template);
    let error = write(&doc, |txn| set_meta(txn, MetaField::Status, "ferdig")).expect_err("bad");
    assert!(
        error.to_string().contains("utkast, horing, vedtatt"),
        "{error}"
    );
    let error = write(&doc, |txn| {
        set_checklist(txn, &template, "hvor-star-vi.nokkeltall/tiktok", true)
    })
    .expect_err("unknown item");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    let error = write(&doc, |txn| set_milestone_done(txn, "nope", true)).expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(matches!(
        "template".parse::<MetaField>(),
        Err(DocumentError::Immutable { .. })
    ));
    assert!(matches!(
        "farge".parse::<MetaField>(),
        Err(DocumentError::UnknownField { .. })
    ));
    assert_eq!(fingerprint(&doc, &template), before);
}

#[test]
fn completeness_lists_what_is_missing() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let fresh = completeness(&plan_view(&doc, &template), &template);
    assert!(!fresh.complete);
    assert_eq!(
        fresh.counts.prose_sections,
        template.prose_section_ids().len()
    );
    assert_eq!(fresh.empty_sections.len(), fresh.counts.prose_sections);
    assert_eq!(fresh.empty_sections[0].number, "1.1");
    // Both checklists (sources, documents) have nothing ticked.
    let empty: Vec<(&str, &str)> = fresh
        .empty_checklists
        .iter()
        .map(|s| (s.id.as_str(), s.number.as_str()))
        .collect();
    assert_eq!(
        empty,
        [
            ("hvor-star-vi.nokkeltall", "2.4"),
            ("hvor-star-vi.plandokumenter", "Vedlegg 1")
        ]
    );
    assert_eq!(fresh.counts.checklists, 2);
    assert_eq!(fresh.counts.empty_checklists, 2);
    assert!(fresh.incomplete_tiltak.is_empty());

    import_fixture(&doc, &template);
    write(&doc, |txn| -> Result<(), DocumentError> {
        // An untouched editor leaves one empty paragraph: still empty.
        set_prose_paragraphs(txn, &template, "innledning.hva-er-planen", &[""])?;
        set_prose_paragraphs(txn, &template, "hvor-star-vi.nasituasjon", &["Tekst."])?;
        set_checklist(txn, &template, "hvor-star-vi.nokkeltall/ungdata", true)
    })
    .expect("valid");
    let report = completeness(&plan_view(&doc, &template), &template);
    assert_eq!(
        report.counts.empty_sections,
        report.counts.prose_sections - 1
    );
    assert!(
        report
            .empty_sections
            .iter()
            .any(|s| s.id == "innledning.hva-er-planen")
    );
    assert!(
        !report
            .empty_sections
            .iter()
            .any(|s| s.id == "hvor-star-vi.nasituasjon")
    );
    // One ticked source is enough: the guide's lists are an idébank.
    let empty: Vec<&str> = report
        .empty_checklists
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(empty, ["hvor-star-vi.plandokumenter"]);
    // The fixture's rows all have strategi, tiltak and ansvarlig; 27 have no status, and
    // `frist` is not required by the template.
    assert_eq!(report.counts.tiltak_rows, 49);
    assert_eq!(report.counts.incomplete_rows, 27);
    let first = &report.incomplete_tiltak[0];
    let missing: Vec<&str> = first.missing.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(missing, ["status"]);
    assert_eq!(first.missing[0].label, "Status");
    assert_eq!(first.number, 1);
    assert_eq!(
        first.place,
        "4.5 Tiltak, Forebyggingsoffensiv for å hindre at rusproblemer oppstår"
    );
    // The first twelve words of a 13-word title, and an ellipsis.
    assert_eq!(
        first.excerpt,
        "Etablere rutine for oppfølging av bekymringsmeldinger knyttet til rusproblematikk hos barn og …"
    );
    assert!(
        report
            .incomplete_tiltak
            .iter()
            .all(|r| r.missing.iter().all(|m| m.name == "status"))
    );
}

#[test]
fn values_written_by_other_clients_still_read() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    {
        let mut txn = doc.transact_mut();
        let rows = txn.get_or_insert_array(layout::TILTAK);
        // A client that stored a long_text as a plain string and a number as a deadline.
        rows.push_back(
            &mut txn,
            yrs::MapPrelim::from([
                (
                    "id",
                    yrs::In::Any(Any::from("0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11")),
                ),
                ("tiltak", yrs::In::Any(Any::from("Som streng"))),
                ("frist", yrs::In::Any(Any::from(2026))),
                ("ansvarlig", yrs::In::Any(Any::from("NAV ved Nordstrand"))),
                ("mal", yrs::In::Any(Any::from(" "))),
            ]),
        );
        rows.push_back(&mut txn, "not a row");
    }
    let view = plan_view(&doc, &template);
    assert_eq!(view.tiltak.len(), 1);
    assert_eq!(view.tiltak[0].text("tiltak"), "Som streng");
    assert_eq!(view.tiltak[0].text("frist"), "2026");
    // A single string where a list is expected reads as a one-item list (older plans).
    assert_eq!(view.tiltak[0].values("ansvarlig"), ["NAV ved Nordstrand"]);
    assert_eq!(view.tiltak[0].values("mal"), Vec::<&str>::new());
    // Patching the string cell turns it into shared text.
    write(&doc, |txn| {
        patch_tiltak(
            txn,
            &template,
            "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11",
            &row(json!({"tiltak": "Delt"})),
        )
    })
    .expect("valid");
    let txn = doc.transact();
    assert_eq!(cell(&txn, 0, "tiltak").get_string(&txn), "Delt");
}

#[test]
fn plan_view_serialises_to_the_documented_shape() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    make(
        &doc,
        &template,
        &[row(json!({
            "strategi": "forebygging",
            "tiltak": "Seniortreff",
            "ansvarlig": ["Hjemmetjenesten"],
            "section": "malgrupper.eldre.nye-tiltak",
        }))],
    )
    .expect("valid");
    let json = serde_json::to_value(plan_view(&doc, &template)).expect("serialises");
    assert_eq!(json["meta"]["template"], json!(template.key()));
    assert_eq!(json["meta"]["status"], json!("utkast"));
    assert_eq!(
        json["target_groups"][3],
        json!({"id": "eldre", "name": "Eldre"})
    );
    assert_eq!(json["tiltak"][0]["tiltak"], json!("Seniortreff"));
    assert_eq!(
        json["tiltak"][0]["status"],
        json!("ikke_startet"),
        "made: the default"
    );
    assert_eq!(json["tiltak"][0]["ansvarlig"], json!(["Hjemmetjenesten"]));
    assert_eq!(json["tiltak"][0]["mal"], json!([]));
    assert!(json["sections"][0]["blocks"].is_array());
    assert!(json["checklist"].is_object());
    assert_eq!(json["goals"], json!([]));
    assert_eq!(json["figures"], json!([]));
    let part = &json["structure"][3];
    assert_eq!(part["id"], json!("malgrupper"));
    assert_eq!(part["kind"], json!("target_groups"));
    assert_eq!(part["in_use"], json!(true));
    assert_eq!(part["local"], json!(false));
    assert_eq!(part["number"], json!("4"));
    assert_eq!(part["depth"], json!(1));
    assert!(part.get("template_heading").is_none());
    assert_eq!(part["children"][3]["id"], json!("malgrupper.eldre"));
    assert_eq!(part["children"][3]["children"][2]["kind"], json!("tiltak"));
}
