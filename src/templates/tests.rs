use std::path::{Path, PathBuf};

use super::*;

const KORUS: &str = "korus-ruspolitisk-handlingsplan";
const COMBINED: &str = "handlingsplan-psykisk-helse-og-rus";

/// A small valid template that the broken-template tests change one thing in.
const MINIMAL: &str = r#"
id = "test-mal"
version = 1
title = "Testmal"
description = "En liten mal for tester."

[tiltak]
title_field = "tiltak"
group_by = "strategi"
strategy_field = "strategi"

[[tiltak.fields]]
name = "strategi"
label = "Strategi"
type = "enum"
required = true
options = [
  { value = "forebygging", label = "Forebygging" },
  { value = "tidlig_innsats", label = "Tidlig innsats" },
]

[[tiltak.fields]]
name = "tiltak"
label = "Tiltak"
type = "long_text"
required = true

[[tiltak.fields]]
name = "ansvarlig"
label = "Ansvarlig"
type = "unit"
required = true

[[tiltak.fields]]
name = "status"
label = "Status"
type = "enum"
options = [{ value = "ikke_startet", label = "Ikke startet" }]

[[sections]]
id = "innledning"
heading = "Innledning"
kind = "prose"

[[sections]]
id = "kilder"
heading = "Kilder"
kind = "checklist"

[[sections.items]]
id = "ungdata"
label = "Ungdata"
"#;

fn builtin() -> TemplateRegistry {
    TemplateRegistry::builtin().expect("built-in templates load")
}

fn korus() -> Template {
    builtin().get(KORUS).expect("KoRus template").clone()
}

fn combined() -> Template {
    builtin().get(COMBINED).expect("combined template").clone()
}

/// MINIMAL with one piece of text replaced (which must be there).
fn minimal_with(old: &str, new: &str) -> String {
    assert!(MINIMAL.contains(old), "test setup: `{old}` not in MINIMAL");
    MINIMAL.replacen(old, new, 1)
}

/// The error message for a template text that must not load.
fn error_of(text: &str) -> String {
    match parse_template(text, "test.toml") {
        Ok(template) => panic!("template {} loaded but should not", template.key()),
        Err(err) => err.to_string(),
    }
}

fn assert_error(text: &str, expected: &[&str]) {
    let message = error_of(text);
    assert!(message.starts_with("test.toml: "), "no file in: {message}");
    for part in expected {
        assert!(message.contains(part), "`{part}` not in: {message}");
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/templates")
        .join(name)
}

/// A fresh empty directory under the system temp dir.
fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

// ---- built-in templates ----------------------------------------------------------------

#[test]
fn every_builtin_template_loads_and_validates() {
    let registry = builtin();
    let keys: Vec<String> = registry.list().map(Template::key).collect();
    assert_eq!(keys, [format!("{COMBINED}@1"), format!("{KORUS}@1")]);
    for template in registry.list() {
        validate(template, "again").expect("valid");
        assert!(!template.units.is_empty());
        // The roles name fields of the table (no field name is fixed in code).
        assert!(template.title_field().is_some(), "{}", template.id);
        assert!(template.group_field().is_some(), "{}", template.id);
        assert!(template.strategy_field().is_some(), "{}", template.id);
        assert_eq!(template.tiltak.multi_group, MultiGroup::Each);
        // Every field is a column somewhere or shown as «Label: value»; widths are usable.
        assert!(template.tiltak.fields.iter().all(|f| f.width >= 1));
        assert!(!template.columns(Place::Export).is_empty());
    }
}

#[test]
fn korus_has_the_guides_seven_chapters() {
    let template = korus();
    let top: Vec<(&str, &str)> = template
        .sections
        .iter()
        .map(|s| (s.id.as_str(), s.heading.as_str()))
        .collect();
    assert_eq!(
        top,
        [
            ("innledning", "Innledning"),
            ("hvor-star-vi", "Hvor står vi?"),
            ("hvor-bor-vi-ga", "Hvor bør vi gå?"),
            ("planprosessen", "Hvordan skal vi komme dit? Planprosessen"),
            ("brukermedvirkning", "Brukermedvirkning"),
            (
                "samhandling-og-kompetanse",
                "Samhandling og tilføring av tverrfaglig kompetanse"
            ),
            (
                "gjennomforing-og-oppfolging",
                "Gjennomføring og oppfølging av planen"
            ),
        ]
    );

    let flat: Vec<(String, &str, usize)> = template
        .sections_flat()
        .into_iter()
        .map(|f| (f.number, f.section.id.as_str(), f.depth))
        .collect();
    let expected = [
        ("1", "innledning", 1),
        ("1.1", "innledning.hva-er-planen", 2),
        ("1.2", "innledning.byradets-foringer", 2),
        ("2", "hvor-star-vi", 1),
        ("2.1", "hvor-star-vi.nasituasjon", 2),
        ("2.2", "hvor-star-vi.russituasjon", 2),
        ("2.3", "hvor-star-vi.nokkeltall-tabell", 2),
        ("2.4", "hvor-star-vi.nokkeltall", 2),
        ("2.5", "hvor-star-vi.plandokumenter", 2),
        ("3", "hvor-bor-vi-ga", 1),
        ("3.1", "hvor-bor-vi-ga.niva", 2),
        ("3.2", "hvor-bor-vi-ga.malgrupper", 2),
        ("3.3", "hvor-bor-vi-ga.fokus", 2),
        ("4", "planprosessen", 1),
        ("4.1", "planprosessen.suksesskriterier", 2),
        ("4.2", "planprosessen.organisering", 2),
        ("4.3", "planprosessen.milepaeler", 2),
        ("4.4", "planprosessen.mal-og-strategier", 2),
        ("4.5", "planprosessen.tiltak", 2),
        ("5", "brukermedvirkning", 1),
        ("6", "samhandling-og-kompetanse", 1),
        ("7", "gjennomforing-og-oppfolging", 1),
    ];
    let expected: Vec<(String, &str, usize)> = expected
        .iter()
        .map(|(n, id, d)| (n.to_string(), *id, *d))
        .collect();
    assert_eq!(flat, expected);

    let tiltak = template.sections_of_kind(SectionKind::Tiltak);
    assert_eq!(tiltak.len(), 1);
    assert_eq!(tiltak[0].id, "planprosessen.tiltak");
    let milestones = template.sections_of_kind(SectionKind::Milestones);
    assert_eq!(milestones.len(), 1);
    assert_eq!(milestones[0].id, "planprosessen.milepaeler");
    // The guide's key figures have a table of their own beside the checklist of sources.
    let figures = template.sections_of_kind(SectionKind::Figures);
    assert_eq!(figures.len(), 1);
    assert_eq!(figures[0].id, "hvor-star-vi.nokkeltall-tabell");

    // Every section tells the writer what belongs there.
    for flat in template.sections_flat() {
        assert!(!flat.section.guidance.is_empty(), "{}", flat.section.id);
    }
}

#[test]
fn korus_checklists_hold_the_guides_sources_and_documents() {
    let template = korus();
    let item_ids = |section: &str| -> Vec<String> {
        let section = template.section(section).expect("section");
        assert_eq!(section.kind, SectionKind::Checklist);
        section.items.iter().map(|item| item.id.clone()).collect()
    };

    let sources = item_ids("hvor-star-vi.nokkeltall");
    for id in [
        "fhi",
        "oslomet",
        "oslohelse",
        "brukerplan",
        "ungdata",
        "ungdata-junior",
        "kunnskapsgrunnlag-velferdsetaten",
        "fore-var",
        "lokale-tall",
        "pakkeforlop",
        "politiet",
        "legevakt",
        "saertrekk",
    ] {
        assert!(sources.iter().any(|s| s == id), "source {id}");
    }
    assert!(
        !template
            .section("hvor-star-vi.nokkeltall")
            .is_some_and(|s| s.appendix)
    );

    let documents = item_ids("hvor-star-vi.plandokumenter");
    for id in [
        "opptrappingsplan-rusfeltet",
        "opptrappingsplan-vold-og-overgrep",
        "opptrappingsplan-barn-og-unges-psykiske-helse",
        "nasjonal-overdosestrategi",
        "bolig-for-velferd",
        "folkehelseloven",
        "folkehelsemeldingen",
        "strategisk-plan-rusfeltet",
        "prioslo",
        "tildelingsbrev-bydelene",
        "tildelingsbrev-velferdsetaten",
        "program-folkehelsearbeid",
        "veileder-osloskolen",
        "bydel-folkehelseplan",
        "bydel-psykisk-helseplan",
        "bydel-boligstrategi",
        "bydel-frivillighetsmelding",
        "bydel-okonomiplan",
        "bydel-innovasjonsstrategi",
        "salto-handlingsprogram",
        "bydel-digitaliseringsstrategi",
    ] {
        assert!(documents.iter().any(|d| d == id), "document {id}");
    }
    let appendices: Vec<&str> = template
        .appendix_sections()
        .into_iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(appendices, ["hvor-star-vi.plandokumenter"]);
    // The documents keep the guide's three groups, in the guide's order, and their years.
    let plandokumenter = template
        .section("hvor-star-vi.plandokumenter")
        .expect("documents");
    let mut groups: Vec<&str> = Vec::new();
    for item in &plandokumenter.items {
        if groups.last() != Some(&item.group.as_str()) {
            groups.push(&item.group);
        }
    }
    assert_eq!(
        groups,
        [
            "Relevante lover, forskrifter og nasjonale planer",
            "Byrådets planer og programmer",
            "Bydelens egne mål og overordnede strategiske planer",
        ]
    );
    let year = |id: &str| {
        plandokumenter
            .items
            .iter()
            .find(|item| item.id == id)
            .map(|item| item.year.as_str())
    };
    assert_eq!(year("folkehelseloven"), Some("2011"));
    assert_eq!(year("opptrappingsplan-rusfeltet"), Some("2016–2020"));
    assert_eq!(year("prioslo"), Some(""), "a year is optional");

    assert!(template.has_checklist_key("hvor-star-vi.nokkeltall/ungdata"));
    assert!(!template.has_checklist_key("hvor-star-vi.nokkeltall/finnes-ikke"));
    assert!(!template.has_checklist_key("hvor-star-vi.russituasjon/ungdata"));
    assert!(!template.has_checklist_key("uten-skråstrek"));
    assert_eq!(
        template.checklist_items().len(),
        sources.len() + documents.len()
    );
}

#[test]
fn korus_prose_sections_and_guidance() {
    let template = korus();
    let prose = template.prose_section_ids();
    assert!(prose.contains(&"hvor-star-vi.russituasjon"));
    assert!(prose.contains(&"brukermedvirkning"));
    assert!(!prose.contains(&"hvor-star-vi"), "groups hold no text");
    assert!(!prose.contains(&"planprosessen.tiltak"));
    assert_eq!(prose.len(), 13);

    let russituasjon = template.section("hvor-star-vi.russituasjon").expect("2.2");
    assert!(
        russituasjon
            .questions
            .iter()
            .any(|q| q == "Hva vet dere om langing av alkohol til mindreårige?")
    );
    let innledning = template
        .section("innledning.byradets-foringer")
        .expect("1.2");
    assert!(
        innledning
            .guidance
            .contains("Færre innbyggere utvikler rusproblemer")
    );
    // The prevention types carry the guide's definitions where the levels are chosen.
    let niva = template.section("hvor-bor-vi-ga.niva").expect("3.1");
    let terms: Vec<&str> = niva.help.iter().map(|h| h.term.as_str()).collect();
    for term in [
        "Strukturelt nivå",
        "Gruppenivå",
        "Individnivå",
        "Universell forebygging",
        "Selektiv forebygging",
        "Indikativ forebygging",
    ] {
        assert!(terms.contains(&term), "{term}");
    }
}

#[test]
fn korus_tiltak_schema() {
    let template = korus();
    let names: Vec<&str> = template
        .tiltak
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "strategi",
            "mal",
            "innsatsomrade",
            "tiltak",
            "niva",
            "forebygging",
            "malgruppe",
            "ansvarlig",
            "samarbeid",
            "frist",
            "status",
            "indikator"
        ]
    );

    // The roles, and the plan goals' field.
    assert_eq!(template.tiltak.title_field.as_deref(), Some("tiltak"));
    assert_eq!(template.tiltak.group_by.as_deref(), Some("strategi"));
    assert_eq!(template.tiltak.strategy_field.as_deref(), Some("strategi"));
    assert_eq!(template.tiltak.multi_group, MultiGroup::Each);
    assert_eq!(
        template.field("mal").map(|f| f.field_type),
        Some(FieldType::Goals)
    );
    assert!(FieldType::Goals.is_list() && FieldType::Unit.is_list());
    assert!(!FieldType::Number.is_list() && !FieldType::Number.has_options());

    // Columns, in field order, per place; everything else is «Label: value» under the title.
    let names = |place| -> Vec<&str> {
        template
            .columns(place)
            .into_iter()
            .map(|f| f.name.as_str())
            .collect()
    };
    assert_eq!(
        names(Place::Editor),
        ["tiltak", "ansvarlig", "frist", "status"]
    );
    assert_eq!(
        names(Place::Export),
        [
            "innsatsomrade",
            "tiltak",
            "niva",
            "ansvarlig",
            "frist",
            "status"
        ]
    );
    assert_eq!(names(Place::Page), names(Place::Export));
    let width = |name: &str| template.field(name).map(|f| f.width);
    assert_eq!(width("tiltak"), Some(5));
    assert_eq!(width("indikator"), Some(1), "default width");
    assert_eq!(
        template.field("innsatsomrade").map(|f| f.max_chars()),
        Some(200)
    );
    assert_eq!(
        template.field("indikator").map(|f| f.max_chars()),
        Some(MAX_FIELD_CHARS)
    );
    let filters: Vec<&str> = template
        .tiltak
        .fields
        .iter()
        .filter(|f| f.filter)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(filters, ["strategi", "ansvarlig", "status"]);
    let required: Vec<&str> = template
        .tiltak
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(required, ["strategi", "tiltak", "ansvarlig", "status"]);

    let strategy = template.strategy_field().expect("strategy field");
    let strategies: Vec<(&str, &str)> = strategy
        .options
        .iter()
        .map(|o| (o.value.as_str(), o.short()))
        .collect();
    assert_eq!(
        strategies,
        [
            ("forebygging", "Forebygging"),
            ("tidlig_innsats", "Tidlig innsats"),
            ("livskvalitet", "Økt livskvalitet"),
        ]
    );
    assert_eq!(
        strategy.options[0].label,
        "Forebyggingsoffensiv for å hindre at rusproblemer oppstår"
    );

    let field = |name: &str| template.field(name).expect("field");
    assert_eq!(field("tiltak").field_type, FieldType::LongText);
    assert_eq!(field("ansvarlig").field_type, FieldType::Unit);
    assert_eq!(field("frist").field_type, FieldType::Deadline);
    assert_eq!(field("status").default.as_deref(), Some("ikke_startet"));
    let status: Vec<(&str, &str)> = field("status")
        .options
        .iter()
        .map(|o| (o.value.as_str(), o.label.as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("ikke_startet", "Ikke startet"),
            ("pabegynt", "Påbegynt"),
            ("gjennomfort", "Gjennomført"),
            ("utsatt", "Utsatt"),
            ("utgar", "Utgår"),
        ]
    );
    // Status rounds: the statuses, which need a reason, which is done, who reports.
    assert_eq!(
        template.status_field().map(|f| f.name.as_str()),
        Some("status")
    );
    assert_eq!(
        template.indicator_field().map(|f| f.name.as_str()),
        Some("indikator")
    );
    assert_eq!(
        template.responsible_field().map(|f| f.name.as_str()),
        Some("ansvarlig")
    );
    let needs_reason: Vec<&str> = field("status")
        .options
        .iter()
        .filter(|o| o.requires_reason)
        .map(|o| o.value.as_str())
        .collect();
    assert_eq!(needs_reason, ["utsatt", "utgar"]);
    let done: Vec<&str> = field("status")
        .options
        .iter()
        .filter(|o| o.done)
        .map(|o| o.value.as_str())
        .collect();
    assert_eq!(done, ["gjennomfort"]);
    let selektiv = field("forebygging").option("selektiv").expect("selektiv");
    assert!(
        selektiv
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("Selektiv forebygging er strategier og tiltak"))
    );
    for level in ["strukturelt", "gruppe", "individ"] {
        assert!(
            field("niva")
                .option(level)
                .is_some_and(|o| o.help.is_some())
        );
    }
}

#[test]
fn validate_enum_names_field_and_allowed_values() {
    let template = korus();
    assert_eq!(template.validate_enum("strategi", "tidlig_innsats"), Ok(()));
    assert_eq!(template.validate_enum("forebygging", ""), Ok(()));

    let err = template
        .validate_enum("strategi", "reparasjon")
        .expect_err("not a strategy");
    assert_eq!(
        err.to_string(),
        "`reparasjon` is not allowed for tiltak field `strategi`; allowed values: forebygging, tidlig_innsats, livskvalitet"
    );
    assert!(matches!(
        template.validate_enum("status", ""),
        Err(FieldValueError::Missing { .. })
    ));
    assert_eq!(
        template.validate_enum("malgruppe", "Eldre"),
        Err(FieldValueError::NotEnum {
            field: "malgruppe".into()
        })
    );
    assert_eq!(
        template.validate_enum("farge", "rød"),
        Err(FieldValueError::UnknownField {
            field: "farge".into()
        })
    );
}

#[test]
fn combined_template_has_target_groups_and_appendix() {
    let template = combined();
    let top: Vec<&str> = template.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        top,
        [
            "innledning",
            "utarbeidelse",
            "overordnede-satsninger",
            "malgrupper",
            "gjennomforing-og-oppfolging",
            "styrende-dokumenter",
        ]
    );
    let (part, spec) = template.target_groups().expect("target groups");
    assert_eq!(part.id, "malgrupper");
    let groups: Vec<&str> = spec.defaults.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["Barn og unge", "Unge voksne", "Voksne", "Eldre"]);
    let subsections: Vec<(&str, &str, SectionKind)> = spec
        .subsections
        .iter()
        .map(|s| (s.id.as_str(), s.heading.as_str(), s.kind))
        .collect();
    assert_eq!(
        subsections,
        [
            ("utfordringsbilde", "Utfordringsbilde", SectionKind::Prose),
            ("utviklingsomrade", "Utviklingsområde", SectionKind::Prose),
            ("nye-tiltak", "Nye tiltak", SectionKind::Tiltak),
        ]
    );
    assert!(spec.subsections.iter().all(|s| !s.guidance.is_empty()));
    assert_eq!(
        TargetGroupsSpec::instance_section_id(&part.id, "eldre", "utfordringsbilde"),
        "malgrupper.eldre.utfordringsbilde"
    );

    let appendices = template.appendix_sections();
    assert_eq!(appendices.len(), 1);
    assert_eq!(appendices[0].id, "styrende-dokumenter");
    assert!(
        appendices[0]
            .items
            .iter()
            .any(|i| i.id == "strategi-psykisk-helse-oslo")
    );
    assert_eq!(template.sections_of_kind(SectionKind::Milestones).len(), 1);
    // The city's three rus strategies, then the three hovedmål of «En psykt bra by» (2020).
    let strategies: Vec<&str> = template
        .strategy_field()
        .expect("strategy field")
        .options
        .iter()
        .map(|o| o.value.as_str())
        .collect();
    assert_eq!(
        strategies,
        [
            "forebygging",
            "tidlig_innsats",
            "livskvalitet",
            "farre_psykiske_utfordringer",
            "en_dor_inn",
            "bistand_etter_behov",
        ]
    );
    assert_eq!(template.tiltak.group_by.as_deref(), Some("strategi"));
    assert_eq!(
        template
            .field("strategi")
            .and_then(|f| f.option("en_dor_inn"))
            .map(|o| o.label.as_str()),
        Some("Det er én dør inn til psykiske helsetjenester")
    );
}

#[test]
fn templates_serialise_to_json_for_the_browser() {
    let json = serde_json::to_value(korus()).expect("json");
    assert_eq!(json["sections"][1]["children"][2]["kind"], "figures");
    assert_eq!(json["sections"][1]["children"][3]["kind"], "checklist");
    assert_eq!(json["tiltak"]["fields"][3]["type"], "long_text");
    assert_eq!(json["tiltak"]["fields"][1]["type"], "goals");
    assert_eq!(
        json["tiltak"]["fields"][3]["columns"],
        serde_json::json!(["editor", "page", "export"])
    );
    assert_eq!(json["tiltak"]["group_by"], "strategi");
    assert_eq!(json["tiltak"]["title_field"], "tiltak");
    assert_eq!(json["tiltak"]["multi_group"], "each");
    let item = &json["sections"][1]["children"][4]["items"][0];
    assert_eq!(
        item["group"],
        "Relevante lover, forskrifter og nasjonale planer"
    );
    assert_eq!(item["year"], "2016–2020");
    let back: Template = serde_json::from_value(json).expect("round trip");
    assert_eq!(back.key(), format!("{KORUS}@1"));
}

// ---- broken templates ------------------------------------------------------------------

#[test]
fn minimal_template_is_valid() {
    let template = parse_template(MINIMAL, "test.toml").expect("valid");
    assert_eq!(template.key(), "test-mal@1");
}

#[test]
fn toml_syntax_error_keeps_line_and_column() {
    let message = error_of(&minimal_with(r#"title = "Testmal""#, r#"title = "Testmal"#));
    assert!(message.starts_with("test.toml: "), "{message}");
    assert!(message.contains("line 4, column 17"), "{message}");
    assert!(message.contains("column"), "{message}");
}

#[test]
fn unknown_key_is_refused_with_its_line() {
    let message = error_of(&minimal_with(
        "kind = \"prose\"",
        "kind = \"prose\"\nappendiks = true",
    ));
    assert!(message.contains("appendiks"), "{message}");
    assert!(message.contains("line"), "{message}");
}

#[test]
fn empty_and_non_ascii_ids() {
    assert_error(
        &minimal_with(r#"id = "test-mal""#, r#"id = """#),
        &["template id: id is empty"],
    );
    assert_error(
        &minimal_with(r#"id = "test-mal""#, r#"id = "plan-for-nærmiljø""#),
        &["template id: `plan-for-nærmiljø` is not a valid id"],
    );
    assert_error(
        &minimal_with(r#"id = "innledning""#, r#"id = "Innledning""#),
        &["section `Innledning`: `Innledning` is not a valid section id"],
    );
    assert_error(
        &minimal_with(r#"id = "innledning""#, r#"id = """#),
        &["top-level section 1: id is empty"],
    );
    assert_error(
        &minimal_with(r#"id = "ungdata""#, r#"id = "ung data""#),
        &["section `kilder`, item `ung data`: `ung data` is not a valid id"],
    );
}

#[test]
fn duplicate_section_ids_anywhere_in_the_tree() {
    let text = format!(
        "{MINIMAL}
[[sections]]
id = \"del\"
heading = \"Del\"
kind = \"group\"

[[sections.children]]
id = \"del.a\"
heading = \"A\"
kind = \"prose\"

[[sections.children]]
id = \"del.a\"
heading = \"A igjen\"
kind = \"prose\"
"
    );
    assert_error(
        &text,
        &["section `del.a`: section id `del.a` is defined more than once"],
    );
    let top = format!(
        "{MINIMAL}
[[sections]]
id = \"innledning\"
heading = \"Innledning igjen\"
kind = \"prose\"
"
    );
    assert_error(
        &top,
        &["section `innledning`: section id `innledning` is defined more than once"],
    );
}

#[test]
fn child_id_must_extend_its_parent() {
    let text = format!(
        "{MINIMAL}
[[sections]]
id = \"del\"
heading = \"Del\"
kind = \"group\"

[[sections.children]]
id = \"annen.a\"
heading = \"A\"
kind = \"prose\"
"
    );
    assert_error(
        &text,
        &["section `annen.a`: id `annen.a` must be `del.` followed by one more part"],
    );
    assert_error(
        &minimal_with(r#"id = "innledning""#, r#"id = "innledning.del""#),
        &["id `innledning.del` of a top-level section must not contain `.`"],
    );
}

#[test]
fn duplicate_checklist_item_ids() {
    let text =
        format!("{MINIMAL}\n[[sections.items]]\nid = \"ungdata\"\nlabel = \"Ungdata igjen\"\n");
    assert_error(
        &text,
        &["section `kilder`, item `ungdata`: checklist item `ungdata` is defined more than once"],
    );
}

#[test]
fn unknown_section_kind_names_the_section() {
    let message = error_of(&minimal_with(r#"kind = "prose""#, r#"kind = "essay""#));
    assert_eq!(
        message,
        "test.toml: section `innledning`: unknown section kind `essay`; expected one of prose, tiltak, milestones, checklist, group, target_groups, figures, appendix"
    );
}

#[test]
fn checklist_without_items() {
    let text =
        format!("{MINIMAL}\n[[sections]]\nid = \"tom\"\nheading = \"Tom\"\nkind = \"checklist\"\n");
    assert_error(
        &text,
        &["section `tom`: a checklist needs at least one item"],
    );
}

#[test]
fn enum_without_options_and_duplicate_options() {
    assert_error(
        &minimal_with(
            r#"options = [{ value = "ikke_startet", label = "Ikke startet" }]"#,
            "options = []",
        ),
        &["tiltak field `status`: an `enum` or `multi_enum` field needs at least one option"],
    );
    assert_error(
        &minimal_with(
            r#"{ value = "tidlig_innsats", label = "Tidlig innsats" }"#,
            r#"{ value = "forebygging", label = "Forebygging igjen" }"#,
        ),
        &[
            "tiltak field `strategi`, option `forebygging`: option value `forebygging` is defined more than once",
        ],
    );
    assert_error(
        &minimal_with(r#"value = "tidlig_innsats""#, r#"value = "Tidlig innsats""#),
        &["option `Tidlig innsats`: `Tidlig innsats` is not a valid code"],
    );
}

/// A third template, in the tests only: other columns than the built-in ones (a number field
/// `kostnad`, no `niva`), plan goals, and rows grouped by a multi-valued field.
const THIRD: &str = r#"
id = "tredje-mal"
version = 1
title = "Tredje mal"
description = "En mal med andre kolonner."

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
]

[[tiltak.fields]]
name = "tittel"
label = "Tiltak"
type = "text"
columns = ["editor", "page", "export"]
width = 4

[[tiltak.fields]]
name = "kostnad"
label = "Kostnad"
type = "number"
columns = ["page", "export"]

[[tiltak.fields]]
name = "mal"
label = "Mål"
type = "goals"

[[sections]]
id = "tiltak"
heading = "Tiltak"
kind = "tiltak"
"#;

fn third_with(old: &str, new: &str) -> String {
    assert!(THIRD.contains(old), "test setup: `{old}` not in THIRD");
    THIRD.replacen(old, new, 1)
}

#[test]
fn a_template_defines_its_own_columns_and_roles() {
    let template = parse_template(THIRD, "tredje.toml").expect("valid");
    assert!(template.field("niva").is_none() && template.field("status").is_none());
    assert_eq!(
        template.field("kostnad").map(|f| f.field_type),
        Some(FieldType::Number)
    );
    assert_eq!(
        template.group_field().map(|f| f.field_type),
        Some(FieldType::MultiEnum)
    );
    assert_eq!(
        template.title_field().map(|f| f.name.as_str()),
        Some("tittel")
    );
    assert!(template.strategy_field().is_none());
    assert_eq!(template.tiltak.multi_group, MultiGroup::Once);
    assert_eq!(template.field("tittel").map(|f| f.width), Some(4));
    let export: Vec<&str> = template
        .columns(Place::Export)
        .into_iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(export, ["tittel", "kostnad"]);
    // A multi_enum is a choice field for the template's own check.
    assert_eq!(template.validate_enum("omrade", "bolig"), Ok(()));
    assert!(matches!(
        template.validate_enum("omrade", "helse"),
        Err(FieldValueError::NotAllowed { .. })
    ));
    assert_eq!(
        template.validate_enum("kostnad", "12"),
        Err(FieldValueError::NotEnum {
            field: "kostnad".into()
        })
    );

    // Grouping by the plan's own goals, "each", and no grouping at all are just as valid.
    parse_template(
        &third_with(
            "group_by = \"omrade\"\nmulti_group = \"once\"",
            "group_by = \"mal\"\nmulti_group = \"each\"",
        ),
        "t.toml",
    )
    .expect("grouped by goals");
    let ungrouped =
        parse_template(&third_with("group_by = \"omrade\"\n", ""), "t.toml").expect("not grouped");
    assert!(ungrouped.group_field().is_none());
    assert_eq!(ungrouped.tiltak.multi_group, MultiGroup::Once);
}

#[test]
fn table_roles_must_name_fields_that_can_play_them() {
    assert_error(
        &third_with("group_by = \"omrade\"", "group_by = \"tittel\""),
        &["tiltak table: `group_by` cannot be field `tittel` of type `text`"],
    );
    assert_error(
        &third_with("group_by = \"omrade\"", "group_by = \"kostnad\""),
        &["`group_by` cannot be field `kostnad` of type `number`"],
    );
    assert_error(
        &third_with("title_field = \"tittel\"", "title_field = \"navn\""),
        &["tiltak table: `title_field` names `navn`, which is not a field of the tiltak table"],
    );
    assert_error(
        &third_with("title_field = \"tittel\"", "title_field = \"omrade\""),
        &["`title_field` cannot be field `omrade` of type `multi_enum`"],
    );
    // A plan goal links to strategies of one enum field, not a list.
    assert_error(
        &third_with(
            "multi_group = \"once\"",
            "multi_group = \"once\"\nstrategy_field = \"omrade\"",
        ),
        &["`strategy_field` cannot be field `omrade` of type `multi_enum`"],
    );
    assert_error(
        &third_with(
            "multi_group = \"once\"",
            "multi_group = \"once\"\nstrategy_field = \"retning\"",
        ),
        &["`strategy_field` names `retning`, which is not a field of the tiltak table"],
    );
    // The built-in templates' old rule is gone: a field may be of any kind.
    let message = error_of(&minimal_with(
        "name = \"strategi\"\nlabel = \"Strategi\"\ntype = \"enum\"\nrequired = true\noptions = [\n  { value = \"forebygging\", label = \"Forebygging\" },\n  { value = \"tidlig_innsats\", label = \"Tidlig innsats\" },\n]",
        "name = \"strategi\"\nlabel = \"Strategi\"\ntype = \"text\"",
    ));
    assert!(
        message.contains("`group_by` cannot be field `strategi` of type `text`")
            && message.contains("`strategy_field` cannot be field `strategi` of type `text`"),
        "{message}"
    );
    // Without `title_field`, the first long_text field names a row.
    let untitled = parse_template(&minimal_with("title_field = \"tiltak\"\n", ""), "t.toml")
        .expect("valid without title_field");
    assert_eq!(
        untitled.title_field().map(|f| f.name.as_str()),
        Some("tiltak")
    );
    let message = error_of(&third_with(
        "multi_group = \"once\"",
        "multi_group = \"twice\"",
    ));
    assert!(message.contains("twice"), "{message}");
}

#[test]
fn field_settings_are_checked() {
    assert_error(
        &third_with(
            "name = \"mal\"\nlabel = \"Mål\"\ntype = \"goals\"",
            "name = \"mal\"\nlabel = \"Mål\"\ntype = \"goals\"\ndefault = \"m1\"",
        ),
        &[
            "tiltak field `mal`: a `goals` field cannot have a default: its values belong to each plan",
        ],
    );
    assert_error(
        &minimal_with("type = \"unit\"", "type = \"unit\"\ndefault = \"NAV\""),
        &["tiltak field `ansvarlig`: a `unit` field cannot have a default"],
    );
    assert_error(
        &third_with("type = \"number\"", "type = \"number\"\ndefault = \"tolv\""),
        &["tiltak field `kostnad`: default `tolv` of a `number` field is not a number"],
    );
    assert_error(
        &third_with("width = 4", "width = 0"),
        &["tiltak field `tittel`: width must be 1 or more"],
    );
    assert_error(
        &third_with("width = 4", "max_chars = 0"),
        &["tiltak field `tittel`: max_chars must be 1 or more"],
    );
    assert_error(
        &minimal_with(
            "options = [{ value = \"ikke_startet\", label = \"Ikke startet\" }]",
            "options = [{ value = \"ikke_startet\", label = \"Ikke startet\" }]\ndefault = \"startet\"",
        ),
        &["tiltak field `status`: default `startet` is not one of the field's options"],
    );
    assert_error(
        &third_with(
            "type = \"number\"",
            "type = \"number\"\noptions = [{ value = \"mye\", label = \"Mye\" }]",
        ),
        &[
            "tiltak field `kostnad`: only an `enum` or `multi_enum` field has options, but this field is `number`",
        ],
    );
    assert_error(
        &third_with(
            "options = [\n  { value = \"bolig\", label = \"Bolig\" },\n  { value = \"arbeid\", label = \"Arbeid og aktivitet\", short_label = \"Arbeid\" },\n]",
            "options = []",
        ),
        &["tiltak field `omrade`: an `enum` or `multi_enum` field needs at least one option"],
    );
    assert_error(
        &third_with("name = \"kostnad\"", "name = \"Kostnad\""),
        &["`Kostnad` is not a valid code"],
    );
    let message = error_of(&third_with("type = \"number\"", "type = \"belop\""));
    assert!(message.contains("belop"), "{message}");
    let message = error_of(&third_with(
        "columns = [\"page\", \"export\"]",
        "columns = [\"pdf\"]",
    ));
    assert!(message.contains("pdf"), "{message}");
}

#[test]
fn version_zero() {
    assert_error(
        &minimal_with("version = 1", "version = 0"),
        &["template version: version must be 1 or higher"],
    );
}

#[test]
fn children_only_on_groups_and_groups_need_children() {
    let text = format!(
        "{MINIMAL}
[[sections]]
id = \"tekst\"
heading = \"Tekst\"
kind = \"prose\"

[[sections.children]]
id = \"tekst.under\"
heading = \"Under\"
kind = \"prose\"

[[sections]]
id = \"tom-gruppe\"
heading = \"Tom gruppe\"
kind = \"group\"
"
    );
    let message = error_of(&text);
    assert!(message.contains("2 problems"), "{message}");
    assert!(
        message.contains(
            "section `tekst`: only a `group` section has children, but this section is `prose`"
        ),
        "{message}"
    );
    assert!(
        message.contains("section `tom-gruppe`: a group needs at least one child section"),
        "{message}"
    );
}

#[test]
fn sections_nest_at_most_two_levels() {
    let text = format!(
        "{MINIMAL}
[[sections]]
id = \"a\"
heading = \"A\"
kind = \"group\"

[[sections.children]]
id = \"a.b\"
heading = \"B\"
kind = \"group\"

[[sections.children.children]]
id = \"a.b.c\"
heading = \"C\"
kind = \"prose\"
"
    );
    assert_error(
        &text,
        &["section `a.b.c`: sections nest at most two levels"],
    );
}

#[test]
fn one_milestones_section_per_template() {
    let text = format!(
        "{MINIMAL}
[[sections]]
id = \"m1\"
heading = \"Milepæler\"
kind = \"milestones\"

[[sections]]
id = \"m2\"
heading = \"Flere milepæler\"
kind = \"milestones\"
"
    );
    assert_error(&text, &["section `m2`: only one `milestones` section"]);
}

#[test]
fn target_groups_rules() {
    let without_subsections = format!(
        "{MINIMAL}
[[sections]]
id = \"malgrupper\"
heading = \"Målgrupper\"
kind = \"target_groups\"

[sections.target_groups]
defaults = [{{ id = \"barn-og-unge\", name = \"Barn og unge\" }}]
subsections = []
"
    );
    assert_error(
        &without_subsections,
        &["section `malgrupper`: a `target_groups` section needs at least one subsection"],
    );

    let without_spec = format!(
        "{MINIMAL}\n[[sections]]\nid = \"malgrupper\"\nheading = \"Målgrupper\"\nkind = \"target_groups\"\n"
    );
    assert_error(
        &without_spec,
        &["section `malgrupper`: a `target_groups` section needs a `target_groups` table"],
    );

    let bad_subsection = format!(
        "{MINIMAL}
[[sections]]
id = \"malgrupper\"
heading = \"Målgrupper\"
kind = \"target_groups\"

[[sections.target_groups.subsections]]
id = \"kilder\"
heading = \"Kilder\"
kind = \"checklist\"

[[sections.target_groups.subsections]]
id = \"tekst\"
heading = \"Tekst\"
kind = \"roman\"
"
    );
    assert_error(
        &bad_subsection,
        &["section `malgrupper`, subsection `tekst`: unknown section kind `roman`"],
    );
    let checklist_subsection = bad_subsection.replace("\"roman\"", "\"prose\"");
    assert_error(
        &checklist_subsection,
        &[
            "section `malgrupper`, subsection `kilder`: a target-group subsection must be `prose` or `tiltak`, not `checklist`",
        ],
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = minimal_with("version = 1", "version = 0").replacen(
        r#"id = "ungdata""#,
        r#"id = "Ungdata""#,
        1,
    );
    let err = parse_template(&text, "test.toml").expect_err("invalid");
    let problems: Vec<&Problem> = err.issues().iter().map(|i| &i.problem).collect();
    assert_eq!(
        problems,
        [
            &Problem::VersionZero,
            &Problem::InvalidSlug("Ungdata".into())
        ]
    );
    assert!(err.to_string().starts_with("test.toml: 2 problems\n  "));
}

// ---- files and the registry ------------------------------------------------------------

#[test]
fn check_file_reads_and_names_the_file() {
    let template = check_file(&fixture("minimal.toml")).expect("valid fixture");
    assert_eq!(template.key(), "minimal@1");

    let path = fixture("broken-duplicate-section.toml");
    let message = check_file(&path).expect_err("broken").to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("section `innledning`: section id `innledning` is defined more than once"),
        "{message}"
    );

    let message = check_file(&fixture("broken-syntax.toml"))
        .expect_err("broken")
        .to_string();
    assert!(message.contains("broken-syntax.toml"), "{message}");
    assert!(message.contains("line 4"), "{message}");

    let missing = fixture("finnes-ikke.toml");
    let err = check_file(&missing).expect_err("missing");
    assert!(matches!(err, TemplateError::Io { .. }));
    assert!(err.to_string().contains("finnes-ikke.toml: cannot read"));
}

#[test]
fn lookup_by_id_and_by_id_at_version() {
    let mut registry = builtin();
    let v2 = MINIMAL.replace("version = 1", "version = 2");
    registry
        .insert(parse_template(&v2, "v2.toml").expect("v2"), "v2.toml")
        .expect("insert v2");
    registry
        .insert(parse_template(MINIMAL, "v1.toml").expect("v1"), "v1.toml")
        .expect("insert v1");

    assert_eq!(registry.get("test-mal").map(|t| t.version), Some(2));
    assert_eq!(registry.get("test-mal@1").map(|t| t.version), Some(1));
    assert_eq!(registry.get("test-mal@2").map(|t| t.version), Some(2));
    assert!(registry.get("test-mal@3").is_none());
    assert!(registry.get("test-mal@to").is_none());
    assert!(registry.get("test").is_none());
    assert_eq!(
        registry.get(&format!("{KORUS}@1")).map(|t| t.id.as_str()),
        Some(KORUS)
    );
    assert_eq!(registry.source("test-mal", 1), Some("v1.toml"));

    let keys: Vec<String> = registry.list().map(Template::key).collect();
    assert_eq!(
        keys,
        [
            format!("{COMBINED}@1"),
            format!("{KORUS}@1"),
            "test-mal@1".to_owned(),
            "test-mal@2".to_owned(),
        ]
    );

    let again = registry
        .insert(
            parse_template(MINIMAL, "igjen.toml").expect("v1"),
            "igjen.toml",
        )
        .expect_err("duplicate");
    assert_eq!(
        again.to_string(),
        "igjen.toml: template `test-mal@1` is already defined in v1.toml"
    );
}

#[test]
fn load_dir_adds_every_toml_file() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("b.toml"),
        MINIMAL.replace("version = 1", "version = 2"),
    )
    .expect("write");
    std::fs::write(dir.path().join("a.toml"), MINIMAL).expect("write");
    std::fs::write(dir.path().join("LESMEG.md"), "ikke en mal").expect("write");

    let mut registry = builtin();
    let added = registry.load_dir(dir.path()).expect("load dir");
    assert_eq!(added, ["test-mal@1", "test-mal@2"]);
    assert_eq!(registry.len(), 4);
    assert_eq!(registry.get("test-mal").map(|t| t.version), Some(2));

    let with_dir = TemplateRegistry::load(Some(dir.path())).expect("load");
    assert_eq!(with_dir.len(), 4);
}

#[test]
fn load_dir_errors_name_the_file() {
    let dir = temp_dir();
    let broken = dir.path().join("ødelagt.toml");
    std::fs::write(&broken, minimal_with("version = 1", "version = 0")).expect("write");
    let message = TemplateRegistry::new()
        .load_dir(dir.path())
        .expect_err("broken")
        .to_string();
    assert_eq!(
        message,
        format!(
            "{}: template version: version must be 1 or higher",
            broken.display()
        )
    );

    // A directory template may not reuse a built-in id and version.
    let dir = temp_dir();
    let copy = dir.path().join("kopi.toml");
    std::fs::write(
        &copy,
        include_str!("../../templates/plans/korus-ruspolitisk-handlingsplan.toml"),
    )
    .expect("write");
    let message = TemplateRegistry::load(Some(dir.path()))
        .expect_err("duplicate")
        .to_string();
    assert_eq!(
        message,
        format!(
            "{}: template `{KORUS}@1` is already defined in templates/plans/{KORUS}.toml",
            copy.display()
        )
    );

    let missing = dir.path().join("finnes-ikke");
    let err = TemplateRegistry::new()
        .load_dir(&missing)
        .expect_err("missing dir");
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

#[test]
fn status_round_roles_are_checked() {
    let rounds = minimal_with(
        "strategy_field = \"strategi\"",
        "strategy_field = \"strategi\"\nstatus_field = \"status\"\nindicator_field = \"tiltak\"",
    );
    let template = parse_template(&rounds, "test.toml").expect("valid");
    assert_eq!(
        template.responsible_field().map(|f| f.name.as_str()),
        Some("ansvarlig")
    );
    assert_error(
        &minimal_with(
            "strategy_field = \"strategi\"",
            "strategy_field = \"strategi\"\nstatus_field = \"tiltak\"",
        ),
        &["`status_field` cannot be field `tiltak` of type `long_text`"],
    );
    assert_error(
        &minimal_with(
            "strategy_field = \"strategi\"",
            "strategy_field = \"strategi\"\nindicator_field = \"maaling\"\nresponsible_field = \"strategi\"",
        ),
        &[
            "`indicator_field` names `maaling`, which is not a field",
            "`responsible_field` cannot be field `strategi` of type `enum`",
        ],
    );
    // Round options belong on the status field; one option is done.
    assert_error(
        &minimal_with(
            "{ value = \"tidlig_innsats\", label = \"Tidlig innsats\" }",
            "{ value = \"tidlig_innsats\", label = \"Tidlig innsats\", requires_reason = true }",
        ),
        &[
            "tiltak field `strategi`, option `tidlig_innsats`: `requires_reason` belongs on options of the tiltak table's `status_field`",
        ],
    );
    assert_error(
        &rounds.replace(
            "options = [{ value = \"ikke_startet\", label = \"Ikke startet\" }]",
            "options = [{ value = \"a\", label = \"A\", done = true }, { value = \"b\", label = \"B\", done = true }]",
        ),
        &["tiltak field `status`: only one status option can be `done`"],
    );
    // Without a responsible field, a round cannot know who reports a row.
    assert_error(
        &rounds.replace("type = \"unit\"", "type = \"text\""),
        &["has 0 `unit` fields, so set `responsible_field`"],
    );
}
