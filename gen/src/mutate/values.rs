//! Operators of the `values` area: STATUS-INDI-VALUE, STATUS-HTTP-VALUE,
//! STATUS-HR-MATCHES and STATUS-URL-FORM. Each edits the value of a status
//! (an existing one, or a stray one appended), which the rule judges wherever
//! it stands.

use std::borrow::Cow;

use indiv_spec::vocab::{IndiStatus, KnownHresult};

use super::{Op, failure};
use crate::legal::pick;

pub(super) fn status_indi_value(op: &mut Op) -> Option<()> {
    op.edit_value(|_| true, |v, c| v.indi = pick(c, &[0, 0x03, 0x12, 0x40, 0x30, u32::MAX]))
}

pub(super) fn status_http_value(op: &mut Op) -> Option<()> {
    op.edit_value(|_| true, |v, c| v.http = pick(c, &[5, 6, 0x10, u32::MAX]))
}

pub(super) fn status_hr_matches(op: &mut Op) -> Option<()> {
    op.edit_value(
        |v| v.indi_status().is_some_and(|s| s != IndiStatus::Cancel),
        |v, c| {
            v.hr = if v.indi == IndiStatus::Fail.value() {
                pick(c, &[KnownHresult::SOk, KnownHresult::NsSDrmIndividualized]).into()
            } else {
                failure(c)
            }
        },
    )
}

pub(super) fn status_url_form(op: &mut Op) -> Option<()> {
    const BAD: [&str; 7] = [
        "",
        "ftp://indiv.example/x",
        "https://",
        "not a url",
        "https://exa mple/x",
        "https://é.example/",
        "http://:80/",
    ];
    op.edit_value(|_| true, |v, c| v.url = Some(Cow::Borrowed(pick(c, &BAD))))
}
