//! Unit tests of the exports: structure of the Markdown read back by a GitHub-flavoured parser,
//! hostile text in every place text can go, and determinism.

use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options, parse_document};
use yrs::Transact;

use super::sample::{self, Prose, Run};
use super::*;
use crate::document::{self, plan_view};
use crate::templates::TemplateRegistry;

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
            .map(|text| {
                let value = serde_json::json!({
                    "strategi": "forebygging",
                    "tiltak": text,
                    "innsatsomrade": text,
                    "ansvarlig": text,
                    "frist": text,
                    "status": "pabegynt",
                });
                value.as_object().cloned().expect("object")
            })
            .collect();
        document::append_tiltak(&mut txn, template, &rows).expect("rows");
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

#[test]
fn nordstrand_markdown_has_the_template_structure() {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let view = plan_view(&doc, &template);
    let markdown = to_markdown(&view, &template, &info());
    let parsed = parse(&markdown);
    assert!(parsed.forbidden.is_empty(), "{:?}", parsed.forbidden);

    // The title, every template heading with its number, three strategi groups, the appendix.
    assert_eq!(parsed.headings[0], (1, view.meta.title.clone()));
    for flat in template.sections_flat() {
        let expected = (
            u8::try_from(flat.depth + 1).expect("level"),
            format!("{} {}", flat.number, flat.section.heading),
        );
        assert!(parsed.headings.contains(&expected), "missing {expected:?}");
    }
    for option in template.strategi_options() {
        assert!(
            parsed.headings.contains(&(4, option.label.clone())),
            "group heading {}",
            option.label
        );
    }
    assert!(
        parsed
            .headings
            .contains(&(2, "Vedlegg: Strategi- og plandokumenter".to_owned()))
    );

    // Tiltak tables: six columns in every row, every tiltak once, labels not codes.
    let tiltak_tables: Vec<&Vec<Vec<String>>> = parsed
        .tables
        .iter()
        .filter(|table| table[0][0] == "Tiltak")
        .collect();
    assert_eq!(tiltak_tables.len(), 3);
    let mut printed = 0;
    for table in &tiltak_tables {
        assert_eq!(
            table[0],
            [
                "Tiltak",
                "Innsatsområde",
                "Nivå",
                "Ansvarlig",
                "Frist",
                "Status"
            ]
        );
        for row in table.iter().skip(1) {
            assert_eq!(row.len(), 6, "{row:?}");
            assert!(!row[5].contains('_'), "status is a label: {row:?}");
            printed += 1;
        }
    }
    assert_eq!(printed, 49);
    for row in &view.tiltak {
        let text = squash(row.get("tiltak"));
        assert!(
            tiltak_tables
                .iter()
                .any(|table| table.iter().any(|cells| squash(&cells[0]) == text)),
            "tiltak missing: {text}"
        );
    }
    // Milestones and the prose table are tables too.
    assert!(
        parsed
            .tables
            .iter()
            .any(|t| t[0][0] == "Milepæl" && t.len() == 6)
    );
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
    // Every tiltak table row still has exactly six cells, holding the text as written.
    let tiltak: Vec<&Vec<String>> = parsed
        .tables
        .iter()
        .filter(|table| table[0][0] == "Tiltak")
        .flat_map(|table| table.iter().skip(1))
        .collect();
    assert_eq!(tiltak.len(), corpus.len());
    for (row, text) in tiltak.iter().zip(&corpus) {
        assert_eq!(row.len(), 6);
        for column in [0, 1, 3, 4] {
            assert_eq!(squash(&row[column]), squash(text));
        }
        assert_eq!(row[2], "");
        assert_eq!(row[5], "Påbegynt");
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
    let printed: usize = parsed
        .tables
        .iter()
        .filter(|t| t[0].len() == 6)
        .map(|t| t.len() - 1)
        .sum();
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
