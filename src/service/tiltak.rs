//! Tiltak rows changed outside the editor (the API, imports), through [`edit_document`].

use serde_json::{Map, Value};

use super::{Error, PlanAccess, Result, Services, edit_document};
use crate::access::Action;
use crate::demo::parse_tiltak_input;
use crate::document::{self, TiltakRow};

/// Appends rows (a JSON array of rows made now, or an import file: an object with a `tiltak`
/// array, whose blanks stay blank); returns their ids.
pub async fn append(services: &Services, access: &PlanAccess, json: &str) -> Result<Vec<String>> {
    access.require(Action::Edit)?;
    let (rows, origin) = parse_tiltak_input(json).map_err(Error::Malformed)?;
    edit_document(services, access, Action::Edit, move |txn, template| {
        document::append_tiltak(txn, template, &rows, origin)
    })
    .await
}

/// Changes fields of one row (`null` clears one); returns the row as it is now.
pub async fn patch(
    services: &Services,
    access: &PlanAccess,
    row_id: &str,
    patch: Map<String, Value>,
) -> Result<TiltakRow> {
    let row_id = row_id.to_owned();
    let row = edit_document(services, access, Action::Edit, move |txn, template| {
        document::patch_tiltak(txn, template, &row_id, &patch)?;
        Ok(document::read_tiltak(txn, template)
            .into_iter()
            .find(|row| row.id == row_id))
    })
    .await?;
    row.ok_or_else(|| Error::Internal("patched row not found".into()))
}
