//! Tiltak rows changed outside the editor (the API, imports): the change goes through the plan's
//! live room as a Yjs update of the one who made it, so open browsers see it at once and it is
//! committed before anyone sees it, exactly like a typed edit.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Error, PlanAccess, Result, Services};
use crate::access::Action;
use crate::demo::parse_tiltak_input;
use crate::document::{self, DocumentError, TiltakRow};

/// Appends rows (a JSON array of rows made now, or an import file: an object with a `tiltak`
/// array, whose blanks stay blank); returns their ids.
pub async fn append(services: &Services, access: &PlanAccess, json: &str) -> Result<Vec<String>> {
    access.require(Action::Edit)?;
    let (rows, origin) = parse_tiltak_input(json).map_err(Error::Malformed)?;
    let template = access.template.clone();
    Ok(services
        .registry
        .edit_as(
            access.plan(),
            Some(Arc::new(access.actor.clone())),
            move |txn| document::append_tiltak(txn, &template, &rows, origin),
        )
        .await??)
}

/// Changes fields of one row (`null` clears one); returns the row as it is now.
pub async fn patch(
    services: &Services,
    access: &PlanAccess,
    row_id: &str,
    patch: Map<String, Value>,
) -> Result<TiltakRow> {
    access.require(Action::Edit)?;
    let template = access.template.clone();
    let row_id = row_id.to_owned();
    let row = services
        .registry
        .edit_as(
            access.plan(),
            Some(Arc::new(access.actor.clone())),
            move |txn| {
                document::patch_tiltak(txn, &template, &row_id, &patch)?;
                let row = document::read_tiltak(txn, &template)
                    .into_iter()
                    .find(|row| row.id == row_id);
                Ok::<_, DocumentError>(row)
            },
        )
        .await??;
    row.ok_or_else(|| Error::Internal("patched row not found".into()))
}
