//! Rule area `values`: the values inside one `WM_INDIVIDUALIZE_STATUS`,
//! judged on every status wherever it belongs. Judges STATUS-INDI-VALUE,
//! STATUS-HTTP-VALUE, STATUS-HR-MATCHES and STATUS-URL-FORM.

use std::fmt::Write as _;

use super::Monitor;
use super::url::UrlRef;
use crate::catalog::Rule;
use crate::record::IndividualizeStatus;
use crate::vocab::{HttpStatus, IndiStatus};

impl Monitor<'_> {
    /// The value rules of one status, reported under session `number`.
    pub(super) fn value_rules(
        &mut self,
        number: Option<u32>,
        v: &IndividualizeStatus<'_>,
        url: Option<UrlRef<'_>>,
        indi: Option<IndiStatus>,
        http: Option<HttpStatus>,
    ) {
        if indi.is_none() {
            let mut message = format!("enIndiStatus {:#x} is not one status value", v.indi);
            if v.indi == 0 {
                message.push_str(" (INDI_UNDEFINED is reserved)");
            } else if v.indi.count_ones() > 1 && v.indi & !0x3f == 0 {
                let _ = write!(message, " (an OR of {} values)", v.indi.count_ones());
            }
            self.emit(Rule::StatusIndiValue, number, message);
        }
        if http.is_none() {
            self.emit(Rule::StatusHttpValue, number, format!("enHTTPStatus {} is not a DRM_HTTP_STATUS value", v.http));
        }
        if let Some(indi) = indi {
            if indi != IndiStatus::Cancel && v.hr.is_failure() != (indi == IndiStatus::Fail) {
                let message = if indi == IndiStatus::Fail {
                    format!("INDI_FAIL carries the success code {}", v.hr)
                } else {
                    format!("{indi} carries the failure code {}", v.hr)
                };
                self.emit(Rule::StatusHrMatches, number, message);
            }
        }
        if let Some(url) = url {
            if !url.is_well_formed() {
                self.emit(
                    Rule::StatusUrlForm,
                    number,
                    format!("pszIndiRespUrl {:?} is not an absolute http(s) URL in ASCII", url.short()),
                );
            }
        }
    }
}

/// `STATUS-URL-FORM`: an absolute http(s) URL with a host, printable ASCII.
pub fn url_is_well_formed(url: &str) -> bool {
    // On every status that carries a URL, so one pass per step and no early
    // exit in the byte check (it vectorises).
    let bytes = url.as_bytes();
    let printable = bytes.iter().fold(true, |ok, &b| ok & (b > b' ') & (b < 0x7f));
    if bytes.is_empty() || !printable {
        return false;
    }
    let scheme_is = |scheme: &[u8]| bytes.get(..scheme.len()).is_some_and(|p| p.eq_ignore_ascii_case(scheme));
    let rest = if scheme_is(b"https://") {
        &bytes[8..]
    } else if scheme_is(b"http://") {
        &bytes[7..]
    } else {
        return false;
    };
    let authority = &rest[..memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len())];
    let host = memchr::memrchr(b'@', authority).map_or(authority, |at| &authority[at + 1..]);
    host.first().is_some_and(|&b| b != b':')
}

#[cfg(test)]
mod tests {
    use super::url_is_well_formed;

    #[test]
    fn response_urls_must_be_absolute_http_in_ascii() {
        for good in ["http://a", "HTTPS://indiv.example/r?x=1", "https://user@host:443/p", "http://127.0.0.1:8080/c/1/"]
        {
            assert!(url_is_well_formed(good), "{good}");
        }
        for bad in
            ["", "/relative", "ftp://host/", "http://", "https://:443/", "http://host/a b", "https://hôst/", "http:/x"]
        {
            assert!(!url_is_well_formed(bad), "{bad}");
        }
    }
}
