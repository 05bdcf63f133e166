//! `pszIndiRespUrl` in bounded memory. A session remembers its first URL
//! (HTTP-URL-STABLE) and a held status its own until it is judged; a URL may
//! be as long as a trace line (1 MiB), so what is kept of one is at most
//! [`INLINE_BYTES`] bytes, or, for a longer one, its length, its SHA-256
//! digest, whether it is well formed (STATUS-URL-FORM) and its first
//! [`VALUE_CHARS`] characters for messages. Two URLs compare equal exactly
//! when they are equal, but for a SHA-256 collision.

use sha2::{Digest as _, Sha256};

use super::VALUE_CHARS;
use super::values::url_is_well_formed;
use crate::text::shorten;

/// The longest URL kept whole, in bytes.
pub(super) const INLINE_BYTES: usize = 256;

/// What is kept of a URL.
#[derive(Clone, Debug)]
pub(super) enum CompactUrl {
    /// A URL of at most [`INLINE_BYTES`] bytes, whole.
    Inline(Box<str>),
    /// A longer URL.
    Digest(Box<LongUrl>),
}

/// What is kept of a URL longer than [`INLINE_BYTES`].
#[derive(Clone, Debug)]
pub(super) struct LongUrl {
    len: usize,
    sha256: [u8; 32],
    well_formed: bool,
    /// Its first [`VALUE_CHARS`] characters and `…`.
    short: Box<str>,
}

impl CompactUrl {
    pub(super) fn new(url: &str) -> CompactUrl {
        if url.len() <= INLINE_BYTES {
            CompactUrl::Inline(url.into())
        } else {
            CompactUrl::Digest(Box::new(LongUrl {
                len: url.len(),
                sha256: Sha256::digest(url.as_bytes()).into(),
                well_formed: url_is_well_formed(url),
                short: shorten(url, VALUE_CHARS).into(),
            }))
        }
    }
}

/// A URL being judged: read from the record being fed, or kept compact by a
/// held status.
#[derive(Clone, Copy, Debug)]
pub(super) enum UrlRef<'a> {
    Live(&'a str),
    Compact(&'a CompactUrl),
}

impl<'a> UrlRef<'a> {
    /// The whole URL, unless only its digest was kept.
    fn whole(self) -> Result<&'a str, &'a LongUrl> {
        match self {
            UrlRef::Live(url) => Ok(url),
            UrlRef::Compact(CompactUrl::Inline(url)) => Ok(url),
            UrlRef::Compact(CompactUrl::Digest(long)) => Err(long),
        }
    }

    /// STATUS-URL-FORM's reading: [`url_is_well_formed`].
    pub(super) fn is_well_formed(self) -> bool {
        match self.whole() {
            Ok(url) => url_is_well_formed(url),
            Err(long) => long.well_formed,
        }
    }

    /// The URL as a message quotes it: at most [`VALUE_CHARS`] characters.
    pub(super) fn short(self) -> String {
        match self.whole() {
            Ok(url) => shorten(url, VALUE_CHARS),
            Err(long) => long.short.to_string(),
        }
    }

    /// What a session keeps of it.
    pub(super) fn to_compact(self) -> CompactUrl {
        match self {
            UrlRef::Live(url) => CompactUrl::new(url),
            UrlRef::Compact(c) => c.clone(),
        }
    }

    /// Whether it is the URL `kept` was made of.
    pub(super) fn is(self, kept: &CompactUrl) -> bool {
        match (self.whole(), kept) {
            (Ok(url), CompactUrl::Inline(k)) => url == &**k,
            (Ok(url), CompactUrl::Digest(k)) => {
                url.len() == k.len && <[u8; 32]>::from(Sha256::digest(url.as_bytes())) == k.sha256
            }
            (Err(u), CompactUrl::Digest(k)) => u.len == k.len && u.sha256 == k.sha256,
            // A digest is kept only of a URL longer than any kept whole.
            (Err(_), CompactUrl::Inline(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(tail: &str) -> String {
        format!("https://example.com/{}{tail}", "a".repeat(INLINE_BYTES))
    }

    #[test]
    fn a_url_equals_exactly_the_urls_it_was_made_of_short_or_long() {
        for (a, b) in [("http://a/x".to_string(), "http://a/y".to_string()), (long("x"), long("y"))] {
            let kept = CompactUrl::new(&a);
            assert!(UrlRef::Live(&a).is(&kept));
            assert!(UrlRef::Compact(&CompactUrl::new(&a)).is(&kept));
            assert!(!UrlRef::Live(&b).is(&kept));
            assert!(!UrlRef::Compact(&CompactUrl::new(&b)).is(&kept));
        }
        let (short, long) = ("http://a/".to_string(), long(""));
        assert!(!UrlRef::Live(&long).is(&CompactUrl::new(&short)));
        assert!(!UrlRef::Live(&short).is(&CompactUrl::new(&long)));
    }

    #[test]
    fn a_kept_long_url_judges_and_quotes_like_the_url() {
        for url in [long(""), format!("ftp://x/{}", "é".repeat(300))] {
            let kept = CompactUrl::new(&url);
            assert_eq!(UrlRef::Compact(&kept).is_well_formed(), url_is_well_formed(&url));
            assert_eq!(UrlRef::Compact(&kept).short(), UrlRef::Live(&url).short());
            assert!(UrlRef::Live(&url).short().chars().count() <= VALUE_CHARS + 1);
        }
    }
}
