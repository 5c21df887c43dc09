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
}

impl SectionKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [SectionKind; 6] = [
        SectionKind::Prose,
        SectionKind::Tiltak,
        SectionKind::Milestones,
        SectionKind::Checklist,
        SectionKind::Group,
        SectionKind::TargetGroups,
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

/// Schema of the tiltak table: ordered columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSchema {
    pub fields: Vec<FieldSchema>,
}

/// One column of the tiltak table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSchema {
    /// Code name shared with the live document and exports, e.g. `strategi`.
    pub name: String,
    /// Column heading in bokmål.
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// A row is not complete without a value; the editor marks it.
    #[serde(default)]
    pub required: bool,
    /// Choices of an `enum` field, in display (and export grouping) order.
    #[serde(default)]
    pub options: Vec<EnumOption>,
    /// Value of a new row, e.g. status `ikke_startet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

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
    /// The responsible unit, chosen among the plan's units.
    Unit,
    /// A year, quarter or date, kept as text (e.g. "2025", "2. kvartal 2025", "2025-06-30").
    Deadline,
}

impl FieldType {
    /// The code name used in template files.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long_text",
            FieldType::Enum => "enum",
            FieldType::Unit => "unit",
            FieldType::Deadline => "deadline",
        }
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
    #[error("tiltak field `{field}` is not a choice field (type `enum`)")]
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

    /// The strategies in export order (rows are grouped by `strategi` in this order).
    pub fn strategi_options(&self) -> &[EnumOption] {
        self.field("strategi")
            .map(|field| field.options.as_slice())
            .unwrap_or(&[])
    }

    /// Checks a value for an `enum` tiltak field. An empty value is accepted for a field that
    /// is not required (e.g. `forebygging` left blank).
    pub fn validate_enum(&self, field: &str, value: &str) -> Result<(), FieldValueError> {
        let schema = self
            .field(field)
            .ok_or_else(|| FieldValueError::UnknownField {
                field: field.to_owned(),
            })?;
        if schema.field_type != FieldType::Enum {
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
}
