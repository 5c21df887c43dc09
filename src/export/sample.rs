//! Sample plan documents for tests and benchmarks: the Nordstrand fixture's tiltak with prose in
//! every section, written the way the browser editor stores it (y-prosemirror elements and
//! formatting attributes), so exports are tested on what real plans contain.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};
use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Doc, Text, Transact, TransactionMut, Update, WriteTxn, Xml, XmlElementPrelim,
    XmlElementRef, XmlFragment, XmlTextPrelim, XmlTextRef,
};

use crate::demo::{NORDSTRAND_TILTAK, tiltak_rows};
use crate::document::structure::plan_structure;
use crate::document::{
    self, DocumentError, MetaField, NewMilestone, RowOrigin, layout, prose_sections,
};
use crate::plan::PlanMeta;
use crate::templates::{FieldType, Template};

/// An inline run of a sample paragraph.
#[derive(Debug, Clone, Copy)]
pub enum Run<'a> {
    Plain(&'a str),
    Bold(&'a str),
    Italic(&'a str),
    BoldItalic(&'a str),
    /// Text and href.
    Link(&'a str, &'a str),
}

/// A block of sample prose.
#[derive(Debug, Clone)]
pub enum Prose<'a> {
    Paragraph(Vec<Run<'a>>),
    Heading(u8, &'a str),
    Bullets(Vec<Vec<Run<'a>>>),
    Numbered(Vec<Vec<Run<'a>>>),
    Quote(Vec<Run<'a>>),
    /// The first row is the header row.
    Table(Vec<Vec<&'a str>>),
}

/// Replaces a prose section's content with the given blocks, as y-prosemirror stores them.
pub fn write_prose(txn: &mut TransactionMut, section_id: &str, blocks: &[Prose<'_>]) {
    let fragment = txn.get_or_insert_xml_fragment(layout::section_fragment(section_id));
    let len = fragment.len(txn);
    if len > 0 {
        fragment.remove_range(txn, 0, len);
    }
    for block in blocks {
        match block {
            Prose::Paragraph(runs) => {
                let p = fragment.push_back(txn, XmlElementPrelim::empty("paragraph"));
                write_runs(txn, &p, runs);
            }
            Prose::Heading(level, text) => {
                let heading = fragment.push_back(txn, XmlElementPrelim::empty("heading"));
                heading.insert_attribute(txn, "level", i64::from(*level));
                heading.push_back(txn, XmlTextPrelim::new(*text));
            }
            Prose::Bullets(items) | Prose::Numbered(items) => {
                let name = if matches!(block, Prose::Bullets(_)) {
                    "bullet_list"
                } else {
                    "ordered_list"
                };
                let list = fragment.push_back(txn, XmlElementPrelim::empty(name));
                for runs in items {
                    let item = list.push_back(txn, XmlElementPrelim::empty("list_item"));
                    let p = item.push_back(txn, XmlElementPrelim::empty("paragraph"));
                    write_runs(txn, &p, runs);
                }
            }
            Prose::Quote(runs) => {
                let quote = fragment.push_back(txn, XmlElementPrelim::empty("blockquote"));
                let p = quote.push_back(txn, XmlElementPrelim::empty("paragraph"));
                write_runs(txn, &p, runs);
            }
            Prose::Table(rows) => {
                let table = fragment.push_back(txn, XmlElementPrelim::empty("table"));
                for (index, cells) in rows.iter().enumerate() {
                    let row = table.push_back(txn, XmlElementPrelim::empty("table_row"));
                    for text in cells {
                        let name = if index == 0 {
                            "table_header"
                        } else {
                            "table_cell"
                        };
                        let cell = row.push_back(txn, XmlElementPrelim::empty(name));
                        let p = cell.push_back(txn, XmlElementPrelim::empty("paragraph"));
                        p.push_back(txn, XmlTextPrelim::new(*text));
                    }
                }
            }
        }
    }
}

fn write_runs(txn: &mut TransactionMut, paragraph: &XmlElementRef, runs: &[Run<'_>]) {
    let text: XmlTextRef = paragraph.push_back(txn, XmlTextPrelim::new(""));
    let mut at = 0u32;
    for run in runs {
        let (content, attrs) = match run {
            Run::Plain(t) => (*t, Attrs::new()),
            Run::Bold(t) => (*t, marks(&[("bold", empty())])),
            Run::Italic(t) => (*t, marks(&[("italic", empty())])),
            Run::BoldItalic(t) => (*t, marks(&[("bold", empty()), ("italic", empty())])),
            Run::Link(t, href) => {
                let link = Any::Map(Arc::new(HashMap::from([(
                    "href".to_owned(),
                    Any::from(*href),
                )])));
                (*t, marks(&[("link", link)]))
            }
        };
        // Explicit (possibly empty) attributes: a bare insert would inherit the formatting of
        // the text before it, as in Yjs.
        text.insert_with_attributes(txn, at, content, attrs);
        // Offsets count UTF-8 bytes (yrs' default `OffsetKind::Bytes`).
        at += u32::try_from(content.len()).unwrap_or(u32::MAX);
    }
}

fn marks(pairs: &[(&str, Any)]) -> Attrs {
    pairs
        .iter()
        .map(|(name, value)| (Arc::<str>::from(*name), value.clone()))
        .collect()
}

fn empty() -> Any {
    Any::Map(Arc::new(HashMap::new()))
}

/// The Nordstrand sample's metadata.
pub fn nordstrand_meta() -> PlanMeta {
    PlanMeta {
        title: "Ruspolitisk handlingsplan for Bydel Nordstrand".to_owned(),
        bydel: "Nordstrand".to_owned(),
        periode: "2025–2028".to_owned(),
        status: String::new(),
    }
}

/// A new plan document from the template with the given metadata.
pub fn new_doc(template: &Template, meta: &PlanMeta) -> Result<Doc, DocumentError> {
    let doc = Doc::new();
    let initial = Update::decode_v1(&document::initial_update(template, meta))
        .map_err(|e| sample_error(&e.to_string()))?;
    doc.transact_mut()
        .apply_update(initial)
        .map_err(|e| sample_error(&e.to_string()))?;
    Ok(doc)
}

fn sample_error(detail: &str) -> DocumentError {
    DocumentError::NotAllowed {
        row: None,
        field: "sample".to_owned(),
        value: detail.chars().take(80).collect(),
        allowed: Vec::new(),
    }
}

/// The Nordstrand sample: its 49 real tiltak, prose in every prose section (paragraphs, a
/// list, bold and italic text, a link, a table, a quote), milestones, ticked checklist items
/// and status "På høring". Deterministic apart from generated row and milestone ids.
pub fn nordstrand_doc(template: &Template) -> Result<Doc, DocumentError> {
    let doc = new_doc(template, &nordstrand_meta())?;
    let rows = tiltak_rows(NORDSTRAND_TILTAK).map_err(|e| sample_error(&e.to_string()))?;
    {
        let mut txn = doc.transact_mut();
        document::append_tiltak(&mut txn, template, &rows, RowOrigin::Imported)?;
        fill_plan(&mut txn, template)?;
    }
    Ok(doc)
}

/// A large plan for benchmarks: `tiltak` rows (the Nordstrand rows repeated with numbered
/// texts) and `paragraphs_per_section` paragraphs of prose in every prose section.
pub fn large_doc(
    template: &Template,
    tiltak: usize,
    paragraphs_per_section: usize,
) -> Result<Doc, DocumentError> {
    let doc = new_doc(template, &nordstrand_meta())?;
    let base = tiltak_rows(NORDSTRAND_TILTAK).map_err(|e| sample_error(&e.to_string()))?;
    // Field names come from the template: its title field gets a numbered text, its first
    // deadline field (if any) a spread of quarters.
    let title = template.title_field().map(|field| field.name.clone());
    let deadline = template
        .tiltak
        .fields
        .iter()
        .find(|field| field.field_type == FieldType::Deadline)
        .map(|field| field.name.clone());
    let rows: Vec<Map<String, Value>> = (0..tiltak)
        .map(|index| {
            let mut row = base[index % base.len()].clone();
            if let Some(title) = &title {
                let text = row
                    .get(title)
                    .and_then(Value::as_str)
                    .unwrap_or("Tiltak")
                    .to_owned();
                row.insert(
                    title.clone(),
                    Value::String(format!("{text} (tiltak {})", index + 1)),
                );
            }
            if let Some(deadline) = &deadline {
                row.insert(
                    deadline.clone(),
                    Value::String(format!("{}. kvartal {}", index % 4 + 1, 2025 + index % 4)),
                );
            }
            row
        })
        .collect();
    {
        let mut txn = doc.transact_mut();
        for chunk in rows.chunks(document::MAX_ROWS_PER_REQUEST) {
            document::append_tiltak(&mut txn, template, chunk, RowOrigin::Imported)?;
        }
        fill_plan(&mut txn, template)?;
        let sections = prose_sections(&plan_structure(&txn, template));
        for section in sections {
            let mut blocks = vec![Prose::Heading(3, "Utdyping")];
            for index in 0..paragraphs_per_section {
                blocks.push(Prose::Paragraph(vec![
                    Run::Plain(LOREM[index % LOREM.len()]),
                    Run::Plain(" "),
                    Run::Bold("Tiltakene skal følges opp hvert år."),
                    Run::Plain(" "),
                    Run::Plain(LOREM[(index + 1) % LOREM.len()]),
                ]));
                if index % 5 == 4 {
                    blocks.push(Prose::Bullets(vec![
                        vec![Run::Plain("Barn og unge i risiko")],
                        vec![Run::Plain("Pårørende, også barn som pårørende")],
                        vec![Run::Italic("Eldre med rusproblemer")],
                    ]));
                }
            }
            write_prose(&mut txn, &section.id, &blocks);
        }
    }
    Ok(doc)
}

/// Sentences for generated prose.
const LOREM: [&str; 6] = [
    "Bydelen har gjennom de siste årene styrket det forebyggende arbeidet rettet mot barn og unge, \
     men kartleggingen viser at flere unge voksne enn før oppsøker tjenestene sent.",
    "Samarbeidet mellom NAV, helsestasjonen, Utekontakten og skolene er godt forankret i SaLTo, \
     og planen bygger videre på de faste samarbeidsmøtene.",
    "Tallene fra Ungdata og Brukerplan gir et bilde av utviklingen over tid, og de brukes til å \
     prioritere mellom tiltakene når budsjettet er stramt.",
    "Pårørende skal møtes tidlig og få informasjon om hvor de kan få hjelp, også når den de er \
     pårørende til ikke selv ønsker kontakt med tjenestene.",
    "Medarbeidere med erfaringskompetanse deltar i utviklingen av tjenestene, og brukerrådet gir \
     innspill til hvert utkast av planen før det går til bydelsutvalget.",
    "Tiltakene følges opp i den årlige rapporteringen til bydelsutvalget, der status for hvert \
     tiltak og indikatorene for måloppnåelse legges fram.",
];

/// Prose in every section, milestones, checklist ticks and status.
fn fill_plan(txn: &mut TransactionMut, template: &Template) -> Result<(), DocumentError> {
    let sections = prose_sections(&plan_structure(txn, template));
    for (index, section) in sections.iter().enumerate() {
        let mut blocks = vec![
            Prose::Paragraph(vec![
                Run::Plain(LOREM[index % LOREM.len()]),
                Run::Plain(" Dette avsnittet handler om "),
                Run::Italic(section.heading.as_str()),
                Run::Plain("."),
            ]),
            Prose::Paragraph(vec![Run::Plain(LOREM[(index + 2) % LOREM.len()])]),
        ];
        match index % 4 {
            0 => blocks.push(Prose::Bullets(vec![
                vec![
                    Run::Bold("Forebygging:"),
                    Run::Plain(" universelle tiltak i skolen"),
                ],
                vec![Run::Plain("Tidlig innsats for unge voksne")],
                vec![Run::Plain("Økt livskvalitet gjennom bolig og aktivitet")],
            ])),
            1 => blocks.push(Prose::Paragraph(vec![
                Run::Plain("Se "),
                Run::Link(
                    "KoRus Oslos veileder",
                    "https://www.korus-oslo.no/veileder?side=1&utgave=2020",
                ),
                Run::Plain(" og "),
                Run::BoldItalic("Strategisk plan for rusfeltet"),
                Run::Plain(" for bakgrunnen."),
            ])),
            2 => blocks.push(Prose::Numbered(vec![
                vec![Run::Plain("Kartlegge nåsituasjonen")],
                vec![Run::Plain("Prioritere målgrupper")],
                vec![Run::Plain("Vedta tiltak i bydelsutvalget")],
            ])),
            _ => blocks.push(Prose::Quote(vec![Run::Plain(
                "Det er lettere å forebygge enn å reparere.",
            )])),
        }
        if index == 1 {
            blocks.push(Prose::Heading(3, "Nøkkeltall"));
            blocks.push(Prose::Table(vec![
                vec!["Indikator", "2019", "2023"],
                vec!["Beruset siste år (vgs.)", "39 %", "35 %"],
                vec!["Brukt hasj eller marihuana", "14 %", "12 %"],
                vec!["Kartlagt i Brukerplan", "145", "151"],
            ]));
        }
        write_prose(txn, &section.id, &blocks);
    }
    for (title, date, responsible, done) in [
        (
            "Oppstart og arbeidsgruppe",
            "2024-09-01",
            "Bydelens stab",
            true,
        ),
        (
            "Kartlegging av nåsituasjonen",
            "2024-12-15",
            "Arbeidsgruppen",
            true,
        ),
        (
            "Høringsutkast sendes ut",
            "2025-03-01",
            "Koordinator",
            false,
        ),
        (
            "Behandling i bydelsutvalget",
            "2025-06-12",
            "Bydelsdirektør",
            false,
        ),
        (
            "Første årlige rapportering",
            "2026-06-01",
            "Koordinator",
            false,
        ),
    ] {
        document::add_milestone(
            txn,
            &NewMilestone {
                title: title.to_owned(),
                date: date.to_owned(),
                responsible: responsible.to_owned(),
                done,
            },
        )?;
    }
    for (section, item) in template.checklist_items().into_iter().step_by(2) {
        let key = crate::templates::checklist_key(&section.id, &item.id);
        document::set_checklist(txn, template, &key, true)?;
    }
    // Two goals, the first serving the template's first strategy (when it has strategies).
    let strategy = template
        .strategy_field()
        .and_then(|field| field.options.first())
        .map(|option| vec![option.value.clone()]);
    for (title, description, strategi) in [
        (
            "Færre unge debuterer tidlig med alkohol og cannabis",
            "Debutalderen skal øke i planperioden, målt i Ungdata.",
            strategy,
        ),
        ("Alle med rusproblemer har et trygt sted å bo", "", None),
    ] {
        document::add_goal(
            txn,
            template,
            &document::GoalInput {
                title: Some(title.to_owned()),
                description: Some(description.to_owned()),
                strategi,
            },
        )?;
    }
    // Key figures in every key-figures section.
    let structure = plan_structure(txn, template);
    let figure_sections: Vec<String> = document::structure::flatten(&structure)
        .into_iter()
        .filter(|section| section.kind == crate::templates::SectionKind::Figures)
        .map(|section| section.id.clone())
        .collect();
    for section in figure_sections {
        for values in [
            [
                "Beruset siste år (vgs.)",
                "Ungdata",
                "2023",
                "35 %",
                "31 %",
                "30 %",
            ],
            ["Kartlagt i Brukerplan", "Brukerplan", "2023", "151", "", ""],
        ] {
            write_figure(txn, &section, &values);
        }
    }
    document::set_meta(txn, MetaField::Status, "horing")?;
    Ok(())
}

/// Appends a key-figure row (indikator, kilde, år, verdi, Oslo-snitt, mål) to a section.
fn write_figure(txn: &mut TransactionMut, section: &str, values: &[&str; 6]) {
    use layout::figure;
    use yrs::{Array, In, MapPrelim};
    let id = format!("{section}/{}", values[0]);
    let keys = [
        figure::INDIKATOR,
        figure::KILDE,
        figure::AR,
        figure::VERDI,
        figure::OSLO,
        figure::MAL,
    ];
    let mut entries: Vec<(&str, In)> = vec![
        (figure::ID, In::Any(Any::from(id.as_str()))),
        (figure::SECTION, In::Any(Any::from(section))),
    ];
    for (key, value) in keys.iter().zip(values) {
        entries.push((key, In::Any(Any::from(*value))));
    }
    txn.get_or_insert_array(layout::FIGURES)
        .push_back(txn, MapPrelim::from_iter(entries));
}
