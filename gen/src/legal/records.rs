//! Record constructors, shared by the generator and the mutation operators.

use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, Path};

/// A call record.
pub(crate) fn call(call: Call<'static>, hr: impl Into<Hresult>) -> Record<'static> {
    Record::new(Body::Call { call, hr: hr.into() })
}

/// A `WM_INDIVIDUALIZE_STATUS` without a response URL.
pub(crate) fn value(
    indi: IndiStatus,
    req: u32,
    http: HttpStatus,
    progress: u32,
    total: u32,
) -> IndividualizeStatus<'static> {
    let hr = if indi == IndiStatus::Fail { KnownHresult::IndividualizeError.into() } else { Hresult::S_OK };
    IndividualizeStatus { hr, indi: indi.value(), url: None, http_request: req, http: http.value(), progress, total }
}

/// A status on `path`'s channel: a `WMT_INDIVIDUALIZE` status or a Progress event.
pub(crate) fn status_on(path: Path, v: IndividualizeStatus<'static>) -> Record<'static> {
    match path {
        Path::Reader => Record::new(Body::Status { status: Status::Individualize(v), hr: Hresult::S_OK }),
        Path::Security => Record::new(Body::Event { event: Event::Progress(v), hr: Hresult::S_OK }),
    }
}

/// A status callback without a value (`WMT_NEEDS_INDIVIDUALIZATION`, `WMT_NO_RIGHTS_EX`).
pub(crate) fn notify(status: Status<'static>) -> Record<'static> {
    Record::new(Body::Status { status, hr: Hresult::S_OK })
}

/// A security-path event without a value.
pub(crate) fn event(event: Event<'static>, hr: impl Into<Hresult>) -> Record<'static> {
    Record::new(Body::Event { event, hr: hr.into() })
}
