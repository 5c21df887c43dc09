//! The one place that decides what a connection or request may do with a plan.
//!
//! Every HTTP route and every live connection asks [`decide`]; nothing else grants or refuses.
//! Until accounts exist there are no people to tell apart, so the decision rests on one explicit
//! switch in the configuration: whether anonymous visitors may edit.

use serde::Serialize;

/// What a connection may do on one plan, from most to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Read the plan and its comments.
    Read,
    /// Read and comment, never change plan content.
    Comment,
    /// Change plan content.
    Edit,
}

impl Access {
    /// May this connection change the live document?
    pub fn can_edit(self) -> bool {
        self >= Access::Edit
    }
}

/// The access rules in force, taken from the configuration at start-up.
#[derive(Debug, Clone, Copy)]
pub struct AccessPolicy {
    /// Anonymous visitors may edit every plan. On until accounts exist, so the demo plan works out
    /// of the box; an operator turns it off with `--open-editing false`.
    pub open_editing: bool,
}

/// Decides what an anonymous visitor may do on a plan.
pub fn decide(policy: &AccessPolicy) -> Access {
    if policy.open_editing {
        Access::Edit
    } else {
        Access::Read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_editing_grants_edit_and_closed_grants_read() {
        assert_eq!(decide(&AccessPolicy { open_editing: true }), Access::Edit);
        assert_eq!(
            decide(&AccessPolicy {
                open_editing: false
            }),
            Access::Read
        );
        assert!(!Access::Comment.can_edit());
        assert!(Access::Edit.can_edit());
    }
}
