//! Signing in at the municipality's identity provider (OpenID Connect):
//!
//! - `GET /login/oidc?neste=…` starts a sign-in and sends the browser to the provider;
//! - `GET /login/oidc/callback` is where the provider sends it back: signed in, or a Norwegian
//!   page that says why not (the reason is logged once).
//!
//! The rules live in [`crate::service::oidc`]; this module turns them into redirects, cookies
//! and pages.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::errors::MessagePage;
use crate::http::extract as auth;
use crate::http::{AppState, HttpError};
use crate::service::Error as ServiceError;
use crate::service::oidc::{
    self, CALLBACK_PATH, Callback, FLOW_COOKIE, FLOW_TTL, OidcError, START_PATH,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(START_PATH, get(start))
        .route(CALLBACK_PATH, get(callback))
}

/// The «Logg inn med …» button of the login and invite pages.
pub struct ProviderButton {
    pub name: String,
    pub href: String,
}

/// The button that signs in at the provider and comes back to `next`, when a provider is
/// configured.
pub fn button(state: &AppState, next: &str) -> Option<ProviderButton> {
    let provider = state.oidc.as_ref()?;
    let href = if next == "/" || next.is_empty() {
        START_PATH.to_owned()
    } else {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("neste", next)
            .finish();
        format!("{START_PATH}?{query}")
    };
    Some(ProviderButton {
        name: provider.name.clone(),
        href,
    })
}

/// The flow cookie: `Lax`, so the provider's redirect back (a top-level cross-site GET) carries
/// it; scoped to the two OIDC paths; gone after [`FLOW_TTL`].
fn flow_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((FLOW_COOKIE, value))
        .path(START_PATH)
        .http_only(true)
        .secure(state.auth.cookie_secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(FLOW_TTL.as_secs() as i64))
        .build()
}

fn expired_flow_cookie() -> Cookie<'static> {
    Cookie::build((FLOW_COOKIE, ""))
        .path(START_PATH)
        .removal()
        .build()
}

#[derive(Deserialize)]
struct StartQuery {
    #[serde(default)]
    neste: String,
}

async fn start(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<StartQuery>,
) -> Result<Response, HttpError> {
    let next = super::sign_in::safe_next(&query.neste);
    match oidc::start(&state, &next).await {
        Ok(started) => {
            let jar = jar.add(flow_cookie(&state, started.cookie));
            Ok((jar, Redirect::to(&started.redirect)).into_response())
        }
        Err(e) => refused(&state, jar, e),
    }
}

async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<Callback>,
) -> Result<Response, HttpError> {
    let flow = jar.get(FLOW_COOKIE).map(|c| c.value().to_owned());
    match oidc::finish(&state, flow.as_deref(), query).await {
        Ok(signed_in) => {
            let jar = jar
                .add(expired_flow_cookie())
                .add(auth::session_cookie(&state.auth, signed_in.session));
            Ok((
                jar,
                Redirect::to(&super::sign_in::safe_next(&signed_in.next)),
            )
                .into_response())
        }
        Err(e) => refused(&state, jar, e),
    }
}

/// The page for a sign-in that signed nobody in; the reason is logged here, once. The flow
/// cookie goes too: a flow is used once, whatever its outcome.
fn refused(state: &AppState, jar: CookieJar, error: OidcError) -> Result<Response, HttpError> {
    let name = state
        .oidc
        .as_ref()
        .map_or_else(|| "identitetsleverandøren".to_owned(), |o| o.name.clone());
    let error = match error {
        OidcError::Service(e) if !matches!(e, ServiceError::Conflict(_)) => {
            // The database or another internal failure: the usual error page.
            tracing::error!(reason = %e, "sign-in at the identity provider failed");
            return Err(e.into());
        }
        other => other,
    };
    let (status, heading, text) = match &error {
        OidcError::Service(_) => (
            StatusCode::CONFLICT,
            "Innloggingen kunne ikke fullføres".to_owned(),
            "Kontoen din ble laget i en annen innlogging akkurat nå. Logg inn på nytt.".to_owned(),
        ),
        OidcError::NotConfigured => (
            StatusCode::NOT_FOUND,
            "Innlogging med identitetsleverandør er ikke satt opp".to_owned(),
            "Denne Samskriv-serveren bruker bare innlogging med e-post og passord.".to_owned(),
        ),
        OidcError::ProviderUnavailable(_) => (
            StatusCode::BAD_GATEWAY,
            format!("{name} svarer ikke"),
            format!(
                "Samskriv får ikke kontakt med {name} akkurat nå, så ingen er logget inn. \
                 Prøv igjen om litt."
            ),
        ),
        OidcError::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Mange logger inn akkurat nå".to_owned(),
            "Prøv igjen om litt.".to_owned(),
        ),
        OidcError::ProviderRefused(_) => (
            StatusCode::UNAUTHORIZED,
            "Innloggingen ble avbrutt".to_owned(),
            format!("{name} fullførte ikke innloggingen, så ingen er logget inn. Prøv igjen."),
        ),
        OidcError::NoFlow | OidcError::FlowExpired | OidcError::WrongState | OidcError::NoCode => (
            StatusCode::BAD_REQUEST,
            "Innloggingen kunne ikke fullføres".to_owned(),
            "Innloggingen var utløpt, allerede brukt eller startet i en annen nettleser, så \
                 ingen er logget inn. Start innloggingen på nytt."
                .to_owned(),
        ),
        OidcError::CodeRefused(_) => (
            StatusCode::BAD_REQUEST,
            "Innloggingen kunne ikke fullføres".to_owned(),
            format!(
                "{name} godtok ikke innloggingen (den var allerede brukt eller utløpt), så ingen \
                 er logget inn. Start innloggingen på nytt."
            ),
        ),
        OidcError::IdToken(_) => (
            StatusCode::UNAUTHORIZED,
            "Innloggingen ble avvist".to_owned(),
            format!(
                "Svaret fra {name} kunne ikke bekreftes, så ingen er logget inn. Prøv igjen, og \
                 si fra til administratoren hvis det skjer igjen."
            ),
        ),
        OidcError::NoAddress(_) => (
            StatusCode::FORBIDDEN,
            "Ingen e-postadresse".to_owned(),
            format!(
                "{name} oppga ingen e-postadresse for deg, og Samskriv kjenner folk på \
                 e-postadressen. Si fra til administratoren."
            ),
        ),
        OidcError::DomainNotAllowed => (
            StatusCode::FORBIDDEN,
            "Ikke tilgang".to_owned(),
            "E-postadressen din hører ikke til et domene som har tilgang til denne \
             Samskriv-serveren."
                .to_owned(),
        ),
        OidcError::Deactivated => (
            StatusCode::FORBIDDEN,
            "Kontoen er deaktivert".to_owned(),
            "Kontoen din er deaktivert og kan ikke logge inn. Kontakt administratoren hvis du \
             skal ha tilgang igjen."
                .to_owned(),
        ),
        OidcError::UnverifiedAddress => (
            StatusCode::CONFLICT,
            "Kontoen kan ikke knyttes".to_owned(),
            format!(
                "Det finnes allerede en konto med e-postadressen din, men {name} bekrefter ikke \
                 at adressen er din. Kontoen er derfor ikke knyttet til innloggingen hos {name}. \
                 Logg inn med passordet ditt, eller be administratoren om hjelp."
            ),
        ),
        OidcError::AccountUnconfirmed => (
            StatusCode::CONFLICT,
            "Kontoen kan ikke knyttes".to_owned(),
            "Det finnes allerede en konto med e-postadressen din, men ingen har bekreftet \
             adressen til den kontoen. Be administratoren om hjelp."
                .to_owned(),
        ),
        OidcError::LinkedToAnother => (
            StatusCode::CONFLICT,
            "Kontoen kan ikke knyttes".to_owned(),
            format!(
                "Kontoen med e-postadressen din er allerede knyttet til en annen bruker hos \
                 {name}. Be administratoren om hjelp."
            ),
        ),
    };
    tracing::warn!(reason = %error, "sign-in at the identity provider refused");
    let page =
        MessagePage::new(&heading, &text, "/login", "Til innloggingen").into_response_with(status);
    Ok((jar.add(expired_flow_cookie()), page).into_response())
}
