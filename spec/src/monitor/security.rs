//! Rule area `security`: the `IWMDRMSecurity` path (PerformSecurityUpdate,
//! its events, GetSecurityVersion). Judges SECURITY-FLAGS-ONE,
//! SECURITY-COMPLETED-ONCE, SECURITY-COMPLETED-MATCHES, SECURITY-AS-NEEDED,
//! SECURITY-FORCE, SECURITY-REVOCATION-ONLY, SECURITY-VERSION-FORM,
//! SECURITY-VERSION-REFLECTS and SECURITY-VERSION-STABLE.

use super::{Found, KnownFrom, Monitor, Session, Step, Violation, at_end, status_name};
use crate::catalog::Rule;
use crate::record::IndividualizeStatus;
use crate::vocab::{ComponentVersion, Hresult, IndiStatus, KnownHresult, Path, SecurityFlag, SecurityVersion};

impl Monitor<'_> {
    /// SECURITY-FLAGS-ONE and SESSION-ONE-AT-A-TIME (only the first refusal
    /// that applies is judged; a revocation refresh opens no session, so it
    /// is never busy); an accepted call opens a session or starts a refresh.
    /// Only flags with the 0x1 or the 0x4 bit open a session, and only exactly
    /// 0x2 starts a refresh: other flags start nothing.
    pub(super) fn perform_security_update(&mut self, flags: u32, hr: Hresult) {
        let refresh = flags == SecurityFlag::RevocationRefresh.value();
        let opens = flags & (SecurityFlag::Indiv.value() | SecurityFlag::ForceIndiv.value()) != 0;
        let refusal = if SecurityFlag::from_value(flags).is_none() {
            Some((Rule::SecurityFlagsOne, KnownHresult::EInvalidArg, "flags that are not exactly one of 0x1, 0x2, 0x4"))
        } else if refresh {
            None
        } else {
            self.busy()
        };
        if let Some(refusal) = refusal {
            self.expect_refusal(refusal, hr, ("PerformSecurityUpdate", flags, opens));
        }
        if hr.is_success() {
            if refresh {
                self.revocations.push_back((self.line, None));
            } else if opens {
                self.open_session(Path::Security, flags);
            }
        }
    }

    /// SECURITY-VERSION-FORM, SECURITY-VERSION-REFLECTS and
    /// SECURITY-VERSION-STABLE on a GetSecurityVersion that returned a
    /// success code. One fault, one report: a report that breaks FORM or
    /// REFLECTS is judged by that rule alone.
    pub(super) fn get_security_version(&mut self, version: Option<&str>, hr: Hresult) {
        if hr.is_failure() {
            return;
        }
        let Some(text) = version else {
            self.emit(
                Rule::SecurityVersionForm,
                None,
                "GetSecurityVersion returned a success code but no version".into(),
            );
            return;
        };
        let Some(reported) = SecurityVersion::parse(text).filter(|v| v.is_component_form()) else {
            self.emit(
                Rule::SecurityVersionForm,
                None,
                format!(
                    "GetSecurityVersion reported `{}`, expected four dot-separated numbers, the third 0, the fourth 0 or 1",
                    crate::text::shorten(text, super::VALUE_CHARS)
                ),
            );
            return;
        };
        let reflects = match self.reflects {
            Some(Some(service)) if reported != service => Some(format!(
                "GetSecurityVersion reported {reported} after a session installed and succeeded; expected the service's version {service}"
            )),
            Some(None) if !reported.is_individualized() => Some(format!(
                "GetSecurityVersion reported {reported} after a session installed and succeeded; expected a fourth number of 1"
            )),
            _ => None,
        };
        if let Some(message) = reflects {
            self.emit(Rule::SecurityVersionReflects, None, message);
            return;
        }
        self.version_stable(reported);
    }

    /// SECURITY-VERSION-STABLE on a well-formed report that
    /// SECURITY-VERSION-REFLECTS accepted: it is the known version, or
    /// becomes it when none is known. Not judged while an install is under
    /// way (a session that reported INDI_INSTALL has no terminal status yet).
    fn version_stable(&mut self, reported: SecurityVersion) {
        if self.installing > 0 {
            return;
        }
        match self.component {
            ComponentVersion::Unknown | ComponentVersion::IndividualizedUnknown => {
                self.component = ComponentVersion::Known(reported);
                self.known_from = Some(KnownFrom::Report(self.line));
            }
            ComponentVersion::Known(known) if reported != known => {
                let from = match self.known_from {
                    Some(KnownFrom::Header) | None => "the trace header's component_version".to_string(),
                    Some(KnownFrom::Report(line)) => format!("reported at line {line}"),
                    Some(KnownFrom::Install(line)) => format!("installed by the session that succeeded at line {line}"),
                };
                self.emit(
                    Rule::SecurityVersionStable,
                    None,
                    format!(
                        "GetSecurityVersion reported {reported}, but the component's version is {known} ({from}) and no session installed and succeeded since"
                    ),
                );
            }
            ComponentVersion::Known(_) => {}
        }
    }

    /// A session installed and succeeded: the component now has the
    /// service's version (or an individualized one of unknown number), and
    /// GetSecurityVersion must say so (SECURITY-VERSION-REFLECTS).
    pub(super) fn installed_and_succeeded(&mut self) {
        self.component = self.service.map_or(ComponentVersion::IndividualizedUnknown, ComponentVersion::Known);
        self.known_from = Some(KnownFrom::Install(self.line));
        self.reflects = Some(self.service);
    }

    /// SECURITY-COMPLETED-ONCE and SECURITY-COMPLETED-MATCHES at a
    /// MEWMDRMIndividualizationCompleted, which closes the most recently
    /// opened security session.
    pub(super) fn completed(&mut self, hr: Hresult) {
        let Some(session) = self.open.security.pop() else {
            let last = (self.sessions_opened > 0).then_some(self.sessions_opened);
            self.emit(
                Rule::SecurityCompletedOnce,
                last,
                "MEWMDRMIndividualizationCompleted with no open PerformSecurityUpdate session".into(),
            );
            return;
        };
        if session.installed && session.terminal.is_none() {
            self.installing -= 1;
        }
        match session.terminal {
            None => {
                self.emit(
                    Rule::SecurityCompletedMatches,
                    Some(session.number),
                    format!(
                        "MEWMDRMIndividualizationCompleted before session {} reported a terminal status",
                        session.number
                    ),
                );
                self.closed_unended(session.number, session.opened_line, session.quote);
            }
            Some(t) if hr.is_success() != (t == IndiStatus::Succeed) => self.emit(
                Rule::SecurityCompletedMatches,
                Some(session.number),
                format!(
                    "MEWMDRMIndividualizationCompleted carries {hr} ({}) but the session ended in {t}",
                    if hr.is_success() { "success" } else { "failure" }
                ),
            ),
            Some(_) => {}
        }
    }

    /// SECURITY-REVOCATION-ONLY at a MEWMDRMRevocationDownloadCompleted,
    /// which ends the oldest pending refresh.
    pub(super) fn revocation_completed(&mut self) {
        if self.revocations.pop_front().is_none() {
            self.emit(
                Rule::SecurityRevocationOnly,
                None,
                "MEWMDRMRevocationDownloadCompleted without a pending revocation refresh".into(),
            );
        }
    }

    /// SECURITY-REVOCATION-ONLY: a progress event while a refresh is pending
    /// and no session is open.
    pub(super) fn progress_during_refresh(&mut self, v: &IndividualizeStatus<'_>) {
        self.emit(
            Rule::SecurityRevocationOnly,
            None,
            format!(
                "{} progress event during a revocation refresh, which produces no individualization statuses",
                status_name(v)
            ),
        );
    }
}

/// SECURITY-REVOCATION-ONLY for a refresh still pending at the end of a
/// complete trace, at its call's line (`quote`d).
pub(super) fn refresh_never_completed((line, quote): (usize, Option<Box<str>>)) -> Violation {
    at_end(
        Rule::SecurityRevocationOnly,
        line,
        None,
        "the revocation refresh never produced MEWMDRMRevocationDownloadCompleted".into(),
        quote,
    )
}

/// SECURITY-COMPLETED-ONCE: a security session that ended in `terminal` but
/// had no Completed event by the end of a complete trace.
pub(super) fn never_completed(s: &Session, terminal: IndiStatus) -> Violation {
    at_end(
        Rule::SecurityCompletedOnce,
        s.opened_line,
        Some(s.number),
        format!("session {} reported {terminal} but no MEWMDRMIndividualizationCompleted followed", s.number),
        s.quote.clone(),
    )
}

/// SECURITY-AS-NEEDED, at the session's first INDI_INSTALL: an as-needed
/// update of a client at least as new as the service installs nothing.
pub(super) fn as_needed(s: &Session, step: &Step<'_, '_>, found: &mut Found) {
    let first_install = step.indi == Some(IndiStatus::Install) && !s.installed;
    let as_needed = s.path == Path::Security && s.flags == SecurityFlag::Indiv.value();
    if first_install && as_needed && s.up_to_date == Some(true) {
        found.push((
            Rule::SecurityAsNeeded,
            "an as-needed update installs although the client is not older than the service".into(),
        ));
    }
}

/// SECURITY-FORCE, at INDI_SUCCEED beside SESSION-SUCCEED-INSTALLED: a forced
/// update finishes its download and installs.
pub(super) fn force(s: &Session, found: &mut Found) {
    if let Some(what) = s.success_lacks() {
        if s.path == Path::Security && s.flags == SecurityFlag::ForceIndiv.value() {
            found.push((Rule::SecurityForce, format!("a forced update reports INDI_SUCCEED {what}")));
        }
    }
}
