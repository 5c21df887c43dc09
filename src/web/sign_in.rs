//! Signing in and out, one-time sign-in links (the first administrator, new accounts made with
//! `samskriv user create`) and invite links.
//!
//! - `GET/POST /login`, `POST /logout`;
//! - `GET/POST /velkommen/{token}`: a one-time link: sets up the first administrator, or lets
//!   someone choose their password, and signs them in;
//! - `GET/POST /invitasjon/{token}`: an invite to a plan: a signed-in person joins, anyone else
//!   makes an account and joins.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::account::AccountBar;
use super::errors::MessagePage;
use super::oidc::{ProviderButton, button as provider_button};
use super::render;
use crate::http::extract::{self as auth, SESSION_COOKIE};
use crate::http::{AppState, HttpError};
use crate::secret::{MIN_PASSWORD_CHARS, PasswordError};
use crate::service::accounts::{self, IdentityError, SignInLink};
use crate::service::{Error as ServiceError, Principal};
use crate::storage::accounts::{Invite, InviteState, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/velkommen/{token}", get(welcome_page).post(welcome))
        .route("/invitasjon/{token}", get(invite_page).post(accept_invite))
}

#[derive(askama::Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    account: Option<AccountBar>,
    /// «Logg inn med …», when an identity provider is configured.
    provider: Option<ProviderButton>,
    /// Whether the password form is shown (`--local-passwords`).
    local_passwords: bool,
    error: Option<String>,
    email: String,
    next: String,
    login_token: String,
}

#[derive(askama::Template)]
#[template(path = "pages/welcome.html")]
struct WelcomePage {
    account: Option<AccountBar>,
    heading: String,
    intro: String,
    error: Option<String>,
    action: String,
    csrf_token: Option<String>,
    ask_identity: bool,
    ask_password: bool,
    name: String,
    email: String,
    min_password: usize,
    submit: String,
    login_href: String,
    /// The login-form token, on forms that sign a new account in.
    login_token: Option<String>,
    /// «Logg inn med …» on an invite for someone not signed in.
    provider: Option<ProviderButton>,
    /// Whether the form is shown (not to someone without an account when passwords are off).
    show_form: bool,
}

fn message(status: StatusCode, heading: &str, text: &str) -> Result<Response, HttpError> {
    Ok(MessagePage::new(heading, text, "/", "Til forsiden").into_response_with(status))
}

/// Where to go after signing in: a path on this site only, else `/`. The target is parsed as a
/// browser would, relative to a placeholder origin, and kept only when it stays on that origin
/// and reads back the same: `//host`, `/\\host`, full URLs and any control character or space
/// (`/<TAB>/host`, which browsers read as `//host`; a line break, which no header may hold) fall
/// back to `/`.
pub(super) fn safe_next(next: &str) -> String {
    const HOME: &str = "/";
    if !next.starts_with('/')
        || next.chars().any(|c| c.is_control() || c.is_whitespace())
        || next.contains('\\')
    {
        return HOME.to_owned();
    }
    let Ok(base) = url::Url::parse("http://samskriv.invalid/") else {
        return HOME.to_owned();
    };
    match base.join(next) {
        Ok(url) if url.origin() == base.origin() && url[url::Position::BeforePath..] == *next => {
            next.to_owned()
        }
        _ => HOME.to_owned(),
    }
}

/// Signs `user` in: a new session and its cookie, then on to `next`.
async fn sign_in(
    state: &AppState,
    jar: CookieJar,
    user: &User,
    next: &str,
) -> Result<Response, HttpError> {
    let token = accounts::start_session(state, user).await?;
    let jar = jar.add(auth::session_cookie(&state.auth, token));
    Ok((jar, Redirect::to(&safe_next(next))).into_response())
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    neste: String,
}

async fn login_page(
    State(state): State<AppState>,
    principal: Principal,
    jar: CookieJar,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Result<Response, HttpError> {
    if principal.user().is_some() {
        return Ok(Redirect::to(&safe_next(&query.neste)).into_response());
    }
    let (jar, login_token) = auth::login_form_token(&state.auth, jar);
    let next = safe_next(&query.neste);
    let page = render(&LoginPage {
        account: None,
        provider: provider_button(&state, &next),
        local_passwords: state.auth.local_passwords,
        error: None,
        email: String::new(),
        next,
        login_token,
    })?;
    Ok((jar, page).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    neste: String,
    #[serde(default)]
    login_token: String,
}

/// Checks the password; refuses with 429 after too many failures for the address. An unknown
/// address costs as much time as a wrong password and gets the same answer.
async fn login(
    State(state): State<AppState>,
    auth::ClientAddress(client): auth::ClientAddress,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let token_matches = auth::login_form_token_matches(&jar, &form.login_token);
    let (jar, login_token) = auth::login_form_token(&state.auth, jar);
    let refuse = |status: StatusCode, error: String| -> Result<Response, HttpError> {
        let page = render(&LoginPage {
            account: None,
            provider: provider_button(&state, &safe_next(&form.neste)),
            local_passwords: state.auth.local_passwords,
            error: Some(error),
            email: form.email.clone(),
            next: safe_next(&form.neste),
            login_token: login_token.clone(),
        })?;
        Ok((status, jar.clone(), page).into_response())
    };
    if !state.auth.local_passwords {
        tracing::warn!("login refused: password sign-in is switched off");
        return refuse(StatusCode::FORBIDDEN, PASSWORDS_OFF.into());
    }
    if !token_matches {
        // A form from another site, or from a page older than its cookie: nothing is checked.
        tracing::warn!("login refused: the form's token does not match its cookie");
        return refuse(
            StatusCode::FORBIDDEN,
            "Innloggingsskjemaet var utløpt. Skriv passordet på nytt.".into(),
        );
    }
    match accounts::login(&state, &form.email, &form.password, client).await {
        Ok(Some(user)) => sign_in(&state, jar, &user, &form.neste).await,
        Ok(None) => refuse(
            StatusCode::UNAUTHORIZED,
            "Feil e-post eller passord.".into(),
        ),
        Err(ServiceError::TooManyAttempts { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!("For mange mislykkede forsøk. Prøv igjen om {minutes} minutter."),
            )?;
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
            Ok(response)
        }
        Err(ServiceError::Busy) => {
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "Mange logger inn akkurat nå. Prøv igjen om litt.".into(),
            )?;
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(1),
            );
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// What `--local-passwords false` answers a password form.
const PASSWORDS_OFF: &str = "Innlogging med passord er slått av på denne serveren. Bruk knappen \
    for å logge inn hos identitetsleverandøren.";

/// The page after signing out of a session started at the identity provider: the browser goes on
/// to the provider's logout at once (a redirect from this form's answer would break the pages'
/// `form-action 'self'`; a refresh is a navigation of its own), with a link in case it does not.
#[derive(askama::Template)]
#[template(path = "pages/logged_out.html")]
struct LoggedOutPage {
    account: Option<AccountBar>,
    provider: String,
    logout_url: String,
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<Response, HttpError> {
    let mut provider_logout = None;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        // Read before the session ends: its ID token ends with it.
        provider_logout = crate::service::oidc::provider_logout(&state, cookie.value()).await;
        accounts::end_session(&state, cookie.value()).await?;
    }
    let jar = jar.add(auth::expired_session_cookie());
    match (provider_logout, state.oidc.as_ref()) {
        (Some(logout_url), Some(provider)) => {
            let page = render(&LoggedOutPage {
                account: None,
                provider: provider.name.clone(),
                logout_url,
            })?;
            Ok((jar, page).into_response())
        }
        _ => Ok((jar, Redirect::to("/login")).into_response()),
    }
}

// ---------------------------------------------------------------------------------------------
// One-time sign-in links

const WELCOME_PASSWORDS_OFF: &str = "Denne serveren bruker ikke passord: alle logger inn hos \
    identitetsleverandøren. En konto laget med `samskriv user create` knyttes til innloggingen \
    første gang eieren logger inn der, når leverandøren bekrefter e-postadressen.";

const LINK_GONE: &str = "Lenken er brukt, utløpt eller ukjent. En innloggingslenke virker én \
    gang og i 24 timer. Be den som sendte deg lenken – koordinatoren for planen du skal være med \
    i, eller administratoren for Samskriv – om en ny.";

async fn welcome_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, HttpError> {
    if !state.auth.local_passwords {
        return message(
            StatusCode::FORBIDDEN,
            "Passord er slått av",
            WELCOME_PASSWORDS_OFF,
        );
    }
    let Some(link) = accounts::sign_in_link(&state, &token).await? else {
        return message(StatusCode::GONE, "Lenken virker ikke", LINK_GONE);
    };
    let (jar, login_token) = auth::login_form_token(&state.auth, jar);
    let page = welcome_form(&token, account_of(&link), None, "", "", login_token);
    Ok((jar, render(&page)?).into_response())
}

fn account_of(link: &SignInLink) -> Option<&User> {
    match link {
        SignInLink::Account(user) => Some(user),
        SignInLink::FirstAdministrator => None,
    }
}

fn welcome_form(
    token: &str,
    user: Option<&User>,
    error: Option<String>,
    name: &str,
    email: &str,
    login_token: String,
) -> WelcomePage {
    let (heading, intro, ask_identity) = match user {
        None => (
            "Opprett den første administratoren",
            "Administratoren kan opprette planer og er koordinator for alle planer. Andre får \
             tilgang gjennom invitasjoner fra koordinatoren.",
            true,
        ),
        Some(_) => (
            "Velkommen til Samskriv",
            "Velg et passord for kontoen din. Lenken virker bare én gang.",
            false,
        ),
    };
    WelcomePage {
        account: None,
        heading: heading.into(),
        intro: intro.into(),
        error,
        action: format!("/velkommen/{token}"),
        csrf_token: None,
        ask_identity,
        ask_password: true,
        name: user.map_or(name, |u| u.name.as_str()).to_owned(),
        email: user.map_or(email, |u| u.email.as_str()).to_owned(),
        min_password: MIN_PASSWORD_CHARS,
        submit: "Lagre og logg inn".into(),
        login_href: String::new(),
        // The form signs the browser in: it must be this site's own (another site must not
        // sign a browser into an account of its choosing).
        login_token: Some(login_token),
        provider: None,
        show_form: true,
    }
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    login_token: String,
}

/// Checks a new account's name and address, naming what is wrong in bokmål.
fn check_identity(name: &str, email: &str) -> Result<(), String> {
    accounts::check_identity(name, email).map_err(|e| {
        match e {
            IdentityError::Name => "Skriv inn navnet ditt (høyst 200 tegn).",
            IdentityError::Email => "Skriv inn en gyldig e-postadresse.",
        }
        .to_owned()
    })
}

/// Hashes a new password: `Ok(Err(message))` when the password breaks a rule shown in the form.
async fn hash_new_password(
    state: &AppState,
    password: String,
) -> Result<Result<String, String>, HttpError> {
    Ok(accounts::hash_new_password(state, password)
        .await?
        .map_err(|rule: PasswordError| format!("Passordet kan ikke brukes: {rule}.")))
}

async fn welcome(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
    Form(form): Form<AccountForm>,
) -> Result<Response, HttpError> {
    if !state.auth.local_passwords {
        return message(
            StatusCode::FORBIDDEN,
            "Passord er slått av",
            WELCOME_PASSWORDS_OFF,
        );
    }
    let Some(link) = accounts::sign_in_link(&state, &token).await? else {
        return message(StatusCode::GONE, "Lenken virker ikke", LINK_GONE);
    };
    let existing = account_of(&link);
    let token_matches = auth::login_form_token_matches(&jar, &form.login_token);
    let (jar, login_token) = auth::login_form_token(&state.auth, jar);
    let again_with = |status: StatusCode, error: String| -> Result<Response, HttpError> {
        let page = welcome_form(
            &token,
            existing,
            Some(error),
            &form.name,
            &form.email,
            login_token.clone(),
        );
        Ok((status, jar.clone(), render(&page)?).into_response())
    };
    let again = |error: String| again_with(StatusCode::UNPROCESSABLE_ENTITY, error);
    if !token_matches {
        tracing::warn!("sign-in link refused: the form's token does not match its cookie");
        return again_with(
            StatusCode::FORBIDDEN,
            "Skjemaet var utløpt. Fyll det ut på nytt.".into(),
        );
    }
    if existing.is_none()
        && let Err(error) = check_identity(&form.name, &form.email)
    {
        return again(error);
    }
    let hash = match hash_new_password(&state, form.password.clone()).await? {
        Ok(hash) => hash,
        Err(error) => return again(error),
    };
    // Used exactly once, even when the form is sent twice at the same moment.
    let redeemed =
        accounts::redeem_sign_in_link(&state, &token, &link, &form.name, &form.email, &hash).await;
    let user = match redeemed {
        Ok(Some(user)) => user,
        Ok(None) => return message(StatusCode::GONE, "Lenken virker ikke", LINK_GONE),
        Err(ServiceError::Conflict(_)) => {
            return message(
                StatusCode::CONFLICT,
                "Kontoen finnes allerede",
                "Det finnes allerede en konto med denne e-postadressen. Logg inn med den.",
            );
        }
        Err(e) => return Err(e.into()),
    };
    sign_in(&state, jar, &user, "/").await
}

// ---------------------------------------------------------------------------------------------
// Invites

fn invite_gone(state: InviteState) -> Result<Response, HttpError> {
    let text = match state {
        InviteState::Used => "Invitasjonen er allerede brukt. Be koordinatoren om en ny.",
        InviteState::Expired => "Invitasjonen er utløpt. Be koordinatoren om en ny.",
        InviteState::Revoked => "Invitasjonen er trukket tilbake av koordinatoren.",
        InviteState::Open => "Invitasjonen kan ikke brukes.",
    };
    message(StatusCode::GONE, "Invitasjonen virker ikke", text)
}

/// An invite that can still be accepted, or the page that says why not.
async fn open_invite(
    state: &AppState,
    token: &str,
) -> Result<Result<(Invite, String), Response>, HttpError> {
    match accounts::open_invite(state, token).await? {
        None => Ok(Err(message(
            StatusCode::NOT_FOUND,
            "Invitasjonen finnes ikke",
            "Lenken er ukjent. Sjekk at hele lenken ble med, eller be koordinatoren om en ny.",
        )?)),
        Some(Err(gone)) => Ok(Err(invite_gone(gone)?)),
        Some(Ok(open)) => Ok(Ok(open)),
    }
}

fn invite_intro(invite: &Invite, title: &str) -> String {
    let unit = invite
        .unit
        .as_ref()
        .map(|u| format!(" for {u}"))
        .unwrap_or_default();
    format!(
        "Du er invitert til planen «{title}» som {}{unit}.",
        invite.role.label().to_lowercase()
    )
}

#[allow(clippy::too_many_arguments)]
fn invite_form(
    state: &AppState,
    token: &str,
    invite: &Invite,
    title: &str,
    principal: &Principal,
    error: Option<String>,
    form: Option<&AccountForm>,
    login_token: Option<String>,
) -> WelcomePage {
    let signed_in = principal.user().is_some();
    WelcomePage {
        account: AccountBar::of(principal),
        heading: "Invitasjon".into(),
        intro: invite_intro(invite, title),
        error,
        action: format!("/invitasjon/{token}"),
        csrf_token: principal.csrf().map(str::to_owned),
        ask_identity: !signed_in,
        ask_password: !signed_in,
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        email: invite
            .email
            .clone()
            .or_else(|| form.map(|f| f.email.clone()))
            .unwrap_or_default(),
        min_password: MIN_PASSWORD_CHARS,
        submit: if signed_in {
            "Bli med i planen".into()
        } else {
            "Lag konto og bli med".into()
        },
        login_href: if signed_in || !state.auth.local_passwords {
            String::new()
        } else {
            format!("/login?neste=/invitasjon/{token}")
        },
        login_token: if signed_in { None } else { login_token },
        provider: if signed_in {
            None
        } else {
            provider_button(state, &format!("/invitasjon/{token}"))
        },
        show_form: signed_in || state.auth.local_passwords,
    }
}

async fn invite_page(
    State(state): State<AppState>,
    principal: Principal,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, HttpError> {
    let (invite, title) = match open_invite(&state, &token).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    let (jar, login_token) = auth::login_form_token(&state.auth, jar);
    let page = render(&invite_form(
        &state,
        &token,
        &invite,
        &title,
        &principal,
        None,
        None,
        Some(login_token),
    ))?;
    Ok((jar, page).into_response())
}

async fn accept_invite(
    State(state): State<AppState>,
    principal: Principal,
    Path(token): Path<String>,
    jar: CookieJar,
    Form(form): Form<AccountForm>,
) -> Result<Response, HttpError> {
    let (invite, title) = match open_invite(&state, &token).await? {
        Ok(open) => open,
        Err(page) => return Ok(page),
    };
    let token_matches = auth::login_form_token_matches(&jar, &form.login_token);
    let (jar, login_token) = auth::login_form_token(&state.auth, jar);
    let again = |status: StatusCode, error: String| -> Result<Response, HttpError> {
        let page = invite_form(
            &state,
            &token,
            &invite,
            &title,
            &principal,
            Some(error),
            Some(&form),
            Some(login_token.clone()),
        );
        Ok((status, jar.clone(), render(&page)?).into_response())
    };
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    let (user, new_account) = match principal.user() {
        Some(user) if !invite.is_for(&user.email) => {
            return message(
                StatusCode::FORBIDDEN,
                "Invitasjonen gjelder en annen konto",
                "Invitasjonen er sendt til en annen e-postadresse enn den du er logget inn med. \
                 Logg inn med den adressen, eller be koordinatoren om en ny invitasjon.",
            );
        }
        Some(user) => (user.clone(), false),
        None => {
            if !state.auth.local_passwords {
                return again(StatusCode::FORBIDDEN, PASSWORDS_OFF.into());
            }
            // Making an account signs the browser in: the form must be this site's own.
            if !token_matches {
                return again(
                    StatusCode::FORBIDDEN,
                    "Skjemaet var utløpt. Fyll det ut på nytt.".into(),
                );
            }
            if let Err(error) = check_identity(&form.name, &form.email) {
                return again(invalid, error);
            }
            if !invite.is_for(&form.email) {
                return again(
                    invalid,
                    "Invitasjonen gjelder en annen e-postadresse. Bruk adressen invitasjonen ble \
                     sendt til."
                        .into(),
                );
            }
            let hash = match hash_new_password(&state, form.password.clone()).await? {
                Ok(hash) => hash,
                Err(error) => return again(invalid, error),
            };
            let created =
                accounts::create_invited_user(&state, &invite, &form.name, &form.email, &hash);
            match created.await {
                Ok(user) => (user, true),
                Err(ServiceError::Conflict(_)) => {
                    return again(
                        invalid,
                        "Det finnes allerede en konto med denne e-postadressen. Logg inn først."
                            .into(),
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let accepted = match accounts::accept_invite(&state, &token, &user).await? {
        Ok(accepted) => accepted,
        // Someone else used it, or it was revoked, between the check and now.
        Err(state_now) => return invite_gone(state_now),
    };
    let destination = format!("/plans/{}", accepted.plan_id);
    if new_account {
        sign_in(&state, jar, &user, &destination).await
    } else {
        Ok(Redirect::to(&destination).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/plans/x"), "/plans/x");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(
            safe_next("/plans/x/medlemmer?fane=1#a"),
            "/plans/x/medlemmer?fane=1#a"
        );
        assert_eq!(safe_next("/\t/evil.example/"), "/");
        assert_eq!(safe_next("/\n"), "/");
        assert_eq!(safe_next("/\r\nSet-Cookie: x=1"), "/");
        assert_eq!(safe_next("/ /evil.example"), "/");
        assert_eq!(safe_next("/\u{0}"), "/");
        assert_eq!(safe_next("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
        assert_eq!(safe_next("/../../x"), "/");
        assert_eq!(safe_next("javascript:alert(1)"), "/");
    }
}
