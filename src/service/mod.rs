//! The service layer: every operation that reads or changes a plan, its people or its versions,
//! with the rules that go with it. The JSON API, the pages, the CLI and the live endpoint call
//! these functions, so a rule lives once; they know nothing of HTTP or HTML and answer with the
//! domain [`Error`], which each surface turns into its own kind of answer.

pub mod access;
pub mod accounts;
pub mod comments;
pub mod diff;
mod error;
pub mod login_limit;
pub mod members;
pub mod oidc;
pub mod plans;
pub mod revocation;
pub mod rollover;
pub mod rounds;
pub mod settings;
pub mod structure;
pub mod suggestions;
pub mod tiltak;
pub mod versions;

use std::sync::Arc;

pub use self::access::{PlanAccess, PlanMember, Principal};
pub use self::accounts::AuthSettings;
pub use self::comments::CommentHub;
pub use self::error::{Error, Result};
pub use self::revocation::RevocationHub;
use crate::access::AccessPolicy;
use crate::config::LiveConfig;
use crate::document::PlanView;
use crate::plan::PlanRecord;
use crate::room::Registry;
use crate::storage::Storage;
use crate::templates::{Template, TemplateRegistry};

/// Everything an operation may need, in one cloneable value: pools and registries are shared
/// handles, so cloning it per request is cheap. The HTTP surfaces use it as their axum state.
#[derive(Clone)]
pub struct Services {
    pub storage: Arc<dyn Storage>,
    pub templates: Arc<TemplateRegistry>,
    pub registry: Registry,
    /// Live delivery of comment changes to open plan pages.
    pub comments: CommentHub,
    /// Open live connections and comment streams, closed when their access is taken away.
    pub revocations: RevocationHub,
    pub policy: AccessPolicy,
    pub live: LiveConfig,
    pub auth: AuthSettings,
    /// The identity provider people may sign in at (OpenID Connect), when one is configured.
    pub oidc: Option<Arc<oidc::Oidc>>,
}

impl Services {
    /// The plan's current committed content, read in its room.
    pub async fn current_view(&self, record: &PlanRecord, template: &Template) -> Result<PlanView> {
        let for_view = template.clone();
        Ok(self
            .registry
            .read(record.id, move |doc| {
                crate::document::plan_view(doc, &for_view)
            })
            .await?)
    }

    /// The template a plan was created from. A plan records "id@version"; a later version of
    /// the template never changes how an existing plan reads.
    pub fn plan_template(&self, plan: &PlanRecord) -> Result<Template> {
        self.templates.get(&plan.template).cloned().ok_or_else(|| {
            Error::Internal(format!(
                "plan {} uses template '{}', which is not loaded",
                plan.id, plan.template
            ))
        })
    }
}

/// Runs one validated change of a plan's document as the caller, once they may do `action`.
/// The change goes through the plan's live room as their Yjs update: open browsers see it at
/// once, and it is committed before anyone sees it, exactly like a typed edit.
pub(crate) async fn edit_document<T, F>(
    services: &Services,
    access: &PlanAccess,
    action: crate::access::Action,
    change: F,
) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut yrs::TransactionMut, &Template) -> Result<T, crate::document::DocumentError>
        + Clone
        + Send
        + 'static,
{
    access.require(action)?;
    let template = access.template.clone();
    Ok(services
        .registry
        .edit_as(
            access.plan(),
            Some(Arc::new(access.actor.clone())),
            move |txn| change(txn, &template),
        )
        .await??)
}
