//! The browser editor's bundle (`web/dist/`, built by `npm run build --prefix web` and committed),
//! embedded in the binary so that `cargo run` needs no Node. Served with an ETag of the content,
//! revalidated on every load (`no-cache`), so a new build reaches browsers at once.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
    etag: LazyLock<String>,
}

macro_rules! asset {
    ($content_type:expr, $path:literal) => {
        Asset {
            content_type: $content_type,
            body: include_bytes!($path),
            etag: LazyLock::new(|| etag_of(include_bytes!($path))),
        }
    };
}

pub static EDITOR_JS: Asset = asset!("text/javascript; charset=utf-8", "../../web/dist/editor.js");
pub static EDITOR_CSS: Asset = asset!("text/css; charset=utf-8", "../../web/dist/editor.css");
pub static STYLESHEET: Asset = asset!("text/css; charset=utf-8", "../../web/static/samskriv.css");

/// A strong ETag from the content: the first 16 bytes of its SHA-256 in hex (`{:.32x}` takes 32
/// hex digits), far more than enough to tell builds apart. Computed once per asset, by its
/// `etag` [`LazyLock`].
fn etag_of(body: &[u8]) -> String {
    format!("\"{:.32x}\"", Sha256::digest(body))
}

/// The asset, or 304 when the browser's copy (If-None-Match) is current.
pub fn serve(asset: &'static Asset, request_headers: &HeaderMap) -> Response {
    let etag: &str = &asset.etag;
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let etag_header = HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, etag_header),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if fresh {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (StatusCode::OK, headers, asset.body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_is_embedded_and_tagged() {
        assert!(EDITOR_JS.body.len() > 10_000, "web/dist/editor.js is built");
        assert!(!EDITOR_CSS.body.is_empty());
        assert_ne!(*EDITOR_JS.etag, *EDITOR_CSS.etag);
        assert!(EDITOR_JS.etag.starts_with('"') && EDITOR_JS.etag.ends_with('"'));
    }

    #[test]
    fn the_etag_is_the_start_of_the_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(etag_of(b"abc"), "\"ba7816bf8f01cfea414140de5dae2223\"");
    }

    #[test]
    fn a_current_copy_gets_304() {
        let mut headers = HeaderMap::new();
        let etag = HeaderValue::from_str(&EDITOR_JS.etag).expect("ascii");
        headers.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            serve(&EDITOR_JS, &headers).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            serve(&EDITOR_JS, &HeaderMap::new()).status(),
            StatusCode::OK
        );
    }
}
