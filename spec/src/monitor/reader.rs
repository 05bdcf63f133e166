//! Rule area `reader`: the `IWMDRMReader` path (Open, Individualize and the
//! reader's notifications). Judges READER-FLAGS-VALID, READER-NO-REINDIV,
//! READER-REINDIV-ALLOWED, READER-NEEDS-WHEN-OUTDATED,
//! READER-NO-RIGHTS-AFTER-SUCCEED and READER-NO-RIGHTS-NOT-BEFORE.

use super::{Monitor, Violation, at_end};
use crate::catalog::Rule;
use crate::vocab::{ComponentVersion, Hresult, KnownHresult, Path, ReaderFlag, RequiredVersion, SecurityVersion};

/// The span from an Open to the next call, in which WMT_NEEDS_INDIVIDUALIZATION
/// is due or forbidden.
#[derive(Debug)]
pub(super) struct OpenWindow {
    line: usize,
    seen: bool,
    /// The component's version and the content's requirement, when the
    /// version is known; kept rather than a message so that an Open costs no
    /// formatting.
    versions: Option<(SecurityVersion, RequiredVersion)>,
}

impl OpenWindow {
    /// Whether WMT_NEEDS_INDIVIDUALIZATION must come; `None` when the version is unknown.
    fn expected(&self) -> Option<bool> {
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
            ComponentVersion::Known(c) => Some((c, required_version)),
            ComponentVersion::Unknown | ComponentVersion::IndividualizedUnknown => {
                self.note(
                    Rule::ReaderNeedsWhenOutdated,
                    "the component's version is unknown here, so whether WMT_NEEDS_INDIVIDUALIZATION is due cannot be judged".into(),
                );
                None
            }
        };
        self.open_window = Some(OpenWindow { line: self.line, seen: false, versions });
        self.late_needs_owed = false;
    }

    /// READER-FLAGS-VALID, SESSION-ONE-AT-A-TIME, READER-NO-REINDIV (only the
    /// first refusal that applies is judged) and READER-REINDIV-ALLOWED.
    pub(super) fn individualize(&mut self, flags: u32, hr: Hresult) {
        let refusal = if ReaderFlag::from_value(flags).is_none() {
            Some((Rule::ReaderFlagsValid, KnownHresult::EInvalidArg, "flags other than 0x0 or 0x1"))
        } else {
            self.busy().or_else(|| {
                self.locked.then_some((
                    Rule::ReaderNoReindiv,
                    KnownHresult::AlreadyIndividualized,
                    "an earlier Individualize(0x1) succeeded",
                ))
            })
        };
        match refusal {
            Some(refusal) => self.expect_refusal(refusal, hr, ("Individualize", flags, true)),
            None if hr.is_failure() && self.last_reader_success_flags == Some(ReaderFlag::Reindividualizable.value()) => {
                self.emit(
                    Rule::ReaderReindivAllowed,
                    None,
                    format!("Individualize({flags:#x}) returned {hr} after an Individualize(0x0) session succeeded; expected it to be accepted"),
                )
            }
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
                self.emit(
                    Rule::ReaderNeedsWhenOutdated,
                    None,
                    format!("{}, but no WMT_NEEDS_INDIVIDUALIZATION came before the next call (line {line})", w.why()),
                );
                if let Some(v) = self.violations.last_mut() {
                    v.ts = None;
                }
                self.line = line;
                self.ts = ts;
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
        self.needs_since_no_rights = true;
        self.success_since_needs = false;
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

    /// A session of either path succeeded: WMT_NO_RIGHTS_EX may now come
    /// (READER-NO-RIGHTS-NOT-BEFORE).
    pub(super) fn session_succeeded(&mut self) {
        if self.needs_since_no_rights {
            self.success_since_needs = true;
        }
    }

    /// A reader session succeeded with `flags`: the lock (0x1), the
    /// re-individualization allowance (0x0), and the WMT_NO_RIGHTS_EX now due.
    pub(super) fn reader_succeeded(&mut self, flags: u32) {
        self.last_reader_success_flags = Some(flags);
        if flags == ReaderFlag::Final.value() {
            self.locked = true;
        }
        if self.needs_since_no_rights {
            self.no_rights_due.get_or_insert(self.line);
        }
    }

    /// READER-NEEDS-WHEN-OUTDATED for the last Open of a complete trace.
    pub(super) fn open_window_at_end(&mut self, end: &mut Vec<Violation>) {
        if let Some(w) = self.open_window.take() {
            if w.expected() == Some(true) && !w.seen {
                end.push(at_end(
                    Rule::ReaderNeedsWhenOutdated,
                    w.line,
                    None,
                    format!("{}, but no WMT_NEEDS_INDIVIDUALIZATION came before the end of the trace", w.why()),
                ));
            }
        }
    }

    /// READER-NO-RIGHTS-AFTER-SUCCEED at the end of a complete trace,
    /// reported at the INDI_SUCCEED that created the obligation.
    pub(super) fn no_rights_at_end(&self, end: &mut Vec<Violation>) {
        if let Some(line) = self.no_rights_due {
            end.push(at_end(
                Rule::ReaderNoRightsAfterSucceed,
                line,
                None,
                "individualization succeeded after WMT_NEEDS_INDIVIDUALIZATION, but no WMT_NO_RIGHTS_EX followed"
                    .into(),
            ));
        }
    }
}
