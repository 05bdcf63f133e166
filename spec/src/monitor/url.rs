//! `pszIndiRespUrl` in bounded memory. A session remembers its first URL
//! (HTTP-URL-STABLE) and a held status its own until it is judged; a URL may
//! be as long as a trace line (1 MiB), so what is kept of one is at most
//! [`INLINE_BYTES`] bytes, or, for a longer one, its length, its SHA-256
//! digest, whether it is well formed (STATUS-URL-FORM) and its first
//! [`VALUE_CHARS`] characters for messages. Two URLs compare equal exactly
//! when they are equal, but for a SHA-256 collision. Consecutive statuses
//! carry the same URL, so the monitor keeps the digest of the last long URL
//! with the URL itself ([`Digests`]: one, not one per session) and digests a
//! URL again only when it changed.

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

/// The SHA-256 digest of the last long URL digested, with that URL: the one
/// copy of a URL the monitor keeps whole, whatever its length (at most a
/// trace line, 1 MiB), and whatever the number of sessions.
#[derive(Debug, Default)]
pub(super) struct Digests {
    url: Vec<u8>,
    sha256: [u8; 32],
    /// Whether `url` is well formed (STATUS-URL-FORM), judged with its digest.
    well_formed: bool,
}

impl Digests {
    /// `url` to judge: whole when it is short, with its digest when long.
    pub(super) fn of<'a>(&mut self, url: &'a str) -> UrlRef<'a> {
        if url.len() <= INLINE_BYTES {
            return UrlRef::Live(url);
        }
        if self.url != url.as_bytes() {
            self.sha256 = Sha256::digest(url.as_bytes()).into();
            self.well_formed = url_is_well_formed(url);
            self.url.clear();
            self.url.extend_from_slice(url.as_bytes());
        }
        UrlRef::LiveLong(url, self.sha256, self.well_formed)
    }
}

/// A URL being judged: read from the record being fed, or kept compact by a
/// held status.
#[derive(Clone, Copy, Debug)]
pub(super) enum UrlRef<'a> {
    /// A URL read from the record (a long one has no digest yet).
    Live(&'a str),
    /// A long URL read from the record, with its SHA-256 digest and
    /// whether it is well formed ([`url_is_well_formed`]), which are the
    /// same for every status that carries the same URL.
    LiveLong(&'a str, [u8; 32], bool),
    Compact(&'a CompactUrl),
}

impl<'a> UrlRef<'a> {
    /// The whole URL, unless only its digest was kept.
    fn whole(self) -> Result<&'a str, &'a LongUrl> {
        match self {
            UrlRef::Live(url) | UrlRef::LiveLong(url, ..) => Ok(url),
            UrlRef::Compact(CompactUrl::Inline(url)) => Ok(url),
            UrlRef::Compact(CompactUrl::Digest(long)) => Err(long),
        }
    }

    /// STATUS-URL-FORM's reading: [`url_is_well_formed`].
    /// A long URL was judged once, with its digest.
    pub(super) fn is_well_formed(self) -> bool {
        match self {
            UrlRef::Live(url) => url_is_well_formed(url),
            UrlRef::Compact(CompactUrl::Inline(url)) => url_is_well_formed(url),
            UrlRef::LiveLong(_, _, well_formed) => well_formed,
            UrlRef::Compact(CompactUrl::Digest(long)) => long.well_formed,
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
        let (url, sha256, well_formed) = match self {
            UrlRef::Compact(c) => return c.clone(),
            UrlRef::Live(url) if url.len() <= INLINE_BYTES => return CompactUrl::Inline(url.into()),
            UrlRef::Live(url) => (url, Sha256::digest(url.as_bytes()).into(), url_is_well_formed(url)),
            UrlRef::LiveLong(url, sha256, well_formed) => (url, sha256, well_formed),
        };
        CompactUrl::Digest(Box::new(LongUrl {
            len: url.len(),
            sha256,
            well_formed,
            short: shorten(url, VALUE_CHARS).into(),
        }))
    }

    /// The SHA-256 digest of a URL too long to keep whole.
    fn sha256(self) -> Option<[u8; 32]> {
        match self {
            UrlRef::Live(url) => (url.len() > INLINE_BYTES).then(|| Sha256::digest(url.as_bytes()).into()),
            UrlRef::LiveLong(_, sha256, _) => Some(sha256),
            UrlRef::Compact(CompactUrl::Digest(long)) => Some(long.sha256),
            UrlRef::Compact(CompactUrl::Inline(_)) => None,
        }
    }

    /// Whether it is the URL `kept` was made of.
    pub(super) fn is(self, kept: &CompactUrl) -> bool {
        match kept {
            // A digest is kept only of a URL longer than any kept whole.
            CompactUrl::Inline(k) => self.whole().is_ok_and(|url| url == &**k),
            CompactUrl::Digest(k) => self.len() == k.len && self.sha256() == Some(k.sha256),
        }
    }

    fn len(self) -> usize {
        match self.whole() {
            Ok(url) => url.len(),
            Err(long) => long.len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl CompactUrl {
        fn new(url: &str) -> CompactUrl {
            UrlRef::Live(url).to_compact()
        }
    }

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
    fn a_url_with_its_digest_equals_exactly_the_urls_it_was_made_of() {
        let mut digests = Digests::default();
        let (a, b) = (long("x"), long("y"));
        let (kept_a, kept_b) = (CompactUrl::new(&a), CompactUrl::new(&b));
        // Each digest computed anew when the URL changes, reused when not.
        for url in [&a, &a, &b, &a, &b, &b] {
            let live = digests.of(url);
            assert!(matches!(live, UrlRef::LiveLong(..)));
            assert_eq!(live.is(&kept_a), url == &a, "{}", &url[url.len() - 1..]);
            assert_eq!(live.is(&kept_b), url == &b);
            assert!(live.is(&live.to_compact()));
            assert_eq!(live.is_well_formed(), url_is_well_formed(url));
        }
        // A short URL is judged whole.
        assert!(matches!(digests.of("http://a/"), UrlRef::Live(_)));
        // A URL of the same length and first bytes as the last is digested
        // again: only its last byte differs.
        let c = long("z");
        assert!(!digests.of(&c).is(&kept_a) && !digests.of(&c).is(&kept_b));
        assert!(digests.of(&c).is(&CompactUrl::new(&c)));
    }

    #[test]
    fn a_kept_long_url_judges_and_quotes_like_the_url() {
        let mut digests = Digests::default();
        for url in [long(""), format!("ftp://x/{}", "é".repeat(300)), long(""), long(" ")] {
            let kept = CompactUrl::new(&url);
            // Judged with its digest, once per URL, alike.
            assert_eq!(digests.of(&url).is_well_formed(), url_is_well_formed(&url));
            assert_eq!(UrlRef::Compact(&digests.of(&url).to_compact()).is_well_formed(), url_is_well_formed(&url));
            assert_eq!(UrlRef::Compact(&kept).is_well_formed(), url_is_well_formed(&url));
            assert_eq!(UrlRef::Compact(&kept).short(), UrlRef::Live(&url).short());
            assert!(UrlRef::Live(&url).short().chars().count() <= VALUE_CHARS + 1);
        }
    }
}
