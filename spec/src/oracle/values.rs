//! Rule area `values`, as the oracle reads it: STATUS-INDI-VALUE,
//! STATUS-HTTP-VALUE, STATUS-HR-MATCHES and STATUS-URL-FORM.

use super::{Found, Trace};
use crate::catalog::Rule;
use crate::vocab::IndiStatus;

/// "the value rules ... judge every WM_INDIVIDUALIZE_STATUS, wherever it
/// belongs".
pub(super) fn value_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for i in 0..t.records.len() {
        let Some(v) = t.status(i) else { continue };
        let phase = v.indi_status();
        if phase.is_none() {
            t.flag(out, Rule::StatusIndiValue, i);
        }
        if v.http_status().is_none() {
            t.flag(out, Rule::StatusHttpValue, i);
        }
        // "a status's own hr is a failure code exactly when it is INDI_FAIL;
        // INDI_CANCEL may carry either"; "judged only when enIndiStatus is a
        // defined value"
        if let Some(phase) = phase {
            if phase != IndiStatus::Cancel && v.hr.is_failure() != (phase == IndiStatus::Fail) {
                t.flag(out, Rule::StatusHrMatches, i);
            }
        }
        if v.url.as_deref().is_some_and(|url| !url_is_well_formed(url)) {
            t.flag(out, Rule::StatusUrlForm, i);
        }
    }
}

/// "absolute means the scheme http:// or https:// (case-insensitive) followed
/// by a non-empty host; every byte is printable ASCII without spaces"; "the
/// host is the authority (what follows the scheme up to the first /, ? or #)
/// without its userinfo (up to the last @) and its port (from a :)".
fn url_is_well_formed(url: &str) -> bool {
    if !url.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_and_port = authority.rsplit('@').next().unwrap_or("");
    // (An IP literal, `[::1]`, starts with its bracket: never empty.)
    !host_and_port.split(':').next().unwrap_or("").is_empty()
}
