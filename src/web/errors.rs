//! Errors as a browser gets them: a Norwegian page in the site's layout with a way onward,
//! never the API's JSON. Handlers of both surfaces return [`HttpError`]; its response carries a
//! [`Problem`], and [`pages_for_browsers`] turns that into a page on every browser route. The
//! JSON API (`/api/…`) and the live endpoint keep their JSON and status codes.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::access::Action;
use crate::http::{HttpError, Problem};

/// A message page: a heading, a sentence and a link onward.
#[derive(askama::Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage {
    pub account: Option<super::AccountBar>,
    pub heading: String,
    pub text: String,
    pub link_href: String,
    pub link_text: String,
}

impl MessagePage {
    pub fn new(heading: &str, text: &str, link_href: &str, link_text: &str) -> Self {
        MessagePage {
            account: None,
            heading: heading.into(),
            text: text.into(),
            link_href: link_href.into(),
            link_text: link_text.into(),
        }
    }

    /// The page as a response with `status`.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        match askama::Template::render(&self) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "message page did not render");
                (status, "Samskriv").into_response()
            }
        }
    }
}

/// Paths answered for programs, not people: they keep their own error format.
fn is_for_programs(path: &str) -> bool {
    ["/api/", "/collab/", "/static/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Unknown addresses: a Norwegian 404 page, or JSON under `/api/`.
pub async fn not_found(request: Request) -> Response {
    if is_for_programs(request.uri().path()) {
        return HttpError::NotFound(format!("no route {}", request.uri().path())).into_response();
    }
    no_such_page()
}

fn no_such_page() -> Response {
    MessagePage::new(
        "Siden finnes ikke",
        "Adressen finnes ikke i Samskriv. Sjekk at hele lenken ble med.",
        "/",
        "Til planlisten",
    )
    .into_response_with(StatusCode::NOT_FOUND)
}

/// Replaces an error answer on a browser route with its Norwegian page (same status, except that
/// a malformed id in an address reads as an unknown address: 404).
pub async fn pages_for_browsers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    if is_for_programs(&path) {
        return response;
    }
    let Some(problem) = problem_of(&response) else {
        return response;
    };
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let status = response.status();
    let plan_page = plan_page_of(&path);
    let mut page = match problem {
        Problem::BadRequest if method == Method::GET => return no_such_page(),
        Problem::NotFound => return no_such_page(),
        Problem::PlanNotFound => MessagePage::new(
            "Planen finnes ikke, eller du har ikke tilgang til den",
            "Sjekk at hele lenken ble med. Er du ikke med i planen ennå, be koordinatoren for \
             planen om en invitasjon.",
            "/",
            "Til planlisten",
        )
        .into_response_with(StatusCode::NOT_FOUND),
        Problem::Forbidden(Some((role, Action::ExportCurrent))) => MessagePage::new(
            "Utkastet kan ikke lastes ned",
            &format!(
                "Som {} kan du laste ned frosne versjoner av planen, ikke det gjeldende \
                 utkastet. Velg en versjon under «Versjoner» på planens side.",
                role.label().to_lowercase()
            ),
            &plan_page.map_or("/".into(), |p| format!("{p}#versjoner")),
            "Til planens versjoner",
        )
        .into_response_with(status),
        Problem::Forbidden(refused) => MessagePage::new(
            "Du har ikke tilgang til dette",
            &match refused {
                Some((role, _)) => format!(
                    "Rollen din i planen ({}) gir ikke tilgang til dette. Be koordinatoren om en \
                     annen rolle hvis du trenger det.",
                    role.label().to_lowercase()
                ),
                None => "Kontoen din gir ikke tilgang til dette. Be en administrator om hjelp \
                         hvis du trenger det."
                    .into(),
            },
            plan_page.as_deref().unwrap_or("/"),
            "Tilbake",
        )
        .into_response_with(status),
        Problem::Csrf => MessagePage::new(
            "Siden var for gammel",
            "Skjemaet kom fra en side som var lastet for lenge siden, eller fra en annen \
             innlogging, så ingenting ble lagret. Last inn siden på nytt og prøv igjen.",
            plan_page.as_deref().unwrap_or("/"),
            "Last inn siden på nytt",
        )
        .into_response_with(status),
        Problem::Unauthorized => MessagePage::new(
            "Du må logge inn",
            "Tilgangen du brukte virker ikke lenger. Logg inn og prøv igjen.",
            "/login",
            "Logg inn",
        )
        .into_response_with(status),
        Problem::BadRequest | Problem::Unprocessable => MessagePage::new(
            "Endringen ble ikke lagret",
            "Noe i skjemaet kunne ikke brukes. Gå tilbake, rett det opp og prøv igjen.",
            plan_page.as_deref().unwrap_or("/"),
            "Tilbake",
        )
        .into_response_with(status),
        Problem::Conflict => MessagePage::new(
            "Endringen ble ikke lagret",
            "Endringen kolliderer med noe som finnes fra før. Last inn siden og prøv igjen.",
            plan_page.as_deref().unwrap_or("/"),
            "Tilbake",
        )
        .into_response_with(status),
        Problem::PayloadTooLarge => MessagePage::new(
            "Skjemaet er for stort",
            "Det som ble sendt, er større enn Samskriv tar imot. Del det opp og prøv igjen.",
            plan_page.as_deref().unwrap_or("/"),
            "Tilbake",
        )
        .into_response_with(status),
        Problem::TooManyRequests => MessagePage::new(
            "For mange forsøk",
            "Vent noen minutter og prøv igjen.",
            "/",
            "Til forsiden",
        )
        .into_response_with(status),
        Problem::Unavailable => MessagePage::new(
            "Samskriv er opptatt",
            "Serveren starter på nytt eller har mye å gjøre. Prøv igjen om litt.",
            &path_or_home(&method, &path),
            "Prøv igjen",
        )
        .into_response_with(status),
        Problem::Internal => MessagePage::new(
            "Noe gikk galt",
            "Noe gikk galt på serveren, og det er notert i loggen. Prøv igjen om litt.",
            &path_or_home(&method, &path),
            "Prøv igjen",
        )
        .into_response_with(status),
    };
    if let Some(retry_after) = retry_after {
        page.headers_mut().insert(header::RETRY_AFTER, retry_after);
    }
    page
}

/// What went wrong in an error answer: the [`Problem`] our handlers attach, or, for the plain-text
/// rejections of axum's extractors (a form field of the wrong type, a method the route does not
/// take), the problem its status stands for. `None` for answers that are not errors, and for
/// error pages already in HTML.
fn problem_of(response: &Response) -> Option<Problem> {
    if let Some(problem) = response.extensions().get::<Problem>() {
        return Some(*problem);
    }
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html || !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    Some(match status {
        StatusCode::UNAUTHORIZED => Problem::Unauthorized,
        StatusCode::FORBIDDEN => Problem::Forbidden(None),
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => Problem::NotFound,
        StatusCode::CONFLICT => Problem::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE => Problem::PayloadTooLarge,
        StatusCode::UNPROCESSABLE_ENTITY => Problem::Unprocessable,
        StatusCode::TOO_MANY_REQUESTS => Problem::TooManyRequests,
        StatusCode::SERVICE_UNAVAILABLE => Problem::Unavailable,
        status if status.is_server_error() => Problem::Internal,
        _ => Problem::BadRequest,
    })
}

/// `/plans/<id>` when `path` is one of a plan's pages.
fn plan_page_of(path: &str) -> Option<String> {
    let id = path.strip_prefix("/plans/")?.split('/').next()?;
    (id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        .then(|| format!("/plans/{id}"))
}

fn path_or_home(method: &Method, path: &str) -> String {
    if *method == Method::GET {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_pages_are_recognised() {
        let id = "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11";
        assert_eq!(
            plan_page_of(&format!("/plans/{id}/export.pdf")),
            Some(format!("/plans/{id}"))
        );
        assert_eq!(plan_page_of("/plans/x\"onmouseover/export.pdf"), None);
        assert_eq!(plan_page_of("/login"), None);
        assert!(is_for_programs("/api/plans"));
        assert!(!is_for_programs("/plans/x"));
    }
}
