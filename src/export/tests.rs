//! Unit tests of the exports: structure of the Markdown read back by a GitHub-flavoured parser,
//! hostile text in every place text can go, and determinism.

use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options, parse_document};
use yrs::Transact;

use super::sample::{self, Prose, Run};
use super::*;
use crate::document::structure::{find, flatten};
use crate::document::{self, RowOrigin, plan_view};
use crate::templates::{TemplateRegistry, checklist_key, parse_template};

fn template(id: &str) -> Template {
    TemplateRegistry::builtin()
        .expect("built-in templates")
        .latest(id)
        .expect("template")
        .clone()
}

fn korus() -> Template {
    template("korus-ruspolitisk-handlingsplan")
}

fn info() -> ExportInfo {
    ExportInfo {
        version: Some("Høringsutkast".to_owned()),
        date_millis: 1_773_316_800_000,
        ..Default::default()
    }
}

/// GitHub's dialect: tables, strikethrough, autolinks, `$` math, task lists, footnotes.
fn gfm() -> Options<'static> {
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.math_dollars = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options
}

/// What a parsed Markdown document contains, for assertions.
#[derive(Debug, Default)]
struct Parsed {
    /// Node kinds that must never come from user text.
    forbidden: Vec<String>,
    headings: Vec<(u8, String)>,
    /// Each table: its rows, each row its cells' text.
    tables: Vec<Vec<Vec<String>>>,
    /// The text of every paragraph, list item paragraph and quote.
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
}

fn parse(markdown: &str) -> Parsed {
    let arena = Arena::new();
    let root = parse_document(&arena, markdown, &gfm());
    let mut parsed = Parsed::default();
    walk(root, &mut parsed);
    parsed
}

fn walk<'a>(node: &'a AstNode<'a>, parsed: &mut Parsed) {
    let value = node.data().value.clone();
    match value {
        NodeValue::HtmlBlock(_)
        | NodeValue::HtmlInline(_)
        | NodeValue::CodeBlock(_)
        | NodeValue::Code(_)
        | NodeValue::Math(_)
        | NodeValue::Strikethrough
        | NodeValue::Image(_)
        | NodeValue::FootnoteReference(_)
        | NodeValue::FootnoteDefinition(_)
        | NodeValue::TaskItem(_)
        | NodeValue::ThematicBreak
        | NodeValue::Raw(_) => parsed.forbidden.push(format!("{value:?}")),
        NodeValue::Heading(heading) => {
            parsed.headings.push((heading.level, text_of(node)));
            return;
        }
        NodeValue::Table(_) => {
            let rows = node
                .children()
                .map(|row| row.children().map(|cell| text_of(cell)).collect())
                .collect();
            parsed.tables.push(rows);
            for row in node.children() {
                for cell in row.children() {
                    for child in cell.children() {
                        walk(child, parsed);
                    }
                }
            }
            return;
        }
        NodeValue::Paragraph => parsed.paragraphs.push(text_of(node)),
        NodeValue::Link(link) => parsed.links.push((link.url.clone(), text_of(node))),
        _ => {}
    }
    for child in node.children() {
        walk(child, parsed);
    }
}

/// The literal text under a node (line breaks as newlines).
fn text_of<'a>(node: &'a AstNode<'a>) -> String {
    let mut out = String::new();
    for descendant in node.descendants() {
        match &descendant.data().value {
            NodeValue::Text(text) => out.push_str(text),
            NodeValue::Code(code) => out.push_str(&code.literal),
            NodeValue::SoftBreak => out.push(' '),
            NodeValue::LineBreak => out.push('\n'),
            _ => {}
        }
    }
    out
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text that tries to be Markdown, HTML, typst or table syntax.
fn hostile() -> Vec<String> {
    let mut corpus: Vec<String> = [
        "a | b | c",
        "| --- | --- |",
        "linje én\nlinje to\n\nny del",
        "# ikke en overskrift",
        "## heller ikke",
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)>",
        "<!-- kommentar --> <b>fet</b>",
        "`kode` og ```gjerde```",
        "```\nblokk\n```",
        "~~~ gjerde",
        "[lenke](javascript:alert(1))",
        "[lenke](https://evil.example/)",
        "![bilde](https://evil.example/x.png)",
        "<https://auto.example/>",
        "**fet** _kursiv_ *stjerne* ~~slettet~~",
        "- ikke en liste",
        "+ heller ikke",
        "* * *",
        "1. ikke nummerert",
        "2025) heller ikke",
        "> ikke et sitat",
        "---",
        "===",
        "    ikke kode",
        "$x^2$ og $$y$$",
        "&lt;b&gt; &amp; &#60; &copy;",
        "bakstrek \\ og \\| og \\* og slutt\\",
        "[^1] fotnote",
        "[ ] oppgave",
        "\\",
        "#read(\"/etc/passwd\")",
        "#import \"/etc/passwd\": *",
        "#set page(width: 1cm) #pagebreak() ] [ $ \\ #{",
        "{{ mal }} {% blokk %}",
        "æ ø å Æ Ø Å – «sitat» ‘enkelt’",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    corpus.push(format!("langtord{}", "x".repeat(200)));
    corpus
}

/// The text cut to the field's length limit.
fn fit(field: &FieldSchema, text: &str) -> String {
    text.chars().take(field.max_chars()).collect()
}

/// A row with `text` (as much as fits) in every free-text field of the template (text, long text, unit,
/// deadline) and the first option of every choice field; number and goals fields stay empty.
fn hostile_row(template: &Template, text: &str) -> serde_json::Map<String, serde_json::Value> {
    template
        .tiltak
        .fields
        .iter()
        .filter_map(|field| {
            let text = fit(field, text);
            let value = match field.field_type {
                FieldType::Text | FieldType::LongText | FieldType::Deadline => {
                    serde_json::json!(text)
                }
                FieldType::Unit => serde_json::json!([text]),
                FieldType::Enum => serde_json::json!(field.options[0].value),
                FieldType::MultiEnum => serde_json::json!([field.options[0].value]),
                FieldType::Number | FieldType::Goals => return None,
            };
            Some((field.name.clone(), value))
        })
        .collect()
}

/// A plan with the hostile corpus everywhere text can go.
fn hostile_view(template: &Template) -> PlanView {
    let meta = crate::plan::PlanMeta {
        title: "Plan <script> | # $x$ [a](b)".to_owned(),
        bydel: "Nordstrand | *".to_owned(),
        periode: "2025–2028 `x`".to_owned(),
        status: String::new(),
    };
    let doc = sample::new_doc(template, &meta).expect("doc");
    let corpus = hostile();
    {
        let mut txn = doc.transact_mut();
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = corpus
            .iter()
            .map(|text| hostile_row(template, text))
            .collect();
        document::append_tiltak(&mut txn, template, &rows, RowOrigin::Imported).expect("rows");
        let mut blocks = Vec::new();
        for text in &corpus {
            blocks.push(Prose::Paragraph(vec![Run::Plain(text)]));
            blocks.push(Prose::Paragraph(vec![
                Run::Bold(text),
                Run::Plain(" "),
                Run::Italic(text),
            ]));
            blocks.push(Prose::Paragraph(vec![Run::Link(
                text,
                "https://ok.example/a b",
            )]));
            blocks.push(Prose::Heading(3, text));
            blocks.push(Prose::Bullets(vec![vec![Run::Plain(text)]]));
            blocks.push(Prose::Table(vec![
                vec![text.as_str(), "x"],
                vec!["y", text.as_str()],
            ]));
        }
        sample::write_prose(&mut txn, "innledning.hva-er-planen", &blocks);
        document::add_milestone(
            &mut txn,
            &document::NewMilestone {
                title: "M | <b> #x".to_owned(),
                date: "2025-01-01 | x".to_owned(),
                responsible: "`a`".to_owned(),
                done: false,
            },
        )
        .expect("milestone");
    }
    plan_view(&doc, template)
}

/// The tables whose header row starts with the number column: the tiltak tables.
fn tiltak_tables(parsed: &Parsed) -> Vec<&Vec<Vec<String>>> {
    parsed
        .tables
        .iter()
        .filter(|table| table[0][0] == NUMBER_COLUMN)
        .collect()
}

/// The header a tiltak table has: the number column, then the template's export columns.
fn tiltak_header(template: &Template) -> Vec<String> {
    std::iter::once(NUMBER_COLUMN.to_owned())
        .chain(
            template
                .columns(Place::Export)
                .iter()
                .map(|field| field.label.clone()),
        )
        .collect()
}

/// The index of the title's cell in a printed tiltak table (by its header row).
fn title_cell(template: &Template, table: &[Vec<String>]) -> usize {
    let title = template.title_field().expect("a title field");
    table[0]
        .iter()
        .position(|label| *label == title.label)
        .expect("the title field is a column of every tiltak table")
}

/// Whether `part` is `whole` with some items left out (order kept).
fn is_subsequence(part: &[String], whole: &[String]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|item| rest.any(|other| other == item))
}

fn draft_info() -> ExportInfo {
    ExportInfo {
        version: None,
        date_millis: 1_773_316_800_000,
        ..Default::default()
    }
}

#[test]
fn nordstrand_markdown_has_the_plan_structure() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    let markdown = to_markdown(&view, &template, &info());
    let parsed = parse(&markdown);
    assert!(parsed.forbidden.is_empty(), "{:?}", parsed.forbidden);

    // The title, every section in use with its number, the groups, the appendix at the end.
    assert_eq!(parsed.headings[0], (1, view.meta.title.clone()));
    for section in flatten(&view.structure) {
        assert!(section.in_use);
        let expected = (
            u8::try_from(if section.appendix { 1 } else { section.depth } + 1).expect("level"),
            format!("{} {}", section.number, section.heading),
        );
        assert!(parsed.headings.contains(&expected), "missing {expected:?}");
    }
    let group_field = template.group_field().expect("KoRus groups its tiltak");
    for option in &group_field.options {
        assert!(
            parsed.headings.contains(&(4, option.label.clone())),
            "group heading {}",
            option.label
        );
    }
    // The appendix after the last chapter, with its ticked items under their groups.
    let position = |text: &str| parsed.headings.iter().position(|(_, h)| h == text);
    let last_chapter = view.structure.last().expect("chapters");
    assert!(
        position("Vedlegg 1 Strategi- og plandokumenter")
            > position(&format!("{} {}", last_chapter.number, last_chapter.heading))
    );

    // Tiltak tables: the template's export columns after «Nr.» (less those empty on every
    // row of the table), every tiltak once, numbered 1.. across the groups, labels not codes.
    let tables = tiltak_tables(&parsed);
    assert_eq!(tables.len(), group_field.options.len());
    let header = tiltak_header(&template);
    let mut printed = 0;
    for table in &tables {
        assert!(is_subsequence(&table[0], &header), "{:?}", table[0]);
        for row in table.iter().skip(1) {
            assert_eq!(row.len(), table[0].len(), "{row:?}");
            printed += 1;
            assert_eq!(row[0], printed.to_string(), "numbered in print order");
            for (label, cell) in table[0].iter().zip(row).skip(1) {
                let field = template
                    .columns(Place::Export)
                    .into_iter()
                    .find(|field| field.label == *label)
                    .expect("a column of the template");
                if field.field_type == FieldType::Enum && !cell.is_empty() {
                    assert!(field.option(cell).is_none(), "labels, not codes: {row:?}");
                }
            }
        }
        // Every column printed has a value in some row of its table.
        for (index, label) in table[0].iter().enumerate().skip(1) {
            assert!(
                table.iter().skip(1).any(|row| !row[index].is_empty()),
                "{label} is empty on every row and still printed"
            );
        }
    }
    assert_eq!(printed, 49);
    // The demo has no level and no deadline on any row: those columns are in no table.
    for empty in ["Nivå", "Frist"] {
        assert!(header.iter().any(|label| label == empty));
        assert!(
            tables
                .iter()
                .all(|table| !table[0].iter().any(|l| l == empty)),
            "{empty}"
        );
    }
    for row in &view.tiltak {
        let text = squash(&row.title(&template));
        assert!(
            tables.iter().any(|table| {
                let title = title_cell(&template, table);
                table
                    .iter()
                    .any(|cells| squash(&cells[title]).starts_with(&text))
            }),
            "tiltak missing: {text}"
        );
    }
    // Every value of every row reaches the export: columns as cells, the other fields as
    // «Label: value» after the title (the group field only as the group's caption).
    let everything = tables
        .iter()
        .flat_map(|table| table.iter().skip(1))
        .map(|row| row.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    for row in &view.tiltak {
        for field in &template.tiltak.fields {
            let shown = row.display(field, &view.goals);
            if shown.is_empty() || Some(field.name.as_str()) == template.tiltak.group_by.as_deref()
            {
                continue;
            }
            let want = if field.is_column(Place::Export) {
                squash(&shown)
            } else {
                squash(&format!("{}: {shown}", field.label))
            };
            assert!(squash(&everything).contains(&want), "value missing: {want}");
        }
    }
    assert!(
        !everything.contains(&format!("{}:", group_field.label)),
        "the group field is the caption, not a line"
    );
    // The plan's goals, before the first tiltak table, with the strategies they serve.
    let goals_at = markdown
        .find("Færre unge debuterer")
        .expect("goals printed");
    assert!(goals_at < markdown.find("| Nr. |").expect("a table"));
    let strategy = template.strategy_field().expect("KoRus has strategies");
    assert!(
        parsed
            .paragraphs
            .iter()
            .any(|p| p.contains("Færre unge debuterer")
                && p.contains(&format!(
                    "{}: {}",
                    strategy.label, strategy.options[0].label
                )))
    );
    // Milestones, key figures and the prose table are tables too.
    assert!(
        parsed
            .tables
            .iter()
            .any(|t| t[0][0] == "Milepæl" && t.len() == 6)
    );
    assert!(parsed.tables.iter().any(|t| t[0] == FIGURE_COLUMNS
        && t[2] == ["Kartlagt i Brukerplan", "Brukerplan", "2023", "151", "", ""]));
    assert!(
        parsed
            .tables
            .iter()
            .any(|t| t[0] == ["Indikator", "2019", "2023"])
    );
    assert!(parsed.links.iter().any(|(url, text)| {
        url == "https://www.korus-oslo.no/veileder?side=1&utgave=2020"
            && text == "KoRus Oslos veileder"
    }));
}

#[test]
fn hostile_text_stays_text_in_markdown() {
    let template = korus();
    let view = hostile_view(&template);
    let markdown = to_markdown(&view, &template, &info());
    let parsed = parse(&markdown);
    assert!(
        parsed.forbidden.is_empty(),
        "user text became markup: {:?}",
        parsed.forbidden
    );
    assert!(!markdown.contains("<br"), "no HTML line breaks");

    let corpus = hostile();
    // Every tiltak table row keeps its cells, holding the text as written.
    // Hostile text fills every field, so no column is left out.
    let header = tiltak_header(&template);
    let title_field = template.title_field().expect("a title field");
    let columns = template.columns(Place::Export);
    let title = 1 + columns
        .iter()
        .position(|field| field.name == title_field.name)
        .expect("the title field is an export column");
    let tiltak: Vec<&Vec<String>> = tiltak_tables(&parsed)
        .into_iter()
        .flat_map(|table| table.iter().skip(1))
        .collect();
    assert_eq!(tiltak.len(), corpus.len());
    for (row, text) in tiltak.iter().zip(&corpus) {
        assert_eq!(row.len(), header.len());
        for (index, field) in columns.iter().enumerate() {
            let cell = squash(&row[index + 1]);
            let text = squash(&fit(field, text));
            match field.field_type {
                FieldType::Enum => assert_eq!(cell, field.options[0].short()),
                _ if index + 1 == title => {
                    assert!(cell.starts_with(&text), "title cell {cell:?} for {text:?}");
                }
                _ => assert_eq!(cell, text),
            }
        }
    }
    // Prose: each text comes back literally as a paragraph, a heading, a list item and in
    // the cells of a two-column table.
    for text in &corpus {
        let want = squash(text);
        if want.is_empty() {
            continue;
        }
        assert!(
            parsed.paragraphs.iter().any(|p| squash(p) == want),
            "paragraph lost: {text:?}\n{markdown}"
        );
        assert!(
            parsed.headings.iter().any(|(_, h)| squash(h) == want),
            "heading lost: {text:?}"
        );
        assert!(
            parsed.tables.iter().any(|t| t.len() == 2
                && t[0].len() == 2
                && squash(&t[0][0]) == want
                && squash(&t[1][1]) == want),
            "table lost: {text:?}"
        );
        // A line break inside a link splits it into one link per line.
        for line in text.lines().map(squash).filter(|line| !line.is_empty()) {
            assert!(
                parsed
                    .links
                    .iter()
                    .any(|(url, t)| url == "https://ok.example/a%20b" && squash(t) == line),
                "link text lost: {line:?}"
            );
        }
    }
    // Only the links the writers made (and autolinked web addresses) are links.
    for (url, _) in &parsed.links {
        assert!(
            url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:"),
            "{url}"
        );
        assert!(!url.contains("javascript"), "{url}");
    }
    // Title block values stay in their list item.
    assert_eq!(parsed.headings[0].1, view.meta.title);
}

#[test]
fn markdown_is_deterministic() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    assert_eq!(
        to_markdown(&view, &template, &info()),
        to_markdown(&view.clone(), &template, &info())
    );
}

#[test]
fn target_groups_are_exported_with_their_sections() {
    let template = template("handlingsplan-psykisk-helse-og-rus");
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    assert!(!view.target_groups.is_empty());
    let markdown = to_markdown(&view, &template, &info());
    let parsed = parse(&markdown);
    assert!(parsed.forbidden.is_empty());
    for group in &view.target_groups {
        assert!(
            parsed
                .headings
                .iter()
                .any(|(_, h)| h.ends_with(&group.name)),
            "group {}",
            group.name
        );
    }
    // Every row is printed somewhere, even with target groups.
    let printed: usize = tiltak_tables(&parsed).iter().map(|t| t.len() - 1).sum();
    assert_eq!(printed, view.tiltak.len());
}

#[test]
fn pdf_is_deterministic_and_claims_pdf_a() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    let first = to_pdf(&view, &template, &info()).expect("pdf");
    let second = to_pdf(&view, &template, &info()).expect("pdf");
    assert!(first.starts_with(b"%PDF-1.7"));
    assert!(
        first == second,
        "the same plan must give the same PDF bytes"
    );
    let text = String::from_utf8_lossy(&first);
    assert!(text.contains("<pdfaid:part>2</pdfaid:part>"));
    assert!(text.contains("<pdfaid:conformance>A</pdfaid:conformance>"));
}

#[test]
fn hostile_text_typesets() {
    let template = korus();
    let view = hostile_view(&template);
    let pdf = to_pdf(&view, &template, &info()).expect("hostile text never breaks the PDF");
    assert!(pdf.starts_with(b"%PDF"));
}

#[test]
fn filenames_are_safe_ascii() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    let name = filename(
        &view,
        &ExportInfo {
            version: Some("Vedtatt i BU 12.03.2026 «endelig» / ../x".to_owned()),
            date_millis: 0,
            ..Default::default()
        },
        Format::Pdf,
    );
    assert_eq!(
        name,
        "ruspolitisk-handlingsplan-for-bydel-nordstrand-vedtatt-i-bu-12-03-2026-endelig-x.pdf"
    );
    let mut hostile = view.clone();
    hostile.meta.title = "\"; rm -rf / \r\n Øst\u{202E}".to_owned();
    let name = filename(&hostile, &info(), Format::Markdown);
    assert_eq!(name, "rm-rf-ost-horingsutkast.md");
    hostile.meta.title = "…".to_owned();
    assert_eq!(
        filename(
            &hostile,
            &ExportInfo {
                version: None,
                date_millis: 0,
                ..Default::default()
            },
            Format::Markdown
        ),
        "handlingsplan.md"
    );
}

// ---------------------------------------------------------------------------------------------
// Templates other than KoRus, and the plan's own shape
// ---------------------------------------------------------------------------------------------

/// A template with other columns than KoRus: a number column, a status without default in
/// the rows, goals, a multi-valued group field printed once, and no level column.
const THIRD_TEMPLATE: &str = r#"
id = "folkehelse-test"
version = 1
title = "Folkehelseplan"
description = "En mal med andre kolonner enn KoRus."

[tiltak]
title_field = "tittel"
group_by = "tema"
strategy_field = "satsing"
multi_group = "once"

[[tiltak.fields]]
name = "tema"
label = "Tema"
type = "multi_enum"
options = [
  { value = "fysisk", label = "Fysisk aktivitet" },
  { value = "kosthold", label = "Kosthold" },
]

[[tiltak.fields]]
name = "tittel"
label = "Tiltak"
type = "long_text"
required = true
columns = ["editor", "page", "export"]
width = 4

[[tiltak.fields]]
name = "kostnad"
label = "Kostnad (kr)"
type = "number"
columns = ["editor", "page", "export"]
width = 1

[[tiltak.fields]]
name = "fremdrift"
label = "Fremdrift"
type = "enum"
default = "ikke_startet"
columns = ["editor", "page", "export"]
options = [
  { value = "ikke_startet", label = "Ikke startet" },
  { value = "ferdig", label = "Ferdig" },
]

[[tiltak.fields]]
name = "maal"
label = "Mål i planen"
type = "goals"

[[tiltak.fields]]
name = "satsing"
label = "Satsing"
type = "enum"
options = [
  { value = "bred", label = "Bred innsats" },
  { value = "smal", label = "Målrettet innsats" },
]

[[tiltak.fields]]
name = "merknad"
label = "Merknad"
type = "long_text"

[[sections]]
id = "innledning"
heading = "Innledning"
kind = "prose"

[[sections]]
id = "tiltak"
heading = "Tiltakene"
kind = "tiltak"
"#;

/// A plan of the third template: one goal, a row in two groups without a status, and a row
/// with one.
fn third_plan() -> (Template, PlanView) {
    let template = parse_template(THIRD_TEMPLATE, "test.toml").expect("the test template loads");
    let meta = crate::plan::PlanMeta {
        title: "Folkehelseplan for Bydel Alna".to_owned(),
        bydel: "Alna".to_owned(),
        periode: "2026–2029".to_owned(),
        status: String::new(),
    };
    let doc = sample::new_doc(&template, &meta).expect("doc");
    {
        let mut txn = doc.transact_mut();
        let goal = document::add_goal(
            &mut txn,
            &template,
            &document::GoalInput {
                title: Some("Flere eldre er fysisk aktive".to_owned()),
                description: Some("Målt i brukerundersøkelsen.".to_owned()),
                strategi: Some(vec!["bred".to_owned()]),
            },
        )
        .expect("goal");
        let rows = serde_json::json!([
            {"tittel": "Gåtur for seniorer", "tema": ["fysisk", "kosthold"], "kostnad": "12500",
             "maal": [goal], "satsing": "bred", "merknad": "Sammen med frivilligsentralen"},
            {"tittel": "Frukt i skolen", "tema": ["kosthold"], "kostnad": "3000",
             "fremdrift": "ferdig"},
        ]);
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = rows
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row.as_object().cloned().expect("object"))
            .collect();
        document::append_tiltak(&mut txn, &template, &rows, RowOrigin::Imported).expect("rows");
    }
    let view = plan_view(&doc, &template);
    (template, view)
}

/// The text of a PDF, read with poppler's `pdftotext` (a missing tool fails the test).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.pdf");
    std::fs::write(&path, pdf).expect("pdf written");
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install -y poppler-utils)");
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Letters and digits only, lower-cased: line breaks and hyphenation do not count.
fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[test]
fn another_template_prints_its_own_columns_in_markdown_and_pdf() {
    let (template, view) = third_plan();
    let markdown = to_markdown(&view, &template, &info());
    let parsed = parse(&markdown);
    assert!(parsed.forbidden.is_empty(), "{:?}", parsed.forbidden);

    // The template's columns, nobody else's.
    let tables = tiltak_tables(&parsed);
    assert_eq!(tables.len(), 2, "{markdown}");
    // «Fremdrift» is empty on the only row of the first table: left out of that table only.
    assert_eq!(tables[0][0], ["Nr.", "Tiltak", "Kostnad (kr)"]);
    assert_eq!(tables[1][0], ["Nr.", "Tiltak", "Kostnad (kr)", "Fremdrift"]);
    for korus_label in [
        "Nivå",
        "Innsatsområde",
        "Ansvarlig",
        "Frist",
        "Ikke startet",
    ] {
        assert!(
            !markdown.contains(korus_label),
            "{korus_label} in\n{markdown}"
        );
    }
    // Groups by the template's group field, a row in two groups printed once with the other
    // listed; the group field itself is not a line.
    assert!(
        parsed
            .headings
            .contains(&(3, "Fysisk aktivitet".to_owned()))
    );
    assert!(parsed.headings.contains(&(3, "Kosthold".to_owned())));
    assert_eq!(tables[0].len(), 2);
    let first = &tables[0][1];
    assert_eq!(first[0], "1");
    assert_eq!(
        first[1],
        "Gåtur for seniorer · Mål i planen: Flere eldre er fysisk aktive · Satsing: Bred innsats \
         · Merknad: Sammen med frivilligsentralen · Også under: Kosthold"
    );
    assert_eq!(first[2], "12500");
    assert_eq!(first.len(), 3, "a blank status prints nothing");
    assert_eq!(tables[1][1], ["2", "Frukt i skolen", "3000", "Ferdig"]);
    assert!(!markdown.contains("Tema:"));
    // The goals before the first table, with the strategy they serve.
    assert!(parsed.headings.contains(&(3, "Mål i planen".to_owned())));
    assert!(
        parsed.paragraphs.contains(
            &"Flere eldre er fysisk aktive\nMålt i brukerundersøkelsen.\nSatsing: Bred innsats"
                .to_owned()
        )
    );
    assert!(
        markdown.find("Målt i brukerundersøkelsen").expect("goal")
            < markdown.find("| Nr.").expect("table")
    );

    // The PDF says the same.
    let pdf = to_pdf(&view, &template, &info()).expect("pdf");
    let text = letters(&pdf_text(&pdf));
    for want in [
        "Nr.",
        "Kostnad (kr)",
        "12500",
        "3000",
        "Fremdrift",
        "Ferdig",
        "Gåtur for seniorer",
        "Mål i planen: Flere eldre er fysisk aktive",
        "Satsing: Bred innsats",
        "Merknad: Sammen med frivilligsentralen",
        "Også under: Kosthold",
        "Fysisk aktivitet",
        "Målt i brukerundersøkelsen.",
    ] {
        assert!(text.contains(&letters(want)), "{want} missing from the PDF");
    }
    for absent in ["Ikke startet", "Innsatsområde", "Tema"] {
        assert!(!text.contains(&letters(absent)), "{absent} in the PDF");
    }
}

#[test]
fn the_plan_shape_comes_out_in_markdown() {
    let template = korus();
    let doc = sample::new_doc(&template, &sample::nordstrand_meta()).expect("doc");
    let local_item;
    {
        let mut txn = doc.transact_mut();
        // A renamed heading, a section not in use (with its children and their text), a
        // chapter's introduction, a local section and a local appendix.
        document::patch_section(
            &mut txn,
            &template,
            "hvor-star-vi.nasituasjon",
            &document::SectionPatch {
                heading: Some("Slik er det i bydelen".to_owned()),
                ..Default::default()
            },
        )
        .expect("rename");
        document::patch_section(
            &mut txn,
            &template,
            "hvor-bor-vi-ga",
            &document::SectionPatch {
                in_use: Some(false),
                ..Default::default()
            },
        )
        .expect("not in use");
        sample::write_prose(
            &mut txn,
            "hvor-bor-vi-ga.niva",
            &[Prose::Paragraph(vec![Run::Plain(
                "Tekst i en del som ikke er i bruk",
            )])],
        );
        sample::write_prose(
            &mut txn,
            "innledning",
            &[Prose::Paragraph(vec![Run::Plain(
                "Innledning til hele planen.",
            )])],
        );
        let local = document::add_local_section(
            &mut txn,
            &template,
            "hvor-star-vi",
            "Lokale forhold",
            SectionKind::Prose,
        )
        .expect("local section");
        sample::write_prose(
            &mut txn,
            &local,
            &[Prose::Paragraph(vec![Run::Plain(
                "Bydelen har mange små parker.",
            )])],
        );
        document::add_local_section(&mut txn, &template, "", "Ordliste", SectionKind::Appendix)
            .expect("local appendix");
        // A local checklist item (ticked, with group and year) and a template item ticked;
        // another template item is not.
        let checklist = "hvor-star-vi.nokkeltall";
        local_item = document::add_checklist_item(
            &mut txn,
            &template,
            checklist,
            &document::NewChecklistItem {
                label: "Bydelens egne tall".to_owned(),
                group: "Lokale kilder".to_owned(),
                year: "2024".to_owned(),
            },
        )
        .expect("local item");
        document::set_checklist(
            &mut txn,
            &template,
            &checklist_key(checklist, &local_item),
            true,
        )
        .expect("tick");
        document::set_checklist(
            &mut txn,
            &template,
            &checklist_key(checklist, "ungdata"),
            true,
        )
        .expect("tick");
    }
    // Key figures: one row with an empty Oslo average, and a blank row that is not printed.
    {
        use yrs::{Any, Array, In, MapPrelim, WriteTxn};
        let mut txn = doc.transact_mut();
        let figures = txn.get_or_insert_array(document::layout::FIGURES);
        for (id, values) in [
            ("a", ["Andel som røyker", "SSB", "2024", "9 %", "", "7 %"]),
            ("b", ["", "", "", "", "", ""]),
        ] {
            use document::layout::figure;
            let keys = [
                figure::INDIKATOR,
                figure::KILDE,
                figure::AR,
                figure::VERDI,
                figure::OSLO,
                figure::MAL,
            ];
            let mut entries: Vec<(&str, In)> = vec![
                (figure::ID, In::Any(Any::from(id))),
                (
                    figure::SECTION,
                    In::Any(Any::from("hvor-star-vi.nokkeltall-tabell")),
                ),
            ];
            for (key, value) in keys.iter().zip(values) {
                entries.push((key, In::Any(Any::from(value))));
            }
            figures.push_back(&mut txn, MapPrelim::from_iter(entries));
        }
    }
    let view = plan_view(&doc, &template);
    let markdown = to_markdown(&view, &template, &draft_info());
    let parsed = parse(&markdown);
    assert!(parsed.forbidden.is_empty(), "{:?}", parsed.forbidden);
    let headings: Vec<&str> = parsed.headings.iter().map(|(_, h)| h.as_str()).collect();

    // The plan's headings and numbers, from its own structure.
    let number = |id: &str| find(&view.structure, id).expect("section").number.clone();
    assert!(
        headings.contains(
            &format!(
                "{} Slik er det i bydelen",
                number("hvor-star-vi.nasituasjon")
            )
            .as_str()
        )
    );
    assert!(!markdown.contains("Beskrivelse av nåsituasjonen"));
    let local = flatten(&view.structure)
        .into_iter()
        .find(|section| section.local && section.heading == "Lokale forhold")
        .expect("local section");
    assert!(headings.contains(&format!("{} Lokale forhold", local.number).as_str()));
    assert!(
        parsed
            .paragraphs
            .contains(&"Bydelen har mange små parker.".to_owned())
    );
    // Not in use: left out with its children and their text; the chapters after it move up.
    assert!(!markdown.contains("Hvor bør vi gå?"));
    assert!(!markdown.contains("Hvilket nivå skal planen fokusere på?"));
    assert!(!markdown.contains("Tekst i en del som ikke er i bruk"));
    assert!(headings.contains(&"3 Hvordan skal vi komme dit? Planprosessen"));
    // The introduction of a part comes between its heading and its first child's.
    let intro = markdown
        .find("Innledning til hele planen.")
        .expect("introduction");
    assert!(markdown.find("## 1 Innledning").expect("chapter") < intro);
    assert!(intro < markdown.find("### 1.1 ").expect("first child"));
    // Key figures: the six columns, empty cells empty, blank rows left out.
    let figures: Vec<&Vec<Vec<String>>> = parsed
        .tables
        .iter()
        .filter(|t| t[0] == FIGURE_COLUMNS)
        .collect();
    assert_eq!(figures.len(), 1);
    assert_eq!(
        figures[0][1..],
        [vec!["Andel som røyker", "SSB", "2024", "9 %", "", "7 %"]]
    );
    // The checklist: ticked items only, by group, with the year.
    assert!(headings.contains(&"Lokale kilder"));
    assert!(
        parsed
            .paragraphs
            .contains(&"Bydelens egne tall (2024)".to_owned())
    );
    assert!(
        parsed
            .paragraphs
            .iter()
            .any(|p| p.starts_with("Ungdata – alkohol og rus"))
    );
    assert!(
        !markdown.contains("Ungdata junior"),
        "not ticked, not printed"
    );
    // The appendices at the end, numbered by the plan; in a draft an appendix checklist with
    // nothing ticked says it is not written yet.
    let tail: Vec<&str> = headings[headings.len() - 2..].to_vec();
    assert_eq!(
        tail,
        [
            "Vedlegg 1 Strategi- og plandokumenter",
            "Vedlegg 2 Ordliste"
        ]
    );
    assert_eq!(
        headings
            .iter()
            .filter(|h| h.ends_with("Strategi- og plandokumenter"))
            .count(),
        1,
        "an appendix is printed once, at the end"
    );

    // The draft: «Utkast» for the version, and every leaf section without content marked
    // (emphasised, so it does not read as the plan's text).
    assert!(markdown.contains("- **Versjon:** Utkast"), "{markdown}");
    let marked = markdown.matches(&format!("_{UNWRITTEN}_")).count();
    assert!(marked > 5, "{marked} sections marked");
    let renamed = format!(
        "{} Slik er det i bydelen",
        number("hvor-star-vi.nasituasjon")
    );
    let after_renamed = &markdown[markdown.find(&renamed).expect("renamed")..];
    assert!(
        after_renamed
            .lines()
            .skip(1)
            .find(|line| !line.trim().is_empty())
            == Some(format!("_{UNWRITTEN}_").as_str())
    );

    // A frozen version prints the plan: no marker, no empty section, no empty appendix; a
    // chapter keeps its heading when a section under it has content.
    let frozen = to_markdown(&view, &template, &info());
    assert!(!frozen.contains(UNWRITTEN), "{frozen}");
    let parsed = parse(&frozen);
    let headings: Vec<&str> = parsed.headings.iter().map(|(_, h)| h.as_str()).collect();
    assert!(!headings.contains(&renamed.as_str()), "{frozen}");
    assert!(headings.contains(&format!("{} Lokale forhold", local.number).as_str()));
    let chapter = find(&view.structure, "hvor-star-vi").expect("chapter");
    assert!(headings.contains(&format!("{} {}", chapter.number, chapter.heading).as_str()));
    assert!(
        headings.contains(&"1 Innledning"),
        "the introduction is content"
    );
    assert!(!frozen.contains("Ordliste"));
    assert!(!frozen.contains("Strategi- og plandokumenter"));
    assert!(
        parsed
            .paragraphs
            .contains(&"Bydelen har mange små parker.".to_owned())
    );
    assert!(frozen.contains("- **Versjon:** Høringsutkast"));
}

#[test]
fn an_empty_plan_prints_nothing_made_up() {
    let template = korus();
    let doc = sample::new_doc(&template, &sample::nordstrand_meta()).expect("doc");
    {
        // A row made without a status: the export does not invent one.
        let mut txn = doc.transact_mut();
        let mut row = serde_json::Map::new();
        row.insert(
            template.title_field().expect("a title field").name.clone(),
            serde_json::json!("Et tiltak uten mer"),
        );
        document::append_tiltak(&mut txn, &template, &[row], RowOrigin::Imported).expect("row");
    }
    let view = plan_view(&doc, &template);
    let markdown = to_markdown(&view, &template, &info());
    for made_up in [
        "Ingen ",
        "ikke skrevet",
        "Ikke skrevet",
        "Se vedlegg",
        "krysset av",
        "Ikke startet",
    ] {
        assert!(!markdown.contains(made_up), "{made_up:?} in\n{markdown}");
    }
    let parsed = parse(&markdown);
    let tables = tiltak_tables(&parsed);
    assert_eq!(tables.len(), 1);
    // Every field but the title is unset: their columns are left out, nothing is invented.
    let title = template.title_field().expect("a title field");
    assert_eq!(tables[0][0], ["Nr.", title.label.as_str()]);
    assert_eq!(tables[0][1], ["1", "Et tiltak uten mer"]);
    let pdf = to_pdf(&view, &template, &info()).expect("pdf");
    let text = pdf_text(&pdf);
    for made_up in ["Ingen ", "Se vedlegg", "Ikke startet", "krysset av"] {
        assert!(!text.contains(made_up), "{made_up:?} in the PDF");
    }
}

// ---------------------------------------------------------------------------------------------
// Word (.docx), read back from its XML
// ---------------------------------------------------------------------------------------------

/// A part of a .docx package, read back with the zip crate.
fn docx_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).expect("UTF-8 XML");
    text
}

/// The text of a WordprocessingML fragment: its `w:t` runs unescaped, line breaks as `\n`.
fn docx_text(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(at) = rest.find('<') {
        let tail = &rest[at..];
        if tail.starts_with("<w:br/>") || tail.starts_with("<w:br ") {
            out.push('\n');
        } else if tail.starts_with("<w:tab/>") {
            out.push('\t');
        } else if tail.starts_with("<w:t>") || tail.starts_with("<w:t ") {
            let start = at + tail.find('>').expect("tag end") + 1;
            let end = start + rest[start..].find("</w:t>").expect("w:t closed");
            out.push_str(
                &rest[start..end]
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&"),
            );
            rest = &rest[end..];
            continue;
        }
        rest = &tail[1..];
    }
    out
}

/// Each paragraph of the body outside tables: (style, text).
fn docx_paragraphs(xml: &str) -> Vec<(String, String)> {
    let mut outside = String::new();
    for (index, piece) in xml.split("<w:tbl>").enumerate() {
        outside.push_str(if index == 0 {
            piece
        } else {
            piece.split_once("</w:tbl>").map_or("", |(_, after)| after)
        });
    }
    outside
        .split("<w:p>")
        .skip(1)
        .map(|paragraph| {
            let paragraph = paragraph.split("</w:p>").next().unwrap_or("");
            let style = paragraph
                .split("<w:pStyle w:val=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("")
                .to_owned();
            (style, docx_text(paragraph))
        })
        .collect()
}

/// One table of a .docx: its rows, each (is a repeated header row, cell texts).
type DocxTable = Vec<(bool, Vec<String>)>;

fn docx_tables(xml: &str) -> Vec<DocxTable> {
    xml.split("<w:tbl>")
        .skip(1)
        .map(|table| {
            let table = table.split("</w:tbl>").next().unwrap_or("");
            table
                .split("<w:tr>")
                .skip(1)
                .map(|row| {
                    let cells = row
                        .split("<w:tc>")
                        .skip(1)
                        .map(|cell| {
                            cell.split("</w:p>")
                                .map(docx_text)
                                .filter(|text| !text.is_empty())
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .collect();
                    (row.contains("<w:tblHeader/>"), cells)
                })
                .collect()
        })
        .collect()
}

#[test]
fn docx_has_word_headings_header_rows_numbered_tiltak_and_norwegian() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    let bytes = to_docx(&view, &template, &info()).expect("docx");
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip package");
    assert!(
        bytes == to_docx(&view.clone(), &template, &info()).expect("docx"),
        "the same plan gives the same bytes"
    );
    // Every entry is dated 1980-01-01, whatever the clock says.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
    for index in 0..archive.len() {
        let entry = archive.by_index(index).expect("entry");
        let date = entry.last_modified().expect("a date");
        assert_eq!((date.year(), date.month(), date.day()), (1980, 1, 1));
    }
    let document = docx_part(&bytes, "word/document.xml");
    let paragraphs = docx_paragraphs(&document);

    // The cover: the kind of plan, the title in Word's Title style, «Bydel …», the facts.
    assert_eq!(
        paragraphs[0],
        ("Subtitle".to_owned(), template.title.clone())
    );
    assert_eq!(paragraphs[1], ("Title".to_owned(), view.meta.title.clone()));
    assert_eq!(
        paragraphs[2],
        ("Subtitle".to_owned(), "Bydel Nordstrand".to_owned())
    );
    assert!(
        paragraphs
            .iter()
            .any(|(_, text)| text == "Versjon\tHøringsutkast")
    );
    assert!(
        paragraphs
            .iter()
            .any(|(_, text)| text == "Dato\t12.03.2026")
    );

    // Every section in Word's heading style of its level, with the plan's number.
    for section in flatten(&view.structure) {
        let level = if section.appendix { 1 } else { section.depth };
        let want = (
            format!("Heading{level}"),
            format!("{} {}", section.number, section.heading),
        );
        assert!(paragraphs.contains(&want), "missing {want:?}");
    }
    let styles = docx_part(&bytes, "word/styles.xml");
    for level in 1..=6 {
        assert!(styles.contains(&format!(
            r#"w:styleId="Heading{level}"><w:name w:val="heading {level}"/>"#
        )));
        assert!(styles.contains(&format!(r#"<w:outlineLvl w:val="{}"/>"#, level - 1)));
    }

    // Tiltak tables: a repeated header row «Nr.» and the columns the Markdown has, the same
    // numbers in the same order as the Markdown.
    let markdown = to_markdown(&view, &template, &info());
    let md_tables = tiltak_tables(&parse(&markdown))
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    let tables: Vec<DocxTable> = docx_tables(&document)
        .into_iter()
        .filter(|table| table[0].1.first().map(String::as_str) == Some(NUMBER_COLUMN))
        .collect();
    assert_eq!(tables.len(), md_tables.len());
    for (table, md) in tables.iter().zip(&md_tables) {
        assert!(table[0].0, "the header row repeats on every page");
        assert!(table[1..].iter().all(|(header, _)| !header));
        assert_eq!(table[0].1, md[0]);
        let numbers: Vec<&str> = table[1..].iter().map(|(_, c)| c[0].as_str()).collect();
        let md_numbers: Vec<&str> = md[1..].iter().map(|row| row[0].as_str()).collect();
        assert_eq!(numbers, md_numbers);
    }
    let numbers: Vec<String> = tables
        .iter()
        .flat_map(|table| table[1..].iter().map(|(_, cells)| cells[0].clone()))
        .collect();
    let expected: Vec<String> = (1..=49).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
    // Details under the title: every other value, as «Label: value».
    let all_cells = tables
        .iter()
        .flat_map(|table| table.iter().flat_map(|(_, cells)| cells.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    for row in &view.tiltak {
        assert!(all_cells.contains(&row.title(&template)));
    }
    // Milestones and key figures are tables with header rows too.
    assert!(
        docx_tables(&document)
            .iter()
            .any(|table| table[0].0 && table[0].1 == MILESTONE_COLUMNS)
    );

    // Lists, quotes and safe links.
    assert!(document.contains("<w:numPr>"));
    let numbering = docx_part(&bytes, "word/numbering.xml");
    assert!(numbering.contains(r#"<w:numFmt w:val="decimal"/>"#));
    assert!(paragraphs.contains(&(
        "Quote".to_owned(),
        "Det er lettere å forebygge enn å reparere.".to_owned()
    )));
    let rels = docx_part(&bytes, "word/_rels/document.xml.rels");
    assert!(rels.contains(
        r#"Target="https://www.korus-oslo.no/veileder?side=1&amp;utgave=2020" TargetMode="External""#
    ));
    assert!(document.contains("<w:hyperlink r:id=\"rIdLink1\""));

    // Norwegian bokmål: in the default run properties, the settings and the properties.
    assert!(styles.contains(r#"<w:lang w:val="nb-NO""#));
    let settings = docx_part(&bytes, "word/settings.xml");
    assert!(settings.contains(r#"<w:themeFontLang w:val="nb-NO"/>"#));
    assert!(settings.contains(r#"<w:autoHyphenation w:val="false"/>"#));
    let core = docx_part(&bytes, "docProps/core.xml");
    assert!(core.contains("<dc:language>nb-NO</dc:language>"));
    assert!(core.contains(&format!("<dc:title>{}</dc:title>", view.meta.title)));
    assert!(core.contains("<dc:creator>Bydel Nordstrand</dc:creator>"));
    assert!(core.contains(
        "<cp:keywords>Ruspolitisk handlingsplan, Bydel Nordstrand, 2025–2028</cp:keywords>"
    ));
    assert!(core.contains("2026-03-12T00:00:00Z"));

    // The cover has no header and no page number; the other pages do.
    assert!(document.contains("<w:titlePg/>"));
    let header = docx_text(&docx_part(&bytes, "word/header1.xml"));
    assert_eq!(header, format!("{}\tHøringsutkast", view.meta.title));
    assert_eq!(docx_text(&docx_part(&bytes, "word/header2.xml")), "");
    assert!(docx_part(&bytes, "word/footer1.xml").contains(r#"w:instr=" PAGE ""#));
    assert_eq!(docx_text(&docx_part(&bytes, "word/footer2.xml")), "");

    // Nothing of the tool's working state.
    let text = docx_text(&document);
    for absent in [UNWRITTEN, "Gjeldende tekst", "Ingen ", "krysset av"] {
        assert!(!text.contains(absent), "{absent}");
    }
}

#[test]
fn a_draft_marks_unwritten_sections_and_a_frozen_version_leaves_them_out() {
    let template = korus();
    let doc = sample::new_doc(&template, &sample::nordstrand_meta()).expect("doc");
    {
        let mut txn = doc.transact_mut();
        sample::write_prose(
            &mut txn,
            "hvor-star-vi.nasituasjon",
            &[Prose::Paragraph(vec![Run::Plain("Bydelen vokser.")])],
        );
    }
    let view = plan_view(&doc, &template);
    let written = find(&view.structure, "hvor-star-vi.nasituasjon").expect("section");
    let chapter = find(&view.structure, "hvor-star-vi").expect("chapter");
    let empty = find(&view.structure, "innledning").expect("chapter");

    let draft = to_docx(&view, &template, &draft_info()).expect("docx");
    let document = docx_part(&draft, "word/document.xml");
    let paragraphs = docx_paragraphs(&document);
    let marked = paragraphs
        .iter()
        .filter(|p| **p == ("IkkeSkrevet".to_owned(), UNWRITTEN.to_owned()))
        .count();
    assert!(marked > 5, "{marked}");
    assert!(styles_has_marker_style(&docx_part(
        &draft,
        "word/styles.xml"
    )));
    assert!(
        paragraphs
            .iter()
            .any(|(_, t)| t == &format!("{} {}", empty.number, empty.heading))
    );
    assert_eq!(
        docx_text(&docx_part(&draft, "word/header1.xml")),
        format!("{}\t{CURRENT_STATE_LABEL}", view.meta.title)
    );
    assert!(paragraphs.iter().any(|(_, t)| t == "Versjon\tUtkast"));
    // The PDF and the Markdown mark them too.
    let markdown = to_markdown(&view, &template, &draft_info());
    assert!(markdown.contains(&format!("_{UNWRITTEN}_")));
    let pdf = pdf_text(&to_pdf(&view, &template, &draft_info()).expect("pdf"));
    assert!(pdf.contains(UNWRITTEN));
    assert!(pdf.contains(CURRENT_STATE_LABEL));

    // Frozen: only the written section and the chapter above it.
    let frozen = to_docx(&view, &template, &info()).expect("docx");
    let text = docx_text(&docx_part(&frozen, "word/document.xml"));
    assert!(!text.contains(UNWRITTEN));
    assert!(text.contains(&format!("{} {}", written.number, written.heading)));
    assert!(text.contains(&format!("{} {}", chapter.number, chapter.heading)));
    assert!(!text.contains(&format!("{} {}", empty.number, empty.heading)));
    let markdown = to_markdown(&view, &template, &info());
    assert!(!markdown.contains(UNWRITTEN));
    assert!(!markdown.contains(&format!("{} {}", empty.number, empty.heading)));
    let pdf = pdf_text(&to_pdf(&view, &template, &info()).expect("pdf"));
    assert!(!pdf.contains(UNWRITTEN));
    assert!(!letters(&pdf).contains(&letters(&format!("{} {}", empty.number, empty.heading))));
}

fn styles_has_marker_style(styles: &str) -> bool {
    styles.contains(r#"w:styleId="IkkeSkrevet""#) && styles.contains("<w:i/><w:color")
}

#[test]
fn hostile_text_stays_text_in_docx() {
    let template = korus();
    let view = hostile_view(&template);
    let bytes = to_docx(&view, &template, &info()).expect("hostile text never breaks the docx");
    let document = docx_part(&bytes, "word/document.xml");
    assert!(!document.contains("<script"), "markup from user text");
    assert!(!document.contains('\u{0}'));
    let text = squash(&docx_text(&document));
    for item in hostile() {
        let want: String = squash(&item).chars().filter(|c| !c.is_control()).collect();
        assert!(text.contains(&want), "printed literally: {item:?}");
    }
    let rels = docx_part(&bytes, "word/_rels/document.xml.rels");
    assert!(!rels.contains("javascript:"), "only safe links");
}

#[test]
fn metadata_come_from_the_plan_and_its_template() {
    let (template, view) = third_plan();
    let plan = pdf::PdfPlan::new(&view, &template, &info());
    assert_eq!(plan.bydel, "Bydel Alna");
    assert_eq!(plan.author, "Bydel Alna");
    assert_eq!(
        plan.keywords,
        [template.title.as_str(), "Bydel Alna", "2026–2029"]
    );
    assert!(plan.subject.starts_with(&template.title));
    assert!(
        !plan
            .keywords
            .iter()
            .any(|k| k.contains("ruspolitisk handlingsplan"))
    );
    let core = docx_part(
        &to_docx(&view, &template, &info()).expect("docx"),
        "docProps/core.xml",
    );
    assert!(core.contains("<dc:creator>Bydel Alna</dc:creator>"));
    assert!(!core.to_lowercase().contains("ruspolitisk"));
    // «Bydel» is added once, never twice.
    assert_eq!(bydel_name("Alna"), "Bydel Alna");
    assert_eq!(bydel_name(" Bydel Alna "), "Bydel Alna");
    assert_eq!(bydel_name("bydel Sagene"), "bydel Sagene");
    assert_eq!(bydel_name("Bydelsutvalget"), "Bydel Bydelsutvalget");
    assert_eq!(bydel_name(""), "");
}

// ---------------------------------------------------------------------------------------------
// What changed since an earlier version
// ---------------------------------------------------------------------------------------------

fn paragraph(text: &str) -> Block {
    Block::Paragraph {
        content: vec![Inline::plain(text)],
    }
}

/// The Nordstrand sample as frozen in «Høringsutkast» and as exported later («Vedtatt»): the
/// first section's text edited word by word and the first tiltak's status changed.
fn changed_plan() -> (Template, PlanView, ExportInfo) {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let mut from = plan_view(&doc, &template);
    let mut to = from.clone();
    from.sections[0].blocks = vec![paragraph("Bydelen har fire tiltak mot alkohol.")];
    to.sections[0].blocks = vec![paragraph("Bydelen har fem nye tiltak mot alkohol.")];
    from.tiltak[0].fields.insert(
        "status".to_owned(),
        document::FieldValue::Text("pabegynt".to_owned()),
    );
    to.tiltak[0].fields.insert(
        "status".to_owned(),
        document::FieldValue::Text("gjennomfort".to_owned()),
    );
    let diff = document::diff(&from, &to, &template);
    let info = ExportInfo {
        version: Some("Vedtatt".to_owned()),
        changes: Some(ChangesAppendix {
            since: "Høringsutkast".to_owned(),
            diff,
        }),
        ..info()
    };
    (template, to, info)
}

/// «Tiltak 4.5-9» of the changed row, as the diff numbers it.
fn changed_row_name(info: &ExportInfo) -> String {
    let diff = &info.changes.as_ref().expect("changes").diff;
    assert_eq!(diff.tiltak.len(), 1, "{:#?}", diff.tiltak);
    let number = diff.tiltak[0].number.clone().expect("a printed row");
    format!("Tiltak {number}")
}

#[test]
fn markdown_appends_what_changed_with_words_not_colour() {
    let (template, view, changed) = changed_plan();
    let markdown = to_markdown(&view, &template, &changed);
    assert_eq!(
        markdown,
        to_markdown(&view, &template, &changed),
        "reproducible"
    );
    let parsed = parse(&markdown);
    assert!(parsed.forbidden.is_empty(), "{:?}", parsed.forbidden);
    // After the plan's own appendix, numbered like it.
    let appendix = parsed
        .headings
        .iter()
        .position(|(level, text)| *level == 2 && text == "Vedlegg 2 Endringer siden Høringsutkast")
        .unwrap_or_else(|| panic!("{:#?}", parsed.headings));
    assert!(
        parsed.headings[..appendix]
            .iter()
            .any(|(level, text)| *level == 2 && text.starts_with("Vedlegg 1 ")),
        "the plan's own appendix comes first"
    );
    assert!(
        !parsed.headings[appendix + 1..]
            .iter()
            .any(|(_, text)| text.starts_with("Vedlegg")),
        "the changes are the last appendix"
    );
    let name = changed_row_name(&changed);
    assert!(
        parsed.headings[appendix..]
            .iter()
            .any(|(_, text)| text.starts_with(&format!("{name}: "))),
        "{:#?}",
        &parsed.headings[appendix..]
    );
    let paragraphs: Vec<String> = parsed.paragraphs.iter().map(|p| squash(p)).collect();
    assert!(
        paragraphs
            .iter()
            .any(|p| p == "Bydelen har [Fjernet: fire] [Lagt til: fem nye] tiltak mot alkohol."),
        "{paragraphs:#?}"
    );
    assert!(
        paragraphs
            .iter()
            .any(|p| p == "Status: [Fjernet: Påbegynt] [Lagt til: Gjennomført]"),
        "{paragraphs:#?}"
    );
    assert!(paragraphs.iter().any(|p| {
        p.starts_with("Endringer fra versjonen «Høringsutkast» til versjonen «Vedtatt».")
    }));

    // Without the parameter there is no appendix; with no changes, one line says so.
    let plain = to_markdown(&view, &template, &info());
    assert!(!plain.contains("Endringer siden"));
    let unchanged = ExportInfo {
        changes: Some(ChangesAppendix {
            since: "Høringsutkast".to_owned(),
            diff: document::diff(&view, &view, &template),
        }),
        ..info()
    };
    let markdown = to_markdown(&view, &template, &unchanged);
    let tail = markdown
        .split_once("Endringer siden Høringsutkast\n\n")
        .expect("the appendix")
        .1;
    assert_eq!(tail, "Ingen endringer siden versjonen «Høringsutkast».\n");
}

#[test]
fn pdf_appends_what_changed() {
    let (template, view, changed) = changed_plan();
    let pdf = to_pdf(&view, &template, &changed).expect("pdf");
    assert!(
        pdf == to_pdf(&view, &template, &changed).expect("pdf"),
        "reproducible"
    );
    let text = pdf_text(&pdf);
    let flat = squash(&text);
    assert!(
        flat.contains("Vedlegg 2 Endringer siden Høringsutkast"),
        "{flat}"
    );
    assert!(
        flat.contains("Bydelen har [Fjernet: fire] [Lagt til: fem nye] tiltak mot alkohol."),
        "{flat}"
    );
    assert!(
        flat.contains("Status: [Fjernet: Påbegynt] [Lagt til: Gjennomført]"),
        "{flat}"
    );
    assert!(letters(&flat).contains(&letters(&changed_row_name(&changed))));
    let plain = pdf_text(&to_pdf(&view, &template, &info()).expect("pdf"));
    assert!(!plain.contains("Endringer siden"));
}

#[test]
fn docx_appends_what_changed_underlined_and_struck_through() {
    let (template, view, changed) = changed_plan();
    let docx = to_docx(&view, &template, &changed).expect("docx");
    assert!(
        docx == to_docx(&view, &template, &changed).expect("docx"),
        "reproducible"
    );
    let xml = docx_part(&docx, "word/document.xml");
    let paragraphs = docx_paragraphs(&xml);
    let appendix = paragraphs
        .iter()
        .position(|p| {
            *p == (
                "Heading1".to_owned(),
                "Vedlegg 2 Endringer siden Høringsutkast".to_owned(),
            )
        })
        .unwrap_or_else(|| panic!("{paragraphs:#?}"));
    let after: Vec<&String> = paragraphs[appendix..].iter().map(|(_, t)| t).collect();
    let name = changed_row_name(&changed);
    assert!(
        after.iter().any(|t| t.starts_with(&format!("{name}: "))),
        "{after:#?}"
    );
    assert!(after.contains(
        &&"Bydelen har [Fjernet: fire] [Lagt til: fem nye] tiltak mot alkohol.".to_owned()
    ));
    assert!(after.contains(&&"Status: [Fjernet: Påbegynt] [Lagt til: Gjennomført]".to_owned()));
    assert!(xml.contains(
        r#"<w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t xml:space="preserve">fem nye</w:t></w:r>"#
    ));
    assert!(
        xml.contains(
            r#"<w:r><w:rPr><w:strike/></w:rPr><w:t xml:space="preserve">fire</w:t></w:r>"#
        )
    );
    let plain = to_docx(&view, &template, &info()).expect("docx");
    assert!(!docx_text(&docx_part(&plain, "word/document.xml")).contains("Endringer siden"));
}

#[test]
fn a_frozen_version_prints_rows_without_a_group_without_a_caption() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let mut view = plan_view(&doc, &template);
    view.tiltak[0].fields.insert(
        "strategi".to_owned(),
        document::FieldValue::Text(String::new()),
    );
    let title = view.tiltak[0].text("tiltak");
    let caption = "Uten strategi";

    let frozen = to_markdown(&view, &template, &info());
    assert!(
        !frozen.contains("Uten "),
        "a frozen version has no «Uten …»"
    );
    let parsed = parse(&frozen);
    let tables = tiltak_tables(&parsed);
    let last = tables.last().expect("tables");
    assert!(
        last.iter()
            .any(|row| row.iter().any(|cell| cell.contains(&title))),
        "the row is in the last table: {last:#?}"
    );
    let pdf = pdf_text(&to_pdf(&view, &template, &info()).expect("pdf"));
    assert!(!pdf.contains(caption));
    let docx = docx_part(
        &to_docx(&view, &template, &info()).expect("docx"),
        "word/document.xml",
    );
    assert!(!docx_text(&docx).contains(caption));

    // A draft shows the working state: the rows still need a strategy.
    let draft = to_markdown(&view, &template, &draft_info());
    assert!(
        parse(&draft)
            .headings
            .iter()
            .any(|(_, text)| text == caption)
    );
}
