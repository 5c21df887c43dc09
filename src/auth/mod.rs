//! Who is asking: sessions (a cookie), service tokens (a bearer header, or `?token=` on the live
//! connection), and the per-plan access every handler starts from.
//!
//! The caller of a request is resolved once, when first needed; one middleware ([`identify`])
//! checks CSRF on cookie-authenticated state changes. Handlers take [`PlanAccess`] (a plan, the
//! caller's role on it, 404 for non-members) or [`Principal`] (pages outside a plan).

pub mod csrf;
pub mod rate_limit;
pub mod secret;
pub mod store;

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Serialize;

pub use self::rate_limit::LoginLimiter;
pub use self::store::{Membership, ServiceToken, User};
use crate::access::{self, Action, Caller, Role};
use crate::http::{AppState, HttpError};
use crate::plan::{PlanId, PlanRecord};
use crate::templates::Template;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "samskriv_session";
/// How long a session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// How long an invite link stays valid unless the coordinator chooses otherwise.
pub const INVITE_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// How long a one-time sign-in link stays valid.
pub const SIGN_IN_LINK_TTL: Duration = Duration::from_secs(24 * 3600);

/// Settings and state of sign-in, shared by every request.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Mark the session cookie `Secure` (browsers still accept it on http://localhost).
    pub cookie_secure: bool,
    pub limiter: std::sync::Arc<LoginLimiter>,
    /// Where people reach this server (`http://localhost:8080`), for links it hands out.
    pub public_url: String,
}

/// Who made a request.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    /// A signed-in person, with their session's CSRF token.
    User {
        user: User,
        csrf: String,
    },
    Token(ServiceToken),
}

impl Principal {
    pub fn caller(&self) -> Caller {
        match self {
            Principal::Anonymous => Caller::Anonymous,
            Principal::User { user, .. } => Caller::User {
                admin: user.is_admin,
            },
            Principal::Token(_) => Caller::Token,
        }
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::User { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The CSRF token forms and scripts must send back (signed-in people only).
    pub fn csrf(&self) -> Option<&str> {
        match self {
            Principal::User { csrf, .. } => Some(csrf),
            _ => None,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = HttpError;

    /// Resolved once per request, when a handler first asks (state-changing requests are
    /// resolved by [`identify`] already): a static file or a health check costs no lookup.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let principal = resolve_principal(state, &parts.headers, &parts.uri).await?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

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

/// A plan the caller may see, with their role on it. Extracting it answers 400 for a malformed
/// plan id and 404 both for an unknown plan and for one the caller is not a member of, so a
/// non-member learns nothing about which plans exist.
#[derive(Debug, Clone)]
pub struct PlanAccess {
    pub record: PlanRecord,
    pub template: Template,
    pub role: Role,
    pub actor: Actor,
    pub principal: Principal,
}

impl PlanAccess {
    pub fn plan(&self) -> PlanId {
        self.record.id
    }

    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// 403 unless the caller's role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), HttpError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(HttpError::Forbidden(format!(
                "the role {} may not {} on this plan",
                self.role,
                action_text(action)
            )))
        }
    }

    /// Resolves `principal`'s access to the plan with the id `plan_id` (as written in a URL).
    pub async fn resolve(
        state: &AppState,
        principal: Principal,
        plan_id: &str,
    ) -> Result<PlanAccess, HttpError> {
        let member = PlanMember::resolve(state, principal, plan_id).await?;
        let template = state.plan_template(&member.record)?;
        Ok(PlanAccess {
            record: member.record,
            template,
            role: member.role,
            actor: member.actor,
            principal: member.principal,
        })
    }
}

/// [`PlanAccess`] without the plan's template, for the live connection: relaying a document
/// needs no template (and a plan made without one still syncs).
#[derive(Debug, Clone)]
pub struct PlanMember {
    pub record: PlanRecord,
    pub role: Role,
    pub actor: Actor,
    pub principal: Principal,
}

impl PlanMember {
    pub async fn resolve(
        state: &AppState,
        principal: Principal,
        plan_id: &str,
    ) -> Result<PlanMember, HttpError> {
        let plan: PlanId = plan_id.parse()?;
        let not_found = || HttpError::NotFound(format!("plan {plan} not found"));
        let record = state.storage.get_plan(plan).await?.ok_or_else(not_found)?;
        let db = state.storage.db();
        let membership = match &principal {
            Principal::User { user, .. } => store::membership(&db, plan, &user.id).await?,
            Principal::Token(token) if token.plan_id == plan => Some(Membership {
                role: token.role,
                unit: token.unit.clone(),
            }),
            _ => None,
        };
        let role = access::role_on_plan(
            &state.policy,
            principal.caller(),
            membership.as_ref().map(|m| m.role),
        )
        .ok_or_else(not_found)?;
        let unit = membership.and_then(|m| m.unit);
        let actor = match &principal {
            Principal::User { user, .. } => Actor {
                id: format!("user:{}", user.id),
                name: user.name.clone(),
                unit,
            },
            Principal::Token(token) => Actor {
                id: format!("token:{}", token.id),
                name: token.name.clone(),
                unit,
            },
            Principal::Anonymous => Actor {
                id: "anonymous".into(),
                name: "Gjest".into(),
                unit: None,
            },
        };
        Ok(PlanMember {
            record,
            role,
            actor,
            principal,
        })
    }
}

impl FromRequestParts<AppState> for PlanMember {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let plan_id = plan_id_param(parts, state).await?;
        let principal = Principal::from_request_parts(parts, state).await?;
        PlanMember::resolve(state, principal, &plan_id).await
    }
}

/// The `{plan_id}` of the route.
async fn plan_id_param(parts: &mut Parts, state: &AppState) -> Result<String, HttpError> {
    let Path(mut params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|e| HttpError::BadRequest(e.body_text()))?;
    params
        .remove("plan_id")
        .ok_or_else(|| HttpError::Internal("route has no {plan_id}".into()))
}

fn action_text(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Edit => "change content",
        Action::Comment => "comment",
        Action::Moderate => "resolve or reopen others' threads",
        Action::ExportCurrent => "export the current draft",
        Action::ExportVersion => "export versions",
        Action::Freeze => "freeze versions",
        Action::Manage => "manage members",
    }
}

impl FromRequestParts<AppState> for PlanAccess {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let plan_id = plan_id_param(parts, state).await?;
        let principal = Principal::from_request_parts(parts, state).await?;
        PlanAccess::resolve(state, principal, &plan_id).await
    }
}

/// Refuses cookie-authenticated state changes without the session's CSRF token. The caller of
/// such a request is resolved here and kept for the handler; safe requests resolve their caller
/// only if a handler asks for it (the [`Principal`] extractor).
pub async fn identify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method().is_safe() {
        return next.run(request).await;
    }
    match identify_change(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn identify_change(state: &AppState, mut request: Request) -> Result<Request, HttpError> {
    let principal = resolve_principal(state, request.headers(), request.uri()).await?;
    if let Some(expected) = principal.csrf() {
        request = csrf::check(request, expected).await?;
    }
    request.extensions_mut().insert(principal);
    Ok(request)
}

/// Who sent a request: a service token (bearer header, or `?token=` on the live endpoint), else
/// the session cookie's user, else nobody.
async fn resolve_principal(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
) -> Result<Principal, HttpError> {
    let db = state.storage.db();
    if let Some(token) = presented_token(headers, uri)? {
        let token = store::service_token(&db, &token)
            .await?
            .ok_or_else(|| HttpError::Unauthorized("unknown or revoked token".into()))?;
        return Ok(Principal::Token(token));
    }
    let Some(cookie) = CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .cloned()
    else {
        return Ok(Principal::Anonymous);
    };
    Ok(match store::session_user(&db, cookie.value()).await? {
        Some((user, csrf)) => Principal::User { user, csrf },
        None => Principal::Anonymous,
    })
}

/// A service token from `Authorization: Bearer …`, or from `?token=…` on the live endpoint
/// (browsers' WebSocket API cannot set headers).
fn presented_token(
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
) -> Result<Option<String>, HttpError> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| HttpError::Unauthorized("malformed Authorization header".into()))?;
        let token = value.strip_prefix("Bearer ").ok_or_else(|| {
            HttpError::Unauthorized("expected 'Authorization: Bearer <token>'".into())
        })?;
        return Ok(Some(token.trim().to_owned()));
    }
    if uri.path().starts_with("/collab/")
        && let Some(query) = uri.query()
    {
        for (key, value) in form_urlencoded_pairs(query) {
            if key == "token" {
                return Ok(Some(value));
            }
        }
    }
    Ok(None)
}

/// Decodes `a=b&c=d` (as in query strings and HTML form bodies).
pub fn form_urlencoded_pairs(input: &str) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(input.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
}

/// The session cookie for a new session.
pub fn session_cookie(settings: &AuthSettings, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(settings.cookie_secure)
        // Lax: an invite link opened from an e-mail arrives signed in; cross-site POSTs,
        // fetches and WebSockets do not carry the cookie.
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(SESSION_TTL.as_secs() as i64))
        .build()
}

/// The cookie of the login-form token: signing in (or making an account from an invite) needs
/// the form's hidden `login_token` to match it, so another site cannot sign a browser into an
/// account of its choosing (login CSRF).
pub const LOGIN_FORM_COOKIE: &str = "samskriv_login";

/// The login-form token of this browser: the one its cookie holds, or a new one with the cookie
/// that sets it.
pub fn login_form_token(settings: &AuthSettings, jar: CookieJar) -> (CookieJar, String) {
    if let Some(token) = jar.get(LOGIN_FORM_COOKIE).map(|c| c.value().to_owned())
        && !token.is_empty()
    {
        return (jar, token);
    }
    let token = secret::new_token();
    let cookie = Cookie::build((LOGIN_FORM_COOKIE, token.clone()))
        .path("/")
        .http_only(true)
        .secure(settings.cookie_secure)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(12))
        .build();
    (jar.add(cookie), token)
}

/// Whether a submitted login-form token matches this browser's cookie.
pub fn login_form_token_matches(jar: &CookieJar, sent: &str) -> bool {
    jar.get(LOGIN_FORM_COOKIE)
        .is_some_and(|cookie| !sent.is_empty() && csrf::same_token(cookie.value(), sent))
}

/// A cookie that removes the session cookie.
pub fn expired_session_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .removal()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_pairs() {
        let pairs: Vec<_> = form_urlencoded_pairs("a=1&csrf_token=x%2By+z&token=&b").collect();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1".into()),
                ("csrf_token".into(), "x+y z".into()),
                ("token".into(), "".into()),
                ("b".into(), "".into()),
            ]
        );
        let odd: Vec<_> = form_urlencoded_pairs("k=%zz%4").collect();
        assert_eq!(odd, vec![("k".into(), "%zz%4".into())]);
        let nb: Vec<_> = form_urlencoded_pairs("n=R%C3%A5dgiver").collect();
        assert_eq!(nb[0].1, "Rådgiver");
    }
}
