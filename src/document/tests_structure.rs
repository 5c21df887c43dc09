//! Tests of the template-driven tiltak table (a third template defined here), the plan's own
//! shape (structure, local sections and checklist items), its goals, the completeness rules and
//! the live guard. Helpers are shared with [`super::tests`].

use std::sync::Arc;

use serde_json::{Value, json};
use yrs::{
    Any, Array, Doc, In, Map, MapPrelim, Out, ReadTxn, StateVector, Text, TextPrelim, Transact,
    TransactionMut, WriteTxn,
};

use super::tests::{
    COMBINED, KORUS, apply, fingerprint, import_fixture, make, new_plan, row, template, write,
};
use super::*;
use crate::templates::{self, MultiGroup, Place, SectionKind, Template, parse_template};

// ---- a third template --------------------------------------------------------------------

/// A template unlike the built-in ones: a number field `kostnad`, no `niva` or `status`, plan
/// goals, and rows grouped by a multi-valued field, each printed once.
const THIRD: &str = r#"
id = "tredje-mal"
version = 1
title = "Tredje mal"
description = "En mal med andre kolonner: innsatsområder, kostnad og planens mål."

units = [{ id = "nav", name = "NAV" }]

[tiltak]
title_field = "tittel"
group_by = "omrade"
multi_group = "once"

[[tiltak.fields]]
name = "omrade"
label = "Innsatsområde"
type = "multi_enum"
required = true
filter = true
options = [
  { value = "bolig", label = "Bolig" },
  { value = "arbeid", label = "Arbeid og aktivitet", short_label = "Arbeid" },
  { value = "helse", label = "Helse" },
]

[[tiltak.fields]]
name = "tittel"
label = "Tiltak"
type = "text"
columns = ["editor", "page", "export"]
width = 4
required = true

[[tiltak.fields]]
name = "kostnad"
label = "Kostnad"
type = "number"
columns = ["page", "export"]
width = 2
required = true

[[tiltak.fields]]
name = "mal"
label = "Mål"
type = "goals"

[[tiltak.fields]]
name = "ansvar"
label = "Ansvar"
type = "unit"
columns = ["editor", "page", "export"]

[[tiltak.fields]]
name = "merknad"
label = "Merknad"
type = "long_text"

[[sections]]
id = "innledning"
heading = "Innledning"
kind = "prose"

[[sections]]
id = "plan"
heading = "Planen"
kind = "group"

[[sections.children]]
id = "plan.tiltak"
heading = "Tiltak"
kind = "tiltak"

[[sections.children]]
id = "plan.kilder"
heading = "Kilder"
kind = "checklist"

[[sections.children.items]]
id = "ungdata"
label = "Ungdata"
"#;

fn third() -> Template {
    parse_template(THIRD, "tredje.toml").expect("the third template is valid")
}

/// THIRD with one piece of text replaced (which must be there).
fn third_with(old: &str, new: &str) -> Template {
    assert!(THIRD.contains(old), "test setup: `{old}` not in THIRD");
    parse_template(&THIRD.replacen(old, new, 1), "tredje.toml").expect("valid variant")
}

fn goal(doc: &Doc, template: &Template, title: &str) -> String {
    write(doc, |txn| {
        add_goal(
            txn,
            template,
            &GoalInput {
                title: Some(title.to_owned()),
                ..GoalInput::default()
            },
        )
    })
    .expect("goal")
}

/// A plan of the third template with two goals and four rows (A–D).
fn third_plan(template: &Template) -> (Doc, Vec<String>, Vec<String>) {
    let doc = new_plan(template);
    let goals = vec![
        goal(&doc, template, "Flere i arbeid"),
        goal(&doc, template, "Trygg bolig"),
    ];
    let ids = make(
        &doc,
        template,
        &[
            row(json!({
                "omrade": ["bolig"], "tittel": "A", "kostnad": "12 500",
                "ansvar": "NAV", "mal": [goals[1]],
            })),
            // Labels and short labels are stored as codes.
            row(json!({
                "omrade": ["Bolig", "Arbeid"], "tittel": "B", "kostnad": "0,5",
                "mal": [goals[0], goals[1]], "merknad": "Sammen med Husbanken",
            })),
            row(json!({"tittel": "C"})),
            row(json!({"omrade": "helse", "tittel": "D", "kostnad": "-3"})),
        ],
    )
    .expect("rows");
    (doc, goals, ids)
}

/// (group value or label, [(number, title, also)]) of the only tiltak section.
type Printed = Vec<(String, Vec<(usize, String, Vec<String>)>)>;

fn printed(template: &Template, doc: &Doc) -> Printed {
    let view = plan_view(doc, template);
    let known = tiltak_section_ids(template, &view.target_groups);
    let rows = rows_of_section(&view.tiltak, &known[0], &known, template.tiltak.multi_group);
    group_rows(&rows, template, &view.goals)
        .into_iter()
        .map(|group| {
            (
                group.value.unwrap_or(group.label),
                group
                    .rows
                    .iter()
                    .map(|r| (r.number, r.row.title(template), r.also.clone()))
                    .collect(),
            )
        })
        .collect()
}

fn entry(number: usize, title: &str, also: &[&str]) -> (usize, String, Vec<String>) {
    (
        number,
        title.to_owned(),
        also.iter().map(|s| (*s).to_owned()).collect(),
    )
}

#[test]
fn third_template_groups_a_row_once_or_in_each_group() {
    let once = third();
    let (doc, goals, _) = third_plan(&once);
    assert_eq!(
        printed(&once, &doc),
        [
            (
                "bolig".to_owned(),
                vec![entry(1, "A", &[]), entry(2, "B", &["Arbeid og aktivitet"])]
            ),
            ("helse".to_owned(), vec![entry(3, "D", &[])]),
            ("Uten innsatsområde".to_owned(), vec![entry(4, "C", &[])]),
        ]
    );

    // The same rows, printed in each of their groups (one row, shown twice, numbered twice).
    let each = third_with("multi_group = \"once\"", "multi_group = \"each\"");
    assert_eq!(each.tiltak.multi_group, MultiGroup::Each);
    assert_eq!(
        printed(&each, &doc),
        [
            (
                "bolig".to_owned(),
                vec![entry(1, "A", &[]), entry(2, "B", &[])]
            ),
            ("arbeid".to_owned(), vec![entry(3, "B", &[])]),
            ("helse".to_owned(), vec![entry(4, "D", &[])]),
            ("Uten innsatsområde".to_owned(), vec![entry(5, "C", &[])]),
        ]
    );

    // Grouped by the plan's own goals, in the plan's order of goals.
    let by_goal = third_with(
        "group_by = \"omrade\"\nmulti_group = \"once\"",
        "group_by = \"mal\"\nmulti_group = \"each\"",
    );
    assert_eq!(
        printed(&by_goal, &doc),
        [
            (goals[0].clone(), vec![entry(1, "B", &[])]),
            (
                goals[1].clone(),
                vec![entry(2, "A", &[]), entry(3, "B", &[])]
            ),
            (
                "Uten mål".to_owned(),
                vec![entry(4, "C", &[]), entry(5, "D", &[])]
            ),
        ]
    );
    let view = plan_view(&doc, &by_goal);
    let known = tiltak_section_ids(&by_goal, &[]);
    let rows = rows_of_section(&view.tiltak, &known[0], &known, MultiGroup::Each);
    let labels: Vec<String> = group_rows(&rows, &by_goal, &view.goals)
        .into_iter()
        .map(|g| g.label)
        .collect();
    assert_eq!(labels, ["Flere i arbeid", "Trygg bolig", "Uten mål"]);

    // Not grouped: one table without a heading, in row order.
    let flat = third_with("group_by = \"omrade\"\n", "");
    assert_eq!(
        printed(&flat, &doc),
        [(
            String::new(),
            vec![
                entry(1, "A", &[]),
                entry(2, "B", &[]),
                entry(3, "C", &[]),
                entry(4, "D", &[])
            ]
        )]
    );
}

#[test]
fn a_row_printed_once_goes_to_its_first_group_in_table_order() {
    let template = third();
    let doc = new_plan(&template);
    make(
        &doc,
        &template,
        &[row(
            json!({"omrade": ["helse", "arbeid", "helse"], "tittel": "E"}),
        )],
    )
    .expect("row");
    assert_eq!(
        printed(&template, &doc),
        [("arbeid".to_owned(), vec![entry(1, "E", &["Helse"])])]
    );
}

#[test]
fn third_template_cells_follow_the_template_columns() {
    let template = third();
    let (doc, _, ids) = third_plan(&template);
    let view = plan_view(&doc, &template);
    let row_a = view.tiltak.iter().find(|r| r.id == ids[0]).expect("A");
    let row_b = view.tiltak.iter().find(|r| r.id == ids[1]).expect("B");
    let row_c = view.tiltak.iter().find(|r| r.id == ids[2]).expect("C");

    // Export and page: tittel, kostnad, ansvar; the goal under the title; the group field is
    // the table's heading, so it is in neither.
    let cells = row_a.cells(&template, Place::Export, &view.goals);
    assert_eq!(cells.columns, ["A", "12 500", "NAV"]);
    assert_eq!(
        cells.details,
        [("Mål".to_owned(), "Trygg bolig".to_owned())]
    );
    assert_eq!(row_a.cells(&template, Place::Page, &view.goals), cells);
    // The editor has no `kostnad` column: it is shown under the title.
    let editor = row_a.cells(&template, Place::Editor, &view.goals);
    assert_eq!(editor.columns, ["A", "NAV"]);
    assert_eq!(
        editor.details,
        [
            ("Kostnad".to_owned(), "12 500".to_owned()),
            ("Mål".to_owned(), "Trygg bolig".to_owned())
        ]
    );
    // Several goals, a long_text detail; an empty column is an empty cell, not a default.
    let cells = row_b.cells(&template, Place::Export, &view.goals);
    assert_eq!(cells.columns, ["B", "0,5", ""]);
    assert_eq!(
        cells.details,
        [
            ("Mål".to_owned(), "Flere i arbeid; Trygg bolig".to_owned()),
            ("Merknad".to_owned(), "Sammen med Husbanken".to_owned())
        ]
    );
    let cells = row_c.cells(&template, Place::Export, &view.goals);
    assert_eq!(cells.columns, ["C", "", ""]);
    assert!(cells.details.is_empty(), "nothing the plan does not have");

    // Without grouping, the multi-valued field is a detail (short labels, joined).
    let flat = third_with("group_by = \"omrade\"\n", "");
    let cells = row_b.cells(&flat, Place::Export, &view.goals);
    assert_eq!(
        cells.details[0],
        ("Innsatsområde".to_owned(), "Bolig, Arbeid".to_owned())
    );

    // Stored values: codes, the number as written, lists as arrays.
    assert_eq!(row_b.values("omrade"), ["bolig", "arbeid"]);
    assert_eq!(row_a.values("ansvar"), ["NAV"]);
    let json = serde_json::to_value(row_b).expect("json");
    assert_eq!(json["kostnad"], json!("0,5"));
    assert_eq!(json["omrade"], json!(["bolig", "arbeid"]));
    assert!(json.get("niva").is_none() && json.get("status").is_none());
    assert_eq!(row_a.title(&template), "A");
}

#[test]
fn third_template_numbers_are_checked() {
    let template = third();
    let doc = new_plan(&template);
    for ok in ["12 500", "0,5", "-3", "1.25", "12\u{a0}500", " 7 ", ""] {
        make(&doc, &template, &[row(json!({"kostnad": ok}))])
            .unwrap_or_else(|e| panic!("`{ok}` is a number: {e}"));
    }
    let view = plan_view(&doc, &template);
    let stored: Vec<String> = view.tiltak.iter().map(|r| r.text("kostnad")).collect();
    assert_eq!(
        stored,
        ["12 500", "0,5", "-3", "1.25", "12\u{a0}500", "7", ""]
    );

    let before = fingerprint(&doc, &template);
    for bad in ["tolv", "12 kr", "1,2,3", ",5", "5,", "-", "1e3"] {
        let error =
            make(&doc, &template, &[row(json!({"kostnad": bad}))]).expect_err("not a number");
        assert_eq!(error.kind(), ErrorKind::Invalid, "{bad}: {error}");
        let message = error.to_string();
        assert!(
            message.contains("field `kostnad` must be a number"),
            "{message}"
        );
    }
    let error = make(&doc, &template, &[row(json!({"kostnad": "tolv"}))]).expect_err("tolv");
    assert_eq!(
        error.to_string(),
        "rows[0]: field `kostnad` must be a number, not `tolv`"
    );
    let id = view.tiltak[0].id.clone();
    let error = write(&doc, |txn| {
        patch_tiltak(txn, &template, &id, &row(json!({"kostnad": "tolv"})))
    })
    .expect_err("patch");
    assert!(matches!(error, DocumentError::NotANumber { row: None, .. }));
    // A number given as a JSON number is not text.
    let error = make(&doc, &template, &[row(json!({"kostnad": 12}))]).expect_err("json number");
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    // A field of the built-in templates is unknown here.
    let error = make(&doc, &template, &[row(json!({"niva": "individ"}))]).expect_err("niva");
    assert!(matches!(error, DocumentError::UnknownField { .. }));
    assert!(error.to_string().contains("kostnad"), "{error}");
    assert_eq!(fingerprint(&doc, &template), before);
}

#[test]
fn third_template_goals_and_lists_are_checked() {
    let template = third();
    let doc = new_plan(&template);
    let before = fingerprint(&doc, &template);
    // No goal yet: any id is unknown.
    let error = make(&doc, &template, &[row(json!({"mal": ["m1"]}))]).expect_err("unknown goal");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert_eq!(error.kind().status_code(), 422);
    assert!(
        error.to_string().contains("`m1` is not allowed for `mal`"),
        "{error}"
    );
    assert_eq!(fingerprint(&doc, &template), before);

    let first = goal(&doc, &template, "Flere i arbeid");
    let error = make(
        &doc,
        &template,
        &[row(json!({"mal": [first, "finnes-ikke"]}))],
    )
    .expect_err("one unknown goal");
    assert!(
        matches!(&error, DocumentError::NotAllowed { field, allowed, .. }
            if field == "mal" && allowed.len() == 1 && allowed[0] == first),
        "{error}"
    );

    let ids = make(
        &doc,
        &template,
        &[
            // One string is a one-item list.
            row(json!({"mal": first, "ansvar": "NAV"})),
            // Items trimmed; blanks and repeats dropped; choices by code, label or short label.
            row(json!({
                "mal": [format!(" {first} "), first],
                "ansvar": [" NAV ", "NAV", "", "  ", "Kirkens Bymisjon"],
                "omrade": ["bolig", "Bolig", "BOLIG", "arbeid og aktivitet"],
            })),
            row(json!({"ansvar": null, "omrade": [], "mal": ""})),
        ],
    )
    .expect("lists");
    let view = plan_view(&doc, &template);
    let values = |index: usize, field: &str| -> Vec<String> {
        assert_eq!(view.tiltak[index].id, ids[index]);
        view.tiltak[index]
            .values(field)
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(values(0, "mal"), [first.as_str()]);
    assert_eq!(values(0, "ansvar"), ["NAV"]);
    assert_eq!(values(1, "mal"), [first.as_str()]);
    assert_eq!(values(1, "ansvar"), ["NAV", "Kirkens Bymisjon"]);
    assert_eq!(values(1, "omrade"), ["bolig", "arbeid"]);
    assert!(values(2, "ansvar").is_empty() && values(2, "omrade").is_empty());
    assert!(values(2, "mal").is_empty());

    // An option that is not one of the field's is refused naming the allowed ones.
    let before = fingerprint(&doc, &template);
    let error = make(
        &doc,
        &template,
        &[row(json!({"omrade": ["bolig", "skole"]}))],
    )
    .expect_err("unknown option");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(
        error.to_string().contains("bolig, arbeid, helse"),
        "{error}"
    );
    // At most MAX_LIST_ITEMS values.
    let many: Vec<String> = (0..=MAX_LIST_ITEMS).map(|i| format!("Enhet {i}")).collect();
    let error = make(&doc, &template, &[row(json!({"ansvar": many}))]).expect_err("too many");
    assert!(
        matches!(error, DocumentError::TooMany { what: "values", count, max: MAX_LIST_ITEMS } if count == MAX_LIST_ITEMS + 1),
        "{error}"
    );
    assert_eq!(fingerprint(&doc, &template), before);
    let enough: Vec<String> = (0..MAX_LIST_ITEMS).map(|i| format!("Enhet {i}")).collect();
    make(&doc, &template, &[row(json!({"ansvar": enough}))]).expect("at the limit");
}

#[test]
fn third_template_completeness_names_rows_by_number_and_group() {
    let template = third();
    let (doc, _, ids) = third_plan(&template);
    let report = completeness(&plan_view(&doc, &template), &template);
    assert_eq!(report.counts.tiltak_rows, 4);
    // C lacks its group and cost; every other row has the required fields.
    assert_eq!(report.incomplete_tiltak.len(), 1);
    let c = &report.incomplete_tiltak[0];
    assert_eq!(c.id, ids[2]);
    assert_eq!(c.number, 4);
    assert_eq!(c.place, "2.1 Tiltak, Uten innsatsområde");
    assert_eq!(c.excerpt, "C");
    let missing: Vec<(&str, &str)> = c
        .missing
        .iter()
        .map(|m| (m.name.as_str(), m.label.as_str()))
        .collect();
    assert_eq!(
        missing,
        [("omrade", "Innsatsområde"), ("kostnad", "Kostnad")]
    );
}

// ---- the plan's structure ----------------------------------------------------------------

fn tree(doc: &Doc, template: &Template) -> Vec<PlanSection> {
    plan_view(doc, template).structure
}

fn node(doc: &Doc, template: &Template, id: &str) -> PlanSection {
    structure::find(&tree(doc, template), id)
        .unwrap_or_else(|| panic!("section {id}"))
        .clone()
}

fn patch(doc: &Doc, template: &Template, id: &str, value: Value) -> Result<(), DocumentError> {
    let patch: SectionPatch = serde_json::from_value(value).expect("a section patch");
    write(doc, |txn| patch_section(txn, template, id, &patch))
}

fn add_section(
    doc: &Doc,
    template: &Template,
    parent: &str,
    heading: &str,
    kind: SectionKind,
) -> Result<String, DocumentError> {
    write(doc, |txn| {
        add_local_section(txn, template, parent, heading, kind)
    })
}

/// (id, number) of a section's children.
fn children(doc: &Doc, template: &Template, id: &str) -> Vec<(String, String)> {
    node(doc, template, id)
        .children
        .iter()
        .map(|c| (c.id.clone(), c.number.clone()))
        .collect()
}

#[test]
fn renaming_a_section_keeps_the_template_heading() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    patch(
        &doc,
        &template,
        "brukermedvirkning",
        json!({"heading": "  Brukernes stemme "}),
    )
    .expect("rename");
    let section = node(&doc, &template, "brukermedvirkning");
    assert_eq!(section.heading, "Brukernes stemme");
    assert_eq!(
        section.template_heading.as_deref(),
        Some("Brukermedvirkning")
    );
    assert_eq!(section.number, "5");
    let view = plan_view(&doc, &template);
    let prose = prose_sections(&view.structure);
    let renamed = prose
        .iter()
        .find(|s| s.id == "brukermedvirkning")
        .expect("prose");
    assert_eq!(renamed.heading, "Brukernes stemme");
    let json = serde_json::to_value(&section).expect("json");
    assert_eq!(json["template_heading"], json!("Brukermedvirkning"));

    // Renamed again, then back to the template's words: no override is left.
    patch(
        &doc,
        &template,
        "brukermedvirkning",
        json!({"heading": "Medvirkning"}),
    )
    .expect("rename again");
    assert_eq!(
        node(&doc, &template, "brukermedvirkning")
            .template_heading
            .as_deref(),
        Some("Brukermedvirkning")
    );
    patch(
        &doc,
        &template,
        "brukermedvirkning",
        json!({"heading": "Brukermedvirkning"}),
    )
    .expect("back");
    let section = node(&doc, &template, "brukermedvirkning");
    assert_eq!(section.heading, "Brukermedvirkning");
    assert_eq!(section.template_heading, None);

    // Refused: empty or too long headings, unknown sections, unknown patch keys.
    let before = fingerprint(&doc, &template);
    let error = patch(
        &doc,
        &template,
        "brukermedvirkning",
        json!({"heading": " "}),
    )
    .expect_err("empty");
    assert!(matches!(error, DocumentError::Empty { .. }), "{error}");
    let long = "x".repeat(MAX_SHORT_CHARS + 1);
    let error = patch(
        &doc,
        &template,
        "brukermedvirkning",
        json!({"heading": long}),
    )
    .expect_err("long");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let error =
        patch(&doc, &template, "finnes-ikke", json!({"in_use": false})).expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(serde_json::from_value::<SectionPatch>(json!({"kind": "prose"})).is_err());
    assert_eq!(fingerprint(&doc, &template), before);
}

#[test]
fn target_group_sections_are_renamed_with_their_group() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    for id in ["malgrupper.eldre", "malgrupper.eldre.utfordringsbilde"] {
        let error = patch(&doc, &template, id, json!({"heading": "Seniorer"}))
            .expect_err("a group's section");
        assert!(
            matches!(error, DocumentError::SectionRefused { .. }),
            "{id}: {error}"
        );
    }
    // But a group's section can be set aside.
    patch(
        &doc,
        &template,
        "malgrupper.eldre.utviklingsomrade",
        json!({"in_use": false}),
    )
    .expect("not in use");
    assert!(!node(&doc, &template, "malgrupper.eldre.utviklingsomrade").in_use);
    assert_eq!(
        node(&doc, &template, "malgrupper.eldre.nye-tiltak").number,
        "4.4.2"
    );
}

#[test]
fn a_section_not_in_use_hides_its_children_and_is_not_numbered() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    patch(&doc, &template, "hvor-star-vi", json!({"in_use": false})).expect("not in use");
    let chapter = node(&doc, &template, "hvor-star-vi");
    assert!(!chapter.in_use);
    assert_eq!(chapter.number, "");
    assert!(
        chapter
            .children
            .iter()
            .all(|c| !c.in_use && c.number.is_empty())
    );
    // The next chapters move up, and the appendix under the chapter is gone from the count.
    assert_eq!(node(&doc, &template, "hvor-bor-vi-ga").number, "2");
    assert_eq!(node(&doc, &template, "planprosessen.tiltak").number, "3.5");
    let appendix = add_section(
        &doc,
        &template,
        "",
        "Kommunerevisjonens rapport",
        SectionKind::Appendix,
    )
    .expect("appendix");
    assert_eq!(node(&doc, &template, &appendix).number, "Vedlegg 1");

    // A child set aside on its own leaves a gap-free numbering among its siblings.
    patch(&doc, &template, "hvor-star-vi", json!({"in_use": true})).expect("in use");
    patch(
        &doc,
        &template,
        "hvor-star-vi.nasituasjon",
        json!({"in_use": false}),
    )
    .expect("child not in use");
    let numbers = children(&doc, &template, "hvor-star-vi");
    let numbers: Vec<&str> = numbers.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(numbers, ["", "2.1", "2.2", "2.3", "Vedlegg 1"]);
    assert_eq!(node(&doc, &template, &appendix).number, "Vedlegg 2");
    assert_eq!(node(&doc, &template, "hvor-bor-vi-ga").number, "3");
    // Back in use: the override's key is removed, not set to true.
    patch(
        &doc,
        &template,
        "hvor-star-vi.nasituasjon",
        json!({"in_use": true}),
    )
    .expect("back in use");
    assert_eq!(
        node(&doc, &template, "hvor-star-vi.nasituasjon").number,
        "2.1"
    );
}

#[test]
fn local_sections_are_added_under_chapters_and_numbered() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let local = add_section(
        &doc,
        &template,
        "innledning",
        "Bydelens tjenester",
        SectionKind::Prose,
    )
    .expect("local prose");
    let suffix = local
        .strip_prefix("innledning.lokal-")
        .expect("id under its parent");
    assert_eq!(suffix.len(), 8);
    assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        children(&doc, &template, "innledning"),
        [
            ("innledning.hva-er-planen".to_owned(), "1.1".to_owned()),
            ("innledning.byradets-foringer".to_owned(), "1.2".to_owned()),
            (local.clone(), "1.3".to_owned()),
        ]
    );
    let section = node(&doc, &template, &local);
    assert!(section.local && section.in_use && !section.appendix);
    assert_eq!((section.kind, section.depth), (SectionKind::Prose, 2));
    assert_eq!(section.heading, "Bydelens tjenester");
    assert_eq!(section.template_heading, None);

    // Its text is the plan's like any other section's.
    write(&doc, |txn| {
        set_prose_paragraphs(txn, &template, &local, &["Tjenestene i bydelen."])
    })
    .expect("prose in a local section");
    let view = plan_view(&doc, &template);
    assert_eq!(
        view.section(&local).expect("in view").blocks[0].plain_text(),
        "Tjenestene i bydelen."
    );
    assert!(
        prose_sections(&view.structure)
            .iter()
            .any(|s| s.id == local && s.number == "1.3")
    );

    // At the top level: after the template's chapters; appendices numbered «Vedlegg N» after
    // the template's own (the documents checklist is Vedlegg 1).
    let appendix = add_section(
        &doc,
        &template,
        "",
        "Kommunerevisjonens rapport",
        SectionKind::Appendix,
    )
    .expect("appendix");
    let chapter = add_section(&doc, &template, "", "Økonomi", SectionKind::Prose).expect("chapter");
    assert!(appendix.starts_with("lokal-") && chapter.starts_with("lokal-"));
    let top: Vec<(String, String, bool)> = tree(&doc, &template)
        .iter()
        .map(|s| (s.id.clone(), s.number.clone(), s.local))
        .collect();
    assert_eq!(top.len(), 9);
    assert_eq!(
        top[6],
        (
            "gjennomforing-og-oppfolging".to_owned(),
            "7".to_owned(),
            false
        )
    );
    assert_eq!(top[7], (appendix.clone(), "Vedlegg 2".to_owned(), true));
    assert_eq!(top[8], (chapter.clone(), "8".to_owned(), true));
    assert_eq!(
        node(&doc, &template, "hvor-star-vi.plandokumenter").number,
        "Vedlegg 1"
    );
    let appendix_node = node(&doc, &template, &appendix);
    assert!(appendix_node.appendix && appendix_node.depth == 1);
    assert_eq!(appendix_node.kind, SectionKind::Appendix);
    // An appendix is text: completeness asks for it.
    let report = completeness(&plan_view(&doc, &template), &template);
    assert!(
        report
            .empty_sections
            .iter()
            .any(|s| s.id == appendix && s.number == "Vedlegg 2")
    );
    assert!(!report.empty_sections.iter().any(|s| s.id == local));
}

#[test]
fn local_sections_are_refused_where_they_cannot_go() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let before = fingerprint(&doc, &template);
    for (parent, kind, expected) in [
        // Not a chapter: writers' headings are levels 3–5, sections only go under chapters.
        (
            "innledning.hva-er-planen",
            SectionKind::Prose,
            ErrorKind::Invalid,
        ),
        ("finnes-ikke", SectionKind::Prose, ErrorKind::NotFound),
        ("innledning", SectionKind::Tiltak, ErrorKind::Invalid),
        ("innledning", SectionKind::Checklist, ErrorKind::Invalid),
        ("innledning", SectionKind::Group, ErrorKind::Invalid),
    ] {
        let error = add_section(&doc, &template, parent, "Ny", kind).expect_err("refused");
        assert_eq!(error.kind(), expected, "{parent} {kind}: {error}");
    }
    let error = add_section(
        &doc,
        &template,
        "innledning.hva-er-planen",
        "Ny",
        SectionKind::Prose,
    )
    .expect_err("not a chapter");
    assert!(
        matches!(error, DocumentError::SectionRefused { .. }),
        "{error}"
    );
    let error = add_section(&doc, &template, "innledning", "   ", SectionKind::Prose)
        .expect_err("empty heading");
    assert!(matches!(error, DocumentError::Empty { .. }), "{error}");
    assert_eq!(fingerprint(&doc, &template), before);
}

#[test]
fn a_local_section_whose_parent_is_gone_is_still_listed() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    {
        let mut txn = doc.transact_mut();
        txn.get_or_insert_array(layout::LOCAL_SECTIONS).push_back(
            &mut txn,
            MapPrelim::from([
                ("id", In::Any(Any::from("borte.lokal-0000abcd"))),
                ("parent", In::Any(Any::from("borte"))),
                ("heading", In::Any(Any::from("Foreldreløs"))),
                ("kind", In::Any(Any::from("prose"))),
            ]),
        );
    }
    let top = tree(&doc, &template);
    let last = top.last().expect("sections");
    assert_eq!(last.id, "borte.lokal-0000abcd");
    assert_eq!(last.heading, "Foreldreløs");
    assert!(last.local && last.in_use);
    assert_eq!((last.depth, last.number.as_str()), (1, "8"));
    // Its text is read and can still be written; it can be deleted.
    assert!(
        plan_view(&doc, &template)
            .section("borte.lokal-0000abcd")
            .is_some()
    );
    write(&doc, |txn| {
        delete_local_section(txn, &template, "borte.lokal-0000abcd")
    })
    .expect("deleted");
    assert_eq!(tree(&doc, &template).len(), 7);
}

#[test]
fn local_sections_are_reordered_and_deleted() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let parent = "hvor-bor-vi-ga";
    let [a, b, c] = ["A", "B", "C"].map(|heading| {
        add_section(&doc, &template, parent, heading, SectionKind::Prose).expect("added")
    });
    let other = add_section(&doc, &template, "innledning", "Annet", SectionKind::Prose)
        .expect("other parent");
    let order = |doc: &Doc| -> Vec<String> {
        node(doc, &template, parent)
            .children
            .iter()
            .filter(|s| s.local)
            .map(|s| s.heading.clone())
            .collect()
    };
    assert_eq!(order(&doc), ["A", "B", "C"]);
    patch(&doc, &template, &b, json!({"in_use": false})).expect("B not in use");

    patch(&doc, &template, &c, json!({"after": ""})).expect("first");
    assert_eq!(order(&doc), ["C", "A", "B"]);
    patch(&doc, &template, &a, json!({"after": b})).expect("after B");
    assert_eq!(order(&doc), ["C", "B", "A"]);
    // Still after the template's own children, numbered in order; B kept «ikke i bruk».
    let numbers: Vec<(String, String)> = children(&doc, &template, parent);
    assert_eq!(numbers[2].0, "hvor-bor-vi-ga.fokus");
    assert_eq!(
        numbers[3..],
        [
            (c.clone(), "3.4".to_owned()),
            (b.clone(), String::new()),
            (a.clone(), "3.5".to_owned())
        ]
    );
    // Moving and renaming in one patch.
    patch(
        &doc,
        &template,
        &a,
        json!({"after": "", "heading": "A først"}),
    )
    .expect("both");
    assert_eq!(order(&doc), ["A først", "C", "B"]);

    let before = fingerprint(&doc, &template);
    // Only after a sibling of the plan's own; template sections stay where the template puts them.
    let error = patch(&doc, &template, &a, json!({"after": other})).expect_err("other parent");
    assert!(
        matches!(&error, DocumentError::NotAllowed { field, .. } if field == "after"),
        "{error}"
    );
    let error = patch(&doc, &template, &a, json!({"after": "hvor-bor-vi-ga.niva"}))
        .expect_err("template sibling");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let error = patch(&doc, &template, "hvor-bor-vi-ga.niva", json!({"after": ""}))
        .expect_err("template section");
    assert!(
        matches!(error, DocumentError::SectionRefused { .. }),
        "{error}"
    );
    // Template sections are set aside, never deleted.
    let error = write(&doc, |txn| {
        delete_local_section(txn, &template, "brukermedvirkning")
    })
    .expect_err("template section");
    assert!(
        matches!(error, DocumentError::SectionRefused { .. }),
        "{error}"
    );
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let error = write(&doc, |txn| {
        delete_local_section(txn, &template, "finnes-ikke")
    })
    .expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(fingerprint(&doc, &template), before);

    write(&doc, |txn| delete_local_section(txn, &template, &b)).expect("deleted");
    assert_eq!(order(&doc), ["A først", "C"]);
    // Its override went with it, and its text is no longer a root the plan has.
    let txn = doc.transact();
    let overrides = yrs::ReadTxn::get_map(&txn, layout::STRUCTURE).expect("structure");
    assert!(overrides.get(&txn, &b).is_none());
    let root = layout::section_fragment(&b);
    assert!(unknown_roots(&txn, &template, [root.as_str()]).is_some());
}

#[test]
fn a_part_has_an_introduction_before_its_children() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let empty_before = completeness(&plan_view(&doc, &template), &template).counts;
    write(&doc, |txn| {
        set_prose_paragraphs(
            txn,
            &template,
            "hvor-star-vi",
            &["Nøkkeltall for alle seks områder."],
        )
    })
    .expect("a chapter's introduction");
    let view = plan_view(&doc, &template);
    let intro = view.section("hvor-star-vi").expect("introduction");
    assert_eq!(
        intro.blocks[0].plain_text(),
        "Nøkkeltall for alle seks områder."
    );
    let position = |id: &str| view.sections.iter().position(|s| s.id == id).expect(id);
    assert!(position("hvor-star-vi") < position("hvor-star-vi.nasituasjon"));
    assert!(position("innledning.byradets-foringer") < position("hvor-star-vi"));
    // An introduction is optional: completeness neither counts nor asks for it.
    let counts = completeness(&view, &template).counts;
    assert_eq!(counts.prose_sections, empty_before.prose_sections);
    assert_eq!(counts.empty_sections, empty_before.empty_sections);
    assert!(
        !prose_sections(&view.structure)
            .iter()
            .any(|s| s.id == "hvor-star-vi")
    );

    // The target-groups part and each group have one too.
    let template = super::tests::template(COMBINED);
    let doc = new_plan(&template);
    write(&doc, |txn| -> Result<(), DocumentError> {
        set_prose_paragraphs(txn, &template, "malgrupper", &["Fire målgrupper."])?;
        set_prose_paragraphs(txn, &template, "malgrupper.eldre", &["Om eldre."])
    })
    .expect("introductions");
    let view = plan_view(&doc, &template);
    assert_eq!(
        view.section("malgrupper").expect("part").blocks[0].plain_text(),
        "Fire målgrupper."
    );
    let position = |id: &str| view.sections.iter().position(|s| s.id == id).expect(id);
    assert!(position("malgrupper") < position("malgrupper.barn-og-unge.utfordringsbilde"));
    assert!(position("malgrupper.eldre") < position("malgrupper.eldre.utfordringsbilde"));
}

// ---- checklists, goals, figures ------------------------------------------------------------

const DOCUMENTS: &str = "hvor-star-vi.plandokumenter";

fn new_item(label: &str, group: &str, year: &str) -> NewChecklistItem {
    NewChecklistItem {
        label: label.to_owned(),
        group: group.to_owned(),
        year: year.to_owned(),
    }
}

#[test]
fn a_checklist_takes_the_plans_own_items() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let id = write(&doc, |txn| {
        add_checklist_item(
            txn,
            &template,
            DOCUMENTS,
            &new_item(
                " Kommunerevisjonens rapport ",
                "Bydelens egne mål og overordnede strategiske planer",
                "2024",
            ),
        )
    })
    .expect("added");
    let key = templates::checklist_key(DOCUMENTS, &id);
    let view = plan_view(&doc, &template);
    assert_eq!(view.checklist.get(&key), Some(&false));
    assert_eq!(view.checklist.len(), template.checklist_items().len() + 1);
    assert_eq!(
        view.checklist_items,
        [LocalChecklistItem {
            id: id.clone(),
            section: DOCUMENTS.to_owned(),
            label: "Kommunerevisjonens rapport".to_owned(),
            group: "Bydelens egne mål og overordnede strategiske planer".to_owned(),
            year: "2024".to_owned(),
        }]
    );
    // Listed after the template's items, with its group and year.
    let items = structure::checklist_items(&template, DOCUMENTS, &view.checklist_items);
    let last = items.last().expect("items");
    assert_eq!(
        (last.key.as_str(), last.local, last.year.as_str()),
        (key.as_str(), true, "2024")
    );
    assert!(items[..items.len() - 1].iter().all(|item| !item.local));
    assert_eq!(
        items[0].group,
        "Relevante lover, forskrifter og nasjonale planer"
    );
    assert_eq!(items[0].year, "2016–2020");

    // Ticked like a template item; done for completeness.
    write(&doc, |txn| set_checklist(txn, &template, &key, true)).expect("tick");
    let view = plan_view(&doc, &template);
    assert_eq!(view.checklist.get(&key), Some(&true));
    let report = completeness(&view, &template);
    assert!(!report.empty_checklists.iter().any(|s| s.id == DOCUMENTS));

    // Refused: not a checklist, unknown section, no label, too long; a local item's id under
    // another checklist is not an item.
    let before = fingerprint(&doc, &template);
    for (section, item, kind) in [
        (
            "brukermedvirkning",
            new_item("x", "", ""),
            ErrorKind::Invalid,
        ),
        ("finnes-ikke", new_item("x", "", ""), ErrorKind::NotFound),
        (DOCUMENTS, new_item("  ", "", ""), ErrorKind::Invalid),
        (
            DOCUMENTS,
            new_item("x", "", &"1".repeat(MAX_SHORT_CHARS + 1)),
            ErrorKind::Invalid,
        ),
    ] {
        let error = write(&doc, |txn| {
            add_checklist_item(txn, &template, section, &item)
        })
        .expect_err("refused");
        assert_eq!(error.kind(), kind, "{section}: {error}");
    }
    let elsewhere = templates::checklist_key("hvor-star-vi.nokkeltall", &id);
    let error = write(&doc, |txn| set_checklist(txn, &template, &elsewhere, true))
        .expect_err("not an item there");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(fingerprint(&doc, &template), before);
}

#[test]
fn goals_are_added_changed_and_deleted_with_their_links() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let input = |title: &str, strategi: &[&str]| GoalInput {
        title: Some(title.to_owned()),
        description: None,
        strategi: Some(strategi.iter().map(|s| (*s).to_owned()).collect()),
    };
    let first = write(&doc, |txn| {
        add_goal(
            txn,
            &template,
            &input(" Færre unge debuterer tidlig ", &["forebygging"]),
        )
    })
    .expect("goal");
    let second = write(&doc, |txn| {
        add_goal(
            txn,
            &template,
            &input("Flere i bolig", &["livskvalitet", "tidlig_innsats"]),
        )
    })
    .expect("goal");
    let goals = read_goals(&doc.transact());
    assert_eq!(
        goals[0],
        Goal {
            id: first.clone(),
            title: "Færre unge debuterer tidlig".to_owned(),
            description: String::new(),
            strategi: vec!["forebygging".to_owned()],
        }
    );
    assert_eq!(goals[1].strategi, ["livskvalitet", "tidlig_innsats"]);

    write(&doc, |txn| {
        patch_goal(
            txn,
            &template,
            &first,
            &GoalInput {
                description: Some("Målt i Ungdata.".to_owned()),
                ..GoalInput::default()
            },
        )
    })
    .expect("patch");
    let goals = plan_view(&doc, &template).goals;
    assert_eq!(goals[0].description, "Målt i Ungdata.");
    assert_eq!(goals[0].title, "Færre unge debuterer tidlig", "untouched");

    // Refused: no title, a strategy that is not an option of the strategy field, unknown goal.
    let before = fingerprint(&doc, &template);
    let error =
        write(&doc, |txn| add_goal(txn, &template, &GoalInput::default())).expect_err("no title");
    assert!(matches!(error, DocumentError::Empty { .. }), "{error}");
    let error = write(&doc, |txn| {
        add_goal(txn, &template, &input("Mål", &["behandling"]))
    })
    .expect_err("unknown strategy");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.to_string().contains("`strategi`"), "{error}");
    // The combined template's psykisk helse goals are not the rus plan's.
    let error = write(&doc, |txn| {
        add_goal(txn, &template, &input("Mål", &["en_dor_inn"]))
    })
    .expect_err("not in KoRus");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let error = write(&doc, |txn| {
        patch_goal(
            txn,
            &template,
            &first,
            &GoalInput {
                title: Some(" ".to_owned()),
                ..GoalInput::default()
            },
        )
    })
    .expect_err("empty title");
    assert!(matches!(error, DocumentError::Empty { .. }), "{error}");
    let error = write(&doc, |txn| {
        patch_goal(txn, &template, "nope", &GoalInput::default())
    })
    .expect_err("unknown");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(serde_json::from_value::<GoalInput>(json!({"titel": "x"})).is_err());
    assert_eq!(fingerprint(&doc, &template), before);

    // Rows link to goals; deleting a goal removes its links, in the same change.
    let ids = make(
        &doc,
        &template,
        &[
            row(json!({"tiltak": "Begge", "mal": [first, second]})),
            row(json!({"tiltak": "Bare første", "mal": [first]})),
        ],
    )
    .expect("rows");
    let view = plan_view(&doc, &template);
    let field = template.field("mal").expect("goals field");
    assert_eq!(
        view.tiltak[0].display(field, &view.goals),
        "Færre unge debuterer tidlig; Flere i bolig"
    );
    write(&doc, |txn| delete_goal(txn, &template, &first)).expect("deleted");
    let view = plan_view(&doc, &template);
    assert_eq!(view.goals.len(), 1);
    assert_eq!(view.tiltak[0].id, ids[0]);
    assert_eq!(view.tiltak[0].values("mal"), [second.as_str()]);
    assert!(view.tiltak[1].is_empty("mal"));
    let error = write(&doc, |txn| delete_goal(txn, &template, &first)).expect_err("gone");
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[test]
fn figures_are_read_from_the_document() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    {
        let mut txn = doc.transact_mut();
        let figures = txn.get_or_insert_array(layout::FIGURES);
        figures.push_back(
            &mut txn,
            MapPrelim::from([
                ("id", In::Any(Any::from("f1"))),
                (
                    "section",
                    In::Any(Any::from("hvor-star-vi.nokkeltall-tabell")),
                ),
                ("indikator", In::Any(Any::from("Unge som har vært beruset"))),
                ("kilde", In::Any(Any::from("Ungdata"))),
                ("ar", In::Any(Any::from(2023))),
                ("verdi", In::Any(Any::from("11 %"))),
                ("oslo", TextPrelim::new("14 %").into()),
            ]),
        );
        figures.push_back(
            &mut txn,
            MapPrelim::from([("id", In::Any(Any::from("f2")))]),
        );
    }
    let view = plan_view(&doc, &template);
    assert_eq!(view.figures.len(), 2);
    let first = &view.figures[0];
    assert_eq!(first.section, "hvor-star-vi.nokkeltall-tabell");
    assert_eq!((first.ar.as_str(), first.verdi.as_str()), ("2023", "11 %"));
    assert_eq!(first.oslo, "14 %");
    assert_eq!(first.mal, "");
    assert!(!first.is_blank() && view.figures[1].is_blank());
    assert_eq!(
        node(&doc, &template, "hvor-star-vi.nokkeltall-tabell").kind,
        SectionKind::Figures
    );
}

// ---- completeness ----------------------------------------------------------------------------

#[test]
fn completeness_skips_sections_not_in_use() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    import_fixture(&doc, &template);
    let full = completeness(&plan_view(&doc, &template), &template);
    assert_eq!(full.counts.checklists, 2);
    assert_eq!(full.counts.tiltak_rows, 49);

    for (id, in_use) in [
        ("hvor-star-vi.nokkeltall", false),
        ("brukermedvirkning", false),
    ] {
        patch(&doc, &template, id, json!({"in_use": in_use})).expect("patch");
    }
    let report = completeness(&plan_view(&doc, &template), &template);
    let empty: Vec<&str> = report
        .empty_checklists
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(empty, [DOCUMENTS]);
    assert_eq!(report.counts.checklists, 1);
    assert!(
        !report
            .empty_sections
            .iter()
            .any(|s| s.id == "brukermedvirkning")
    );
    assert_eq!(report.counts.prose_sections, full.counts.prose_sections - 1);

    // A chapter set aside takes its sections with it, tiltak included.
    patch(&doc, &template, "planprosessen", json!({"in_use": false})).expect("patch");
    let report = completeness(&plan_view(&doc, &template), &template);
    assert_eq!(report.counts.tiltak_rows, 0);
    assert!(report.incomplete_tiltak.is_empty());
    assert_eq!(report.counts.prose_sections, full.counts.prose_sections - 4);

    // Everything done or set aside: complete.
    write(&doc, |txn| -> Result<(), DocumentError> {
        for section in prose_sections(&plan_structure(txn, &template)) {
            set_prose_paragraphs(txn, &template, &section.id, &["Tekst."])?;
        }
        set_checklist(
            txn,
            &template,
            &format!("{DOCUMENTS}/folkehelseloven"),
            true,
        )
    })
    .expect("filled in");
    let report = completeness(&plan_view(&doc, &template), &template);
    assert!(report.complete, "{report:?}");
}

#[test]
fn an_incomplete_row_is_named_by_number_and_place() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let ids = write(&doc, |txn| {
        append_tiltak(
            txn,
            &template,
            &[
                row(json!({"strategi": "forebygging", "tiltak": "Ferdig", "ansvarlig": "NAV", "status": "pabegynt"})),
                row(json!({"strategi": "tidlig_innsats", "tiltak": "Ruskurs", "ansvarlig": "NAV"})),
                row(json!({"tiltak": "Uten strategi", "ansvarlig": "NAV", "status": "utgar"})),
            ],
            RowOrigin::Imported,
        )
    })
    .expect("rows");
    patch(
        &doc,
        &template,
        "planprosessen.tiltak",
        json!({"heading": "Tiltak i perioden"}),
    )
    .expect("renamed");
    let report = completeness(&plan_view(&doc, &template), &template);
    let named: Vec<(&str, usize, &str, Vec<&str>)> = report
        .incomplete_tiltak
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.number,
                r.place.as_str(),
                r.missing.iter().map(|m| m.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (
                ids[1].as_str(),
                2,
                "4.5 Tiltak i perioden, Tidligere innsats når rusproblemer oppstår og hjelp til å komme ut av rusproblemene",
                vec!["status"]
            ),
            (
                ids[2].as_str(),
                3,
                "4.5 Tiltak i perioden, Uten strategi",
                vec!["strategi"]
            ),
        ]
    );

    // A row in two target groups, printed in each, is listed once, where it is first printed.
    let template = super::tests::template(COMBINED);
    let doc = new_plan(&template);
    let ids = make(
        &doc,
        &template,
        &[row(json!({
            "tiltak": "Felles",
            "strategi": "en_dor_inn",
            "sections": ["malgrupper.voksne.nye-tiltak", "malgrupper.eldre.nye-tiltak"],
        }))],
    )
    .expect("row in two groups");
    let report = completeness(&plan_view(&doc, &template), &template);
    assert_eq!(report.counts.tiltak_rows, 1);
    assert_eq!(report.incomplete_tiltak.len(), 1);
    let row = &report.incomplete_tiltak[0];
    assert_eq!(row.id, ids[0]);
    assert_eq!(
        row.place,
        "4.3.3 Nye tiltak, Det er én dør inn til psykiske helsetjenester"
    );
    let missing: Vec<&str> = row.missing.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(missing, ["ansvarlig"]);
}

#[test]
fn required_fields_come_from_the_template() {
    let text = include_str!("../../templates/plans/korus-ruspolitisk-handlingsplan.toml");
    let old = "required = true\ndefault = \"ikke_startet\"";
    assert!(
        text.contains(old),
        "test setup: the status field has changed"
    );
    let relaxed = parse_template(
        &text.replacen(old, "default = \"ikke_startet\"", 1),
        "uten-krav.toml",
    )
    .expect("valid");
    assert!(!relaxed.field("status").expect("status").required);

    let strict = template(KORUS);
    for (template, incomplete) in [(&strict, 27), (&relaxed, 0)] {
        let doc = new_plan(template);
        import_fixture(&doc, template);
        let report = completeness(&plan_view(&doc, template), template);
        assert_eq!(
            report.counts.incomplete_rows,
            incomplete,
            "{}",
            template.key()
        );
        assert!(
            report
                .incomplete_tiltak
                .iter()
                .all(|r| r.missing.iter().all(|m| m.name == "status"))
        );
    }
}

// ---- rows in several target groups ---------------------------------------------------------

#[test]
fn a_row_in_several_target_groups() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    let voksne = "malgrupper.voksne.nye-tiltak";
    let eldre = "malgrupper.eldre.nye-tiltak";
    let ids = make(
        &doc,
        &template,
        &[
            row(json!({"tiltak": "Begge", "sections": [eldre, voksne, eldre]})),
            row(json!({"tiltak": "Én", "sections": [voksne]})),
        ],
    )
    .expect("rows");
    let view = plan_view(&doc, &template);
    assert_eq!(view.tiltak[0].section.as_deref(), Some(eldre));
    assert_eq!(view.tiltak[0].sections, [eldre, voksne]);
    assert_eq!(view.tiltak[0].section_ids(), [eldre, voksne]);
    let json = serde_json::to_value(&view.tiltak[0]).expect("json");
    assert_eq!(json["sections"], json!([eldre, voksne]));
    // One section is stored as `section`.
    assert_eq!(view.tiltak[1].section.as_deref(), Some(voksne));
    assert!(view.tiltak[1].sections.is_empty());

    let known = tiltak_section_ids(&template, &view.target_groups);
    let titles = |section: &str, mode: MultiGroup| -> Vec<String> {
        rows_of_section(&view.tiltak, section, &known, mode)
            .iter()
            .map(|r| r.title(&template))
            .collect()
    };
    assert_eq!(titles(voksne, MultiGroup::Each), ["Begge", "Én"]);
    assert_eq!(titles(eldre, MultiGroup::Each), ["Begge"]);
    // Once: in its first group only.
    assert_eq!(titles(voksne, MultiGroup::Once), ["Én"]);
    assert_eq!(titles(eldre, MultiGroup::Once), ["Begge"]);
    assert!(titles("malgrupper.barn-og-unge.nye-tiltak", MultiGroup::Each).is_empty());

    // An unknown section is refused; [] clears.
    let error = write(&doc, |txn| {
        patch_tiltak(
            txn,
            &template,
            &ids[0],
            &row(json!({"sections": [eldre, "malgrupper.studenter.nye-tiltak"]})),
        )
    })
    .expect_err("unknown group");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    write(&doc, |txn| {
        patch_tiltak(txn, &template, &ids[0], &row(json!({"sections": []})))
    })
    .expect("cleared");
    let view = plan_view(&doc, &template);
    assert_eq!(view.tiltak[0].section, None);
    assert!(view.tiltak[0].sections.is_empty());
}

#[test]
fn row_sections_written_by_a_browser_read_as_the_browser_reads_them() {
    let template = template(COMBINED);
    let doc = new_plan(&template);
    let voksne = "malgrupper.voksne.nye-tiltak";
    let eldre = "malgrupper.eldre.nye-tiltak";
    {
        let mut txn = doc.transact_mut();
        let rows = txn.get_or_insert_array(layout::TILTAK);
        // Only `sections`, with one item.
        rows.push_back(
            &mut txn,
            MapPrelim::from([
                (
                    "id",
                    In::Any(Any::from("0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11")),
                ),
                ("sections", In::Any(layout::list_value(&[eldre.to_owned()]))),
            ]),
        );
        // The browser's own row: `section`, and `sections` starting with it.
        rows.push_back(
            &mut txn,
            MapPrelim::from([
                (
                    "id",
                    In::Any(Any::from("0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c12")),
                ),
                ("section", In::Any(Any::from(voksne))),
                (
                    "sections",
                    In::Any(layout::list_value(&[voksne.to_owned(), eldre.to_owned()])),
                ),
            ]),
        );
    }
    let view = plan_view(&doc, &template);
    assert_eq!(view.tiltak[0].section_ids(), [eldre]);
    assert_eq!(view.tiltak[0].section.as_deref(), Some(eldre));
    assert_eq!(view.tiltak[1].section_ids(), [voksne, eldre]);
    assert_eq!(view.tiltak[1].section.as_deref(), Some(voksne));
}

// ---- the live guard ------------------------------------------------------------------------

/// A room's document with its guard, and one client that has synced with it.
struct Live {
    server: Doc,
    guard: LiveGuard,
    client: Doc,
    template: Arc<Template>,
}

impl Live {
    fn new() -> Self {
        let template = Arc::new(template(KORUS));
        let server = new_plan(&template);
        layout::define_roots(&mut server.transact_mut());
        let guard = LiveGuard::install(&server, template.clone());
        let client = Doc::new();
        apply(
            &client,
            &server
                .transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        Live {
            server,
            guard,
            client,
            template,
        }
    }

    /// Makes a change in the client and applies it to the room's document as one update; what
    /// the guard refused, if anything.
    fn send(&self, change: impl FnOnce(&mut TransactionMut)) -> Option<String> {
        let before = self.client.transact().state_vector();
        {
            let mut txn = self.client.transact_mut();
            change(&mut txn);
        }
        let update = self.client.transact().encode_state_as_update_v1(&before);
        self.guard.reset();
        apply(&self.server, &update);
        self.guard.refused()
    }

    /// Like [`send`](Self::send), for a change that must be accepted.
    fn accepted(&self, what: &str, change: impl FnOnce(&mut TransactionMut)) {
        if let Some(place) = self.send(change) {
            panic!("{what} was refused: {place}");
        }
    }
}

fn prelim(entries: Vec<(&'static str, In)>) -> MapPrelim {
    entries.into_iter().collect()
}

fn text(value: &str) -> In {
    In::Any(Any::from(value))
}

fn list(values: &[&str]) -> In {
    let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    In::Any(layout::list_value(&values))
}

const ROW_ID: &str = "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11";

/// A row as a browser makes it.
fn valid_row() -> MapPrelim {
    prelim(vec![
        ("id", text(ROW_ID)),
        ("strategi", text("forebygging")),
        ("tiltak", TextPrelim::new("Kurs for foreldre").into()),
        ("indikator", TextPrelim::new("").into()),
        ("ansvarlig", list(&["NAV", "Kirkens Bymisjon"])),
        ("mal", list(&[])),
        ("status", text("ikke_startet")),
    ])
}

fn first_row(txn: &TransactionMut) -> yrs::MapRef {
    match yrs::ReadTxn::get_array(txn, layout::TILTAK).and_then(|rows| rows.get(txn, 0)) {
        Some(Out::YMap(map)) => map,
        other => panic!("a row, got {other:?}"),
    }
}

#[test]
fn the_guard_accepts_writes_the_layout_has() {
    let live = Live::new();
    live.accepted("a row with template fields", |txn| {
        txn.get_or_insert_array(layout::TILTAK)
            .push_back(txn, valid_row());
    });
    live.accepted("typing in a long_text cell", |txn| {
        let row = first_row(txn);
        let Some(Out::YText(cell)) = row.get(txn, "tiltak") else {
            panic!("a Y.Text cell");
        };
        cell.insert(txn, 0, "Nytt: ");
    });
    live.accepted("a field set on a row", |txn| {
        let row = first_row(txn);
        row.insert(txn, "frist", "2026");
        row.insert(
            txn,
            "sections",
            layout::list_value(&["planprosessen.tiltak".to_owned()]),
        );
        row.remove(txn, "status");
    });
    assert_eq!(
        plan_view(&live.server, &live.template).tiltak[0].text("tiltak"),
        "Nytt: Kurs for foreldre"
    );
    live.accepted("a local checklist item", |txn| {
        txn.get_or_insert_array(layout::CHECKLIST_ITEMS).push_back(
            txn,
            prelim(vec![
                ("id", text("lokal-0000abcd")),
                ("section", text(DOCUMENTS)),
                ("label", text("Kommunerevisjonens rapport")),
                ("group", text("")),
                ("year", text("2024")),
            ]),
        );
    });
    live.accepted("the local item's tick", |txn| {
        txn.get_or_insert_map(layout::CHECKLIST).insert(
            txn,
            format!("{DOCUMENTS}/lokal-0000abcd"),
            true,
        );
    });
    live.accepted("a template item's tick", |txn| {
        txn.get_or_insert_map(layout::CHECKLIST).insert(
            txn,
            "hvor-star-vi.nokkeltall/ungdata",
            true,
        );
    });
    live.accepted("a structure entry", |txn| {
        txn.get_or_insert_map(layout::STRUCTURE).insert(
            txn,
            "brukermedvirkning",
            prelim(vec![
                ("heading", text("Brukernes stemme")),
                ("in_use", In::Any(Any::from(false))),
            ]),
        );
    });
    live.accepted("a change to a structure entry", |txn| {
        let structure = txn.get_or_insert_map(layout::STRUCTURE);
        let Some(Out::YMap(entry)) = structure.get(txn, "brukermedvirkning") else {
            panic!("an entry");
        };
        entry.insert(txn, "in_use", true);
    });
    live.accepted("a local section and its structure entry", |txn| {
        txn.get_or_insert_array(layout::LOCAL_SECTIONS).push_back(
            txn,
            prelim(vec![
                ("id", text("innledning.lokal-0000abcd")),
                ("parent", text("innledning")),
                ("heading", text("Bydelens tjenester")),
                ("kind", text("prose")),
            ]),
        );
    });
    live.accepted("a structure entry of a local section", |txn| {
        txn.get_or_insert_map(layout::STRUCTURE).insert(
            txn,
            "innledning.lokal-0000abcd",
            prelim(vec![("in_use", In::Any(Any::from(false)))]),
        );
    });
    live.accepted("a goal", |txn| {
        txn.get_or_insert_array(layout::MAL).push_back(
            txn,
            prelim(vec![
                ("id", text("m1")),
                ("title", text("Færre unge debuterer tidlig")),
                ("description", text("")),
                ("strategi", list(&["forebygging"])),
            ]),
        );
    });
    live.accepted("a key figure", |txn| {
        txn.get_or_insert_array(layout::FIGURES).push_back(
            txn,
            prelim(vec![
                ("id", text("f1")),
                ("section", text("hvor-star-vi.nokkeltall-tabell")),
                ("indikator", text("Unge som har vært beruset")),
                ("kilde", text("Ungdata")),
                ("ar", text("2023")),
                ("verdi", text("11 %")),
                ("oslo", text("14 %")),
                ("mal", text("")),
            ]),
        );
    });
    live.accepted("meta", |txn| {
        txn.get_or_insert_map(layout::META)
            .insert(txn, "title", "Ny tittel");
    });
    live.accepted("a milestone and a target group", |txn| {
        txn.get_or_insert_array(layout::MILESTONES).push_back(
            txn,
            prelim(vec![
                ("id", text("ms1")),
                ("title", text("Vedtak")),
                ("date", text("2025-06-19")),
                ("responsible", text("")),
                ("done", In::Any(Any::from(false))),
            ]),
        );
        txn.get_or_insert_array(layout::TARGET_GROUPS).push_back(
            txn,
            prelim(vec![("id", text("eldre")), ("name", text("Eldre"))]),
        );
    });
    let view = plan_view(&live.server, &live.template);
    assert_eq!(
        view.checklist.get(&format!("{DOCUMENTS}/lokal-0000abcd")),
        Some(&true)
    );
    assert_eq!(view.goals.len(), 1);
    assert_eq!(view.figures.len(), 1);
    assert!(
        structure::find(&view.structure, "innledning.lokal-0000abcd").is_some_and(|s| !s.in_use)
    );
}

#[test]
fn the_guard_refuses_writes_outside_the_layout() {
    type Change = Box<dyn FnOnce(&mut TransactionMut)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "an unknown key in a new row",
            Box::new(|txn: &mut TransactionMut| {
                let mut row = valid_row();
                row.insert("farge".into(), text("rød"));
                txn.get_or_insert_array(layout::TILTAK).push_back(txn, row);
            }),
            "key `farge` in `tiltak`",
        ),
        (
            "an unknown key on a row",
            Box::new(|txn: &mut TransactionMut| {
                let row = first_row(txn);
                row.insert(txn, "niva_2", "individ");
            }),
            "key `niva_2` in `tiltak`",
        ),
        (
            "a key in meta outside the layout",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_map(layout::META)
                    .insert(txn, "eier", "Ola");
            }),
            "key `eier` in `meta`",
        ),
        (
            "the plan's template",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_map(layout::META)
                    .insert(txn, "template", "annen-mal@1");
            }),
            "`meta.template`",
        ),
        (
            "an unknown checklist item",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_map(layout::CHECKLIST).insert(
                    txn,
                    "hvor-star-vi.nokkeltall/tiktok",
                    true,
                );
            }),
            "checklist item `hvor-star-vi.nokkeltall/tiktok`",
        ),
        (
            "a nested Y.Map in a row",
            Box::new(|txn: &mut TransactionMut| {
                let row = first_row(txn);
                row.insert(txn, "ansvarlig", MapPrelim::default());
            }),
            "a nested type in `tiltak`",
        ),
        (
            "a nested Y.Map in a new row",
            Box::new(|txn: &mut TransactionMut| {
                let mut row = valid_row();
                row.insert("ansvarlig".into(), In::Map(MapPrelim::default()));
                txn.get_or_insert_array(layout::TILTAK).push_back(txn, row);
            }),
            "a nested type in `tiltak`",
        ),
        (
            "a goal with an unknown key",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_array(layout::MAL).push_back(
                    txn,
                    prelim(vec![
                        ("id", text("m1")),
                        ("title", text("Mål")),
                        ("farge", text("rød")),
                    ]),
                );
            }),
            "key `farge` in `mal`",
        ),
        (
            "a structure entry of a section the plan does not have",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_map(layout::STRUCTURE).insert(
                    txn,
                    "finnes-ikke",
                    prelim(vec![("in_use", In::Any(Any::from(false)))]),
                );
            }),
            "section `finnes-ikke` in `structure`",
        ),
        (
            "a structure entry with an unknown key",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_map(layout::STRUCTURE).insert(
                    txn,
                    "brukermedvirkning",
                    prelim(vec![("farge", text("rød"))]),
                );
            }),
            "key `farge` in `structure`",
        ),
        (
            "a structure entry holding a nested map",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_map(layout::STRUCTURE).insert(
                    txn,
                    "brukermedvirkning",
                    prelim(vec![("heading", In::Map(MapPrelim::default()))]),
                );
            }),
            "a nested type in `structure`",
        ),
        (
            "a goal holding a nested array",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_array(layout::MAL).push_back(
                    txn,
                    prelim(vec![
                        ("id", text("m1")),
                        ("strategi", In::Array(yrs::ArrayPrelim::default())),
                    ]),
                );
            }),
            "a nested type in `mal`",
        ),
        (
            "an entry of an array that is not a map",
            Box::new(|txn: &mut TransactionMut| {
                txn.get_or_insert_array(layout::FIGURES)
                    .push_back(txn, "tall");
            }),
            "an entry of `figures` that is not a map",
        ),
    ];
    for (what, change, expected) in cases {
        let live = Live::new();
        live.accepted("a valid row first", |txn| {
            txn.get_or_insert_array(layout::TILTAK)
                .push_back(txn, valid_row());
        });
        let refused = live
            .send(change)
            .unwrap_or_else(|| panic!("{what} was not refused"));
        assert!(refused.contains(expected), "{what}: {refused}");
        // The next update is judged on its own.
        live.accepted("a valid change after a refused one", |txn| {
            txn.get_or_insert_map(layout::META)
                .insert(txn, "bydel", "Nordstrand");
        });
    }
}

#[test]
fn unknown_roots_are_the_ones_the_plan_does_not_have() {
    let template = template(KORUS);
    let doc = new_plan(&template);
    let local = add_section(
        &doc,
        &template,
        "innledning",
        "Bydelens tjenester",
        SectionKind::Prose,
    )
    .expect("local");
    let appendix =
        add_section(&doc, &template, "", "Vedlegg", SectionKind::Appendix).expect("appendix");
    let txn = doc.transact();
    let unknown = |name: &str| unknown_roots(&txn, &template, [name]);
    for name in [
        "t",
        "section:nope",
        "section:planprosessen.tiltak",
        "section:",
        "Section:innledning.hva-er-planen",
    ] {
        let place = unknown(name).unwrap_or_else(|| panic!("{name} accepted"));
        assert!(place.contains(&format!("`{name}`")), "{place}");
    }
    for name in [
        "section:innledning.hva-er-planen".to_owned(),
        "section:hvor-star-vi".to_owned(),
        format!("section:{local}"),
        format!("section:{appendix}"),
    ] {
        assert_eq!(unknown(&name), None, "{name}");
    }
    assert_eq!(unknown_roots(&txn, &template, layout::ROOTS), None);
    // A mix is refused for its first unknown name.
    let place = unknown_roots(&txn, &template, ["tiltak", "x", "y"]).expect("refused");
    assert!(place.contains("`x`"), "{place}");
    assert_eq!(
        COORDINATOR_ROOTS,
        [
            layout::META,
            layout::STRUCTURE,
            layout::LOCAL_SECTIONS,
            layout::MAL,
            layout::CHECKLIST_ITEMS
        ]
    );
}
