//! The set of templates a server offers: the built-in ones compiled into the binary, plus an
//! operator's extra directory (`--templates-dir`).

use std::collections::BTreeMap;
use std::path::Path;

use super::error::TemplateError;
use super::load::parse_template;
use super::model::Template;

/// Built-in templates as (name used in errors, TOML text). Compiled in so that a bare binary
/// can create plans without any files next to it.
const BUILTIN: [(&str, &str); 2] = [
    (
        "templates/plans/korus-ruspolitisk-handlingsplan.toml",
        include_str!("../../templates/plans/korus-ruspolitisk-handlingsplan.toml"),
    ),
    (
        "templates/plans/handlingsplan-psykisk-helse-og-rus.toml",
        include_str!("../../templates/plans/handlingsplan-psykisk-helse-og-rus.toml"),
    ),
];

/// A loaded template and the file it came from (for duplicate messages).
#[derive(Debug, Clone)]
struct Entry {
    template: Template,
    source: String,
}

/// All known templates, keyed by (id, version) so listing is sorted and the newest version
/// of an id is the last one.
#[derive(Debug, Clone, Default)]
pub struct TemplateRegistry {
    entries: BTreeMap<(String, u32), Entry>,
}

impl TemplateRegistry {
    /// An empty registry (tests, or a server that offers only its own templates).
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in templates.
    pub fn builtin() -> Result<Self, TemplateError> {
        let mut registry = Self::new();
        for (source, text) in BUILTIN {
            registry.insert(parse_template(text, source)?, source)?;
        }
        Ok(registry)
    }

    /// The built-in templates plus, if given, every `*.toml` file of `dir`.
    pub fn load(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut registry = Self::builtin()?;
        if let Some(dir) = dir {
            registry.load_dir(dir)?;
        }
        Ok(registry)
    }

    /// Adds every `*.toml` file of `dir` (not recursive, in file-name order); returns the keys
    /// added. Stops at the first bad file, whose name the error carries.
    pub fn load_dir(&mut self, dir: &Path) -> Result<Vec<String>, TemplateError> {
        let dir_error = |source| TemplateError::Io {
            file: dir.display().to_string(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(dir_error)? {
            let path = entry.map_err(dir_error)?.path();
            if path.is_file() && path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();

        let mut added = Vec::new();
        for path in paths {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|source| TemplateError::Io {
                file: file.clone(),
                source,
            })?;
            let template = parse_template(&text, &file)?;
            added.push(template.key());
            self.insert(template, &file)?;
        }
        Ok(added)
    }

    /// Adds one validated template; the same id and version twice is an error, because a plan
    /// must always find the exact template it was created from.
    pub fn insert(&mut self, template: Template, source: &str) -> Result<(), TemplateError> {
        let key = (template.id.clone(), template.version);
        if let Some(existing) = self.entries.get(&key) {
            return Err(TemplateError::Duplicate {
                file: source.to_owned(),
                key: template.key(),
                first: existing.source.clone(),
            });
        }
        self.entries.insert(
            key,
            Entry {
                template,
                source: source.to_owned(),
            },
        );
        Ok(())
    }

    /// Looks up "id@version", or "id" for its newest version.
    pub fn get(&self, key: &str) -> Option<&Template> {
        match key.split_once('@') {
            Some((id, version)) => self.get_version(id, version.parse().ok()?),
            None => self.latest(key),
        }
    }

    /// The newest version of `id`.
    pub fn latest(&self, id: &str) -> Option<&Template> {
        self.entries
            .range((id.to_owned(), 0)..=(id.to_owned(), u32::MAX))
            .next_back()
            .map(|(_, entry)| &entry.template)
    }

    /// Exactly this version of `id`.
    pub fn get_version(&self, id: &str, version: u32) -> Option<&Template> {
        self.entries
            .get(&(id.to_owned(), version))
            .map(|entry| &entry.template)
    }

    /// Every template, sorted by id, then version.
    pub fn list(&self) -> impl Iterator<Item = &Template> {
        self.entries.values().map(|entry| &entry.template)
    }

    /// Where a template was loaded from ("templates/plans/….toml" for built-ins).
    pub fn source(&self, id: &str, version: u32) -> Option<&str> {
        self.entries
            .get(&(id.to_owned(), version))
            .map(|entry| entry.source.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
