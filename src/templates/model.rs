//! The template data model: what a template file deserialises into, plus the read-only helpers
//! the rest of the server uses (section lookup, numbering, checklist keys, enum checks).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One plan template, as read from its TOML file. Immutable once loaded: a plan records
/// [`Template::key`] and keeps using that exact version.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// ASCII slug, e.g. `korus-ruspolitisk-handlingsplan`.
    pub id: String,
    /// Positive; a changed template gets a new version, never an edited one.
    pub version: u32,
    pub title: String,
    pub description: String,
    /// Units (tjenester) a new plan starts with; the plan may add, rename and remove its own.
    #[serde(default)]
    pub units: Vec<Unit>,
    /// Schema of the plan's tiltak table.
    pub tiltak: TableSchema,
    /// The ordered section tree.
    pub sections: Vec<Section>,
}

/// A unit of the district that can be responsible for measures and be assigned sections.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// ASCII slug, stable within the template.
    pub id: String,
    /// Display name in bokmål, e.g. "Utekontakten".
    pub name: String,
}

/// One node of the section tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Dotted path, e.g. `hvor-star-vi.russituasjon`: a child's id is its parent's id plus
    /// `.` and one more slug, so the id alone says where a section lives.
    pub id: String,
    pub heading: String,
    pub kind: SectionKind,
    /// What belongs in the section, shown to writers (plain text; blank lines separate
    /// paragraphs, lines starting with "- " are list items).
    #[serde(default)]
    pub guidance: String,
    /// Guiding questions, in the guide's own words.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Terms explained next to the section.
    #[serde(default)]
    pub help: Vec<HelpEntry>,
    /// Items of a `checklist` section.
    #[serde(default)]
    pub items: Vec<ChecklistItem>,
    /// A checklist printed as an appendix of exports (e.g. governing documents).
    #[serde(default)]
    pub appendix: bool,
    /// The per-plan target groups of a `target_groups` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_groups: Option<TargetGroupsSpec>,
    /// Sub-sections; only a `group` has them.
    #[serde(default)]
    pub children: Vec<Section>,
}

/// What a section holds in the live document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Rich text: the Y.XmlFragment `section:<id>`.
    Prose,
    /// A view of the plan's `tiltak` rows.
    Tiltak,
    /// A view of the plan's `milestones`.
    Milestones,
    /// Items ticked in the plan's `checklist` map under `<section id>/<item id>`.
    Checklist,
    /// A heading that only holds children.
    Group,
    /// A part whose groups (e.g. "Barn og unge") are created inside each plan.
    TargetGroups,
    /// Key figures (nøkkeltall): rows of the plan's `figures` with indikator, kilde, år, verdi.
    Figures,
    /// Rich text printed as an appendix of exports (a plan-local section kind; a template uses
    /// `appendix = true` on a checklist).
    Appendix,
}

impl SectionKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [SectionKind; 8] = [
        SectionKind::Prose,
        SectionKind::Tiltak,
        SectionKind::Milestones,
        SectionKind::Checklist,
        SectionKind::Group,
        SectionKind::TargetGroups,
        SectionKind::Figures,
        SectionKind::Appendix,
    ];

    /// The code name used in template files.
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Prose => "prose",
            SectionKind::Tiltak => "tiltak",
            SectionKind::Milestones => "milestones",
            SectionKind::Checklist => "checklist",
            SectionKind::Group => "group",
            SectionKind::TargetGroups => "target_groups",
            SectionKind::Figures => "figures",
            SectionKind::Appendix => "appendix",
        }
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A term and its explanation, e.g. "Selektiv forebygging".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HelpEntry {
    pub term: String,
    pub definition: String,
}

/// One item of a checklist section (a data source, a governing document, …).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// ASCII slug, unique within its section.
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The guide's group of the item, e.g. "Nasjonale føringer"; items are listed under it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Year of a document, as the guide gives it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub year: String,
}

/// The `target_groups` part of a template: default groups and what each group contains.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupsSpec {
    /// Groups a new plan starts with; the plan adds, renames and reorders its own.
    #[serde(default)]
    pub defaults: Vec<TargetGroup>,
    /// The sub-sections every group gets, in order.
    pub subsections: Vec<TargetGroupSubsection>,
}

/// A target group, e.g. "Barn og unge".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    /// ASCII slug; stays when the plan renames the group.
    pub id: String,
    pub name: String,
}

/// A sub-section repeated in every target group, e.g. "Utfordringsbilde".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupSubsection {
    /// ASCII slug, unique within the part.
    pub id: String,
    pub heading: String,
    /// `prose` or `tiltak`.
    pub kind: SectionKind,
    #[serde(default)]
    pub guidance: String,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub help: Vec<HelpEntry>,
}

impl TargetGroupsSpec {
    /// Section id of one group's sub-section in a plan, `<part>.<group>.<subsection>`
    /// (e.g. `malgrupper.barn-og-unge.utfordringsbilde`); a prose one lives in the live
    /// document as `section:<that id>`.
    pub fn instance_section_id(part_id: &str, group_id: &str, subsection_id: &str) -> String {
        format!("{part_id}.{group_id}.{subsection_id}")
    }
}

/// Schema of the tiltak table: its fields in column order, and the roles some fields play.
/// This is the one definition of the table: the editor, the pages, the exports, the API's
/// checks and completeness read it, and no code names a field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSchema {
    pub fields: Vec<FieldSchema>,
    /// The field whose values group the rows into tables (an `enum`, `multi_enum` or `goals`
    /// field), in its options' (or the plan's goals') order; `None` prints one table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    /// The field that names a row in messages, comment quotes and completeness; the first
    /// long_text field when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_field: Option<String>,
    /// An `enum` field whose options a plan goal may name as the strategies it serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy_field: Option<String>,
    /// How a row that belongs to several groups is printed.
    #[serde(default)]
    pub multi_group: MultiGroup,
    /// The `enum` field whose options are the statuses a status round reports, in order;
    /// `None`: the plan has no status rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_field: Option<String>,
    /// The field that says how a tiltak's success is measured: a row with a value there is
    /// asked for an indicator value in a status round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator_field: Option<String>,
    /// The `unit` field naming who answers for a row (who reports it in a status round); the
    /// table's one `unit` field when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_field: Option<String>,
}

/// How a row in several groups (a multi-valued group field, or several target groups) is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiGroup {
    /// In every group's table: one row, one status, shown where each group looks for it.
    #[default]
    Each,
    /// Once, in its first group, with its other groups listed.
    Once,
}

/// Where a field is a column of the tiltak table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// The row itself in the browser editor (other fields are under «Mer»).
    Editor,
    /// The plan page and version pages.
    Page,
    /// Markdown, PDF and Word exports.
    Export,
}

/// One field of the tiltak table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSchema {
    /// Code name shared with the live document and exports, e.g. `strategi`.
    pub name: String,
    /// Column heading in bokmål.
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Completeness lists a row without a value; the editor marks it.
    #[serde(default)]
    pub required: bool,
    /// Choices of an `enum` or `multi_enum` field, in display (and grouping) order.
    #[serde(default)]
    pub options: Vec<EnumOption>,
    /// Value of a row made in the editor or the API when its maker gives none (never applied
    /// to imported or stored rows: a value the plan does not have stays empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where the field is a column. Elsewhere a value is shown as «Label: value» under the
    /// row's title, so every value the plan has is printed.
    #[serde(default)]
    pub columns: Vec<Place>,
    /// Relative column width (1 by default).
    #[serde(default = "default_width")]
    pub width: u8,
    /// Longest value in characters; [`MAX_FIELD_CHARS`] when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
    /// The editor offers a filter on this field.
    #[serde(default)]
    pub filter: bool,
}

fn default_width() -> u8 {
    1
}

/// Longest text accepted in one tiltak field when its schema sets no `max_chars`.
pub const MAX_FIELD_CHARS: usize = 10_000;

/// How a tiltak field is stored and edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Short free text (a plain string in the row map).
    Text,
    /// Collaborative text (a Y.Text in the row map).
    LongText,
    /// One of the field's `options` (their `value`).
    Enum,
    /// Any number of the field's `options`, stored as an array of values.
    MultiEnum,
    /// The responsible unit or units: an array of the plan's unit names, or free text for a
    /// partner that is not a unit of the plan.
    Unit,
    /// A year, quarter or date, kept as text (e.g. "2025", "2. kvartal 2025", "2025-06-30").
    Deadline,
    /// A number (e.g. a cost), kept as the text written ("12 500", "0,5").
    Number,
    /// Links to the plan's own goals: an array of goal ids.
    Goals,
}

impl FieldType {
    /// Every kind, in the order error messages list them.
    pub const ALL: [FieldType; 8] = [
        FieldType::Text,
        FieldType::LongText,
        FieldType::Enum,
        FieldType::MultiEnum,
        FieldType::Unit,
        FieldType::Deadline,
        FieldType::Number,
        FieldType::Goals,
    ];

    /// The code name used in template files.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Enum => "enum",
            FieldType::MultiEnum => "multi_enum",
            FieldType::Unit => "unit",
            FieldType::Deadline => "deadline",
            FieldType::Number => "number",
            FieldType::Goals => "goals",
        }
    }

    /// Whether a value is a list of strings rather than one text.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            FieldType::MultiEnum | FieldType::Unit | FieldType::Goals
        )
    }

    /// Whether values are the field's `options`.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Enum | FieldType::MultiEnum)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One choice of an `enum` field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EnumOption {
    /// Code stored in the live document, e.g. `tidlig_innsats`.
    pub value: String,
    /// Full label in bokmål (used as the group heading in exports).
    pub label: String,
    /// Compact label for table cells and filters, when `label` is long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// A status round refuses this status without a comment saying why (e.g. «Utsatt»).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requires_reason: bool,
    /// This status counts as done in a status round's overview (the share «gjennomført»).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}

impl EnumOption {
    /// The label to show where space is short.
    pub fn short(&self) -> &str {
        self.short_label.as_deref().unwrap_or(&self.label)
    }
}

/// A section with its place in the tree, as yielded by [`Template::sections_flat`].
#[derive(Debug, Clone)]
pub struct FlatSection<'a> {
    pub section: &'a Section,
    /// 1 for top-level sections, 2 for their children (= heading level in exports).
    pub depth: usize,
    /// Position in the tree, e.g. "2.3".
    pub number: String,
    /// Id of the enclosing section, if any.
    pub parent: Option<&'a str>,
}

/// Why a value was refused for a tiltak field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldValueError {
    #[error("unknown tiltak field `{field}`")]
    UnknownField { field: String },
    #[error("tiltak field `{field}` is not a choice field (type `enum` or `multi_enum`)")]
    NotEnum { field: String },
    #[error("tiltak field `{field}` needs a value; allowed values: {}", allowed.join(", "))]
    Missing { field: String, allowed: Vec<String> },
    #[error("`{value}` is not allowed for tiltak field `{field}`; allowed values: {}", allowed.join(", "))]
    NotAllowed {
        field: String,
        value: String,
        allowed: Vec<String>,
    },
}

/// Whether a `number` field's text reads as a number: "12 500", "-3", "0,5" or "1.25" (digits
/// with an optional sign, thousands spaces and one decimal comma or point).
pub fn is_number(text: &str) -> bool {
    let digits: String = text
        .strip_prefix('-')
        .unwrap_or(text)
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}'))
        .collect();
    let mut parts = digits.splitn(2, [',', '.']);
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
}

/// Key of a checklist item in the plan's `checklist` map.
pub fn checklist_key(section_id: &str, item_id: &str) -> String {
    format!("{section_id}/{item_id}")
}

impl Template {
    /// "id@version", as recorded in a plan's `meta.template`.
    pub fn key(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// All sections depth-first, in document order, with depth and number.
    pub fn sections_flat(&self) -> Vec<FlatSection<'_>> {
        fn walk<'a>(
            sections: &'a [Section],
            depth: usize,
            prefix: &str,
            parent: Option<&'a str>,
            out: &mut Vec<FlatSection<'a>>,
        ) {
            for (index, section) in sections.iter().enumerate() {
                let number = if prefix.is_empty() {
                    (index + 1).to_string()
                } else {
                    format!("{prefix}.{}", index + 1)
                };
                out.push(FlatSection {
                    section,
                    depth,
                    number: number.clone(),
                    parent,
                });
                walk(
                    &section.children,
                    depth + 1,
                    &number,
                    Some(&section.id),
                    out,
                );
            }
        }
        let mut out = Vec::new();
        walk(&self.sections, 1, "", None, &mut out);
        out
    }

    /// The section with this id, anywhere in the tree.
    pub fn section(&self, id: &str) -> Option<&Section> {
        fn find<'a>(sections: &'a [Section], id: &str) -> Option<&'a Section> {
            sections.iter().find_map(|section| {
                if section.id == id {
                    Some(section)
                } else {
                    find(&section.children, id)
                }
            })
        }
        find(&self.sections, id)
    }

    /// Sections of one kind, in document order.
    pub fn sections_of_kind(&self, kind: SectionKind) -> Vec<&Section> {
        self.sections_flat()
            .into_iter()
            .map(|flat| flat.section)
            .filter(|section| section.kind == kind)
            .collect()
    }

    /// Ids of the template's own prose sections (each is `section:<id>` in the live document).
    /// Target-group sub-sections are per plan: see [`TargetGroupsSpec::instance_section_id`].
    pub fn prose_section_ids(&self) -> Vec<&str> {
        self.sections_of_kind(SectionKind::Prose)
            .into_iter()
            .map(|section| section.id.as_str())
            .collect()
    }

    /// Every checklist item with its section, in document order.
    pub fn checklist_items(&self) -> Vec<(&Section, &ChecklistItem)> {
        self.sections_of_kind(SectionKind::Checklist)
            .into_iter()
            .flat_map(|section| section.items.iter().map(move |item| (section, item)))
            .collect()
    }

    /// Whether "<section id>/<item id>" names a checklist item of this template, so the
    /// server can refuse writes to made-up checklist keys.
    pub fn has_checklist_key(&self, key: &str) -> bool {
        let Some((section_id, item_id)) = key.split_once('/') else {
            return false;
        };
        self.section(section_id).is_some_and(|section| {
            section.kind == SectionKind::Checklist
                && section.items.iter().any(|item| item.id == item_id)
        })
    }

    /// Checklists printed as appendices of exports.
    pub fn appendix_sections(&self) -> Vec<&Section> {
        self.sections_of_kind(SectionKind::Checklist)
            .into_iter()
            .filter(|section| section.appendix)
            .collect()
    }

    /// The `target_groups` section and its spec, if the template has one.
    pub fn target_groups(&self) -> Option<(&Section, &TargetGroupsSpec)> {
        self.sections_of_kind(SectionKind::TargetGroups)
            .into_iter()
            .find_map(|section| section.target_groups.as_ref().map(|spec| (section, spec)))
    }

    /// The tiltak field with this code name.
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.tiltak.fields.iter().find(|field| field.name == name)
    }

    /// The field rows are grouped by, if the template groups them.
    pub fn group_field(&self) -> Option<&FieldSchema> {
        self.tiltak
            .group_by
            .as_deref()
            .and_then(|name| self.field(name))
    }

    /// The field that names a row: `title_field`, or the first long_text field.
    pub fn title_field(&self) -> Option<&FieldSchema> {
        match &self.tiltak.title_field {
            Some(name) => self.field(name),
            None => self
                .tiltak
                .fields
                .iter()
                .find(|field| field.field_type == FieldType::LongText),
        }
    }

    /// The field whose options a plan goal may link to, if any.
    pub fn strategy_field(&self) -> Option<&FieldSchema> {
        self.tiltak
            .strategy_field
            .as_deref()
            .and_then(|name| self.field(name))
    }

    /// The `enum` field status rounds report, if the template has status rounds.
    pub fn status_field(&self) -> Option<&FieldSchema> {
        self.tiltak
            .status_field
            .as_deref()
            .and_then(|name| self.field(name))
    }

    /// The field that says how a tiltak's success is measured, if any.
    pub fn indicator_field(&self) -> Option<&FieldSchema> {
        self.tiltak
            .indicator_field
            .as_deref()
            .and_then(|name| self.field(name))
    }

    /// The `unit` field naming who answers for a row: `responsible_field`, or the table's one
    /// `unit` field (`None` when it has none, or several and no `responsible_field`).
    pub fn responsible_field(&self) -> Option<&FieldSchema> {
        match &self.tiltak.responsible_field {
            Some(name) => self.field(name),
            None => {
                let mut units = self
                    .tiltak
                    .fields
                    .iter()
                    .filter(|field| field.field_type == FieldType::Unit);
                match (units.next(), units.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        }
    }

    /// The fields that are columns at `place`, in template order.
    pub fn columns(&self, place: Place) -> Vec<&FieldSchema> {
        self.tiltak
            .fields
            .iter()
            .filter(|field| field.columns.contains(&place))
            .collect()
    }

    /// Checks a value for an `enum` tiltak field. An empty value is accepted for a field that
    /// is not required (e.g. `forebygging` left blank).
    pub fn validate_enum(&self, field: &str, value: &str) -> Result<(), FieldValueError> {
        let schema = self
            .field(field)
            .ok_or_else(|| FieldValueError::UnknownField {
                field: field.to_owned(),
            })?;
        if !schema.field_type.has_options() {
            return Err(FieldValueError::NotEnum {
                field: field.to_owned(),
            });
        }
        let allowed = || schema.options.iter().map(|o| o.value.clone()).collect();
        if value.is_empty() {
            return if schema.required {
                Err(FieldValueError::Missing {
                    field: field.to_owned(),
                    allowed: allowed(),
                })
            } else {
                Ok(())
            };
        }
        if schema.options.iter().any(|option| option.value == value) {
            Ok(())
        } else {
            Err(FieldValueError::NotAllowed {
                field: field.to_owned(),
                value: value.to_owned(),
                allowed: allowed(),
            })
        }
    }

    /// A default unit by id.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|unit| unit.id == id)
    }
}

impl FieldSchema {
    /// The option with this value, for labels.
    pub fn option(&self, value: &str) -> Option<&EnumOption> {
        self.options.iter().find(|option| option.value == value)
    }

    /// Longest value accepted, in characters.
    pub fn max_chars(&self) -> usize {
        self.max_chars.unwrap_or(MAX_FIELD_CHARS)
    }

    /// Whether the field is a column at `place`.
    pub fn is_column(&self, place: Place) -> bool {
        self.columns.contains(&place)
    }
}
