//! Which link targets Samskriv lets through: web and mail links. One rule for
//! pages, exports and the API, so a `javascript:` link is inert everywhere.

/// Whether `href` may be a live link: `http:`, `https:` and `mailto:` links. Anything else
/// (`javascript:`, `data:`, relative paths) is shown as plain text.
pub fn is_safe_href(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links() {
        assert!(is_safe_href("https://www.oslo.kommune.no/"));
        assert!(is_safe_href(" HTTP://x.no"));
        assert!(is_safe_href("mailto:kari@oslo.kommune.no"));
        assert!(!is_safe_href("javascript:alert(1)"));
        assert!(!is_safe_href("data:text/html,x"));
    }
}
