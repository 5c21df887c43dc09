//! Names of the shared types and keys in a plan's Y.Doc. The browser editor uses the same names,
//! so they are fixed by DESIGN.md ("The live document"); nothing outside `document` spells them.

use yrs::{Any, Array, ArrayRef, GetString, Map, MapRef, Out, ReadTxn, TextRef, XmlTextRef};

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
/// Y.Array of Y.Map `{id, title, description, strategi}`: the plan's own goals.
pub const MAL: &str = "mal";
/// Y.Map from section id to Y.Map `{heading, in_use}`: the plan's changes to its sections.
pub const STRUCTURE: &str = "structure";
/// Y.Array of Y.Map `{id, parent, heading, kind}`: sections the plan added itself.
pub const LOCAL_SECTIONS: &str = "local_sections";
/// Y.Array of Y.Map `{id, section, label, group, year}`: the plan's own checklist items.
pub const CHECKLIST_ITEMS: &str = "checklist_items";
/// Y.Array of Y.Map: the rows of the plan's key figures (nøkkeltall) sections.
pub const FIGURES: &str = "figures";

/// Every top-level type of the layout besides the `section:` fragments.
pub const ROOTS: [&str; 10] = [
    META,
    TILTAK,
    MILESTONES,
    CHECKLIST,
    TARGET_GROUPS,
    MAL,
    STRUCTURE,
    LOCAL_SECTIONS,
    CHECKLIST_ITEMS,
    FIGURES,
];

/// Keys of the `meta` map.
pub mod meta {
    pub const TITLE: &str = "title";
    pub const BYDEL: &str = "bydel";
    pub const PERIODE: &str = "periode";
    /// "id@version" of the template the plan was created from.
    pub const TEMPLATE: &str = "template";
    pub const STATUS: &str = "status";
    /// Every key of the map.
    pub const ALL: [&str; 5] = [TITLE, BYDEL, PERIODE, TEMPLATE, STATUS];
}

/// Keys of a tiltak row map besides the template's fields.
pub mod row {
    /// Stable UUID of the row.
    pub const ID: &str = "id";
    /// Section id the row belongs to (a target group's tiltak section), when not the default.
    pub const SECTION: &str = "section";
    /// Array of section ids, for a row that belongs to several target groups.
    pub const SECTIONS: &str = "sections";
    pub const ALL: [&str; 3] = [ID, SECTION, SECTIONS];
}

/// Keys of a milestone map.
pub mod milestone {
    pub const ID: &str = "id";
    pub const TITLE: &str = "title";
    pub const DATE: &str = "date";
    pub const RESPONSIBLE: &str = "responsible";
    pub const DONE: &str = "done";
    pub const ALL: [&str; 5] = [ID, TITLE, DATE, RESPONSIBLE, DONE];
}

/// Keys of a target-group map.
pub mod target_group {
    pub const ID: &str = "id";
    pub const NAME: &str = "name";
    pub const ALL: [&str; 2] = [ID, NAME];
}

/// Keys of a plan goal's map (`mal`).
pub mod goal {
    pub const ID: &str = "id";
    pub const TITLE: &str = "title";
    pub const DESCRIPTION: &str = "description";
    /// Array of option values of the template's `strategy_field`.
    pub const STRATEGI: &str = "strategi";
    pub const ALL: [&str; 4] = [ID, TITLE, DESCRIPTION, STRATEGI];
}

/// Keys of a section's entry in `structure`.
pub mod structure {
    /// The plan's own heading.
    pub const HEADING: &str = "heading";
    /// `false` when the section is «ikke i bruk».
    pub const IN_USE: &str = "in_use";
    pub const ALL: [&str; 2] = [HEADING, IN_USE];
}

/// Keys of a plan-local section's map.
pub mod local_section {
    pub const ID: &str = "id";
    /// The enclosing section's id; "" at the top level.
    pub const PARENT: &str = "parent";
    pub const HEADING: &str = "heading";
    /// `prose` or `appendix`.
    pub const KIND: &str = "kind";
    pub const ALL: [&str; 4] = [ID, PARENT, HEADING, KIND];
    /// What a local section's id has after its parent's id and a dot.
    pub const ID_PREFIX: &str = "lokal-";
}

/// Keys of a plan-local checklist item's map.
pub mod checklist_item {
    pub const ID: &str = "id";
    pub const SECTION: &str = "section";
    pub const LABEL: &str = "label";
    pub const GROUP: &str = "group";
    pub const YEAR: &str = "year";
    pub const ALL: [&str; 5] = [ID, SECTION, LABEL, GROUP, YEAR];
}

/// Keys of a key-figure row's map (nøkkeltall).
pub mod figure {
    pub const ID: &str = "id";
    pub const SECTION: &str = "section";
    pub const INDIKATOR: &str = "indikator";
    pub const KILDE: &str = "kilde";
    pub const AR: &str = "ar";
    pub const VERDI: &str = "verdi";
    /// Oslo's average, to compare with.
    pub const OSLO: &str = "oslo";
    /// The plan's target value.
    pub const MAL: &str = "mal";
    pub const ALL: [&str; 8] = [ID, SECTION, INDIKATOR, KILDE, AR, VERDI, OSLO, MAL];
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
    /// Attribute of `heading` (3 to 5).
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

/// Longest short text of the layout (a title, bydel, periode, milestone text, heading or
/// checklist item), in characters.
pub const MAX_SHORT_CHARS: usize = 500;

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

/// `map[key]` as a list of texts: an array's strings, or one non-empty text as a one-item list
/// (a single value written where a list is expected).
pub(crate) fn map_list<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Vec<String> {
    match map.get(txn, key) {
        Some(Out::Any(Any::Array(items))) => items
            .iter()
            .map(any_text)
            .filter(|text| !text.trim().is_empty())
            .collect(),
        Some(Out::YArray(array)) => array
            .iter(txn)
            .map(|item| value_text(txn, Some(item)))
            .filter(|text| !text.trim().is_empty())
            .collect(),
        other => {
            let text = value_text(txn, other);
            if text.trim().is_empty() {
                Vec::new()
            } else {
                vec![text]
            }
        }
    }
}

/// A list of texts as a map value.
pub(crate) fn list_value(items: &[String]) -> Any {
    Any::Array(items.iter().map(|item| Any::from(item.as_str())).collect())
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
            TILTAK | MILESTONES | TARGET_GROUPS | MAL | LOCAL_SECTIONS | CHECKLIST_ITEMS
            | FIGURES => {
                txn.get_or_insert_array(name.as_str());
            }
            META | CHECKLIST | STRUCTURE => {
                txn.get_or_insert_map(name.as_str());
            }
            _ => {}
        }
    }
}

/// The Y.Map entries of an array (anything else a client put there is not a row).
pub(crate) fn maps_of<'a, T: ReadTxn>(
    txn: &'a T,
    array: Option<ArrayRef>,
) -> impl Iterator<Item = MapRef> + 'a {
    let items: Vec<Out> = array
        .map(|array| array.iter(txn).collect())
        .unwrap_or_default();
    items.into_iter().filter_map(|item| match item {
        Out::YMap(map) => Some(map),
        _ => None,
    })
}
