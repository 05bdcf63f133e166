//! The records of the `indiv-trace/1` format: what they hold, how they are
//! read from one JSON object (borrowing strings from the line where it can),
//! and how they are written back (names, never numbers, where a name exists).
//!
//! This file holds the record types and [`decode_line`], the one reader of a
//! line's record; `fast` decodes the lines a trace writer produces in one
//! pass of its own, `de` is the hand-written, borrowing serde deserializer
//! that reads the rest (and reports every error), and `ser` writes records;
//! `scan` finds where a string's plain text stops, for `fast` and `ser`.

mod de;
mod fast;
mod scan;
mod ser;

pub use ser::{line_serde, write_line};

use std::borrow::Cow;

use serde_json::Number;

use crate::vocab::{Api, Hresult, HttpStatus, IndiStatus, RequiredVersion, SecurityVersion};

/// The format name a header carries.
pub const TRACE_FORMAT: &str = "indiv-trace/1";

/// One line of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record<'a> {
    /// The engine's own timestamp, echoed in diagnostics.
    pub ts: Option<Number>,
    /// What the line says.
    pub body: Body<'a>,
}

/// What a record says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body<'a> {
    /// The optional first line.
    Header {
        /// The DRM component's security version at trace start.
        component_version: Option<SecurityVersion>,
        /// The version the individualization service offers.
        service_version: Option<SecurityVersion>,
    },
    /// A call the application made, with what it returned.
    Call {
        /// The API and its arguments.
        call: Call<'a>,
        /// What it returned.
        hr: Hresult,
    },
    /// An `IWMStatusCallback::OnStatus` callback.
    Status {
        /// Which status.
        status: Status<'a>,
        /// The callback's `hr` argument.
        hr: Hresult,
    },
    /// A Media Foundation event of the security path.
    Event {
        /// Which event.
        event: Event<'a>,
        /// The event's status.
        hr: Hresult,
    },
}

/// An application call with its arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Call<'a> {
    /// Opening protected content whose header requires a version.
    Open {
        /// The content header's required version.
        required_version: RequiredVersion,
    },
    /// `IWMDRMReader::Individualize(dwFlags)`.
    Individualize {
        /// `dwFlags`.
        flags: u32,
    },
    /// `IWMDRMReader::CancelIndividualization`.
    CancelIndividualization,
    /// `IWMDRMSecurity::PerformSecurityUpdate(dwFlags)`.
    PerformSecurityUpdate {
        /// `dwFlags`.
        flags: u32,
    },
    /// Cancels the asynchronous security update.
    CancelAsyncOperation,
    /// `IWMDRMSecurity::GetSecurityVersion`, with the version it reported as
    /// written (judged by `SECURITY-VERSION-FORM`, so not parsed here).
    GetSecurityVersion {
        /// The reported version string.
        version: Option<Cow<'a, str>>,
    },
}

impl Call<'_> {
    /// The API this call is to.
    pub fn api(&self) -> Api {
        match self {
            Call::Open { .. } => Api::Open,
            Call::Individualize { .. } => Api::Individualize,
            Call::CancelIndividualization => Api::CancelIndividualization,
            Call::PerformSecurityUpdate { .. } => Api::PerformSecurityUpdate,
            Call::CancelAsyncOperation => Api::CancelAsyncOperation,
            Call::GetSecurityVersion { .. } => Api::GetSecurityVersion,
        }
    }
}

/// A `WMT_STATUS` callback.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status<'a> {
    /// `WMT_INDIVIDUALIZE` with its `WM_INDIVIDUALIZE_STATUS`.
    Individualize(IndividualizeStatus<'a>),
    /// `WMT_NEEDS_INDIVIDUALIZATION`.
    NeedsIndividualization,
    /// `WMT_NO_RIGHTS_EX`.
    NoRightsEx,
}

/// A security-path event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event<'a> {
    /// `MEWMDRMIndividualizationProgress` with its status.
    Progress(IndividualizeStatus<'a>),
    /// `MEWMDRMIndividualizationCompleted`.
    Completed,
    /// `MEWMDRMRevocationDownloadCompleted`.
    RevocationCompleted,
}

/// `WM_INDIVIDUALIZE_STATUS`. The two enumerations are kept as raw DWORDs:
/// a number that is no defined value is read, and judged by the value rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndividualizeStatus<'a> {
    /// `hr`: the individualization process's own result.
    pub hr: Hresult,
    /// `enIndiStatus` as a raw value.
    pub indi: u32,
    /// `pszIndiRespUrl`.
    pub url: Option<Cow<'a, str>>,
    /// `dwHTTPRequest`: completed round trips.
    pub http_request: u32,
    /// `enHTTPStatus` as a raw value.
    pub http: u32,
    /// `dwHTTPReadProgress`.
    pub progress: u32,
    /// `dwHTTPReadTotal`.
    pub total: u32,
}

impl IndividualizeStatus<'_> {
    /// `enIndiStatus`, if it is a value the status may carry.
    pub fn indi_status(&self) -> Option<IndiStatus> {
        IndiStatus::from_value(self.indi).filter(|s| *s != IndiStatus::Undefined)
    }

    /// `enHTTPStatus`, if it is a defined value.
    pub fn http_status(&self) -> Option<HttpStatus> {
        HttpStatus::from_value(self.http)
    }

    /// A copy that owns its strings.
    pub fn into_owned(self) -> IndividualizeStatus<'static> {
        IndividualizeStatus { url: self.url.map(|u| Cow::Owned(u.into_owned())), ..self }
    }
}

impl<'a> Record<'a> {
    /// A copy that owns its strings.
    pub fn into_owned(self) -> Record<'static> {
        let body = match self.body {
            Body::Header { component_version, service_version } => Body::Header { component_version, service_version },
            Body::Call { call, hr } => Body::Call {
                call: match call {
                    Call::Open { required_version } => Call::Open { required_version },
                    Call::Individualize { flags } => Call::Individualize { flags },
                    Call::CancelIndividualization => Call::CancelIndividualization,
                    Call::PerformSecurityUpdate { flags } => Call::PerformSecurityUpdate { flags },
                    Call::CancelAsyncOperation => Call::CancelAsyncOperation,
                    Call::GetSecurityVersion { version } => {
                        Call::GetSecurityVersion { version: version.map(|v| Cow::Owned(v.into_owned())) }
                    }
                },
                hr,
            },
            Body::Status { status, hr } => Body::Status {
                status: match status {
                    Status::Individualize(v) => Status::Individualize(v.into_owned()),
                    Status::NeedsIndividualization => Status::NeedsIndividualization,
                    Status::NoRightsEx => Status::NoRightsEx,
                },
                hr,
            },
            Body::Event { event, hr } => Body::Event {
                event: match event {
                    Event::Progress(v) => Event::Progress(v.into_owned()),
                    Event::Completed => Event::Completed,
                    Event::RevocationCompleted => Event::RevocationCompleted,
                },
                hr,
            },
        };
        Record { ts: self.ts, body }
    }

    /// The one string a record may borrow (a status's or progress event's
    /// URL, a reported security version).
    fn string_mut(&mut self) -> Option<&mut Option<Cow<'a, str>>> {
        match &mut self.body {
            Body::Call { call: Call::GetSecurityVersion { version }, .. } => Some(version),
            Body::Status { status: Status::Individualize(s), .. } | Body::Event { event: Event::Progress(s), .. } => {
                Some(&mut s.url)
            }
            _ => None,
        }
    }

    /// The record apart from the text it was read from, which is `base` or
    /// holds it: a string borrowed from `base` is kept as its place there,
    /// not copied, so that a thread that read the record can hand it to
    /// another with the text ([`Detached::attach`]).
    pub fn detach(mut self, base: &[u8]) -> Detached {
        let mut borrowed = None;
        if let Some(slot) = self.string_mut() {
            if let Some(Cow::Borrowed(s)) = slot {
                let start = (s.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
                if start.checked_add(s.len()).is_some_and(|end| end <= base.len()) {
                    borrowed = Some(start..start + s.len());
                    *slot = None;
                }
            }
        }
        // What is left borrows nothing from `base` (a string not found in it
        // is copied), so this copies nothing in the common case.
        Detached { record: self.into_owned(), borrowed }
    }

    /// A record without a timestamp.
    pub fn new(body: Body<'_>) -> Record<'_> {
        Record { ts: None, body }
    }
}

/// A record kept apart from its text ([`Record::detach`]).
#[derive(Clone, Debug)]
pub struct Detached {
    record: Record<'static>,
    borrowed: Option<std::ops::Range<usize>>,
}

impl Detached {
    /// The record again, its borrowed string taken from `base`, the text it
    /// was detached from. `None` when `base` is not that text (too short, or
    /// the string's place is not at character boundaries).
    pub fn attach(self, base: &str) -> Option<Record<'_>> {
        let mut record: Record<'_> = self.record;
        if let Some(range) = self.borrowed {
            let s = base.get(range)?;
            *record.string_mut()? = Some(Cow::Borrowed(s));
        }
        Some(record)
    }
}

/// The record one line holds (without its line end): the fast decoder's
/// reading, or serde_json's where the fast decoder leaves the line to it
/// (a rare form such as an escaped string or a float, and every error).
/// Returns what [`decode_line_serde`] returns, for every input.
pub fn decode_line(text: &str) -> Result<Record<'_>, serde_json::Error> {
    match fast::decode(text) {
        Some(record) => Ok(record),
        None => decode_line_serde(text),
    }
}

/// The record one line holds, read by serde_json alone: the reference
/// [`decode_line`] is held to (by a property test and the fuzz target
/// `reader_agree`), and the reader of the lines it leaves.
pub fn decode_line_serde(text: &str) -> Result<Record<'_>, serde_json::Error> {
    serde_json::from_str(text)
}

/// The fast decoder alone: the record of a line it reads itself, `None` for a
/// line it leaves to serde_json. For the agreement checks and benchmarks;
/// readers call [`decode_line`].
#[doc(hidden)]
pub fn decode_line_fast(text: &str) -> Option<Record<'_>> {
    fast::decode(text)
}

/// A trace as JSON Lines, one record a line, each line ending in `\n`: the
/// writer of `indiv-trace/1` text for a trace held in memory (a streaming
/// writer writes each record with the same serializer and a newline).
pub fn to_jsonl(records: &[Record<'_>]) -> String {
    let mut out = String::new();
    write_jsonl(&mut out, records);
    out
}

/// [`to_jsonl`], appended to `out` (a buffer reused from trace to trace).
pub fn write_jsonl(out: &mut String, records: &[Record<'_>]) {
    for record in records {
        write_line(out, record);
        out.push('\n');
    }
}
