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

/// The index of the title's cell in a printed tiltak row.
fn title_cell(template: &Template) -> usize {
    1 + template
        .columns(Place::Export)
        .iter()
        .position(|field| {
            template
                .title_field()
                .is_some_and(|title| title.name == field.name)
        })
        .expect("the title field is an export column")
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

    // Tiltak tables: the template's export columns after «Nr.», every tiltak once, numbered
    // 1.. across the groups, labels not codes.
    let tables = tiltak_tables(&parsed);
    assert_eq!(tables.len(), group_field.options.len());
    let header = tiltak_header(&template);
    let title = title_cell(&template);
    let mut printed = 0;
    for table in &tables {
        assert_eq!(table[0], header);
        for row in table.iter().skip(1) {
            assert_eq!(row.len(), header.len(), "{row:?}");
            printed += 1;
            assert_eq!(row[0], printed.to_string(), "numbered in print order");
            for (field, cell) in template.columns(Place::Export).iter().zip(&row[1..]) {
                if field.field_type == FieldType::Enum && !cell.is_empty() {
                    assert!(field.option(cell).is_none(), "labels, not codes: {row:?}");
                }
            }
        }
    }
    assert_eq!(printed, 49);
    for row in &view.tiltak {
        let text = squash(&row.title(&template));
        assert!(
            tables.iter().any(|table| table
                .iter()
                .any(|cells| squash(&cells[title]).starts_with(&text))),
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
    let header = tiltak_header(&template);
    let title = title_cell(&template);
    let columns = template.columns(Place::Export);
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
                date_millis: 0
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
    for table in &tables {
        assert_eq!(table[0], ["Nr.", "Tiltak", "Kostnad (kr)", "Fremdrift"]);
    }
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
    assert_eq!(first[3], "", "a blank status prints nothing");
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
    let markdown = to_markdown(&view, &template, &info());
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
    // The appendices at the end, numbered by the plan; an appendix checklist with nothing
    // ticked has only its heading.
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
}

#[test]
fn an_empty_plan_prints_headings_and_nothing_made_up() {
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
    let row = &tables[0][1];
    for (index, cell) in row.iter().enumerate().skip(1) {
        if index != title_cell(&template) {
            assert_eq!(cell, "", "an unset field stays empty: {row:?}");
        }
    }
    let pdf = to_pdf(&view, &template, &info()).expect("pdf");
    let text = pdf_text(&pdf);
    for made_up in ["Ingen ", "Se vedlegg", "Ikke startet", "krysset av"] {
        assert!(!text.contains(made_up), "{made_up:?} in the PDF");
    }
}
