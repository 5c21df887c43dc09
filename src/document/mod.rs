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
//!   `section:<part>.<group>.<subsection>`.
//!
//! Reading works on a `Doc` or inside any transaction ([`plan_view`], [`plan_view_in`]). Writes
//! take the caller's `TransactionMut` (the live room opens it, then commits and relays the
//! update); each validates everything before changing anything, so an error leaves the
//! document as it was.

mod completeness;
mod error;
pub mod layout;
mod prose;
mod tiltak;
mod view;
mod write;

#[cfg(test)]
mod tests;

pub use completeness::{
    Completeness, CompletenessCounts, EmptySection, IncompleteRow, MissingField, UntickedItem,
    completeness,
};
pub use error::{DocumentError, ErrorKind};
pub use prose::{Block, Cell, Inline, ListItem};
pub use tiltak::{
    COUNCIL_COLUMNS, MAX_FIELD_CHARS, MAX_ROWS_PER_REQUEST, NO_STRATEGI_LABEL, StrategiGroup,
    TiltakRow, append_tiltak, group_by_strategi, patch_tiltak, read_tiltak,
};
pub use view::{
    DocMeta, Milestone, PlanView, ProseSection, SectionContent, initial_update, plan_view,
    plan_view_in, prose_sections, read_doc_meta, read_meta, read_milestones, read_section,
    read_target_groups, tiltak_section_ids,
};
pub use write::{
    MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, MAX_SHORT_CHARS, MetaField, NewMilestone, PlanStatus,
    add_milestone, set_checklist, set_meta, set_milestone_done, set_prose_paragraphs,
};
