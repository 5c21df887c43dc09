//! Reading a template: TOML into the model, then the rules serde cannot express. Validation
//! collects every problem at once, so one `samskriv template check` run shows them all.

use std::collections::HashSet;
use std::path::Path;

use super::error::{Issue, Problem, TemplateError};
use super::model::{FieldType, Section, SectionKind, TableSchema, Template};

/// Reads, parses and validates one template file (the `samskriv template check FILE` command).
pub fn check_file(path: &Path) -> Result<Template, TemplateError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
        file: file.clone(),
        source,
    })?;
    parse_template(&text, &file)
}

/// Parses and validates template text; `file` names it in errors.
pub fn parse_template(text: &str, file: &str) -> Result<Template, TemplateError> {
    let template = match toml::from_str::<Template>(text) {
        Ok(template) => template,
        Err(source) => {
            // serde's "unknown variant" cannot say which section it was in; look again.
            let issues = unknown_kinds(text);
            return Err(if issues.is_empty() {
                TemplateError::Syntax {
                    file: file.to_owned(),
                    source: Box::new(source),
                }
            } else {
                TemplateError::Invalid {
                    file: file.to_owned(),
                    issues,
                }
            });
        }
    };
    validate(&template, file)?;
    Ok(template)
}

/// Checks the rules of a deserialised template.
pub fn validate(template: &Template, file: &str) -> Result<(), TemplateError> {
    let mut checker = Checker::default();
    checker.template(template);
    if checker.issues.is_empty() {
        Ok(())
    } else {
        Err(TemplateError::Invalid {
            file: file.to_owned(),
            issues: checker.issues,
        })
    }
}

/// A slug: lowercase ASCII letters, digits and inner `-` (template, item, unit, group ids).
pub fn is_valid_slug(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A section id: slugs joined by `.`.
pub fn is_valid_section_id(id: &str) -> bool {
    id.split('.').all(is_valid_slug)
}

/// A code (field names, option values): lowercase ASCII letters, digits and `_`, starting
/// with a letter, as stored in the live document.
pub fn is_valid_code(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[derive(Default)]
struct Checker {
    issues: Vec<Issue>,
    section_ids: HashSet<String>,
    milestones: usize,
    target_groups: usize,
}

impl Checker {
    fn push(&mut self, place: impl Into<String>, problem: Problem) {
        self.issues.push(Issue {
            place: place.into(),
            problem,
        });
    }

    fn not_empty(&mut self, place: &str, what: &'static str, value: &str) {
        if value.trim().is_empty() {
            self.push(place, Problem::Empty(what));
        }
    }

    /// Checks an id that must be a slug; true if it is usable for duplicate checks.
    fn slug(&mut self, place: &str, id: &str) -> bool {
        if id.is_empty() {
            self.push(place, Problem::EmptyId);
            false
        } else if !is_valid_slug(id) {
            self.push(place, Problem::InvalidSlug(id.to_owned()));
            false
        } else {
            true
        }
    }

    fn template(&mut self, template: &Template) {
        self.slug("template id", &template.id);
        if template.version == 0 {
            self.push("template version", Problem::VersionZero);
        }
        self.not_empty("template", "title", &template.title);
        self.not_empty("template", "description", &template.description);

        let mut unit_ids = HashSet::new();
        for (index, unit) in template.units.iter().enumerate() {
            let place = labelled("unit", &unit.id, index);
            if self.slug(&place, &unit.id) && !unit_ids.insert(unit.id.as_str()) {
                self.push(&place, duplicate("unit", &unit.id));
            }
            self.not_empty(&place, "name", &unit.name);
        }

        self.table(&template.tiltak);

        if template.sections.is_empty() {
            self.push("template", Problem::NoSections);
        }
        for (index, section) in template.sections.iter().enumerate() {
            self.section(section, None, 1, index);
        }
    }

    fn table(&mut self, table: &TableSchema) {
        let mut names = HashSet::new();
        for (index, field) in table.fields.iter().enumerate() {
            let place = if field.name.is_empty() {
                format!("tiltak field {}", index + 1)
            } else {
                format!("tiltak field `{}`", field.name)
            };
            if field.name.is_empty() {
                self.push(&place, Problem::EmptyId);
            } else if !is_valid_code(&field.name) {
                self.push(&place, Problem::InvalidCode(field.name.clone()));
            } else if !names.insert(field.name.as_str()) {
                self.push(&place, duplicate("tiltak field", &field.name));
            }
            self.not_empty(&place, "label", &field.label);

            if field.width == 0 {
                self.push(&place, Problem::ZeroWidth);
            }
            if field.max_chars == Some(0) {
                self.push(&place, Problem::ZeroMaxChars);
            }
            if field.field_type.has_options() {
                if field.options.is_empty() {
                    self.push(&place, Problem::EnumWithoutOptions);
                }
                let mut values = HashSet::new();
                for (option_index, option) in field.options.iter().enumerate() {
                    let option_place = format!(
                        "{place}, {}",
                        labelled("option", &option.value, option_index)
                    );
                    if option.value.is_empty() {
                        self.push(&option_place, Problem::EmptyId);
                    } else if !is_valid_code(&option.value) {
                        self.push(&option_place, Problem::InvalidCode(option.value.clone()));
                    } else if !values.insert(option.value.as_str()) {
                        self.push(&option_place, duplicate("option value", &option.value));
                    }
                    self.not_empty(&option_place, "label", &option.label);
                }
                if let Some(default) = &field.default
                    && field.option(default).is_none()
                {
                    self.push(&place, Problem::DefaultNotAnOption(default.clone()));
                }
            } else if !field.options.is_empty() {
                self.push(
                    &place,
                    Problem::OptionsOnNonEnum(field.field_type.to_string()),
                );
            }
            if field.field_type == FieldType::Number
                && let Some(default) = &field.default
                && !super::model::is_number(default.trim())
            {
                self.push(&place, Problem::DefaultNotANumber(default.clone()));
            }
            if field.default.is_some()
                && matches!(field.field_type, FieldType::Goals | FieldType::Unit)
            {
                self.push(&place, Problem::DefaultOnKind(field.field_type.to_string()));
            }
        }
        self.role(table, "group_by", table.group_by.as_deref(), |kind| {
            matches!(
                kind,
                FieldType::Enum | FieldType::MultiEnum | FieldType::Goals
            )
        });
        self.role(table, "title_field", table.title_field.as_deref(), |kind| {
            matches!(kind, FieldType::Text | FieldType::LongText)
        });
        self.role(
            table,
            "strategy_field",
            table.strategy_field.as_deref(),
            |kind| kind == FieldType::Enum,
        );
        self.role(
            table,
            "status_field",
            table.status_field.as_deref(),
            |kind| kind == FieldType::Enum,
        );
        self.role(
            table,
            "indicator_field",
            table.indicator_field.as_deref(),
            |kind| !kind.is_list(),
        );
        self.role(
            table,
            "responsible_field",
            table.responsible_field.as_deref(),
            |kind| kind == FieldType::Unit,
        );
        self.round_options(table);
    }

    /// `requires_reason` and `done` are about status rounds: only on the status field's
    /// options, and at most one option is done. With a status field, the table says who
    /// answers for a row (one `unit` field, or `responsible_field`).
    fn round_options(&mut self, table: &TableSchema) {
        let status = table.status_field.as_deref();
        for field in &table.fields {
            let place = format!("tiltak field `{}`", field.name);
            let is_status = status == Some(field.name.as_str());
            let mut done = 0;
            for option in &field.options {
                let option_place = format!("{place}, option `{}`", option.value);
                for (set, what) in [
                    (option.requires_reason, "requires_reason"),
                    (option.done, "done"),
                ] {
                    if set && !is_status {
                        self.push(&option_place, Problem::RoundOptionOutsideStatus(what));
                    }
                }
                done += usize::from(option.done);
            }
            if is_status && done > 1 {
                self.push(&place, Problem::SeveralDoneOptions);
            }
        }
        let units = table
            .fields
            .iter()
            .filter(|field| field.field_type == FieldType::Unit)
            .count();
        if status.is_some() && table.responsible_field.is_none() && units != 1 {
            self.push("tiltak table", Problem::NoResponsibleField(units));
        }
    }

    /// A table role (`group_by`, …) must name a field of a kind that can play it.
    fn role(
        &mut self,
        table: &TableSchema,
        role: &'static str,
        name: Option<&str>,
        fits: impl Fn(FieldType) -> bool,
    ) {
        let Some(name) = name else { return };
        match table.fields.iter().find(|field| field.name == name) {
            None => self.push(
                "tiltak table",
                Problem::RoleUnknownField {
                    role,
                    field: name.to_owned(),
                },
            ),
            Some(field) if !fits(field.field_type) => self.push(
                "tiltak table",
                Problem::RoleWrongKind {
                    role,
                    field: name.to_owned(),
                    kind: field.field_type.to_string(),
                },
            ),
            Some(_) => {}
        }
    }

    fn section(&mut self, section: &Section, parent: Option<&str>, depth: usize, index: usize) {
        let place = if !section.id.is_empty() {
            format!("section `{}`", section.id)
        } else if let Some(parent) = parent {
            format!("section {} under `{parent}`", index + 1)
        } else {
            format!("top-level section {}", index + 1)
        };

        self.section_id(section, parent, &place);
        self.not_empty(&place, "heading", &section.heading);
        if depth > 2 {
            self.push(&place, Problem::TooDeep);
        }
        for entry in &section.help {
            let help_place = format!("{place}, help `{}`", entry.term);
            self.not_empty(&help_place, "term", &entry.term);
            self.not_empty(&help_place, "definition", &entry.definition);
        }
        let kind = section.kind.to_string();

        if section.kind == SectionKind::Checklist {
            if section.items.is_empty() {
                self.push(&place, Problem::ChecklistWithoutItems);
            }
            let mut item_ids = HashSet::new();
            for (item_index, item) in section.items.iter().enumerate() {
                let item_place = format!("{place}, {}", labelled("item", &item.id, item_index));
                if self.slug(&item_place, &item.id) && !item_ids.insert(item.id.as_str()) {
                    self.push(&item_place, duplicate("checklist item", &item.id));
                }
                self.not_empty(&item_place, "label", &item.label);
            }
        } else {
            if !section.items.is_empty() {
                self.push(&place, Problem::ItemsOnNonChecklist(kind.clone()));
            }
            if section.appendix {
                self.push(&place, Problem::AppendixOnNonChecklist(kind.clone()));
            }
        }

        if section.kind == SectionKind::Group {
            if section.children.is_empty() {
                self.push(&place, Problem::GroupWithoutChildren);
            }
        } else if !section.children.is_empty() {
            self.push(&place, Problem::ChildrenOnNonGroup(kind.clone()));
        }

        if section.kind == SectionKind::Milestones {
            self.milestones += 1;
            if self.milestones == 2 {
                self.push(&place, Problem::MoreThanOneMilestones);
            }
        }

        self.target_groups(section, depth, &place, &kind);

        for (child_index, child) in section.children.iter().enumerate() {
            self.section(child, Some(&section.id), depth + 1, child_index);
        }
    }

    /// Id syntax, its place in the dotted path, and uniqueness across the whole tree.
    fn section_id(&mut self, section: &Section, parent: Option<&str>, place: &str) {
        let id = section.id.as_str();
        if id.is_empty() {
            self.push(place, Problem::EmptyId);
            return;
        }
        if !is_valid_section_id(id) {
            self.push(place, Problem::InvalidSectionId(id.to_owned()));
            return;
        }
        match parent {
            None if id.contains('.') => {
                self.push(place, Problem::TopLevelIdWithDot(id.to_owned()));
            }
            Some(parent)
                if id
                    .strip_prefix(parent)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_none_or(|rest| rest.contains('.')) =>
            {
                self.push(
                    place,
                    Problem::ChildIdOutsideParent {
                        id: id.to_owned(),
                        parent: parent.to_owned(),
                    },
                );
            }
            _ => {}
        }
        if !self.section_ids.insert(id.to_owned()) {
            self.push(place, duplicate("section id", id));
        }
    }

    fn target_groups(&mut self, section: &Section, depth: usize, place: &str, kind: &str) {
        if section.kind != SectionKind::TargetGroups {
            if section.target_groups.is_some() {
                self.push(place, Problem::TargetGroupsOnOtherKind(kind.to_owned()));
            }
            return;
        }
        self.target_groups += 1;
        if self.target_groups == 2 {
            self.push(place, Problem::MoreThanOneTargetGroups);
        }
        if depth > 1 {
            self.push(place, Problem::TargetGroupsNotTopLevel);
        }
        let Some(spec) = &section.target_groups else {
            self.push(place, Problem::TargetGroupsMissingSpec);
            return;
        };
        let mut group_ids = HashSet::new();
        for (index, group) in spec.defaults.iter().enumerate() {
            let group_place = format!("{place}, {}", labelled("target group", &group.id, index));
            if self.slug(&group_place, &group.id) && !group_ids.insert(group.id.as_str()) {
                self.push(&group_place, duplicate("target group", &group.id));
            }
            self.not_empty(&group_place, "name", &group.name);
        }
        if spec.subsections.is_empty() {
            self.push(place, Problem::TargetGroupsWithoutSubsections);
        }
        let mut sub_ids = HashSet::new();
        for (index, sub) in spec.subsections.iter().enumerate() {
            let sub_place = format!("{place}, {}", labelled("subsection", &sub.id, index));
            if self.slug(&sub_place, &sub.id) && !sub_ids.insert(sub.id.as_str()) {
                self.push(&sub_place, duplicate("subsection", &sub.id));
            }
            self.not_empty(&sub_place, "heading", &sub.heading);
            if !matches!(sub.kind, SectionKind::Prose | SectionKind::Tiltak) {
                self.push(&sub_place, Problem::SubsectionKind(sub.kind.to_string()));
            }
        }
    }
}

/// "item `ungdata`", or "item 3" when the id is missing.
fn labelled(what: &str, id: &str, index: usize) -> String {
    if id.is_empty() {
        format!("{what} {}", index + 1)
    } else {
        format!("{what} `{id}`")
    }
}

fn duplicate(what: &'static str, id: &str) -> Problem {
    Problem::Duplicate {
        what,
        id: id.to_owned(),
    }
}

/// Finds section kinds that are not known, naming their sections; used only after serde
/// refused the file.
fn unknown_kinds(text: &str) -> Vec<Issue> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut issues = Vec::new();
    walk_kinds(table.get("sections"), None, &mut issues);
    issues
}

fn walk_kinds(sections: Option<&toml::Value>, parent: Option<&str>, issues: &mut Vec<Issue>) {
    let Some(toml::Value::Array(sections)) = sections else {
        return;
    };
    for (index, section) in sections.iter().enumerate() {
        let Some(table) = section.as_table() else {
            continue;
        };
        let id = table.get("id").and_then(toml::Value::as_str).unwrap_or("");
        let place = match (id, parent) {
            ("", Some(parent)) => format!("section {} under `{parent}`", index + 1),
            ("", None) => format!("top-level section {}", index + 1),
            (id, _) => format!("section `{id}`"),
        };
        check_kind(table, &place, issues);
        let subsections = table
            .get("target_groups")
            .and_then(|spec| spec.get("subsections"))
            .and_then(toml::Value::as_array);
        for (sub_index, sub) in subsections.into_iter().flatten().enumerate() {
            if let Some(sub) = sub.as_table() {
                let sub_id = sub.get("id").and_then(toml::Value::as_str).unwrap_or("");
                let sub_place = format!("{place}, {}", labelled("subsection", sub_id, sub_index));
                check_kind(sub, &sub_place, issues);
            }
        }
        walk_kinds(table.get("children"), Some(id), issues);
    }
}

fn check_kind(table: &toml::Table, place: &str, issues: &mut Vec<Issue>) {
    if let Some(kind) = table.get("kind").and_then(toml::Value::as_str)
        && !SectionKind::ALL.iter().any(|known| known.as_str() == kind)
    {
        issues.push(Issue {
            place: place.to_owned(),
            problem: Problem::UnknownKind(kind.to_owned()),
        });
    }
}
