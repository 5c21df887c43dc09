//! The one place that decides who may do what on a plan.
//!
//! Every page, API route and live connection resolves the caller's [`Role`] on the plan with
//! [`role_on_plan`] and asks [`Role::may`] before acting; nothing else grants or refuses. The
//! roles are those of DESIGN.md: coordinator, editor (tied to a unit), adviser, reader.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Someone acting on a plan, as comments and the update log name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `user:<uuid>`, `token:<uuid>` or `anonymous`.
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
}

impl Actor {
    pub fn user_id(&self) -> Option<&str> {
        self.id.strip_prefix("user:")
    }
}

/// A member's role on one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Coordinator,
    Editor,
    Adviser,
    Reader,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Coordinator, Role::Editor, Role::Adviser, Role::Reader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Editor => "editor",
            Role::Adviser => "adviser",
            Role::Reader => "reader",
        }
    }

    /// The role's name in the user interface (bokmål).
    pub fn label(self) -> &'static str {
        match self {
            Role::Coordinator => "Koordinator",
            Role::Editor => "Redaktør",
            Role::Adviser => "Rådgiver",
            Role::Reader => "Leser",
        }
    }

    /// The permission table of DESIGN.md.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Coordinator => true,
            Role::Editor => matches!(
                action,
                Read | Edit | Comment | ExportCurrent | ExportVersion
            ),
            Role::Adviser => matches!(action, Read | Comment | ExportCurrent | ExportVersion),
            Role::Reader => matches!(action, Read | ExportVersion),
        }
    }

    /// May this role change the live document?
    pub fn can_edit(self) -> bool {
        self.may(Action::Edit)
    }

    /// The role this one acts as on an archived plan: read and comment at most. Coordinators and
    /// editors act as advisers (read, comment, export); advisers and readers keep their role.
    /// Restoring the plan is decided on the role itself (see `service::access::PlanAccess`).
    pub fn on_archived_plan(self) -> Role {
        match self {
            Role::Coordinator | Role::Editor => Role::Adviser,
            other => other,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the four roles.
#[derive(Debug, thiserror::Error)]
#[error("unknown role '{0}': expected coordinator, editor, adviser or reader")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.chars().take(40).collect()))
    }
}

/// Something a caller may want to do on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the plan, its versions and its comments; receive the live document and awareness.
    Read,
    /// Change plan content: text, tiltak, milestones, checklists.
    Edit,
    /// Open comment threads and reply to them.
    Comment,
    /// Resolve or reopen anyone's thread (a thread's author may always do it to their own).
    Moderate,
    /// Export the plan's current, unfrozen state.
    ExportCurrent,
    /// Export a frozen version.
    ExportVersion,
    /// Freeze a named version.
    Freeze,
    /// Manage units, members, invites and the sections' responsible units.
    Manage,
    /// Change the plan's shape: rename, add, set aside and remove sections, keep the plan's
    /// goals, add checklist items.
    Shape,
}

/// Who is asking, as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Nobody signed in and no token.
    Anonymous,
    /// A signed-in person; administrators are coordinators of every plan.
    User { admin: bool },
    /// A service token, valid for one plan with one role.
    Token,
}

/// The access rules in force, taken from the configuration at start-up.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessPolicy {
    /// Everyone, signed in or not, is coordinator of every plan: the behaviour before accounts,
    /// for a local demo or a workshop. Off by default.
    pub open_editing: bool,
}

/// The caller's role on one plan, or `None` when the plan must look as if it did not exist.
/// `membership` is the caller's own role on this plan (a member's, or a token's for its plan).
pub fn role_on_plan(
    policy: &AccessPolicy,
    caller: Caller,
    membership: Option<Role>,
) -> Option<Role> {
    match (caller, membership) {
        (Caller::User { admin: true }, _) => Some(Role::Coordinator),
        (_, Some(role)) => Some(role),
        _ if policy.open_editing => Some(Role::Coordinator),
        _ => None,
    }
}

/// May this caller create plans? Administrators may; so may everyone under open editing.
pub fn may_create_plans(policy: &AccessPolicy, caller: Caller) -> bool {
    policy.open_editing || caller == (Caller::User { admin: true })
}

/// May this caller delete plans? Administrators may; so may everyone under open editing, where
/// everyone may do everything (as with [`may_create_plans`]).
pub fn may_delete_plans(policy: &AccessPolicy, caller: Caller) -> bool {
    may_create_plans(policy, caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOSED: AccessPolicy = AccessPolicy {
        open_editing: false,
    };
    const OPEN: AccessPolicy = AccessPolicy { open_editing: true };

    #[test]
    fn permissions_follow_the_design_table() {
        use Action::*;
        let table: [(Action, [bool; 4]); 9] = [
            // coordinator, editor, adviser, reader
            (Read, [true, true, true, true]),
            (Edit, [true, true, false, false]),
            (Comment, [true, true, true, false]),
            (Moderate, [true, false, false, false]),
            (ExportCurrent, [true, true, true, false]),
            (ExportVersion, [true, true, true, true]),
            (Freeze, [true, false, false, false]),
            (Manage, [true, false, false, false]),
            (Shape, [true, false, false, false]),
        ];
        for (action, allowed) in table {
            for (role, expected) in Role::ALL.into_iter().zip(allowed) {
                assert_eq!(role.may(action), expected, "{role} {action:?}");
            }
        }
    }

    #[test]
    fn non_members_see_nothing_unless_editing_is_open() {
        let user = Caller::User { admin: false };
        assert_eq!(role_on_plan(&CLOSED, Caller::Anonymous, None), None);
        assert_eq!(role_on_plan(&CLOSED, user, None), None);
        assert_eq!(role_on_plan(&CLOSED, Caller::Token, None), None);
        assert_eq!(
            role_on_plan(&CLOSED, user, Some(Role::Reader)),
            Some(Role::Reader)
        );
        assert_eq!(
            role_on_plan(&CLOSED, Caller::User { admin: true }, None),
            Some(Role::Coordinator)
        );
        assert_eq!(
            role_on_plan(&OPEN, Caller::Anonymous, None),
            Some(Role::Coordinator)
        );
        // A member keeps their own role under open editing.
        assert_eq!(
            role_on_plan(&OPEN, user, Some(Role::Adviser)),
            Some(Role::Adviser)
        );
        assert!(may_create_plans(&CLOSED, Caller::User { admin: true }));
        assert!(!may_create_plans(&CLOSED, user));
        assert!(may_create_plans(&OPEN, Caller::Anonymous));
    }

    #[test]
    fn an_archived_plan_grants_reading_and_commenting_at_most() {
        for role in Role::ALL {
            let archived = role.on_archived_plan();
            assert!(!archived.may(Action::Edit), "{role}");
            assert!(!archived.may(Action::Shape), "{role}");
            assert!(!archived.may(Action::Freeze), "{role}");
            assert!(!archived.may(Action::Manage), "{role}");
            assert!(archived.may(Action::Read), "{role}");
            assert_eq!(archived.may(Action::Comment), role.may(Action::Comment));
        }
        assert_eq!(Role::Reader.on_archived_plan(), Role::Reader);
        assert!(!may_delete_plans(&CLOSED, Caller::User { admin: false }));
        assert!(may_delete_plans(&CLOSED, Caller::User { admin: true }));
    }

    #[test]
    fn roles_parse_from_their_code_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
