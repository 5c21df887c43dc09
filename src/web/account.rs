//! The account bar every page shows when someone is signed in: their name and "Logg ut".

use crate::service::Principal;

pub struct AccountBar {
    pub name: String,
    pub csrf_token: String,
}

impl AccountBar {
    pub fn of(principal: &Principal) -> Option<AccountBar> {
        match principal {
            Principal::User { user, csrf, .. } => Some(AccountBar {
                name: user.name.clone(),
                csrf_token: csrf.clone(),
            }),
            _ => None,
        }
    }
}
