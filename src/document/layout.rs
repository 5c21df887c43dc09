//! Names of the shared types and keys in a plan's Y.Doc. The browser editor uses the same names,
//! so they are fixed by DESIGN.md ("The live document"); nothing outside `document` spells them.

use yrs::{Any, GetString, Map, MapRef, Out, ReadTxn, TextRef, XmlTextRef};

/// Y.Map with the plan's metadata.
pub const META: &str = "meta";
/// Y.Array of Y.Map, one per tiltak row.
pub const TILTAK: &str = "tiltak";
/// Y.Array of Y.Map, one per milestone.
pub const MILESTONES: &str = "milestones";
/// Y.Map from `<section id>/<item id>` to bool.
pub const CHECKLIST: &str = "checklist";
/// Y.Array of Y.Map `{id, name}`: the plan's own target groups.
pub const TARGET_GROUPS: &str = "target_groups";

/// Keys of the `meta` map.
pub mod meta {
    pub const TITLE: &str = "title";
    pub const BYDEL: &str = "bydel";
    pub const PERIODE: &str = "periode";
    /// "id@version" of the template the plan was created from.
    pub const TEMPLATE: &str = "template";
    pub const STATUS: &str = "status";
}

/// Keys of a tiltak row map besides the template's fields.
pub mod row {
    /// Stable UUID of the row.
    pub const ID: &str = "id";
    /// Section id the row belongs to (a target group's tiltak section), when not the default.
    pub const SECTION: &str = "section";
}

/// Keys of a milestone map.
pub mod milestone {
    pub const ID: &str = "id";
    pub const TITLE: &str = "title";
    pub const DATE: &str = "date";
    pub const RESPONSIBLE: &str = "responsible";
    pub const DONE: &str = "done";
}

/// Keys of a target-group map.
pub mod target_group {
    pub const ID: &str = "id";
    pub const NAME: &str = "name";
}

/// Node names of prose sections, as y-prosemirror stores the ProseMirror schema.
pub mod node {
    pub const PARAGRAPH: &str = "paragraph";
    pub const HEADING: &str = "heading";
    pub const BULLET_LIST: &str = "bullet_list";
    pub const ORDERED_LIST: &str = "ordered_list";
    pub const LIST_ITEM: &str = "list_item";
    pub const BLOCKQUOTE: &str = "blockquote";
    pub const HARD_BREAK: &str = "hard_break";
    pub const TABLE: &str = "table";
    pub const TABLE_ROW: &str = "table_row";
    pub const TABLE_CELL: &str = "table_cell";
    pub const TABLE_HEADER: &str = "table_header";
    /// Attribute of `heading` (3 or 4).
    pub const LEVEL: &str = "level";
    /// Attribute of `ordered_list`: its first number (prosemirror-schema-list).
    pub const ORDER: &str = "order";
}

/// Text marks: formatting attributes of Y.XmlText, valued with the mark's attrs object.
pub mod mark {
    pub const BOLD: &str = "bold";
    pub const ITALIC: &str = "italic";
    pub const LINK: &str = "link";
    /// Key of the link target inside the `link` attribute's object.
    pub const HREF: &str = "href";
}

/// Prefix of the root names of prose sections.
pub const SECTION_PREFIX: &str = "section:";

/// Root name of a prose section's Y.XmlFragment.
pub fn section_fragment(section_id: &str) -> String {
    format!("{SECTION_PREFIX}{section_id}")
}

/// A map value as text, whatever a client stored: a string, a Y.Text, a number, a bool.
/// Missing, null and nested maps/arrays read as "" (they are not text).
pub(crate) fn value_text<T: ReadTxn>(txn: &T, value: Option<Out>) -> String {
    match value {
        Some(Out::Any(any)) => any_text(&any),
        Some(Out::YText(text)) => text.get_string(txn),
        Some(Out::YXmlText(text)) => xml_text_plain(txn, &text),
        _ => String::new(),
    }
}

/// The characters of a Y.XmlText without formatting (its `get_string` renders marks as tags).
pub(crate) fn xml_text_plain<T: ReadTxn>(txn: &T, text: &XmlTextRef) -> String {
    AsRef::<TextRef>::as_ref(text).get_string(txn)
}

pub(crate) fn any_text(any: &Any) -> String {
    match any {
        Any::String(s) => s.to_string(),
        Any::Number(_) | Any::Bool(_) => any.to_string(),
        _ => String::new(),
    }
}

/// `map[key]` as text (see [`value_text`]).
pub(crate) fn map_text<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> String {
    value_text(txn, map.get(txn, key))
}

/// `map[key]` as a bool; only `true` (or the string "true") counts as set.
pub(crate) fn map_bool<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> bool {
    match map.get(txn, key) {
        Some(Out::Any(Any::Bool(value))) => value,
        Some(Out::Any(Any::String(s))) => s.as_ref() == "true",
        _ => false,
    }
}

/// The ticked state of every checklist item, by key (`<section id>/<item id>`).
pub fn checklist_state<T: ReadTxn>(txn: &T) -> std::collections::HashMap<String, bool> {
    let Some(map) = txn.get_map(CHECKLIST) else {
        return Default::default();
    };
    map.keys(txn)
        .map(|key| (key.to_owned(), map_bool(txn, &map, key)))
        .collect()
}

/// The "last edit" target of a checklist section: `checklist:<section id>`.
pub fn checklist_target(section_id: &str) -> String {
    format!("{CHECKLIST}:{section_id}")
}

/// Gives each top-level type of the document its shared type, as DESIGN.md lays them out.
///
/// yrs keeps a root it has only received from others "undefined" until someone asks for it by
/// type, and does not report changes in undefined roots; the server defines them so it can tell
/// which part of a plan an update changed. Names outside the layout are left alone.
pub fn define_roots(txn: &mut yrs::TransactionMut) {
    use yrs::{Out, ReadTxn, WriteTxn};
    let undefined: Vec<String> = txn
        .root_refs()
        .filter(|(_, value)| matches!(value, Out::UndefinedRef(_)))
        .map(|(name, _)| name.to_owned())
        .collect();
    for name in undefined {
        match name.as_str() {
            n if n.starts_with(SECTION_PREFIX) => {
                txn.get_or_insert_xml_fragment(n);
            }
            TILTAK | MILESTONES | TARGET_GROUPS => {
                txn.get_or_insert_array(name.as_str());
            }
            META | CHECKLIST => {
                txn.get_or_insert_map(name.as_str());
            }
            _ => {}
        }
    }
}
