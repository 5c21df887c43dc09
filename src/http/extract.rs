//! Who is asking, as HTTP tells it: the session cookie, a service token (`Authorization: Bearer`,
//! or `?token=` on the live connection), and the extractors every handler starts from. The
//! decisions themselves are the service layer's ([`crate::service::access`]).
//!
//! The caller of a request is resolved once, when first needed; one middleware ([`identify`])
//! checks CSRF on cookie-authenticated state changes. Handlers take [`PlanAccess`] (a plan, the
//! caller's role on it, 404 for non-members) or [`Principal`] (pages outside a plan).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use axum_extra::headers::authorization::Bearer;
use axum_extra::headers::{Authorization, HeaderMapExt};

use super::csrf;
pub use super::csrf::form_urlencoded_pairs;
use super::{AppState, HttpError};
use crate::secret;
use crate::service::accounts::{AuthSettings, SESSION_TTL};
use crate::service::{PlanAccess, PlanMember, Principal};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "samskriv_session";
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

impl FromRequestParts<AppState> for PlanMember {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let plan_id = plan_id_param(parts, state).await?;
        let principal = Principal::from_request_parts(parts, state).await?;
        Ok(PlanMember::resolve(state, principal, &plan_id).await?)
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

impl FromRequestParts<AppState> for PlanAccess {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let plan_id = plan_id_param(parts, state).await?;
        let principal = Principal::from_request_parts(parts, state).await?;
        Ok(PlanAccess::resolve(state, principal, &plan_id).await?)
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
    let token = presented_token(headers, uri)?;
    let jar = CookieJar::from_headers(headers);
    let session = jar.get(SESSION_COOKIE).map(Cookie::value);
    Ok(Principal::from_credentials(state, token.as_deref(), session).await?)
}

/// A service token from `Authorization: Bearer …`, or from `?token=…` on the live endpoint
/// (browsers' WebSocket API cannot set headers).
fn presented_token(
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
) -> Result<Option<String>, HttpError> {
    match headers.typed_try_get::<Authorization<Bearer>>() {
        Ok(Some(bearer)) => return Ok(Some(bearer.token().trim().to_owned())),
        Ok(None) => {}
        Err(_) => {
            return Err(HttpError::Unauthorized(
                "expected 'Authorization: Bearer <token>'".into(),
            ));
        }
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

/// The client's address, for the login limit per client, when the server may believe it: only
/// with a trusted proxy configured (`--trusted-proxy`). A request from that proxy is the last
/// address its `X-Forwarded-For` names (the one the proxy itself added); a request from anyone
/// else is its peer's address. Without a trusted proxy, `None`: every client might be one proxy.
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(
            state.auth.trusted_proxy,
            parts,
        )))
    }
}

fn client_address(
    trusted_proxy: Option<std::net::IpAddr>,
    parts: &Parts,
) -> Option<std::net::IpAddr> {
    let proxy = trusted_proxy?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    if peer != proxy {
        return Some(peer);
    }
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|last| last.trim().parse().ok())
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
    fn the_client_address_comes_from_the_trusted_proxy_only() {
        use std::net::{IpAddr, SocketAddr};
        let request = |peer: &str, forwarded: &[&str]| {
            let mut builder = axum::http::Request::builder();
            for value in forwarded {
                builder = builder.header("x-forwarded-for", *value);
            }
            let (mut parts, ()) = builder.body(()).expect("request").into_parts();
            let peer: SocketAddr = peer.parse().expect("peer");
            parts.extensions.insert(axum::extract::ConnectInfo(peer));
            parts
        };
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        // No trusted proxy: nothing is believed.
        assert_eq!(
            client_address(None, &request("10.0.0.9:1", &["1.2.3.4"])),
            None
        );
        // The proxy names the client last; earlier entries are the client's own claims.
        assert_eq!(
            client_address(Some(proxy), &request("10.0.0.1:1", &["6.6.6.6, 1.2.3.4"])),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(Some(proxy), &request("10.0.0.1:1", &["6.6.6.6", "1.2.3.4"])),
            ip("1.2.3.4")
        );
        // Anyone else: the header is ignored, the peer counts.
        assert_eq!(
            client_address(Some(proxy), &request("10.0.0.7:1", &["1.2.3.4"])),
            ip("10.0.0.7")
        );
        assert_eq!(
            client_address(Some(proxy), &request("10.0.0.1:1", &["ikke en adresse"])),
            None
        );
    }

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
