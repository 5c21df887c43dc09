//! Which link targets Samskriv lets through: web and mail links and in-page anchors. One rule
//! for the document model (and so the API), pages and exports, so a `javascript:` link is inert
//! everywhere. The browser editor's schema (`web/src/schema.js` `safeHref`) applies the same rule.

/// The schemes a live link may have.
const SAFE_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether `href` may be a live link: an absolute `http:` or `https:` URL with a host, a
/// `mailto:` link, or an in-page anchor (`#section`). Spaces around it are ignored; a control
/// character anywhere (`java\tscript:`, which browsers read as `javascript:`) refuses it.
/// Anything else (`javascript:`, `data:`, relative paths) is shown as plain text.
pub fn is_safe_href(href: &str) -> bool {
    let href = href.trim_matches(' ');
    if href.is_empty() || href.chars().any(char::is_control) {
        return false;
    }
    if let Some(anchor) = href.strip_prefix('#') {
        return !anchor.is_empty();
    }
    let Ok(url) = url::Url::parse(href) else {
        return false;
    };
    if !SAFE_SCHEMES.contains(&url.scheme()) {
        return false;
    }
    // The parser reads `https:evil` as `https://evil/`; a browser does too, so that is a web
    // link. It must name a host, though, and the text must start with the scheme it parsed to.
    let scheme_written = href
        .split_once(':')
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case(url.scheme()));
    scheme_written && (url.scheme() == "mailto" || url.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_and_mail_links_and_anchors() {
        assert!(is_safe_href("https://www.oslo.kommune.no/"));
        assert!(is_safe_href(" HTTP://x.no"));
        assert!(is_safe_href("mailto:kari@oslo.kommune.no"));
        assert!(is_safe_href("#hvor-star-vi.russituasjon"));
        assert!(is_safe_href("https://x.no/side?a=1#del"));
        assert!(is_safe_href("https://korus-oslo.no/a b"));
    }

    #[test]
    fn scripts_data_and_relative_paths_are_refused() {
        assert!(!is_safe_href("javascript:alert(document.domain)"));
        assert!(!is_safe_href("JavaScript:alert(1)"));
        assert!(!is_safe_href("data:text/html,x"));
        assert!(!is_safe_href("vbscript:x"));
        assert!(!is_safe_href("/plans/x"));
        assert!(!is_safe_href("//evil.example/"));
        assert!(!is_safe_href("www.oslo.kommune.no"));
        assert!(!is_safe_href("#"));
        assert!(!is_safe_href(""));
        assert!(!is_safe_href("http://"));
    }

    #[test]
    fn control_characters_and_whitespace_tricks_are_refused() {
        assert!(!is_safe_href("java\tscript:alert(1)"));
        assert!(!is_safe_href("java\nscript:alert(1)"));
        assert!(!is_safe_href("\u{1}javascript:alert(1)"));
        assert!(!is_safe_href("https://x.no/\u{0}"));
        assert!(!is_safe_href("https://x.no/\tjavascript:"));
        assert!(!is_safe_href("#a\nb"));
        assert!(!is_safe_href("\u{a0}javascript:alert(1)"));
        assert!(!is_safe_href(" java script:alert(1)"));
    }
}
