//! The Markdown export: GitHub-flavoured Markdown (CommonMark plus pipe tables), no HTML at all.
//!
//! User text can never become markup:
//! - characters that mean something anywhere in a line are backslash-escaped wherever they
//!   occur: `\` `` ` `` `*` `_` `[` `]` `<` `>` `|` `#` `~` `$` (GitHub's math), and `&` where
//!   it could start an entity. CommonMark lets any ASCII punctuation be escaped, so this is
//!   always read back as the literal character;
//! - at the start of a line, where block syntax lives, leading blanks are dropped and `-`,
//!   `+`, `=` and the `.`/`)` after a number are escaped too (lists, setext underlines,
//!   thematic breaks);
//! - a line break inside a paragraph is a CommonMark hard break (backslash, newline); inside a
//!   table cell or a heading, which must stay on one line, it becomes a space. `<br>` is HTML
//!   and is never written;
//! - links keep only `http:`, `https:` and `mailto:` targets, percent-encoding anything that
//!   could end the target or the table cell (and any non-ASCII character); other links are
//!   printed as their text.
//!
//! Emphasis delimiters are placed around the text only, never around its outer blanks (a
//! delimiter next to a blank does not count in CommonMark), and formatting that CommonMark
//! cannot express at that spot is dropped rather than leaking stray `*`.

use std::fmt::Write;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::{
    Appendix, ChangeLine, ChecklistGroup, DELETED, Detail, ExportDoc, ExportInfo, FIGURE_COLUMNS,
    INSERTED, MILESTONE_COLUMNS, NUMBER_COLUMN, Part, TiltakTable, TitleBlock, UNWRITTEN, yes_no,
};
use crate::document::{Block, Cell, Inline, ListItem, PlanView, RunKind};
use crate::links::is_safe_href;
use crate::templates::Template;

/// The plan as GitHub-flavoured Markdown. Pure and deterministic: the same document and info
/// always give the same text.
pub fn to_markdown(view: &PlanView, template: &Template, info: &ExportInfo) -> String {
    let doc = ExportDoc::build(view, template, info);
    let mut chunks: Vec<String> = Vec::new();
    title_block(&doc.title, &mut chunks);
    for part in &doc.parts {
        part_md(part, &mut chunks);
    }
    for appendix in &doc.appendices {
        appendix_md(appendix, &mut chunks);
    }
    let mut out = chunks.join("\n\n");
    out.push('\n');
    out
}

fn title_block(title: &TitleBlock, chunks: &mut Vec<String>) {
    chunks.push(format!("# {}", one_line(title.display_title())));
    // The cover's lines: the kind of plan and the district, then the facts the plan has.
    let cover: Vec<&str> = [title.template_title.as_str(), title.bydel.as_str()]
        .into_iter()
        .filter(|value| !value.trim().is_empty())
        .collect();
    if !cover.is_empty() {
        chunks.push(
            cover
                .iter()
                .map(|value| text_md(value, Mode::ListItem))
                .collect::<Vec<_>>()
                .join(" · "),
        );
    }
    let date = title.date_line();
    let rows = [
        ("Periode", title.periode.as_str()),
        ("Status", title.status.as_str()),
        ("Versjon", title.version.as_str()),
        ("Dato", date.as_str()),
    ];
    chunks.push(
        rows.iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(label, value)| format!("- **{label}:** {}", one_line(value)))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

/// A heading line: `level` is the export's level (1 for chapters), one `#` more in Markdown
/// because the document title is `#`.
fn heading_md(level: u8, number: &str, text: &str) -> String {
    let hashes = heading_marks(level.saturating_add(1));
    let text = one_line(text);
    if number.is_empty() {
        format!("{hashes} {text}")
    } else {
        format!("{hashes} {} {text}", one_line(number))
    }
}

fn part_md(part: &Part<'_>, chunks: &mut Vec<String>) {
    match part {
        Part::Heading {
            level,
            number,
            text,
        } => chunks.push(heading_md(*level, number, text)),
        Part::SubHeading { level, text } => {
            chunks.push(heading_md(level.saturating_add(1), "", text));
        }
        Part::Prose { level, blocks } => chunks.extend(blocks_md(blocks, *level + 1)),
        Part::Blocks { level, blocks } => chunks.extend(blocks_md(blocks, *level + 1)),
        Part::Tiltak(table) => tiltak_md(table, chunks),
        Part::Milestones(milestones) => {
            let columns: Vec<String> = MILESTONE_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
            let rows: Vec<Vec<String>> = milestones
                .iter()
                .map(|m| {
                    vec![
                        cell_text(&m.title),
                        cell_text(&m.date),
                        cell_text(&m.responsible),
                        yes_no(m.done).to_owned(),
                    ]
                })
                .collect();
            chunks.push(table_md(&columns, &rows));
        }
        Part::Checklist { level, groups } => {
            for ChecklistGroup { name, items } in groups {
                if !name.is_empty() {
                    chunks.push(heading_md(level.saturating_add(1), "", name));
                }
                chunks.push(plain_list(items));
            }
        }
        Part::Figures(rows) => {
            let columns: Vec<String> = FIGURE_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|row| row.iter().map(|cell| cell_text(cell)).collect())
                .collect();
            chunks.push(table_md(&columns, &rows));
        }
        // Emphasised, so that it does not read as the plan's text.
        Part::Unwritten => chunks.push(format!("_{UNWRITTEN}_")),
        Part::Changes(lines) => chunks.extend(lines.iter().map(change_md)),
        Part::Table { table, .. } => chunks.push(super::report::text_table_md(table)),
    }
}

/// A paragraph of the changes appendix: «**Label:**», then the text with each insertion and
/// deletion in brackets after its word, the changed words emphasised: `[Lagt til: *ord*]`.
/// Markdown has no underline, and strikethrough is not CommonMark: the words carry it.
fn change_md(line: &ChangeLine) -> String {
    let mut inlines = Vec::new();
    if !line.label.is_empty() {
        inlines.push(Inline::Text {
            text: format!("{}:", line.label),
            bold: true,
            italic: false,
            link: None,
        });
        inlines.push(Inline::plain(" "));
    }
    for run in &line.runs {
        let word = match run.kind {
            RunKind::Same => {
                inlines.push(Inline::plain(&run.text));
                continue;
            }
            RunKind::Inserted => INSERTED,
            RunKind::Deleted => DELETED,
        };
        inlines.push(Inline::plain(&format!("[{word} ")));
        inlines.push(Inline::Text {
            text: run.text.clone(),
            bold: false,
            italic: true,
            link: None,
        });
        inlines.push(Inline::plain("]"));
    }
    inlines_md(&inlines, Mode::Paragraph)
}

/// One pipe table per group, under the group's caption (none when the template does not
/// group). A row's detail lines follow the text of its title cell on the same line (a table
/// cell cannot hold a line break without HTML), each as «**Label:** value».
fn tiltak_md(table: &TiltakTable, chunks: &mut Vec<String>) {
    for group in &table.groups {
        let mut columns = vec![NUMBER_COLUMN.to_owned()];
        columns.extend(group.columns.iter().map(|column| column.label.clone()));
        if !group.label.is_empty() {
            chunks.push(heading_md(table.level.saturating_add(1), "", &group.label));
        }
        let rows: Vec<Vec<String>> = group
            .rows
            .iter()
            .map(|line| {
                let mut cells = vec![line.number.to_string()];
                for (index, value) in line.cells.iter().enumerate() {
                    if index == group.detail_column && !line.details.is_empty() {
                        cells.push(cell_with_details(value, &line.details));
                    } else {
                        cells.push(cell_text(value));
                    }
                }
                cells
            })
            .collect();
        chunks.push(table_md(&columns, &rows));
    }
}

/// A cell's text followed by its detail lines, on one line, separated by « · ».
fn cell_with_details(value: &str, details: &[Detail]) -> String {
    let mut inlines = Vec::new();
    if !value.trim().is_empty() {
        inlines.push(Inline::plain(value));
    }
    for detail in details {
        if !inlines.is_empty() {
            inlines.push(Inline::plain(" · "));
        }
        inlines.push(Inline::Text {
            text: format!("{}:", detail.label),
            bold: true,
            italic: false,
            link: None,
        });
        inlines.push(Inline::plain(" "));
        inlines.push(Inline::plain(&detail.value));
    }
    inlines_md(&inlines, Mode::OneLine)
}

fn appendix_md(appendix: &Appendix<'_>, chunks: &mut Vec<String>) {
    chunks.push(heading_md(1, &appendix.number, &appendix.heading));
    for part in &appendix.parts {
        part_md(part, chunks);
    }
}

fn plain_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("- {}", text_md(item, Mode::ListItem)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `#` marks for a heading level (Markdown has six).
fn heading_marks(level: u8) -> String {
    "#".repeat(usize::from(level.clamp(1, 6)))
}

/// A pipe table: plain-text column headings, and cells already written as Markdown (see
/// [`cell_text`]); a row shorter than the header is padded.
pub(crate) fn table_md(columns: &[String], rows: &[Vec<String>]) -> String {
    let width = columns.len().max(1);
    let mut out = String::new();
    row_md(columns.iter().map(|c| cell_text(c)), width, &mut out);
    out.push('\n');
    out.push_str(&delimiter_row(width));
    for row in rows {
        out.push('\n');
        row_md(row.iter().cloned(), width, &mut out);
    }
    out
}

fn row_md(cells: impl Iterator<Item = String>, width: usize, out: &mut String) {
    let mut count = 0;
    out.push('|');
    for cell in cells.take(width) {
        let _ = write!(out, " {cell} |");
        count += 1;
    }
    for _ in count..width {
        out.push_str("  |");
    }
}

fn delimiter_row(width: usize) -> String {
    let mut out = String::from("|");
    for _ in 0..width {
        out.push_str(" --- |");
    }
    out
}

/// Prose blocks as Markdown chunks (to be separated by blank lines). `level` is the Markdown
/// heading level of the section they are in.
fn blocks_md(blocks: &[Block], level: u8) -> Vec<String> {
    blocks
        .iter()
        .filter(|block| !block.is_blank())
        .filter_map(|block| {
            let md = block_md(block, level);
            (!md.trim().is_empty()).then_some(md)
        })
        .collect()
}

fn block_md(block: &Block, level: u8) -> String {
    match block {
        Block::Paragraph { content } => inlines_md(content, Mode::Paragraph),
        Block::Heading {
            level: own,
            content,
        } => {
            // Editor levels 3–4 sit one and two levels under the section's heading.
            let marks = heading_marks(level.saturating_add(own.saturating_sub(2)));
            format!("{marks} {}", inlines_md(content, Mode::OneLine))
        }
        Block::BulletList { items } => list_md(items, None, level),
        Block::OrderedList { start, items } => list_md(items, Some(*start), level),
        Block::Blockquote { blocks } => {
            let inner = blocks_md(blocks, level).join("\n\n");
            inner
                .lines()
                .map(|line| {
                    if line.is_empty() {
                        ">".to_owned()
                    } else {
                        format!("> {line}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        Block::Table { rows } => prose_table_md(rows),
        Block::Unknown { text, .. } => text_md(text, Mode::Paragraph),
    }
}

fn list_md(items: &[ListItem], start: Option<u32>, level: u8) -> String {
    let mut rendered = Vec::with_capacity(items.len());
    let mut tight = true;
    for (index, item) in items.iter().enumerate() {
        let marker = match start {
            Some(start) => {
                let number = u64::from(start) + u64::try_from(index).unwrap_or(u64::MAX);
                format!("{}.", number.min(999_999_999))
            }
            None => "-".to_owned(),
        };
        let chunks = blocks_md(&item.blocks, level);
        if chunks.len() > 1 {
            tight = false;
        }
        let body = chunks.join("\n\n");
        let indent = " ".repeat(marker.len() + 1);
        let mut text = String::new();
        for (line_no, line) in body.lines().enumerate() {
            if line_no == 0 {
                let _ = write!(text, "{marker} {line}");
            } else if line.is_empty() {
                text.push('\n');
            } else {
                let _ = write!(text, "\n{indent}{line}");
            }
        }
        if text.is_empty() {
            text = marker;
        }
        rendered.push(text);
    }
    rendered.join(if tight { "\n" } else { "\n\n" })
}

/// A prose table. GitHub needs a header row: the first row is it, whether or not its cells are
/// header cells (an empty header row would print a blank line of cells above the table).
fn prose_table_md(rows: &[Vec<Cell>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return String::new();
    }
    let render = |row: &Vec<Cell>| -> Vec<String> {
        row.iter()
            .map(|cell| {
                cell.blocks
                    .iter()
                    .map(cell_block)
                    .filter(|text| !text.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let (header, body) = match rows.split_first() {
        Some((first, rest)) => (render(first), rest),
        None => (Vec::new(), rows),
    };
    let mut out = String::new();
    row_md(header.into_iter(), width, &mut out);
    out.push('\n');
    out.push_str(&delimiter_row(width));
    for row in body {
        out.push('\n');
        row_md(render(row).into_iter(), width, &mut out);
    }
    out
}

/// A block inside a table cell, flattened to one line.
fn cell_block(block: &Block) -> String {
    match block {
        Block::Paragraph { content } | Block::Heading { content, .. } => {
            inlines_md(content, Mode::OneLine)
        }
        Block::BulletList { items } | Block::OrderedList { items, .. } => items
            .iter()
            .map(|item| {
                item.blocks
                    .iter()
                    .map(cell_block)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("; "),
        Block::Blockquote { blocks } => blocks.iter().map(cell_block).collect::<Vec<_>>().join(" "),
        Block::Table { .. } | Block::Unknown { .. } => text_md(&block.plain_text(), Mode::OneLine),
    }
}

/// Where inline text goes: a paragraph may break lines and each of its lines starts a block
/// line; a heading, a table cell or a title-block value stays on one line after its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Paragraph,
    OneLine,
    /// One line right after a list marker, where `- ` or `1. ` would start a nested list.
    ListItem,
}

/// Plain text (no marks) as Markdown.
pub(crate) fn text_md(text: &str, mode: Mode) -> String {
    inlines_md(
        &[Inline::Text {
            text: text.to_owned(),
            bold: false,
            italic: false,
            link: None,
        }],
        mode,
    )
}

/// Text of a title-block value, heading or table cell: one line, escaped.
pub(crate) fn one_line(text: &str) -> String {
    text_md(text, Mode::OneLine)
}

fn cell_text(text: &str) -> String {
    one_line(text)
}

/// One run of inline content after splitting off its outer blanks.
struct Run<'a> {
    lead: bool,
    core: &'a str,
    trail: bool,
    bold: bool,
    italic: bool,
    link: Option<&'a str>,
}

/// Inline content as Markdown.
pub(crate) fn inlines_md(inlines: &[Inline], mode: Mode) -> String {
    // Split text into lines first: a newline in text is a line break, like a hard_break.
    let mut lines: Vec<Vec<Run<'_>>> = vec![Vec::new()];
    for inline in inlines {
        match inline {
            Inline::HardBreak => lines.push(Vec::new()),
            Inline::Text {
                text,
                bold,
                italic,
                link,
            } => {
                for (index, piece) in text.split(['\n', '\r']).enumerate() {
                    if index > 0 {
                        lines.push(Vec::new());
                    }
                    if piece.is_empty() {
                        continue;
                    }
                    let core = piece.trim_matches(is_blank);
                    let run = Run {
                        lead: piece.starts_with(is_blank),
                        core,
                        trail: piece.ends_with(is_blank),
                        bold: *bold,
                        italic: *italic,
                        link: link.as_deref().filter(|href| is_safe_href(href)),
                    };
                    if let Some(last) = lines.last_mut() {
                        last.push(run);
                    }
                }
            }
        }
    }
    let rendered: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(index, runs)| {
            let block_start = match mode {
                Mode::Paragraph => true,
                Mode::ListItem => index == 0,
                Mode::OneLine => false,
            };
            line_md(runs, block_start)
        })
        .filter(|line| !line.is_empty())
        .collect();
    match mode {
        // A backslash at the end of a line is a hard line break.
        Mode::Paragraph => rendered.join("\\\n"),
        Mode::OneLine | Mode::ListItem => rendered.join(" "),
    }
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

/// One line of runs: escaped text with delimiters around each run's text.
fn line_md(runs: &[Run<'_>], block_start: bool) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    for (index, run) in runs.iter().enumerate() {
        if run.lead && !out.is_empty() {
            pending_space = true;
        }
        if run.core.is_empty() {
            pending_space |= run.trail && !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
        }
        let before = out.chars().last();
        let after = if run.trail {
            Some(' ')
        } else {
            runs.get(index + 1).and_then(|next| {
                if next.lead {
                    Some(' ')
                } else {
                    next.core.chars().next()
                }
            })
        };
        let text = escape(run.core, block_start && out.is_empty());
        let (mut open, mut close) = delimiters(run, before, after, &text);
        // Two delimiter runs of the same character side by side would merge into one: a
        // zero-width non-joiner between them keeps them apart (it is neither a blank nor
        // punctuation to CommonMark).
        if let (Some(last), Some(first)) = (before, open.chars().next())
            && last == first
            && !out.ends_with("\\*")
            && !out.ends_with("\\_")
        {
            out.push('\u{200C}');
            (open, close) = delimiters(run, Some('\u{200C}'), after, &text);
        }
        match run.link {
            Some(href) => {
                let _ = write!(out, "[{open}{text}{close}]({})", link_target(href));
            }
            None => {
                let _ = write!(out, "{open}{text}{close}");
            }
        }
        pending_space = run.trail;
    }
    out
}

/// Opening and closing delimiters for a run, or none where CommonMark would not read them as
/// emphasis (a delimiter between a letter and punctuation does not flank).
fn delimiters(
    run: &Run<'_>,
    before: Option<char>,
    after: Option<char>,
    text: &str,
) -> (String, String) {
    if !run.bold && !run.italic {
        return (String::new(), String::new());
    }
    // Inside a link the brackets are the neighbours.
    let (before, after) = if run.link.is_some() {
        (Some('['), Some(']'))
    } else {
        (before, after)
    };
    let first = text.chars().next();
    let last = text.chars().last();
    let word = |c: Option<char>| c.is_some_and(|c| !c.is_whitespace() && !is_punctuation(c));
    let punct = |c: Option<char>| c.is_some_and(is_punctuation);
    // Left-flanking: the text starts with a non-punctuation character, or the delimiter
    // follows a blank or punctuation; right-flanking mirrors it.
    let opens = !punct(first) || !word(before);
    let closes = !punct(last) || !word(after);
    if !opens || !closes {
        return (String::new(), String::new());
    }
    // `_` does not work inside a word; `*` does.
    let italic = if word(before) || word(after) {
        "*"
    } else {
        "_"
    };
    match (run.bold, run.italic) {
        (true, true) => (format!("**{italic}"), format!("{italic}**")),
        (true, false) => ("**".to_owned(), "**".to_owned()),
        _ => (italic.to_owned(), italic.to_owned()),
    }
}

/// Unicode punctuation and symbols, as CommonMark's flanking rules count them.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || (!c.is_alphanumeric()
            && !c.is_whitespace()
            && !c.is_control()
            && !c.is_ascii()
            // Format characters (zero-width spaces and joiners) are neither.
            && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'))
}

/// Escapes text so that it reads back literally. `line_start`: the text begins a line, where
/// block syntax is recognised.
fn escape(text: &str, line_start: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut index = 0;
    if line_start {
        // Blank-led lines would be code blocks; leading marks would be lists or rules.
        while index < chars.len() && chars[index].is_whitespace() {
            index += 1;
        }
        if let Some(&first) = chars.get(index)
            && matches!(first, '-' | '+' | '=')
        {
            out.push('\\');
            out.push(first);
            index += 1;
        } else {
            let digits = chars[index..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits > 0
                && let Some(&mark) = chars.get(index + digits)
                && matches!(mark, '.' | ')')
            {
                out.extend(&chars[index..index + digits]);
                out.push('\\');
                out.push(mark);
                index += digits + 1;
            }
        }
    }
    while index < chars.len() {
        let c = chars[index];
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '&' if chars
                .get(index + 1)
                .is_some_and(|next| next.is_ascii_alphanumeric() || *next == '#') =>
            {
                out.push_str("\\&");
            }
            // No autolinks: GitHub would turn `https://…`, `www.…` and addresses with `@` in
            // text into links, and ends them by its own rules; the writers' own links are
            // links already.
            ':' if chars.get(index + 1..index + 3) == Some(&['/', '/']) => out.push_str("\\:"),
            '@' => out.push_str("\\@"),
            '.' if index >= 3
                && chars[index - 3..index]
                    .iter()
                    .all(|c| c.eq_ignore_ascii_case(&'w'))
                && (index == 3 || !chars[index - 4].is_alphanumeric()) =>
            {
                out.push_str("\\.");
            }
            c => out.push(c),
        }
        index += 1;
    }
    out
}

/// What [`link_target`] percent-encodes besides every non-ASCII character, which the crate
/// always encodes (as UTF-8 bytes: the form a URL carries other letters in, so the link goes
/// to the same place).
const LINK_TARGET: &AsciiSet = &CONTROLS
    // Controls (from line breaks and tabs up) and a blank end the target; the rest of the line would be read as a link title.
    .add(b' ')
    // `(` `)` and `<` `>` open and close the target; `"` and `'` open a link title.
    .add(b'(')
    .add(b')')
    .add(b'<')
    .add(b'>')
    .add(b'"')
    .add(b'\'')
    // A backslash escapes the character after it, so the target would lose it.
    .add(b'\\')
    // Code spans and raw HTML (`<`) bind before links: a backtick here could pair with one in
    // the text after the link and swallow its end.
    .add(b'`')
    // A pipe ends the table cell even inside a link.
    .add(b'|')
    // Link brackets and emphasis delimiters mean nothing inside a target in CommonMark, but
    // not every reader gets that right; encoded, they cannot be misread.
    .add(b'[')
    .add(b']')
    .add(b'*')
    .add(b'_');

/// A link target that cannot end early: every character that could close the target, the
/// link or a table cell is percent-encoded ([`LINK_TARGET`]).
fn link_target(href: &str) -> String {
    utf8_percent_encode(href.trim(), LINK_TARGET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> Inline {
        Inline::plain(text)
    }

    fn styled(text: &str, bold: bool, italic: bool, link: Option<&str>) -> Inline {
        Inline::Text {
            text: text.into(),
            bold,
            italic,
            link: link.map(str::to_owned),
        }
    }

    #[test]
    fn a_table_without_header_cells_takes_its_first_row_as_the_header() {
        let cell = |value: &str| Cell {
            header: false,
            blocks: vec![Block::Paragraph {
                content: vec![text(value)],
            }],
        };
        let table = prose_table_md(&[
            vec![cell("Indikator"), cell("Verdi")],
            vec![cell("Ung i Oslo"), cell("39 %")],
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(
            lines[0].contains("Indikator") && lines[0].contains("Verdi"),
            "{table}"
        );
        assert!(lines[2].contains("Ung i Oslo"), "{table}");
    }

    #[test]
    fn specials_are_escaped() {
        assert_eq!(
            inlines_md(
                &[text("a|b *c* _d_ <script> `e` [x](y) #h $m$ ~s~ &amp; & b")],
                Mode::Paragraph
            ),
            "a\\|b \\*c\\* \\_d\\_ \\<script\\> \\`e\\` \\[x\\](y) \\#h \\$m\\$ \\~s\\~ \\&amp; & b"
        );
        assert_eq!(
            text_md(
                "https://x.no www.nav.no post@nav.no kl. 12:00 swww.x",
                Mode::Paragraph
            ),
            "https\\://x.no www\\.nav.no post\\@nav.no kl. 12:00 swww.x"
        );
    }

    #[test]
    fn block_syntax_at_line_start_is_escaped() {
        assert_eq!(text_md("- punkt", Mode::Paragraph), "\\- punkt");
        assert_eq!(text_md("    kode", Mode::Paragraph), "kode");
        assert_eq!(text_md("2025. Året", Mode::Paragraph), "2025\\. Året");
        assert_eq!(text_md("1) en", Mode::Paragraph), "1\\) en");
        assert_eq!(text_md("===", Mode::Paragraph), "\\===");
        assert_eq!(text_md("a\n- b", Mode::Paragraph), "a\\\n\\- b");
        // On one line after a marker (headings, cells, title block) they are plain text, except
        // right after a list marker.
        assert_eq!(text_md("a\n- b", Mode::OneLine), "a - b");
        assert_eq!(text_md("- b", Mode::ListItem), "\\- b");
        // Mid-line these are ordinary text.
        assert_eq!(
            text_md("2025-2028 og 3. kvartal", Mode::Paragraph),
            "2025-2028 og 3. kvartal"
        );
    }

    #[test]
    fn emphasis_goes_around_the_words_only() {
        let md = inlines_md(
            &[
                text("Dette er "),
                styled("viktig ", true, false, None),
                text("og "),
                styled("lenket", false, true, Some("https://korus-oslo.no/a b")),
                text("."),
            ],
            Mode::Paragraph,
        );
        assert_eq!(
            md,
            "Dette er **viktig** og [_lenket_](https://korus-oslo.no/a%20b)."
        );
    }

    #[test]
    fn unsafe_links_become_text() {
        let md = inlines_md(
            &[styled("klikk", false, false, Some("javascript:alert(1)"))],
            Mode::Paragraph,
        );
        assert_eq!(md, "klikk");
    }

    #[test]
    fn adjacent_delimiters_do_not_merge_and_bad_flanking_drops_marks() {
        let md = inlines_md(
            &[
                styled("a", true, false, None),
                styled("b", true, true, None),
            ],
            Mode::Paragraph,
        );
        assert_eq!(md, "**a**\u{200C}***b***");
        let md = inlines_md(
            &[styled("(KoRus)", true, false, None), text("er")],
            Mode::Paragraph,
        );
        assert_eq!(md, "(KoRus)er");
    }

    #[test]
    fn link_targets_cannot_break_out() {
        assert_eq!(
            link_target("https://x.no/a)b|c d<e>"),
            "https://x.no/a%29b%7Cc%20d%3Ce%3E"
        );
        assert_eq!(
            link_target(" https://x.no/`a`\t[b]*_\\\"'(c) "),
            "https://x.no/%60a%60%09%5Bb%5D%2A%5F%5C%22%27%28c%29"
        );
        // Letters beyond ASCII as their UTF-8 bytes; a `%` already there is kept.
        assert_eq!(
            link_target("https://x.no/bydel-østensjø?q=a%20b"),
            "https://x.no/bydel-%C3%B8stensj%C3%B8?q=a%20b"
        );
    }
}
