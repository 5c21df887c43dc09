//! Errors of loading templates. Every message starts with the file, then names the place in
//! it, so an operator running `samskriv template check` can go straight to the mistake.

use std::fmt;

/// Loading or registering a template failed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file or directory could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, or not the template's shape (toml's message keeps line and column).
    #[error("{file}: {source}")]
    Syntax {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    /// Well-formed, but breaks the template rules; lists every problem found.
    #[error("{file}: {}", format_issues(issues))]
    Invalid { file: String, issues: Vec<Issue> },
    /// The same id and version is defined twice.
    #[error("{file}: template `{key}` is already defined in {first}")]
    Duplicate {
        file: String,
        key: String,
        first: String,
    },
}

impl TemplateError {
    /// The problems of an `Invalid` error (empty for the other kinds).
    pub fn issues(&self) -> &[Issue] {
        match self {
            TemplateError::Invalid { issues, .. } => issues,
            _ => &[],
        }
    }
}

/// One problem and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// E.g. "section `hvor-star-vi.nokkeltall`, item `ungdata`" or "tiltak field `status`".
    pub place: String,
    pub problem: Problem,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.problem)
    }
}

fn format_issues(issues: &[Issue]) -> String {
    match issues {
        [one] => one.to_string(),
        many => {
            let mut text = format!("{} problems", many.len());
            for issue in many {
                text.push_str("\n  ");
                text.push_str(&issue.to_string());
            }
            text
        }
    }
}

/// What is wrong at a place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("id is empty")]
    EmptyId,
    #[error("`{0}` is not a valid id: use lowercase a-z, 0-9 and `-`")]
    InvalidSlug(String),
    #[error(
        "`{0}` is not a valid section id: use lowercase a-z, 0-9 and `-`, with `.` between the parts of the path"
    )]
    InvalidSectionId(String),
    #[error("`{0}` is not a valid code: use lowercase a-z, 0-9 and `_`")]
    InvalidCode(String),
    #[error(
        "id `{id}` must be `{parent}.` followed by one more part, since it is a child of `{parent}`"
    )]
    ChildIdOutsideParent { id: String, parent: String },
    #[error("id `{0}` of a top-level section must not contain `.`")]
    TopLevelIdWithDot(String),
    #[error("{what} `{id}` is defined more than once")]
    Duplicate { what: &'static str, id: String },
    #[error("version must be 1 or higher")]
    VersionZero,
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("the template has no sections")]
    NoSections,
    #[error(
        "unknown section kind `{0}`; expected one of prose, tiltak, milestones, checklist, group, target_groups, figures, appendix"
    )]
    UnknownKind(String),
    #[error("a checklist needs at least one item")]
    ChecklistWithoutItems,
    #[error("only a checklist has items, but this section is `{0}`")]
    ItemsOnNonChecklist(String),
    #[error("only a checklist can be an appendix, but this section is `{0}`")]
    AppendixOnNonChecklist(String),
    #[error("only a `group` section has children, but this section is `{0}`")]
    ChildrenOnNonGroup(String),
    #[error("a group needs at least one child section")]
    GroupWithoutChildren,
    #[error("sections nest at most two levels (heading levels 1-2 belong to the template)")]
    TooDeep,
    #[error("a `target_groups` section needs a `target_groups` table")]
    TargetGroupsMissingSpec,
    #[error(
        "only a `target_groups` section has a `target_groups` table, but this section is `{0}`"
    )]
    TargetGroupsOnOtherKind(String),
    #[error("a `target_groups` section needs at least one subsection")]
    TargetGroupsWithoutSubsections,
    #[error("a `target_groups` section must be at the top level")]
    TargetGroupsNotTopLevel,
    #[error("only one `target_groups` section per template")]
    MoreThanOneTargetGroups,
    #[error("a target-group subsection must be `prose` or `tiltak`, not `{0}`")]
    SubsectionKind(String),
    #[error("only one `milestones` section per template (a plan has one milestone list)")]
    MoreThanOneMilestones,
    #[error("`{role}` names `{field}`, which is not a field of the tiltak table")]
    RoleUnknownField { role: &'static str, field: String },
    #[error("`{role}` cannot be field `{field}` of type `{kind}`")]
    RoleWrongKind {
        role: &'static str,
        field: String,
        kind: String,
    },
    #[error(
        "`{0}` belongs on options of the tiltak table's `status_field` (the statuses of a status round)"
    )]
    RoundOptionOutsideStatus(&'static str),
    #[error("only one status option can be `done`")]
    SeveralDoneOptions,
    #[error(
        "a table with a `status_field` needs to say who reports each row: it has {0} `unit` fields, so set `responsible_field`"
    )]
    NoResponsibleField(usize),
    #[error("an `enum` or `multi_enum` field needs at least one option")]
    EnumWithoutOptions,
    #[error("only an `enum` or `multi_enum` field has options, but this field is `{0}`")]
    OptionsOnNonEnum(String),
    #[error("a `{0}` field cannot have a default: its values belong to each plan")]
    DefaultOnKind(String),
    #[error("width must be 1 or more")]
    ZeroWidth,
    #[error("max_chars must be 1 or more")]
    ZeroMaxChars,
    #[error("default `{0}` is not one of the field's options")]
    DefaultNotAnOption(String),
    #[error("default `{0}` of a `number` field is not a number")]
    DefaultNotANumber(String),
}
