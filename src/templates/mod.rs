//! Plan templates: versioned TOML data files describing a plan's sections and table schema.
//!
//! A template is data, not code: districts and KoRus can change the structure of a plan without
//! a new binary. Two templates are built in (`templates/plans/*.toml`, compiled in with
//! `include_str!`); an operator adds more with `--templates-dir`. A plan records
//! [`Template::key`] ("id@version") and always uses that exact version, so a changed template
//! is published under a new `version`, never edited in place.
//!
//! # File format
//!
//! ```toml
//! id = "korus-ruspolitisk-handlingsplan"   # ASCII slug: a-z, 0-9, inner "-"
//! version = 1                              # 1 or higher
//! title = "Ruspolitisk handlingsplan"
//! description = "Mal for bydelens ruspolitiske handlingsplan …"
//!
//! # Units a new plan starts with (the plan adds, renames and removes its own).
//! units = [
//!   { id = "nav", name = "NAV" },
//!   { id = "utekontakten", name = "Utekontakten" },
//! ]
//!
//! # The tiltak table: the one definition of its fields. No code names a field; the roles
//! # below say which field does what.
//! [tiltak]
//! title_field = "tiltak"            # names a row (text or long_text field)
//! group_by = "strategi"             # optional: tables per option (enum, multi_enum) or plan goal (goals)
//! strategy_field = "strategi"       # optional: enum whose options a plan goal may serve
//! multi_group = "each"              # a row in several groups: "each" table, or "once" with its groups listed
//! status_field = "status"          # optional: enum whose options a yearly status round reports, in order
//! indicator_field = "indikator"     # optional: a row with a value here is asked for an indicator value
//! responsible_field = "ansvarlig"   # optional: the unit field that says who reports a row (default:
//!                                   # the table's one `unit` field)
//!
//! [[tiltak.fields]]
//! name = "strategi"                 # code name (a-z, 0-9, "_"), as in the live document
//! label = "Strategi"                # column heading, bokmål
//! type = "enum"                     # text | long_text | enum | multi_enum | unit | deadline | number | goals
//! required = true                   # completeness lists a row without it (default false)
//! columns = ["editor", "page", "export"]  # where it is a column; elsewhere «Label: value» under the title
//! width = 2                         # relative column width (default 1)
//! max_chars = 200                   # optional length limit (default 10 000)
//! filter = true                     # the editor offers a filter on it
//! help = "…"                        # optional
//! # default = "…"                   # optional value of a row made in the editor or the API; never
//! #                                 # applied to imported rows (a value the plan lacks stays empty)
//!
//! [[tiltak.fields.options]]         # enum / multi_enum choices, in order
//! value = "forebygging"             # code stored in the row
//! label = "Forebyggingsoffensiv for å hindre at rusproblemer oppstår"
//! short_label = "Forebygging"       # optional, for narrow table cells
//! help = "…"                        # optional
//! requires_reason = true            # status options only: a status round needs a comment saying why
//! done = true                       # status options only (at most one): counts as «gjennomført»
//!
//! # The section tree, in document order.
//! [[sections]]
//! id = "hvor-star-vi"               # top level: one slug
//! heading = "Hvor står vi?"
//! kind = "group"                    # prose | tiltak | milestones | checklist | group | target_groups
//!                                   # | figures (nøkkeltall) | appendix (prose printed as an appendix)
//! guidance = "…"                    # what belongs here (plain text, see below)
//! questions = ["…"]                 # guiding questions, in the guide's words
//!
//! [[sections.children]]
//! id = "hvor-star-vi.nokkeltall"    # a child's id is its parent's id + "." + one slug
//! heading = "Hvor finne nøkkeltall"
//! kind = "checklist"
//! appendix = false                  # true: printed as an appendix of exports (checklists only)
//!
//! [[sections.children.items]]       # checklist items (at least one)
//! id = "ungdata"                    # slug, unique within the section
//! label = "Ungdata – alkohol og rus blant ungdom"
//! help = "…"                        # optional
//! group = "Nasjonale føringer"      # optional: the guide's group, items are listed under it
//! year = "2019"                     # optional
//!
//! [[sections.children.help]]        # optional glossary entries on any section
//! term = "Selektiv forebygging"
//! definition = "…"
//!
//! [[sections]]                      # a part whose groups are created inside each plan
//! id = "malgrupper"
//! heading = "Målgrupper"
//! kind = "target_groups"
//! [sections.target_groups]
//! defaults = [{ id = "barn-og-unge", name = "Barn og unge" }]
//! [[sections.target_groups.subsections]]   # repeated in every group, at least one
//! id = "utfordringsbilde"
//! heading = "Utfordringsbilde"
//! kind = "prose"                    # prose | tiltak
//! guidance = "…"
//! ```
//!
//! Rules beyond the shape (checked by [`validate`], all problems reported at once):
//! - section ids are unique in the whole tree; only a `group` has `children` and it needs at
//!   least one; sections nest at most two levels, because heading levels 1–2 belong to the
//!   template and 3–5 to the writers;
//! - a `checklist` has items with unique ids; `items` and `appendix` are for checklists only;
//! - at most one `milestones` section (a plan has one milestone list) and at most one
//!   `target_groups` section, at the top level, with at least one subsection;
//! - enum and multi_enum fields have options with unique values; other fields have none;
//! - `title_field`, `group_by` and `strategy_field` name fields of a kind that fits the role.
//!
//! Guidance and help are plain text: blank lines separate paragraphs, and lines starting with
//! "- " are list items.
//!
//! # Where sections live in a plan's live document
//! - `prose`: the Y.XmlFragment `section:<section id>`.
//! - `checklist`: keys `<section id>/<item id>` in the `checklist` map ([`checklist_key`]).
//! - `tiltak` and `milestones`: views of the plan's `tiltak` and `milestones` arrays.
//! - `target_groups`: a group's sub-section has the id `<part id>.<group id>.<subsection id>`
//!   ([`TargetGroupsSpec::instance_section_id`]); the plan stores its own list of groups.

mod error;
mod load;
mod model;
mod registry;

#[cfg(test)]
mod tests;

pub use error::{Issue, Problem, TemplateError};
pub use load::{
    check_file, is_valid_code, is_valid_section_id, is_valid_slug, parse_template, validate,
};
pub use model::{
    ChecklistItem, EnumOption, FieldSchema, FieldType, FieldValueError, FlatSection, HelpEntry,
    MAX_FIELD_CHARS, MultiGroup, Place, Section, SectionKind, TableSchema, TargetGroup,
    TargetGroupSubsection, TargetGroupsSpec, Template, Unit, checklist_key, is_number,
};
pub use registry::TemplateRegistry;
