//! Exports and named versions: the golden Markdown and Word document XML of the Nordstrand
//! sample, the PDF read back with poppler-utils (`pdftotext`, `pdfinfo`; the tests fail when
//! they are missing), the .docx opened by LibreOffice (`soffice --headless`; skipped only
//! outside CI when it is missing), hostile text through the exports, frozen versions that
//! export the same bytes however the plan changes afterwards, and the appendix of what changed
//! since an earlier version (`changes_since`, on SQLite and PostgreSQL).

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use samskriv::document::{self, PlanView, plan_view};
use samskriv::export::{self, ExportInfo, sample};
use samskriv::plan::NewPlan;
use samskriv::templates::{Template, TemplateRegistry};
use serde_json::{Value, json};

use crate::helpers::*;

const GOLDEN: &str = "tests/golden/nordstrand.md";
const GOLDEN_DOCX: &str = "tests/golden/nordstrand.document.xml";
/// 12 March 2026, 12:00 UTC.
const FROZEN_AT: i64 = 1_773_316_800_000;

fn korus() -> Template {
    TemplateRegistry::builtin()
        .expect("built-in templates")
        .latest("korus-ruspolitisk-handlingsplan")
        .expect("korus template")
        .clone()
}

fn info() -> ExportInfo {
    ExportInfo {
        version: Some("Høringsutkast".to_owned()),
        date_millis: FROZEN_AT,
        ..Default::default()
    }
}

fn nordstrand() -> (Template, PlanView) {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample plan");
    let view = plan_view(&doc, &template);
    (template, view)
}

// ---------------------------------------------------------------------------------------------
// Golden Markdown
// ---------------------------------------------------------------------------------------------

#[test]
fn markdown_matches_the_golden_file() {
    let (template, view) = nordstrand();
    assert_eq!(view.tiltak.len(), 49);
    let markdown = export::to_markdown(&view, &template, &info());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("golden dir");
        std::fs::write(&path, &markdown).expect("golden written");
        eprintln!("UPDATE_GOLDEN: wrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nrun `UPDATE_GOLDEN=1 cargo test --test api export::markdown_matches_the_golden_file` to create it",
            path.display()
        )
    });
    if markdown != expected {
        panic!(
            "the Markdown export differs from {GOLDEN} (- expected, + actual):\n{}\nIf the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.",
            line_diff(&expected, &markdown)
        );
    }
}

/// `word/document.xml` of the Nordstrand sample's .docx, one paragraph, table and row per
/// line (whitespace between elements means nothing in WordprocessingML; text is untouched).
#[test]
fn docx_document_xml_matches_the_golden_file() {
    let (template, view) = nordstrand();
    let bytes = export::to_docx(&view, &template, &info()).expect("docx");
    let xml = docx_part(&bytes, "word/document.xml");
    let readable = ["<w:p>", "<w:p/>", "<w:tbl>", "<w:tr>", "<w:sectPr>"]
        .iter()
        .fold(xml, |xml, tag| xml.replace(tag, &format!("\n{tag}")))
        + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN_DOCX);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &readable).expect("golden written");
        eprintln!("UPDATE_GOLDEN: wrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}\nrun `UPDATE_GOLDEN=1 cargo test --test api export::docx_document_xml_matches_the_golden_file` to create it",
            path.display()
        )
    });
    if readable != expected {
        panic!(
            "the .docx document differs from {GOLDEN_DOCX} (- expected, + actual):\n{}\nIf the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.",
            line_diff(&expected, &readable)
        );
    }
}

/// A part of a .docx package.
fn docx_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).expect("UTF-8 XML");
    text
}

/// LibreOffice opens the .docx and turns it into a PDF whose text has the plan: the file is
/// one a word processor reads as it is. CI must run this (`CI` set): scripts/test installs
/// `libreoffice-writer-nogui`; elsewhere a missing `soffice` skips it with a note.
#[test]
fn libreoffice_opens_the_docx() {
    if Command::new("soffice").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "soffice is missing in CI: scripts/test installs libreoffice-writer-nogui"
        );
        eprintln!("SKIPPED: soffice not found (apt-get install -y libreoffice-writer-nogui)");
        return;
    }
    let (template, view) = nordstrand();
    let bytes = export::to_docx(&view, &template, &info()).expect("docx");
    let dir = tempfile::tempdir().expect("temp dir");
    let docx = dir.path().join("plan.docx");
    std::fs::write(&docx, &bytes).expect("docx written");
    // A profile of its own, so that a running LibreOffice or a parallel test cannot lock it.
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let output = Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&docx)
        .output()
        .expect("soffice runs");
    let pdf_path = dir.path().join("plan.pdf");
    assert!(
        output.status.success() && pdf_path.exists(),
        "LibreOffice could not convert the .docx: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let pdf = PdfFile::new(&std::fs::read(&pdf_path).expect("pdf"));
    let text = letters(&pdf.text());
    assert!(text.contains(&letters(&view.meta.title)), "the title");
    assert!(text.contains(&letters("Bydel Nordstrand")));
    assert!(text.contains(&letters("Vedlegg 1 Strategi- og plandokumenter")));
    for section in document::structure::flatten(&view.structure).iter().take(6) {
        let heading = format!("{} {}", section.number, section.heading);
        assert!(text.contains(&letters(&heading)), "{heading}");
    }
    // Table cells side by side interleave in the text: a tiltak's first word is enough.
    let first_word = view.tiltak[0]
        .title(&template)
        .split_whitespace()
        .next()
        .map(letters)
        .expect("a title");
    assert!(text.contains(&first_word));
    assert!(pdf.pages() > 4, "cover, body, appendix");
}

/// A readable line diff: changed lines with two lines of context.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table (the files are a few hundred lines).
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push(format!("  {:>4} {}", i + 1, a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(format!("+ {:>4} {}", j + 1, b[j]));
            j += 1;
        } else {
            ops.push(format!("- {:>4} {}", i + 1, a[i]));
            i += 1;
        }
    }
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !op.starts_with("  "))
        .map(|(index, _)| index)
        .collect();
    let mut out = String::new();
    let mut last_shown = None;
    for (index, op) in ops.iter().enumerate() {
        if changed.iter().any(|&c| index + 2 >= c && index <= c + 2) {
            if last_shown.is_some_and(|last| index > last + 1) {
                out.push_str("  ...\n");
            }
            out.push_str(op);
            out.push('\n');
            last_shown = Some(index);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// PDF, read back with poppler-utils
// ---------------------------------------------------------------------------------------------

/// Runs a poppler tool. A missing tool fails the test: a PDF test that did not run must never
/// look like one that passed.
fn poppler(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` could not be run ({e}). The PDF tests need poppler-utils: \
             apt-get install -y poppler-utils"
        )
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}

struct PdfFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl PdfFile {
    fn new(bytes: &[u8]) -> PdfFile {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plan.pdf");
        std::fs::write(&path, bytes).expect("pdf written");
        PdfFile { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("utf-8 path")
    }

    fn info(&self) -> String {
        poppler("pdfinfo", &[self.arg()])
    }

    fn pages(&self) -> usize {
        self.info()
            .lines()
            .find_map(|line| line.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("pdfinfo reports the page count")
    }

    /// The whole text, in reading order.
    fn text(&self) -> String {
        poppler("pdftotext", &["-enc", "UTF-8", self.arg(), "-"])
    }

    /// The text of a vertical strip of every page (x and width in points), so a table column
    /// is read on its own rather than interleaved with its neighbours. Only the body's height
    /// (y 58 to 785): the running header (y ≈ 41–52) and the footer (y ≈ 793–804) would cut
    /// into a cell that continues on the next page.
    fn strip(&self, x: u32, width: u32) -> String {
        poppler(
            "pdftotext",
            &[
                "-enc",
                "UTF-8",
                "-x",
                &x.to_string(),
                "-y",
                "58",
                "-W",
                &width.to_string(),
                "-H",
                "727",
                self.arg(),
                "-",
            ],
        )
    }

    /// Every word with its box: (xMin, xMax, text).
    fn words(&self) -> Vec<(f64, f64, String)> {
        let html = poppler("pdftotext", &["-bbox", "-enc", "UTF-8", self.arg(), "-"]);
        html.lines()
            .filter_map(|line| {
                let line = line.trim();
                let rest = line.strip_prefix("<word ")?;
                let attr = |name: &str| -> Option<f64> {
                    let start = rest.find(&format!("{name}=\""))? + name.len() + 2;
                    let end = start + rest[start..].find('"')?;
                    rest[start..end].parse().ok()
                };
                let text = rest
                    .split('>')
                    .nth(1)?
                    .trim_end_matches("</word")
                    .to_owned();
                Some((attr("xMin")?, attr("xMax")?, text))
            })
            .collect()
    }
}

/// Letters and digits only, lower-cased: line breaks, hyphenation (soft and hard) and the
/// invisible break opportunities of the PDF do not count.
fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text without the page furniture (running header and "side x av y" footer), so that a
/// paragraph or cell that continues on the next page reads as one.
fn without_furniture(text: &str, header: &[&str]) -> String {
    text.lines()
        .filter(|line| {
            let line = line.trim();
            let footer = line
                .strip_prefix("side ")
                .and_then(|rest| rest.split_once(" av "))
                .is_some_and(|(page, of)| {
                    page.chars().all(|c| c.is_ascii_digit())
                        && of.chars().all(|c| c.is_ascii_digit())
                });
            // Break opportunities (U+200B) are invisible: not part of the line.
            let visible = line.replace('\u{200B}', "");
            !footer && !header.contains(&visible.as_str())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text without blanks, soft hyphens and invisible break opportunities: punctuation counts.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{200C}')
        })
        .collect()
}

/// A4 in points and the template's side margin (2.2 cm).
const PAGE_WIDTH: f64 = 595.28;
const MARGIN: f64 = 62.36;

/// The strips of every table's column headed `header`, one per position the column has
/// (tables leave out columns that are empty on all their rows, so the column moves): each
/// from just before its header word to just before the next header word on the same line.
fn column_strips(pdf: &PdfFile, header: &str) -> String {
    let html = poppler("pdftotext", &["-bbox", "-enc", "UTF-8", pdf.arg(), "-"]);
    // (page, xMin, yMin, text)
    let mut words: Vec<(usize, f64, f64, String)> = Vec::new();
    let mut page = 0;
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            page += 1;
            continue;
        }
        let Some(rest) = line.strip_prefix("<word ") else {
            continue;
        };
        let attr = |name: &str| -> Option<f64> {
            let start = rest.find(&format!("{name}=\""))? + name.len() + 2;
            let end = start + rest[start..].find('"')?;
            rest[start..end].parse().ok()
        };
        let text = rest
            .split('>')
            .nth(1)
            .unwrap_or("")
            .trim_end_matches("</word");
        if let (Some(x), Some(y)) = (attr("xMin"), attr("yMin")) {
            words.push((page, x, y, text.to_owned()));
        }
    }
    let mut spans: Vec<(u32, u32)> = Vec::new();
    for (page, x, y, text) in &words {
        if text != header {
            continue;
        }
        let next = words
            .iter()
            .filter(|(p, nx, ny, _)| p == page && (ny - y).abs() < 1.0 && *nx > x + 20.0)
            .map(|(_, nx, _, _)| *nx)
            .fold(f64::INFINITY, f64::min);
        if next.is_finite() {
            let span = ((x - 3.0) as u32, (next - x) as u32);
            if !spans.contains(&span) {
                spans.push(span);
            }
        }
    }
    assert!(!spans.is_empty(), "no «{header}» column header in the PDF");
    spans
        .iter()
        .map(|(x, width)| pdf.strip(*x, *width))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn pdf_holds_every_tiltak_heading_and_page_number() {
    let (template, view) = nordstrand();
    let bytes = export::to_pdf(&view, &template, &info()).expect("pdf");
    let pdf = PdfFile::new(&bytes);

    // A valid PDF/A-2a with cover, contents and body.
    let info = pdf.info();
    assert!(
        info.contains("Title:           Ruspolitisk handlingsplan for Bydel Nordstrand"),
        "{info}"
    );
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains("Page size:       595.276 x 841.89 pts (A4)"),
        "{info}"
    );
    let pages = pdf.pages();
    assert!(pages > 4, "cover + contents + body, got {pages} pages");
    let raw = String::from_utf8_lossy(&bytes);
    assert!(
        raw.contains("<pdfaid:part>2</pdfaid:part>"),
        "XMP names PDF/A part 2"
    );
    assert!(
        raw.contains("<pdfaid:conformance>A</pdfaid:conformance>"),
        "XMP names level A"
    );
    let meta = poppler("pdfinfo", &["-meta", pdf.arg()]);
    assert!(
        meta.contains("<pdfaid:part>2</pdfaid:part>"),
        "pdfinfo -meta shows the PDF/A id"
    );
    assert!(
        meta.contains("<rdf:li>nb-NO</rdf:li>"),
        "document language nb"
    );

    let text = pdf.text();
    let flat = letters(&text);
    for word in ["æ", "ø", "å", "Ø"] {
        assert!(text.contains(word), "{word} is in the PDF text");
    }
    // Page numbers: "side x av N" on every page but the cover.
    for page in 2..=pages {
        assert!(
            text.contains(&format!("side {page} av {pages}")),
            "side {page} av {pages}"
        );
    }
    assert!(
        !text.contains(&format!("side 1 av {pages}")),
        "the cover has none"
    );
    let cover = text.split('\u{c}').next().expect("first page");
    assert!(cover.contains("Bydel Nordstrand"), "{cover}");
    // Metadata from the plan and its template.
    assert!(info.contains("Author:          Bydel Nordstrand"), "{info}");
    assert!(
        info.contains("Subject:         Ruspolitisk handlingsplan, Bydel Nordstrand, 2025–2028"),
        "{info}"
    );
    assert!(
        info.contains("Keywords:        Ruspolitisk handlingsplan, Bydel Nordstrand, 2025–2028"),
        "{info}"
    );
    assert!(text.contains("Innholdsfortegnelse"));
    // Every section with the plan's number and heading, the groups and the appendix.
    for section in document::structure::flatten(&view.structure) {
        let heading = format!("{} {}", section.number, section.heading);
        assert!(
            flat.contains(&letters(&heading)),
            "heading missing: {heading}"
        );
    }
    let group_field = template.group_field().expect("KoRus groups its tiltak");
    for option in &group_field.options {
        assert!(flat.contains(&letters(&option.label)), "{}", option.label);
    }
    assert!(flat.contains(&letters("Vedlegg 1 Strategi- og plandokumenter")));
    // Every tiltak, read from the tables' «Tiltak» column (where it is depends on the table:
    // the demo's tables have no «Nivå» or «Frist», and some no «Innsatsområde»).
    // The table header repeats on every page a table continues on.
    let column = letters(&without_furniture(
        &column_strips(&pdf, "Tiltak"),
        &["Tiltak"],
    ));
    for row in &view.tiltak {
        let title = row.title(&template);
        assert!(
            column.contains(&letters(&title)),
            "tiltak missing from the PDF: {title}"
        );
    }
    // Units' names are never hyphenated (the cells of `unit` fields).
    let goals = &view.goals;
    let units: Vec<String> = view
        .tiltak
        .iter()
        .flat_map(|row| {
            template
                .tiltak
                .fields
                .iter()
                .filter(|field| field.field_type == samskriv::templates::FieldType::Unit)
                .map(move |field| row.display(field, goals))
        })
        .collect();
    assert!(!units.is_empty());
    for word in units.iter().flat_map(|value| value.split_whitespace()) {
        let chars: Vec<char> = word.trim_matches(',').chars().collect();
        for cut in 2..chars.len().saturating_sub(1) {
            let split = format!(
                "{}-\n{}",
                chars[..cut].iter().collect::<String>(),
                chars[cut..].iter().collect::<String>()
            );
            assert!(!text.contains(&split), "a unit hyphenated: {split:?}");
        }
    }
    // Milestones and prose are there too.
    for milestone in &view.milestones {
        assert!(
            flat.contains(&letters(&milestone.title)),
            "{}",
            milestone.title
        );
    }
    assert!(flat.contains(&letters("Det er lettere å forebygge enn å reparere.")));
}

fn hostile_corpus() -> Vec<String> {
    let mut corpus: Vec<String> = [
        "#read(\"/etc/passwd\")",
        "#import \"/etc/passwd\": *",
        "#include \"/etc/hostname\"",
        "#image(\"/etc/passwd\")",
        "#set page(width: 1cm) ] [ $ x $ \\ #{ let a = 1 }",
        "#eval(\"1+1\") #sys.inputs",
        "a | b | c <script>alert(1)</script>",
        "`kode` **fet** [lenke](javascript:alert(1)) ![bilde](https://x/y.png)",
        "# ikke overskrift\n- ikke liste\n> ikke sitat",
        "æøå ÆØÅ «sitat» – tankestrek",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // A very long word and a 10,000-character cell.
    corpus.push(format!("Langt{}ord", "x".repeat(3_000)));
    let mut cell = String::new();
    while cell.chars().count() < 9_990 {
        cell.push_str("Rusforebyggende arbeid i bydelen ");
    }
    corpus.push(cell.trim_end().chars().take(10_000).collect());
    corpus
}

/// A plan created through the API and filled with the corpus through the live room.
async fn hostile_plan(api: &Api, app: &TestApp) -> String {
    let plan = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    let corpus = hostile_corpus();
    let rows: Vec<Value> = corpus
        .iter()
        .map(|text| {
            // Innsatsområde takes 200 characters (the template's limit).
            let short: String = text.chars().take(200).collect();
            json!({"strategi": "tidlig_innsats", "tiltak": text, "innsatsomrade": short,
                   "ansvarlig": text, "frist": "2026", "status": "utgar"})
        })
        .collect();
    let (status, body) = api
        .post(&format!("/api/plans/{plan}/tiltak"), &Value::Array(rows))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let template = korus();
    let id = plan.parse().expect("plan id");
    app.registry
        .edit(id, move |txn| {
            let blocks: Vec<sample::Prose<'_>> = corpus
                .iter()
                .flat_map(|text| {
                    [
                        sample::Prose::Paragraph(vec![sample::Run::Plain(text)]),
                        sample::Prose::Bullets(vec![vec![sample::Run::Bold(text)]]),
                    ]
                })
                .collect();
            sample::write_prose(txn, "innledning.hva-er-planen", &blocks);
            document::set_meta(
                txn,
                document::MetaField::Title,
                "Plan #read(\"/etc/passwd\") | *x*",
            )
            .map(|_| template.key())
        })
        .await
        .expect("room")
        .expect("edit");
    plan
}

#[tokio::test]
async fn hostile_text_is_printed_literally_in_both_exports() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let plan = hostile_plan(&api, &app).await;
    let corpus = hostile_corpus();

    // Markdown: no raw HTML, tables intact (checked in depth by the unit tests).
    let (status, headers, markdown) = api.download(&format!("/plans/{plan}/export.md")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/markdown; charset=utf-8");
    let markdown = String::from_utf8(markdown).expect("utf-8");
    for (at, _) in markdown.match_indices('<') {
        assert!(
            markdown[..at].ends_with('\\'),
            "every < is escaped: {}",
            &markdown[at.saturating_sub(20)..(at + 20).min(markdown.len())]
        );
    }
    assert!(!markdown.contains("<br"), "no HTML line breaks");
    // Every tiltak row has as many cells as its table's header (a column empty on every row
    // is left out of the table, and so is its cell on every row).
    let mut header_pipes = 0;
    for line in markdown.lines().filter(|line| line.starts_with('|')) {
        let pipes = line.len() - line.replace('|', "").len() - line.matches("\\|").count();
        if line.starts_with("| Nr. |") {
            header_pipes = pipes;
            assert!(pipes >= 6, "{line}");
        } else if line.contains("Rusforebyggende")
            || line.contains("#read")
            || line.contains("Langt")
        {
            assert_eq!(
                pipes,
                header_pipes,
                "a tiltak row keeps its cells: {}",
                &line[..80.min(line.len())]
            );
        }
    }

    // PDF: the literal text, nothing read from the disk, the layout within the page.
    let (status, headers, bytes) = api.download(&format!("/plans/{plan}/export.pdf")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment; filename=\"plan-read-etc-passwd-x")
            && disposition.ends_with(".pdf\""),
        "{disposition}"
    );
    let pdf = PdfFile::new(&bytes);
    let header = [
        "Plan #read(\"/etc/passwd\") | *x*",
        export::CURRENT_STATE_LABEL,
        "Tiltak",
    ];
    let text = compact(&without_furniture(&pdf.text(), &header));
    assert!(
        !text.contains("root:"),
        "no file content leaks into the PDF"
    );
    for item in &corpus[..10] {
        let want = compact(item);
        assert!(text.contains(&want), "printed literally: {item:?}");
    }
    assert!(
        text.contains(&compact(&corpus[10])),
        "the long word is whole"
    );
    assert!(
        text.contains(&compact(&corpus[11])),
        "the long cell is whole"
    );
    let column = compact(&without_furniture(&column_strips(&pdf, "Tiltak"), &header));
    for item in &corpus {
        assert!(
            column.contains(&compact(item)),
            "tiltak cell whole: {}",
            item.chars().take(40).collect::<String>()
        );
    }
    // No word runs past the right margin (long words wrap inside their cells).
    for (x_min, x_max, word) in pdf.words() {
        assert!(
            x_min >= MARGIN - 2.0 && x_max <= PAGE_WIDTH - MARGIN + 2.0,
            "word outside the text area at {x_min}..{x_max}: {}",
            word.chars().take(40).collect::<String>()
        );
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Named versions
// ---------------------------------------------------------------------------------------------

/// The Nordstrand sample stored as a plan, as the demo plan is.
async fn nordstrand_plan(app: &TestApp) -> String {
    let template = korus();
    let doc = sample::nordstrand_doc(&template).expect("sample");
    let state = samskriv::version::freeze(&doc);
    let meta = sample::nordstrand_meta();
    let record = app
        .storage
        .create_plan(
            &NewPlan {
                title: meta.title,
                bydel: meta.bydel,
                periode: meta.periode,
                template: template.key(),
                is_demo: false,
            },
            &state,
        )
        .await
        .expect("plan stored");
    record.id.to_string()
}

#[tokio::test]
async fn a_frozen_version_exports_the_same_bytes_after_more_edits() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let plan = nordstrand_plan(&app).await;

    let (status, version) = api
        .post(
            &format!("/api/plans/{plan}/versions"),
            &json!({"name": "  Vedtatt i BU 12.03.2026 "}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    assert_eq!(version["name"], "Vedtatt i BU 12.03.2026");
    assert_eq!(version["plan_id"], plan.as_str());
    let vid = version["id"].as_str().expect("version id").to_owned();

    let md_path = format!("/plans/{plan}/export.md?version={vid}");
    let pdf_path = format!("/plans/{plan}/export.pdf?version={vid}");
    let (status, headers, md_before) = api.download(&md_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"ruspolitisk-handlingsplan-for-bydel-nordstrand-vedtatt-i-bu-12-03-2026.md\""
    );
    let (status, _, pdf_before) = api.download(&pdf_path).await;
    assert_eq!(status, StatusCode::OK);
    let docx_path = format!("/plans/{plan}/export.docx?version={vid}");
    let (status, headers, docx_before) = api.download(&docx_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"ruspolitisk-handlingsplan-for-bydel-nordstrand-vedtatt-i-bu-12-03-2026.docx\""
    );
    assert!(docx_part(&docx_before, "word/header1.xml").contains("Vedtatt i BU 12.03.2026"));
    let (_, _, current_before) = api.download(&format!("/plans/{plan}/export.md")).await;
    let md_text = String::from_utf8(md_before.clone()).expect("utf-8");
    assert!(md_text.contains("- **Versjon:** Vedtatt i BU 12.03.2026\n"));

    // More edits: a new tiltak, a changed tiltak text, a new status.
    let (status, body) = api
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([{"strategi": "livskvalitet", "tiltak": "Et nytt tiltak etter frysingen", "ansvarlig": "NAV"}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.registry
        .edit(plan.parse().expect("id"), |txn| {
            document::set_meta(txn, document::MetaField::Status, "vedtatt")
        })
        .await
        .expect("room")
        .expect("edit");

    // The version's exports are byte for byte what they were; the current state moved on.
    let (_, _, md_after) = api.download(&md_path).await;
    assert!(
        md_after == md_before,
        "a frozen version's Markdown never changes"
    );
    let (_, _, pdf_after) = api.download(&pdf_path).await;
    assert!(
        pdf_after == pdf_before,
        "a frozen version's PDF never changes (typst is deterministic)"
    );
    let (_, _, docx_after) = api.download(&docx_path).await;
    assert!(
        docx_after == docx_before,
        "a frozen version's .docx never changes"
    );
    let (status, _, current_docx) = api.download(&format!("/plans/{plan}/export.docx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        docx_part(&current_docx, "word/document.xml").contains("Et nytt tiltak etter frysingen")
    );
    assert!(docx_part(&current_docx, "word/header1.xml").contains(export::CURRENT_STATE_LABEL));
    let (_, _, current_after) = api.download(&format!("/plans/{plan}/export.md")).await;
    assert!(current_after != current_before);
    assert!(String::from_utf8_lossy(&current_after).contains("Et nytt tiltak etter frysingen"));
    assert!(!String::from_utf8_lossy(&md_after).contains("Et nytt tiltak etter frysingen"));

    // The API: list, content, read-only page, refusals.
    let (status, list) = api.get(&format!("/api/plans/{plan}/versions")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (status, content) = api.get(&format!("/api/plans/{plan}/versions/{vid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content["tiltak"].as_array().map(Vec::len), Some(49));
    assert_eq!(content["meta"]["status"], "horing");
    assert_eq!(content["version"]["id"], vid.as_str());
    let (status, live) = api.get(&format!("/api/plans/{plan}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["tiltak"].as_array().map(Vec::len), Some(50));

    let (status, body) = api
        .post(
            &format!("/api/plans/{plan}/versions"),
            &json!({"name": "Vedtatt i BU 12.03.2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    for name in ["", "   ", &"x".repeat(121)] {
        let (status, _) = api
            .post(
                &format!("/api/plans/{plan}/versions"),
                &json!({"name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
    }
    let missing = "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11";
    let (status, _) = api
        .get(&format!("/api/plans/{plan}/versions/{missing}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get(&format!("/api/plans/{plan}/versions/nope")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = api
        .download(&format!("/plans/{plan}/export.pdf?version={missing}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get(&format!("/api/plans/{missing}/versions")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Pages: the version read-only under its banner, the plan page listing it.
    let (status, html) = api.page(&format!("/plans/{plan}/versions/{vid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Versjon «Vedtatt i BU 12.03.2026»"), "banner");
    assert!(html.contains("(frosset"));
    assert!(
        !html.contains("/static/editor.js"),
        "no editor on a frozen version"
    );
    assert!(!html.contains("Et nytt tiltak etter frysingen"));
    assert!(html.contains(&format!("/plans/{plan}/export.pdf?version={vid}")));
    assert!(html.contains(&format!("/plans/{plan}/export.docx?version={vid}")));
    let (status, html) = api.page(&format!("/plans/{plan}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Frys versjon"));
    assert!(html.contains("Last ned Markdown") && html.contains("Last ned PDF"));
    assert!(html.contains("Last ned Word (.docx)"));
    assert!(html.contains(&format!("/plans/{plan}/export.docx\"")));
    assert!(html.contains(&format!("/plans/{plan}/versions/{vid}")));

    // The form freezes and goes back to the plan.
    let response = api
        .http
        .post(format!("{}/plans/{plan}/versions", api.base))
        .form(&[("name", "Etter vedtak")])
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with(&format!("/plans/{plan}?frosset="))
            && location.ends_with("#versjoner"),
        "{location}"
    );
    let response = api
        .http
        .post(format!("{}/plans/{plan}/versions", api.base))
        .form(&[("name", "Etter vedtak")])
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let (_, list) = api.get(&format!("/api/plans/{plan}/versions")).await;
    assert_eq!(list[0]["name"], "Etter vedtak", "newest first");
    app.stop().await;
}

#[tokio::test]
async fn the_cli_exports_the_current_state_and_a_version() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let plan = nordstrand_plan(&app).await;
    let (status, version) = api
        .post(
            &format!("/api/plans/{plan}/versions"),
            &json!({"name": "Høringsutkast"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let vid = version["id"].as_str().expect("id").to_owned();
    let (_, _, served) = api
        .download(&format!("/plans/{plan}/export.md?version={vid}"))
        .await;
    let (_, _, served_docx) = api
        .download(&format!("/plans/{plan}/export.docx?version={vid}"))
        .await;
    let (_, _, served_changes) = api
        .download(&format!(
            "/plans/{plan}/export.md?version={vid}&changes_since={vid}"
        ))
        .await;
    let db = app.db_path.clone();
    // Keeps the database's directory until the end of the test.
    let _dir = app.stop().await;

    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("plan.md");
    let status = Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args([
            "export",
            &plan,
            "--format",
            "md",
            "--version",
            &vid,
            "--output",
        ])
        .arg(&out)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .status()
        .expect("cli runs");
    assert!(status.success());
    assert_eq!(
        std::fs::read(&out).expect("written"),
        served,
        "CLI and server agree"
    );

    let pdf = dir.path().join("plan.pdf");
    let status = Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args(["export", &plan, "--format", "pdf", "--output"])
        .arg(&pdf)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .status()
        .expect("cli runs");
    assert!(status.success());
    assert!(PdfFile::new(&std::fs::read(&pdf).expect("pdf")).pages() > 4);

    let docx = dir.path().join("plan.docx");
    let status = Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args([
            "export",
            &plan,
            "--format",
            "docx",
            "--version",
            &vid,
            "--output",
        ])
        .arg(&docx)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .status()
        .expect("cli runs");
    assert!(status.success());
    assert_eq!(
        std::fs::read(&docx).expect("written"),
        served_docx,
        "CLI and server give the same .docx"
    );

    let changes = dir.path().join("changes.md");
    let status = Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args([
            "export",
            &plan,
            "--version",
            &vid,
            "--changes-since",
            &vid,
            "--output",
        ])
        .arg(&changes)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .status()
        .expect("cli runs");
    assert!(status.success());
    let written = std::fs::read(&changes).expect("written");
    assert_eq!(
        written, served_changes,
        "CLI and server agree on the changes"
    );
    assert!(
        String::from_utf8_lossy(&written)
            .ends_with("Ingen endringer siden versjonen «Høringsutkast».\n")
    );
    let output = Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args(["export", &plan, "--changes-since", "nope"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .expect("cli runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("changes_since"));

    let output = Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args(["export", &plan, "--format", "odt"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .expect("cli runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("md, pdf or docx"));
}

// ---------------------------------------------------------------------------------------------
// Version storage on both back ends
// ---------------------------------------------------------------------------------------------

async fn versions_are_stored_once(storage: std::sync::Arc<dyn samskriv::storage::Storage>) {
    use samskriv::storage::StorageError;
    let new_plan = |title: &str| NewPlan {
        title: title.to_owned(),
        ..NewPlan::default()
    };
    let plan = storage
        .create_plan(&new_plan("A"), b"")
        .await
        .expect("plan")
        .id;
    let other = storage
        .create_plan(&new_plan("B"), b"")
        .await
        .expect("plan")
        .id;
    let state: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let first = storage
        .create_version(plan, "Høringsutkast", &state)
        .await
        .expect("version stored");
    assert_eq!(first.plan_id, plan);
    assert_eq!(first.name, "Høringsutkast");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = storage
        .create_version(plan, "Vedtatt i BU 12.03.2026", b"later")
        .await
        .expect("second version");

    // Names are unique per plan, not across plans.
    assert!(matches!(
        storage.create_version(plan, "Høringsutkast", b"x").await,
        Err(StorageError::VersionNameTaken(name)) if name == "Høringsutkast"
    ));
    storage
        .create_version(other, "Høringsutkast", b"other")
        .await
        .expect("same name in another plan");
    let missing = samskriv::plan::PlanId::new_random();
    assert!(matches!(
        storage.create_version(missing, "x", b"x").await,
        Err(StorageError::PlanNotFound(id)) if id == missing
    ));

    let listed = storage.list_versions(plan).await.expect("list");
    assert_eq!(listed, vec![second.clone(), first.clone()], "newest first");
    let stored = storage
        .get_version(plan, first.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(stored.record, first);
    assert_eq!(stored.state, state, "the state comes back byte for byte");
    assert!(
        storage
            .get_version(other, first.id)
            .await
            .expect("get")
            .is_none(),
        "a version is found only under its own plan"
    );
    assert!(
        storage
            .list_versions(missing)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn sqlite_versions_are_stored_once() {
    let dir = tempfile::tempdir().expect("dir");
    versions_are_stored_once(open_storage(&dir.path().join("v.sqlite3")).await).await;
}

#[tokio::test]
async fn postgres_versions_are_stored_once() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let storage = samskriv::storage::connect(&samskriv::config::DatabaseConfig {
        database_url: schema.url(),
        sqlite_synchronous: samskriv::config::SqliteSynchronous::Full,
    })
    .await
    .expect("database opens");
    versions_are_stored_once(storage).await;
    drop(schema);
}

// ---------------------------------------------------------------------------------------------
// What changed since an earlier version (`changes_since`), on both back ends
// ---------------------------------------------------------------------------------------------

const KORUS: &str = "korus-ruspolitisk-handlingsplan@1";
const PROSE_SECTION: &str = "innledning.hva-er-planen";

async fn freeze(api: &Api, plan: &str, name: &str) -> String {
    let (status, version) = api
        .post(
            &format!("/api/plans/{plan}/versions"),
            &json!({"name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    version["id"].as_str().expect("version id").to_owned()
}

async fn write_prose(app: &TestApp, plan: &str, paragraphs: &'static [&'static str]) {
    let template = TemplateRegistry::builtin()
        .expect("built-in templates")
        .get(KORUS)
        .expect("korus template")
        .clone();
    app.registry
        .edit(plan.parse().expect("plan id"), move |txn| {
            document::set_prose_paragraphs(txn, &template, PROSE_SECTION, paragraphs)
        })
        .await
        .expect("room")
        .expect("edit");
}

/// Text squashed to single blanks, without the PDF's invisible break opportunities.
fn squashed(text: &str) -> String {
    text.replace(['\u{200B}', '\u{00AD}'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A plan frozen as «Høringsutkast», then a tiltak's status changed, a tiltak added (one
/// without a strategy too) and a paragraph edited, frozen as «Vedtatt i BU»: the exports of
/// «Vedtatt i BU» with `changes_since=<Høringsutkast>` end with what changed, by the tiltak
/// numbers the diff API gives, in all three formats, the same bytes every time.
async fn exports_print_what_changed_since(app: &TestApp) {
    let api = Api::new(app);
    let plan = api.create_plan(KORUS).await;
    let (status, rows) = api
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([
                {"strategi": "forebygging", "tiltak": "Foreldremøter om alkohol", "status": "ikke_startet"},
                {"strategi": "forebygging", "tiltak": "Skjenkekontroller med politiet", "status": "ikke_startet"}
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    let changed_row = rows["ids"][1].as_str().expect("row id").to_owned();
    write_prose(
        app,
        &plan,
        &["Bydelen har fire tiltak mot alkohol blant unge."],
    )
    .await;
    let v1 = freeze(&api, &plan, "Høringsutkast").await;

    let (status, patched) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/plans/{plan}/tiltak/{changed_row}"),
            json!({"status": "pabegynt"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let (status, rows) = api
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([
                {"strategi": "livskvalitet", "tiltak": "Nytt tiltak etter høringen"},
                {"tiltak": "Tiltak som mangler strategi"}
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    write_prose(
        app,
        &plan,
        &["Bydelen har fem nye tiltak mot alkohol blant unge."],
    )
    .await;
    let v2 = freeze(&api, &plan, "Vedtatt i BU").await;

    // The facts as the diff API gives them: the changed row's number and its status labels.
    let (status, diff) = api
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to={v2}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    let changed = diff["tiltak"]
        .as_array()
        .expect("tiltak")
        .iter()
        .find(|row| row["id"] == changed_row.as_str())
        .expect("the changed row");
    let heading = format!(
        "Tiltak {}: Skjenkekontroller med politiet",
        changed["number"].as_str().expect("number")
    );
    let status_field = changed["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|field| field["field"] == "status")
        .expect("status changed");
    let (old, new) = (
        status_field["old"].as_str().expect("old"),
        status_field["new"].as_str().expect("new"),
    );
    let status_line = format!("Status: [Fjernet: {old}] [Lagt til: {new}]");
    let words = "Bydelen har [Fjernet: fire] [Lagt til: fem nye] tiltak mot alkohol blant unge.";
    let appendix = "Endringer siden Høringsutkast";

    let path =
        |format: &str| format!("/plans/{plan}/export.{format}?version={v2}&changes_since={v1}");
    let download = |format: &'static str| {
        let url = path(format);
        let api = &api;
        async move {
            let (status, _, first) = api.download(&url).await;
            assert_eq!(status, StatusCode::OK, "{url}");
            let (_, _, again) = api.download(&url).await;
            assert!(first == again, "{format}: the same bytes every time");
            first
        }
    };

    // Markdown.
    let markdown = String::from_utf8(download("md").await).expect("utf-8");
    let tail = markdown
        .split_once(&format!("## Vedlegg 2 {appendix}\n"))
        .unwrap_or_else(|| panic!("{markdown}"))
        .1;
    assert!(tail.contains(&format!("#### {heading}\n")), "{tail}");
    assert!(
        tail.contains(&format!(
            "**Status:** \\[Fjernet: _{old}_\\] \\[Lagt til: _{new}_\\]"
        )),
        "{tail}"
    );
    assert!(
        tail.contains("Bydelen har \\[Fjernet: _fire_\\] \\[Lagt til: _fem nye_\\] tiltak"),
        "{tail}"
    );
    assert!(tail.contains("### Nye tiltak (2)"), "{tail}");
    assert!(!markdown.contains("Uten "), "a version prints no «Uten …»");
    let (_, _, plain) = api
        .download(&format!("/plans/{plan}/export.md?version={v2}"))
        .await;
    assert!(!String::from_utf8_lossy(&plain).contains(appendix));
    // The current state is a draft: it says so, and keeps the caption of rows without a group.
    let (status, _, current) = api
        .download(&format!("/plans/{plan}/export.md?changes_since={v1}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let current = String::from_utf8(current).expect("utf-8");
    assert!(
        current.contains("til utkastet (gjeldende tekst)"),
        "{current}"
    );
    assert!(current.contains("Uten strategi"));

    // PDF, read back.
    let pdf = squashed(&PdfFile::new(&download("pdf").await).text());
    let tail = pdf
        .split_once(&format!("Vedlegg 2 {appendix} Endringer fra"))
        .unwrap_or_else(|| panic!("{pdf}"))
        .1;
    for expected in [&status_line, words] {
        assert!(tail.contains(expected), "{expected}: {tail}");
    }
    // Headings may be hyphenated.
    assert!(letters(tail).contains(&letters(&heading)), "{tail}");
    assert!(!pdf.contains("Uten "));

    // Word: the text, underlined insertions and struck-through deletions.
    let xml = docx_part(&download("docx").await, "word/document.xml");
    let text = squashed(
        &xml.replace("</w:p>", " ")
            .split('<')
            .map(|piece| piece.split_once('>').map_or(piece, |(_, text)| text))
            .collect::<String>(),
    );
    let tail = text
        .split_once(&format!("Vedlegg 2 {appendix}"))
        .unwrap_or_else(|| panic!("{text}"))
        .1;
    for expected in [&status_line, words, &heading] {
        assert!(tail.contains(expected), "{expected}: {tail}");
    }
    assert!(xml.contains(
        r#"<w:rPr><w:u w:val="single"/></w:rPr><w:t xml:space="preserve">fem nye</w:t>"#
    ));
    assert!(xml.contains(r#"<w:rPr><w:strike/></w:rPr><w:t xml:space="preserve">fire</w:t>"#));
    assert!(!text.contains("Uten "));

    // Refusals: a malformed id, an unknown one and another plan's version are named.
    let other = api.create_plan(KORUS).await;
    let foreign = freeze(&api, &other, "Høringsutkast").await;
    let missing = "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11";
    for since in ["nope", missing, foreign.as_str()] {
        for format in ["md", "pdf", "docx"] {
            let (status, page) = api
                .page(&format!(
                    "/plans/{plan}/export.{format}?version={v2}&changes_since={since}"
                ))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{since}");
            assert!(page.contains("changes_since"), "{page}");
            assert!(page.contains("Endringene kunne ikke tas med"), "{page}");
        }
    }
    // The service names the parameter for programs too (the CLI prints it).
    let error = samskriv::service::versions::export_stored(
        app.storage.as_ref(),
        &TemplateRegistry::builtin().expect("templates"),
        plan.parse().expect("plan id"),
        Some(&v2),
        Some(&foreign),
        false,
        export::Format::Markdown,
    )
    .await
    .err()
    .expect("refused");
    assert!(
        matches!(
            &error,
            samskriv::service::Error::Invalid {
                field: "changes_since",
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn sqlite_exports_print_what_changed_since() {
    let app = TestApp::spawn().await;
    exports_print_what_changed_since(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn postgres_exports_print_what_changed_since() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let app = TestApp::spawn_with_url(&schema.url(), |_| {}).await;
    exports_print_what_changed_since(&app).await;
    app.stop().await;
    drop(schema);
}
