//! A plan's live document: the one module that knows the Y.Doc layout.
//!
//! Every other module reads and writes plans through the typed functions here; none names a
//! shared type by string. The layout (fixed by DESIGN.md, "The live document", and shared with
//! the browser editor) is spelled out in [`layout`]:
//! - `meta`: Y.Map `title`, `bydel`, `periode`, `template` ("id@version"), `status`;
//! - `section:<section id>`: Y.XmlFragment per prose section, as y-prosemirror stores it
//!   (nodes as elements, marks as text formatting attributes; read into [`Block`]s);
//! - `tiltak`: Y.Array of Y.Map rows with a UUID `id`, an optional `section`, long_text fields
//!   as Y.Text and the others as strings;
//! - `milestones`: Y.Array of Y.Map `id`, `title`, `date`, `responsible`, `done`;
//! - `checklist`: Y.Map from `<section id>/<item id>` to bool;
//! - `target_groups`: Y.Array of Y.Map `id`, `name`; a group's prose lives in
//!   `section:<part>.<group>.<subsection>`;
//! - `mal`: Y.Array of Y.Map `id`, `title`, `description`, `strategi`: the plan's goals;
//! - `structure`, `local_sections`, `checklist_items`: the plan's own shape ([`structure`]);
//! - `figures`: Y.Array of Y.Map key-figure rows.
//!
//! Reading works on a `Doc` or inside any transaction ([`plan_view`], [`plan_view_in`]). Writes
//! take the caller's `TransactionMut` (the live room opens it, then commits and relays the
//! update); each validates everything before changing anything, so an error leaves the
//! document as it was.

mod carry;
mod completeness;
mod diff;
mod error;
mod goals;
mod guard;
pub mod layout;
mod prose;
pub mod structure;
mod tiltak;
mod view;
mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_structure;

pub use carry::{carry_over, reset_fields};
pub use completeness::{
    Completeness, CompletenessCounts, EmptySection, IncompleteRow, MissingField, OpenSuggestions,
    completeness,
};
pub use diff::{
    Change, DiffCounts, FieldChange, GoalDiff, ParagraphDiff, PlanDiff, Run, RunKind, SectionDiff,
    TiltakDiff, UseChange, diff, word_runs,
};
pub use error::{DocumentError, ErrorKind};
pub use goals::{Goal, GoalInput, add_goal, delete_goal, patch_goal, read_goals};
pub use guard::{COORDINATOR_ROOTS, LiveGuard, unknown_roots};
pub use prose::{Block, Cell, Inline, ListItem};
pub use structure::{
    Figure, LocalChecklistItem, NewChecklistItem, PlanChecklistItem, PlanSection, SectionPatch,
    add_checklist_item, add_local_section, delete_local_section, patch_section, plan_structure,
    read_target_groups,
};
pub use tiltak::{
    FieldValue, GroupedRow, MAX_LIST_ITEMS, MAX_ROWS_PER_REQUEST, RowCells, RowGroup, RowOrigin,
    TiltakRow, append_tiltak, check_new_tiltak, check_tiltak_field, group_rows, patch_tiltak,
    read_tiltak, rows_of_section, tiltak_numbers, tiltak_numbers_in, tiltak_section_ids,
};
pub use view::{
    DocMeta, Milestone, PlanView, ProseSection, SectionContent, initial_update, plan_view,
    plan_view_in, prose_sections, read_doc_meta, read_meta, read_milestones, read_section,
};
pub use write::{
    MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, MAX_SHORT_CHARS, MetaField, NewMilestone, PlanStatus,
    add_milestone, set_checklist, set_meta, set_milestone_done, set_prose_paragraphs,
};
