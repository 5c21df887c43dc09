//! The demo plan a newcomer finds on first start: a KoRus plan for Bydel Nordstrand with the 49
//! real tiltak of its 2021–2023 plan and a few sentences of nåsituasjon.

use serde_json::{Map, Value};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::document::{self, DocumentError, RowOrigin};
use crate::plan::PlanMeta;
use crate::templates::Template;

pub const DEMO_TITLE: &str = "Eksempelplan – Bydel Nordstrand";
pub const DEMO_TEMPLATE: &str = "korus-ruspolitisk-handlingsplan";

/// Nordstrand's own units, as its plan names those responsible for its tiltak.
pub const DEMO_UNITS: &[&str] = &[
    "Oppvekst og velferd",
    "Mestring og omsorg",
    "Tilrettelagte tjenester og psykisk helse",
    "Helse og samfunn",
    "Bydelens stab",
    "NAV",
    "Forebyggende tjenester",
    "SaLTo",
    "Utekontakten",
    "Ruskonsulent Ung",
    "Psykisk helse",
];

/// Bydel Nordstrand's tiltak, chapter 5 of its 2021–2023 plan (cleaned), compiled in.
pub const NORDSTRAND_TILTAK: &str = include_str!("../templates/demo/nordstrand-tiltak.json");

const NASITUASJON: &[&str] = &[
    "Bydel Nordstrand har i overkant av 50 000 innbyggere. Bydelen har en lavere andel unge voksne \
     og en større andel eldre enn Oslo ellers, og befolkningen ligger over Oslo-snittet i \
     utdanningsnivå og inntekt.",
    "I Brukerplan 2019 ble 145 personer kartlagt med kommunale tjenester på grunn av rusproblemer \
     eller rus- og psykiske lidelser. 90 prosent av dem ble vurdert til å ha både rus- og psykiske \
     helseproblemer. Alkohol er rusmiddelet flest har problemer med (59 %), deretter cannabis \
     (48 %) og heroin (38 %).",
    "Ung i Oslo 2021 viser at 39 prosent av ungdom i videregående skole bosatt i bydelen har drukket \
     seg tydelig beruset det siste året, og 14 prosent har brukt hasj eller marihuana.",
];

/// The built-in demo data did not make a document (a bug, caught by the tests).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DemoError(String);

impl From<DocumentError> for DemoError {
    fn from(e: DocumentError) -> Self {
        DemoError(e.to_string())
    }
}

/// The demo plan's metadata: Nordstrand's plan as its source has it.
pub fn demo_meta() -> PlanMeta {
    PlanMeta {
        title: DEMO_TITLE.to_owned(),
        bydel: "Nordstrand".to_owned(),
        periode: "2021–2023".to_owned(),
        status: String::new(),
    }
}

/// The demo plan's first update: a new plan from the template, the tiltak and the nåsituasjon.
pub fn demo_document(template: &Template, meta: &PlanMeta) -> Result<Vec<u8>, DemoError> {
    let doc = Doc::new();
    let initial = Update::decode_v1(&document::initial_update(template, meta))
        .map_err(|e| DemoError(e.to_string()))?;
    let rows = tiltak_rows(NORDSTRAND_TILTAK)?;
    {
        let mut txn = doc.transact_mut();
        txn.apply_update(initial)
            .map_err(|e| DemoError(e.to_string()))?;
        document::append_tiltak(&mut txn, template, &rows, RowOrigin::Imported)?;
        let paragraphs: Vec<&str> = NASITUASJON.to_vec();
        document::set_prose_paragraphs(
            &mut txn,
            template,
            "hvor-star-vi.nasituasjon",
            &paragraphs,
        )?;
    }
    Ok(doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default()))
}

/// Tiltak rows from an import file: a JSON array of rows, or an object with a `tiltak` array
/// (the shape of the Nordstrand fixture).
pub fn tiltak_rows(json: &str) -> Result<Vec<Map<String, Value>>, DemoError> {
    parse_tiltak_rows(json).map_err(DemoError)
}

/// Parses the rows of a tiltak import, naming what is wrong with the file.
pub fn parse_tiltak_rows(json: &str) -> Result<Vec<Map<String, Value>>, String> {
    parse_tiltak_input(json).map(|(rows, _)| rows)
}

/// Parses rows, and tells where they come from: an import file (an object with a `tiltak`
/// array, like the Nordstrand fixture) brings rows of an existing plan, whose blanks stay
/// blank; a bare array holds rows made now, which get the template's defaults.
pub fn parse_tiltak_input(json: &str) -> Result<(Vec<Map<String, Value>>, RowOrigin), String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("invalid JSON: {e}"))?;
    let (rows, origin) = match value {
        Value::Array(rows) => (rows, RowOrigin::Made),
        Value::Object(mut object) => match object.remove("tiltak") {
            Some(Value::Array(rows)) => (rows, RowOrigin::Imported),
            _ => {
                return Err("expected an array of rows, or an object with a `tiltak` array".into());
            }
        },
        _ => return Err("expected an array of rows, or an object with a `tiltak` array".into()),
    };
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| match row {
            Value::Object(row) => Ok(row),
            other => Err(format!(
                "rows[{index}]: expected an object, found {}",
                json_type(&other)
            )),
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((rows, origin))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::TemplateRegistry;

    #[test]
    fn the_fixture_has_49_rows() {
        assert_eq!(
            tiltak_rows(NORDSTRAND_TILTAK).map(|r| r.len()).ok(),
            Some(49)
        );
    }

    #[test]
    fn import_files_name_their_problem() {
        assert!(parse_tiltak_rows("{").is_err_and(|e| e.starts_with("invalid JSON")));
        assert!(parse_tiltak_rows("[1]").is_err_and(|e| e.contains("rows[0]")));
        assert!(parse_tiltak_rows(r#"{"rader": []}"#).is_err());
        assert_eq!(
            parse_tiltak_rows(r#"[{"tiltak": "x"}]"#).map(|r| r.len()),
            Ok(1)
        );
    }

    #[test]
    fn the_demo_document_holds_the_tiltak_and_the_nasituasjon() {
        let templates = TemplateRegistry::builtin().expect("built-in templates");
        let template = templates.latest(DEMO_TEMPLATE).expect("korus template");
        let update = demo_document(template, &PlanMeta::default()).expect("demo builds");
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&update).expect("decodes"))
            .expect("applies");
        let view = document::plan_view(&doc, template);
        assert_eq!(view.tiltak.len(), 49);
        let nasituasjon = view.section("hvor-star-vi.nasituasjon").expect("section");
        assert_eq!(nasituasjon.blocks.len(), 3);
    }
}
