//! CSRF protection for cookie-authenticated state changes (synchronizer token): scripts send the
//! session's token in the `X-CSRF-Token` header, HTML forms in a hidden `csrf_token` field
//! (URL-encoded forms, and multipart forms: the settings page's logo upload).
//! Requests authenticated by a bearer token carry no ambient credential and are not checked.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;

use super::HttpError;

/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";
/// The hidden form field forms send the token in.
pub const FIELD: &str = "csrf_token";
/// Largest form body read to find the field.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// Largest multipart form body read to find the field: a logo and the form's other fields.
const MAX_MULTIPART_BYTES: usize = crate::export::logo::MAX_LOGO_BYTES + MAX_FORM_BYTES;

/// Passes the request on when it carries `expected`; a form body is read and put back.
pub async fn check(request: Request, expected: &str) -> Result<Request, HttpError> {
    if let Some(sent) = request.headers().get(HEADER) {
        return if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            Ok(request)
        } else {
            Err(refused())
        };
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("multipart/form-data") {
        return check_multipart(request, &content_type, expected).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(refused());
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            HttpError::PayloadTooLarge(format!("form larger than {MAX_FORM_BYTES} bytes"))
        })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| HttpError::BadRequest("the form is not UTF-8".into()))?;
    let valid = form_urlencoded_pairs(text).any(|(key, value)| {
        key == FIELD && constant_time_eq(value.as_bytes(), expected.as_bytes())
    });
    if valid {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(refused())
    }
}

/// [`check`] for a multipart form: the body (at most [`MAX_MULTIPART_BYTES`]) is read, its
/// `csrf_token` field compared, and the body put back.
async fn check_multipart(
    request: Request,
    content_type: &str,
    expected: &str,
) -> Result<Request, HttpError> {
    use axum::extract::{FromRequest, Multipart};
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_MULTIPART_BYTES)
        .await
        .map_err(|_| {
            HttpError::PayloadTooLarge(format!("form larger than {MAX_MULTIPART_BYTES} bytes"))
        })?;
    let copy = Request::post("/")
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(bytes.clone()))
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    let mut form = Multipart::from_request(copy, &())
        .await
        .map_err(|_| refused())?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(FIELD) {
            let sent = field.text().await.map_err(|_| refused())?;
            return if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
                Ok(Request::from_parts(parts, Body::from(bytes)))
            } else {
                Err(refused())
            };
        }
    }
    Err(refused())
}

/// Decodes `a=b&c=d` (as in query strings and HTML form bodies).
pub fn form_urlencoded_pairs(input: &str) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(input.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
}

/// Whether two tokens are equal, compared in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    constant_time_eq(a.as_bytes(), b.as_bytes())
}

fn refused() -> HttpError {
    HttpError::Csrf
}

/// Compares without stopping at the first difference, so timing tells nothing about the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn header_or_form_field_must_match() -> Result<(), HttpError> {
        let with_header = Request::post("/x")
            .header(HEADER, "abc")
            .body(Body::empty())
            .map_err(|e| HttpError::Internal(e.to_string()))?;
        assert!(check(with_header, "abc").await.is_ok());

        let wrong = Request::post("/x")
            .header(HEADER, "abd")
            .body(Body::empty())
            .map_err(|e| HttpError::Internal(e.to_string()))?;
        assert!(matches!(check(wrong, "abc").await, Err(HttpError::Csrf)));

        let form = Request::post("/x")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("name=a&csrf_token=abc"))
            .map_err(|e| HttpError::Internal(e.to_string()))?;
        let passed = check(form, "abc").await?;
        let body = axum::body::to_bytes(passed.into_body(), 1024)
            .await
            .map_err(|e| HttpError::Internal(e.to_string()))?;
        assert_eq!(
            &body[..],
            b"name=a&csrf_token=abc",
            "the form reaches the handler whole"
        );

        let multipart = |token: &str| {
            Request::post("/x")
                .header(CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .body(Body::from(format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n\x01\x02\r\n--XyZ--\r\n"
                )))
                .map_err(|e| HttpError::Internal(e.to_string()))
        };
        let passed = check(multipart("abc")?, "abc").await?;
        let body = axum::body::to_bytes(passed.into_body(), 1024)
            .await
            .map_err(|e| HttpError::Internal(e.to_string()))?;
        assert!(
            body.ends_with(b"--XyZ--\r\n"),
            "the form reaches the handler whole"
        );
        assert!(matches!(
            check(multipart("abd")?, "abc").await,
            Err(HttpError::Csrf)
        ));

        let json = Request::post("/x")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .map_err(|e| HttpError::Internal(e.to_string()))?;
        assert!(matches!(check(json, "abc").await, Err(HttpError::Csrf)));
        Ok(())
    }
}
