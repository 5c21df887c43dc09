//! Server-side HTML for plan content: prose blocks, guidance text, and safe escaping.
//!
//! Everything a user wrote is escaped here; the page templates mark the results as safe.

use std::fmt::Write;

use crate::document::{Block, Inline, ListItem};
use crate::links::is_safe_href;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Prose blocks as HTML. Template headings are h2/h3, so a prose heading of level 3 or 4 is
/// rendered one level lower to keep the page outline intact.
pub fn blocks_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        block_html(block, &mut out);
    }
    out
}

fn block_html(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph { content } => {
            out.push_str("<p>");
            inlines_html(content, out);
            out.push_str("</p>");
        }
        Block::Heading { level, content } => {
            let level = (level + 1).clamp(4, 6);
            let _ = write!(out, "<h{level}>");
            inlines_html(content, out);
            let _ = write!(out, "</h{level}>");
        }
        Block::BulletList { items } => list_html("ul", None, items, out),
        Block::OrderedList { start, items } => list_html("ol", Some(*start), items, out),
        Block::Blockquote { blocks } => {
            out.push_str("<blockquote>");
            out.push_str(&blocks_html(blocks));
            out.push_str("</blockquote>");
        }
        Block::Table { rows } => {
            out.push_str("<table>");
            for row in rows {
                out.push_str("<tr>");
                for cell in row {
                    let tag = if cell.header { "th" } else { "td" };
                    let _ = write!(out, "<{tag}>{}</{tag}>", blocks_html(&cell.blocks));
                }
                out.push_str("</tr>");
            }
            out.push_str("</table>");
        }
        Block::Unknown { text, .. } => {
            let _ = write!(out, "<p>{}</p>", escape(text));
        }
    }
}

fn list_html(tag: &str, start: Option<u32>, items: &[ListItem], out: &mut String) {
    match start {
        Some(start) if start != 1 => {
            let _ = write!(out, "<{tag} start=\"{start}\">");
        }
        _ => {
            let _ = write!(out, "<{tag}>");
        }
    }
    for item in items {
        let _ = write!(out, "<li>{}</li>", blocks_html(&item.blocks));
    }
    let _ = write!(out, "</{tag}>");
}

fn inlines_html(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::HardBreak => out.push_str("<br>"),
            Inline::Text {
                text,
                bold,
                italic,
                link,
            } => {
                let mut html = escape(text);
                if *italic {
                    html = format!("<em>{html}</em>");
                }
                if *bold {
                    html = format!("<strong>{html}</strong>");
                }
                if let Some(href) = link.as_deref().filter(|href| is_safe_href(href)) {
                    html = format!(
                        "<a href=\"{}\" rel=\"noopener noreferrer\">{html}</a>",
                        escape(href)
                    );
                }
                out.push_str(&html);
            }
        }
    }
}

/// Guidance text as HTML: blank lines separate paragraphs, lines starting with "- " are items.
pub fn guidance_html(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<&str> = paragraph.lines().map(str::trim).collect();
        if lines.iter().all(|line| line.starts_with("- ")) {
            out.push_str("<ul>");
            for line in lines {
                let _ = write!(out, "<li>{}</li>", escape(&line[2..]));
            }
            out.push_str("</ul>");
        } else {
            let _ = write!(out, "<p>{}</p>", escape(&lines.join(" ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Cell;

    fn text(text: &str) -> Inline {
        Inline::plain(text)
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let blocks = vec![
            Block::Paragraph {
                content: vec![text("<script>alert('x')</script> & \"q\"")],
            },
            Block::Table {
                rows: vec![vec![Cell {
                    header: true,
                    blocks: vec![Block::Paragraph {
                        content: vec![text("<b>")],
                    }],
                }]],
            },
            Block::Unknown {
                name: "figure".into(),
                text: "<img src=x onerror=alert(1)>".into(),
            },
        ];
        let html = blocks_html(&blocks);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        );
    }

    #[test]
    fn marks_and_links_render_and_unsafe_links_do_not() {
        let blocks = vec![Block::Paragraph {
            content: vec![
                Inline::Text {
                    text: "KoRus".into(),
                    bold: true,
                    italic: true,
                    link: Some("https://korus-oslo.no/?a=1&b=\"2\"".into()),
                },
                Inline::HardBreak,
                Inline::Text {
                    text: "klikk".into(),
                    bold: false,
                    italic: false,
                    link: Some("javascript:alert(1)".into()),
                },
            ],
        }];
        let html = blocks_html(&blocks);
        assert!(html.contains(
            "<a href=\"https://korus-oslo.no/?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer\"><strong><em>KoRus</em></strong></a><br>"
        ));
        assert!(!html.contains("javascript"));
        assert!(html.contains("klikk"));
    }

    #[test]
    fn guidance_paragraphs_and_lists() {
        let html = guidance_html("Første avsnitt\nfortsetter.\n\n- punkt én\n- punkt <to>");
        assert_eq!(
            html,
            "<p>Første avsnitt fortsetter.</p><ul><li>punkt én</li><li>punkt &lt;to&gt;</li></ul>"
        );
    }
}
