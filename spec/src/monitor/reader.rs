//! Rule area `reader`: the `IWMDRMReader` path (Open, Individualize and the
//! reader's notifications). Judges READER-FLAGS-VALID,
//! READER-ALREADY-INDIVIDUALIZED, READER-NEEDS-WHEN-OUTDATED,
//! READER-NO-RIGHTS-AFTER-SUCCEED and READER-NO-RIGHTS-NOT-BEFORE.

use super::{Monitor, Violation, at_end};
use crate::catalog::Rule;
use crate::vocab::{
    ComponentVersion, Hresult, IndiStatus, KnownHresult, Path, ReaderFlag, RequiredVersion, SecurityVersion,
};

/// The span from an Open to the next call, in which WMT_NEEDS_INDIVIDUALIZATION
/// is due or forbidden.
#[derive(Debug)]
pub(super) struct OpenWindow {
    pub(super) line: usize,
    seen: bool,
    /// The content's requirement, which a WMT_NEEDS_INDIVIDUALIZATION in
    /// this window leaves waiting (READER-NO-RIGHTS-AFTER-SUCCEED).
    required: RequiredVersion,
    /// The component's version and the content's requirement, when the
    /// version is known; kept rather than a message so that an Open costs no
    /// formatting.
    versions: Option<(SecurityVersion, RequiredVersion)>,
    /// The Open's line, shortened, when a WMT_NEEDS_INDIVIDUALIZATION is due.
    pub(super) quote: Option<Box<str>>,
}

impl OpenWindow {
    /// Whether WMT_NEEDS_INDIVIDUALIZATION must come; `None` when the version is unknown.
    pub(super) fn expected(&self) -> Option<bool> {
        self.versions.map(|(c, required)| c.is_outdated_for(required))
    }

    fn why(&self) -> String {
        match (self.versions, self.expected()) {
            (Some((c, required)), Some(true)) => {
                format!("component {c} is out of date for content requiring {required}")
            }
            (Some((c, required)), _) => format!("component {c} satisfies content requiring {required}"),
            (None, _) => "the component's version is unknown".into(),
        }
    }
}

impl Monitor<'_> {
    /// An Open starts the window of READER-NEEDS-WHEN-OUTDATED.
    pub(super) fn open_content(&mut self, required_version: RequiredVersion) {
        let versions = match self.component {
            // Reader objects made before a security update may not see it.
            _ if self.stale_readers => {
                self.note(
                    Rule::ReaderNeedsWhenOutdated,
                    "a security update succeeded and no reader session has since, so a reader may still see the old version: WMT_NEEDS_INDIVIDUALIZATION is allowed here and not required".into(),
                );
                None
            }
            ComponentVersion::Known(c) => Some((c, required_version)),
            ComponentVersion::Unknown | ComponentVersion::IndividualizedUnknown => {
                self.note(
                    Rule::ReaderNeedsWhenOutdated,
                    "the component's version is unknown here, so whether WMT_NEEDS_INDIVIDUALIZATION is due cannot be judged".into(),
                );
                None
            }
        };
        self.open_window =
            Some(OpenWindow { line: self.line, seen: false, required: required_version, versions, quote: None });
        self.late_needs_owed = false;
    }

    /// READER-FLAGS-VALID, SESSION-ONE-AT-A-TIME and
    /// READER-ALREADY-INDIVIDUALIZED: only the first refusal that applies is
    /// judged, and with none Individualize is accepted.
    pub(super) fn individualize(&mut self, flags: u32, hr: Hresult) {
        let refusal = if ReaderFlag::from_value(flags).is_none() {
            Some((Rule::ReaderFlagsValid, KnownHresult::EInvalidArg, "flags other than 0x0 or 0x1"))
        } else {
            self.busy().or_else(|| {
                self.locked.then_some((
                    Rule::ReaderAlreadyIndividualized,
                    KnownHresult::AlreadyIndividualized,
                    "the client locked (the last reader session, opened with 0x1, succeeded, and no WMT_NEEDS_INDIVIDUALIZATION came since)",
                ))
            })
        };
        match refusal {
            Some(refusal) => self.expect_refusal(refusal, hr, ("Individualize", flags, true)),
            None if hr.is_failure() => self.emit(
                Rule::ReaderAlreadyIndividualized,
                None,
                format!("Individualize({flags:#x}) returned {hr} with nothing running and the client not locked; expected a success code"),
            ),
            None => {}
        }
        if hr.is_success() {
            self.open_session(Path::Reader, flags);
        }
    }

    /// READER-NEEDS-WHEN-OUTDATED when a call ends the window of an Open:
    /// reported at the Open's line, without a `ts`.
    pub(super) fn close_open_window(&mut self) {
        if let Some(w) = self.open_window.take() {
            if w.expected() == Some(true) && !w.seen {
                self.late_needs_owed = true;
                let line = self.line;
                self.line = w.line;
                let ts = self.ts.take();
                let quote = std::mem::replace(&mut self.quote, w.quote.clone());
                self.emit(
                    Rule::ReaderNeedsWhenOutdated,
                    None,
                    format!("{}, but no WMT_NEEDS_INDIVIDUALIZATION came before the next call (line {line})", w.why()),
                );
                self.line = line;
                self.ts = ts;
                self.quote = quote;
            }
        }
    }

    /// READER-NEEDS-WHEN-OUTDATED at a WMT_NEEDS_INDIVIDUALIZATION, which
    /// also starts the wait READER-NO-RIGHTS-* judge.
    pub(super) fn needs_individualization(&mut self) {
        match &mut self.open_window {
            Some(w) if !w.seen => {
                w.seen = true;
                if w.expected() == Some(false) {
                    let message = format!("WMT_NEEDS_INDIVIDUALIZATION was sent although {}", w.why());
                    self.emit(Rule::ReaderNeedsWhenOutdated, None, message);
                }
            }
            // The late NEEDS of an Open already reported as missing: one
            // fault, one report.
            None if std::mem::take(&mut self.late_needs_owed) => {}
            _ => self.emit(
                Rule::ReaderNeedsWhenOutdated,
                None,
                "WMT_NEEDS_INDIVIDUALIZATION without an Open of its own".into(),
            ),
        }
        self.pending_required = self.open_window.as_ref().map(|w| w.required);
        self.needs_since_no_rights = true;
        self.success_since_needs = false;
        self.locked = false;
    }

    /// READER-NO-RIGHTS-NOT-BEFORE at a WMT_NO_RIGHTS_EX, which also meets
    /// any READER-NO-RIGHTS-AFTER-SUCCEED obligation.
    pub(super) fn no_rights(&mut self) {
        if self.needs_since_no_rights && !self.success_since_needs {
            self.emit(
                Rule::ReaderNoRightsNotBefore,
                None,
                "WMT_NO_RIGHTS_EX after WMT_NEEDS_INDIVIDUALIZATION, before any session succeeded".into(),
            );
        }
        self.needs_since_no_rights = false;
        self.success_since_needs = false;
        self.no_rights_due = None;
    }

    /// A session of either path ended with the terminal status `indi`: what
    /// READER-NO-RIGHTS-*, READER-ALREADY-INDIVIDUALIZED and the stale-reader
    /// reading of READER-NEEDS-WHEN-OUTDATED remember of it.
    pub(super) fn session_ended(&mut self, path: Path, flags: u32, indi: IndiStatus) {
        let succeeded = indi == IndiStatus::Succeed;
        if succeeded && self.needs_since_no_rights {
            self.success_since_needs = true;
        }
        match path {
            Path::Security => self.stale_readers |= succeeded,
            Path::Reader => {
                self.locked = succeeded && flags == ReaderFlag::Final.value();
                if succeeded {
                    self.stale_readers = false;
                    if self.needs_since_no_rights && self.upgrade_meets_need() {
                        self.no_rights_due.get_or_insert((self.line, None));
                    }
                }
            }
        }
    }

    /// Whether the component now meets the requirement of the waiting
    /// WMT_NEEDS_INDIVIDUALIZATION; with either unknown, as the page says
    /// without condition, it does.
    fn upgrade_meets_need(&self) -> bool {
        match (self.pending_required, self.component) {
            (Some(required), ComponentVersion::Known(c)) => !c.is_outdated_for(required),
            _ => true,
        }
    }

    /// READER-NEEDS-WHEN-OUTDATED for the last Open of a complete trace.
    pub(super) fn open_window_at_end(&mut self) -> Option<Violation> {
        let w = self.open_window.take()?;
        (w.expected() == Some(true) && !w.seen).then(|| {
            at_end(
                Rule::ReaderNeedsWhenOutdated,
                w.line,
                None,
                format!("{}, but no WMT_NEEDS_INDIVIDUALIZATION came before the end of the trace", w.why()),
                w.quote.clone(),
            )
        })
    }

    /// READER-NO-RIGHTS-AFTER-SUCCEED at the end of a complete trace,
    /// reported at the INDI_SUCCEED that created the obligation.
    pub(super) fn no_rights_at_end(&mut self) -> Option<Violation> {
        let (line, quote) = self.no_rights_due.take()?;
        Some(at_end(
            Rule::ReaderNoRightsAfterSucceed,
            line,
            None,
            "individualization succeeded after WMT_NEEDS_INDIVIDUALIZATION, but no WMT_NO_RIGHTS_EX followed".into(),
            quote,
        ))
    }
}
