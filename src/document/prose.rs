//! Prose sections: reading a y-prosemirror Y.XmlFragment into a small typed tree ([`Block`]),
//! and writing plain paragraphs.
//!
//! How y-prosemirror stores ProseMirror content (and so how we read it):
//! - every non-text node is a Y.XmlElement named after the node type, its attrs as element
//!   attributes with their JSON values (`heading` has `level: 3`, a number);
//! - consecutive text nodes form one Y.XmlText; each mark is a formatting attribute named after
//!   the mark whose value is the mark's attrs object: `bold: {}`, `italic: {}`,
//!   `link: {href: "…", …}`. Marks that may overlap themselves get a `--<8-char hash>` suffix,
//!   which we strip as y-prosemirror does;
//! - `hard_break` is an element between Y.XmlText siblings.
//!
//! Reading never drops content: an unknown block becomes [`Block::Unknown`] with its plain text,
//! an unknown inline node becomes plain text, and an unknown mark is ignored but its text kept.

use serde::Serialize;
use yrs::types::text::YChange;
use yrs::{
    Any, GetString, Out, ReadTxn, Text, TransactionMut, Xml, XmlElementPrelim, XmlElementRef,
    XmlFragment, XmlFragmentRef, XmlOut, XmlTextPrelim, XmlTextRef,
};

use super::layout::{mark, node, xml_text_plain};

/// One block of prose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        content: Vec<Inline>,
    },
    /// Level 3 to 5: levels 1–2 are the plan's section headings.
    Heading {
        level: u8,
        content: Vec<Inline>,
    },
    BulletList {
        items: Vec<ListItem>,
    },
    OrderedList {
        /// Number of the first item.
        start: u32,
        items: Vec<ListItem>,
    },
    Blockquote {
        blocks: Vec<Block>,
    },
    Table {
        rows: Vec<Vec<Cell>>,
    },
    /// A node the schema does not know, kept as its plain text (never dropped).
    Unknown {
        name: String,
        text: String,
    },
}

/// A run of inline content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
        bold: bool,
        italic: bool,
        /// The link's `href`.
        link: Option<String>,
    },
    HardBreak,
}

impl Inline {
    /// Text without marks or link.
    pub fn plain(text: &str) -> Inline {
        Inline::Text {
            text: text.into(),
            bold: false,
            italic: false,
            link: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListItem {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// A `table_header` cell.
    pub header: bool,
    pub blocks: Vec<Block>,
}

impl Block {
    /// Whether the block shows no text at all (y-prosemirror leaves an empty paragraph in an
    /// untouched editor, so "empty section" must look through such blocks).
    pub fn is_blank(&self) -> bool {
        match self {
            Block::Paragraph { content } | Block::Heading { content, .. } => {
                content.iter().all(Inline::is_blank)
            }
            Block::BulletList { items } | Block::OrderedList { items, .. } => items
                .iter()
                .all(|item| item.blocks.iter().all(Block::is_blank)),
            Block::Blockquote { blocks } => blocks.iter().all(Block::is_blank),
            Block::Table { rows } => rows
                .iter()
                .flatten()
                .all(|cell| cell.blocks.iter().all(Block::is_blank)),
            Block::Unknown { text, .. } => text.trim().is_empty(),
        }
    }

    /// The block's text without formatting; blocks inside it are separated by newlines.
    pub fn plain_text(&self) -> String {
        fn join(blocks: &[Block]) -> String {
            blocks
                .iter()
                .map(Block::plain_text)
                .collect::<Vec<_>>()
                .join("\n")
        }
        match self {
            Block::Paragraph { content } | Block::Heading { content, .. } => content
                .iter()
                .map(|inline| match inline {
                    Inline::Text { text, .. } => text.as_str(),
                    Inline::HardBreak => "\n",
                })
                .collect(),
            Block::BulletList { items } | Block::OrderedList { items, .. } => items
                .iter()
                .map(|item| join(&item.blocks))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Blockquote { blocks } => join(blocks),
            Block::Table { rows } => rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|cell| join(&cell.blocks))
                        .collect::<Vec<_>>()
                        .join("\t")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Unknown { text, .. } => text.clone(),
        }
    }
}

impl Inline {
    fn is_blank(&self) -> bool {
        match self {
            Inline::Text { text, .. } => text.trim().is_empty(),
            Inline::HardBreak => true,
        }
    }
}

/// The blocks of a prose section's fragment.
pub(crate) fn read_fragment<T: ReadTxn>(txn: &T, fragment: &XmlFragmentRef) -> Vec<Block> {
    blocks_of(txn, fragment)
}

fn blocks_of<T: ReadTxn, F: XmlFragment>(txn: &T, parent: &F) -> Vec<Block> {
    parent
        .children(txn)
        .map(|child| block_of(txn, child))
        .collect()
}

fn block_of<T: ReadTxn>(txn: &T, child: XmlOut) -> Block {
    match child {
        XmlOut::Element(element) => element_block(txn, &element),
        // Text directly in a block container is not in the schema; keep it as a paragraph.
        XmlOut::Text(text) => Block::Paragraph {
            content: text_runs(txn, &text),
        },
        XmlOut::Fragment(fragment) => Block::Unknown {
            name: "fragment".to_owned(),
            text: plain_text(txn, &fragment),
        },
    }
}

fn element_block<T: ReadTxn>(txn: &T, element: &XmlElementRef) -> Block {
    match element.tag().as_ref() {
        node::PARAGRAPH => Block::Paragraph {
            content: inlines_of(txn, element),
        },
        node::HEADING => Block::Heading {
            // Levels 1–2 belong to the template; anything else is shown at the nearest level.
            level: number_attribute(txn, element, node::LEVEL)
                .map_or(3, |level| level.clamp(3, 5) as u8),
            content: inlines_of(txn, element),
        },
        node::BULLET_LIST => Block::BulletList {
            items: list_items(txn, element),
        },
        node::ORDERED_LIST => Block::OrderedList {
            start: number_attribute(txn, element, node::ORDER)
                .and_then(|start| u32::try_from(start).ok())
                .unwrap_or(1),
            items: list_items(txn, element),
        },
        node::BLOCKQUOTE => Block::Blockquote {
            blocks: blocks_of(txn, element),
        },
        node::TABLE => Block::Table {
            rows: table_rows(txn, element),
        },
        other => Block::Unknown {
            name: other.to_owned(),
            text: plain_text(txn, element),
        },
    }
}

fn list_items<T: ReadTxn>(txn: &T, list: &XmlElementRef) -> Vec<ListItem> {
    list.children(txn)
        .map(|child| match child {
            XmlOut::Element(item) if item.tag().as_ref() == node::LIST_ITEM => ListItem {
                blocks: blocks_of(txn, &item),
            },
            other => ListItem {
                blocks: vec![block_of(txn, other)],
            },
        })
        .collect()
}

fn table_rows<T: ReadTxn>(txn: &T, table: &XmlElementRef) -> Vec<Vec<Cell>> {
    table
        .children(txn)
        .map(|child| match child {
            XmlOut::Element(row) if row.tag().as_ref() == node::TABLE_ROW => row
                .children(txn)
                .map(|cell| table_cell(txn, cell))
                .collect(),
            other => vec![table_cell(txn, other)],
        })
        .collect()
}

fn table_cell<T: ReadTxn>(txn: &T, cell: XmlOut) -> Cell {
    match cell {
        XmlOut::Element(element)
            if matches!(
                element.tag().as_ref(),
                node::TABLE_CELL | node::TABLE_HEADER
            ) =>
        {
            Cell {
                header: element.tag().as_ref() == node::TABLE_HEADER,
                blocks: blocks_of(txn, &element),
            }
        }
        other => Cell {
            header: false,
            blocks: vec![block_of(txn, other)],
        },
    }
}

/// Inline content of a textblock: text runs, hard breaks, and unknown inline nodes as text.
fn inlines_of<T: ReadTxn>(txn: &T, element: &XmlElementRef) -> Vec<Inline> {
    let mut inlines = Vec::new();
    for child in element.children(txn) {
        match child {
            XmlOut::Text(text) => inlines.extend(text_runs(txn, &text)),
            XmlOut::Element(inner) if inner.tag().as_ref() == node::HARD_BREAK => {
                inlines.push(Inline::HardBreak)
            }
            XmlOut::Element(inner) => push_plain(&mut inlines, plain_text(txn, &inner)),
            XmlOut::Fragment(inner) => push_plain(&mut inlines, plain_text(txn, &inner)),
        }
    }
    merge_runs(inlines)
}

fn push_plain(inlines: &mut Vec<Inline>, text: String) {
    if !text.is_empty() {
        inlines.push(Inline::Text {
            text,
            bold: false,
            italic: false,
            link: None,
        });
    }
}

/// One Y.XmlText as runs of equally formatted text.
fn text_runs<T: ReadTxn>(txn: &T, text: &XmlTextRef) -> Vec<Inline> {
    let mut runs = Vec::new();
    for chunk in text.diff(txn, YChange::identity) {
        let content = match chunk.insert {
            Out::Any(Any::String(s)) => s.to_string(),
            Out::YXmlElement(element) => plain_text(txn, &element),
            Out::YXmlText(inner) => xml_text_plain(txn, &inner),
            Out::YText(inner) => inner.get_string(txn),
            // Embedded non-text values (images as binary, …) carry no text.
            _ => continue,
        };
        if content.is_empty() {
            continue;
        }
        let (mut bold, mut italic, mut link) = (false, false, None);
        for (name, value) in chunk.attributes.iter().flat_map(|attrs| attrs.iter()) {
            if matches!(value, Any::Null | Any::Undefined) {
                continue;
            }
            match mark_name(name) {
                mark::BOLD => bold = true,
                mark::ITALIC => italic = true,
                mark::LINK => link = link_href(value),
                _ => {}
            }
        }
        runs.push(Inline::Text {
            text: content,
            bold,
            italic,
            link,
        });
    }
    runs
}

/// The mark name of a formatting attribute: y-prosemirror appends `--` and an 8-character hash
/// to marks that may overlap themselves (see its `yattr2markname`).
fn mark_name(attribute: &str) -> &str {
    let Some(split) = attribute.len().checked_sub(10) else {
        return attribute;
    };
    match (attribute.get(..split), attribute.get(split..)) {
        (Some(name), Some(suffix))
            if suffix.starts_with("--")
                && suffix[2..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) =>
        {
            name
        }
        _ => attribute,
    }
}

/// `href` of a link mark's attrs object (a bare string is accepted too), when it may be a live
/// link (`crate::links::is_safe_href`): an unsafe link is read as plain text, so no view of the
/// document (API, pages, exports) ever carries it.
fn link_href(value: &Any) -> Option<String> {
    let href = match value {
        Any::Map(attrs) => match attrs.get(mark::HREF) {
            Some(Any::String(href)) => href,
            _ => return None,
        },
        Any::String(href) => href,
        _ => return None,
    };
    crate::links::is_safe_href(href).then(|| href.to_string())
}

/// Adjacent runs with the same formatting become one (unknown marks can split runs).
fn merge_runs(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut merged: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        if let (
            Some(Inline::Text {
                text: last,
                bold: b1,
                italic: i1,
                link: l1,
            }),
            Inline::Text {
                text,
                bold: b2,
                italic: i2,
                link: l2,
            },
        ) = (merged.last_mut(), &inline)
            && b1 == b2
            && i1 == i2
            && l1 == l2
        {
            last.push_str(text);
            continue;
        }
        merged.push(inline);
    }
    merged
}

/// A number attribute (y-prosemirror stores numbers; a string with a number is accepted).
fn number_attribute<T: ReadTxn>(txn: &T, element: &XmlElementRef, name: &str) -> Option<i64> {
    match element.get_attribute(txn, name)? {
        Out::Any(Any::Number(number)) => number.as_i64(),
        Out::Any(Any::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Plain text of a subtree: text as is, hard breaks and block boundaries as newlines.
fn plain_text<T: ReadTxn, F: XmlFragment>(txn: &T, parent: &F) -> String {
    let mut out = String::new();
    for child in parent.children(txn) {
        match child {
            XmlOut::Text(text) => out.push_str(&xml_text_plain(txn, &text)),
            XmlOut::Element(element) if element.tag().as_ref() == node::HARD_BREAK => {
                out.push('\n')
            }
            XmlOut::Element(element) => push_block_text(&mut out, plain_text(txn, &element)),
            XmlOut::Fragment(fragment) => push_block_text(&mut out, plain_text(txn, &fragment)),
        }
    }
    out
}

fn push_block_text(out: &mut String, text: String) {
    if text.is_empty() {
        return;
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&text);
}

/// Replaces the fragment's content with plain paragraphs; a newline inside a paragraph becomes
/// a `hard_break`, as ProseMirror would store it.
pub(crate) fn replace_with_paragraphs(
    txn: &mut TransactionMut,
    fragment: &XmlFragmentRef,
    paragraphs: &[&str],
) {
    let len = fragment.len(txn);
    if len > 0 {
        fragment.remove_range(txn, 0, len);
    }
    for paragraph in paragraphs {
        let mut children = Vec::new();
        for (index, line) in paragraph.split('\n').enumerate() {
            if index > 0 {
                children.push(XmlElementPrelim::empty(node::HARD_BREAK).into());
            }
            if !line.is_empty() {
                children.push(XmlTextPrelim::new(line).into());
            }
        }
        fragment.push_back(txn, XmlElementPrelim::new(node::PARAGRAPH, children));
    }
}
