//! Mutation operators: one per rule of the spec, each turning a legal trace
//! into one that breaks that rule at a known line.
//!
//! An operator first reads the trace the way the checker's readings describe
//! it (which session a status belongs to, the component's version, the lock,
//! pending obligations: `Analysis`), then either edits a place that offers the
//! context the rule needs, or appends (or inserts at the start) a small fresh
//! block that creates that context, so that every operator applies to every
//! trace. The checker may report other rules on a mutant too; what it must
//! report is the operator's rule at [`Mutant::line`]. For rules judged at the
//! end of a trace that line is the one that created the obligation (the start
//! call, the INDI_SUCCEED, the Open, the refresh), as the spec's readings say.
//!
//! `analysis` reads the trace, `draft` edits it, and there is one module of
//! operators per area of the spec's rules (`values`, `sessions`, `http`,
//! `cancellation`, `reader`, `security`); [`mutate`] dispatches a rule to
//! its area's operator.

mod analysis;
mod cancellation;
mod draft;
mod http;
mod reader;
mod security;
mod sessions;
mod values;

use indiv_spec::record::{IndividualizeStatus, Record};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, Path};
use indiv_spec::{Rule, Spec};

use self::analysis::Analysis;
use self::draft::{Block, Draft};
use crate::legal::{Choices, chance, pick, status_on, value};

/// A trace that breaks one rule, and where the checker must say so.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutant {
    /// The mutated trace.
    pub records: Vec<Record<'static>>,
    /// The 1-based line at which the checker must report the rule.
    pub line: usize,
}

/// Turns the legal `trace` into one that breaks `rule` at a known line. Every
/// operator can append or insert a fresh block when the trace offers no place
/// to edit, so this returns `None` only for the harness rules (`basis =
/// "harness"`, which need what the service saw, not just the trace), when the
/// built-in spec cannot be loaded, or when its phase table allows no
/// out-of-order phase.
pub fn mutate(rule: Rule, trace: &[Record<'static>], choices: &mut dyn Choices) -> Option<Mutant> {
    let spec = Spec::builtin().ok()?;
    let operator = operator(rule)?;
    let analysis = Analysis::of(spec, trace);
    let mut op = Op { spec, analysis: &analysis, draft: Draft { records: trace.to_vec(), target: None }, choices };
    operator(&mut op)?;
    op.draft.into_mutant()
}

/// An operator: edits the draft so that it breaks its rule, and sets the
/// draft's target; `None` when it cannot.
type Operator = fn(&mut Op<'_, '_>) -> Option<()>;

/// The operator of `rule`, from its area's module; `None` for the service rules.
fn operator(rule: Rule) -> Option<Operator> {
    Some(match rule {
        // The service rules need the certification harness's counters; no
        // trace edit alone can break them.
        Rule::ServiceRoundtripsMatch
        | Rule::ServiceTotalMatches
        | Rule::ServiceProgressReal
        | Rule::ServiceUrlMatches
        | Rule::ServiceUrlVerbatim
        | Rule::ServiceFaultFails
        | Rule::ServiceRedirectsBounded => return None,
        Rule::StatusIndiValue => values::status_indi_value,
        Rule::StatusHttpValue => values::status_http_value,
        Rule::StatusHrMatches => values::status_hr_matches,
        Rule::StatusUrlForm => values::status_url_form,
        Rule::SessionUnsolicited => sessions::session_unsolicited,
        Rule::SessionChannel => sessions::session_channel,
        Rule::SessionBeginFirst => sessions::session_begin_first,
        Rule::SessionBeginClean => sessions::session_begin_clean,
        Rule::SessionPhaseOrder => sessions::session_phase_order,
        Rule::SessionOneTerminal => sessions::session_one_terminal,
        Rule::SessionEnds => sessions::session_ends,
        Rule::SessionInstallAfterDownload => sessions::session_install_after_download,
        Rule::SessionSucceedInstalled => sessions::session_succeed_installed,
        Rule::SessionOneAtATime => sessions::session_one_at_a_time,
        Rule::SessionCallReturnsFirst => sessions::session_call_returns_first,
        Rule::SessionDownloadReported => sessions::session_download_reported,
        Rule::HttpCountMonotonic => http::http_count_monotonic,
        Rule::HttpCountStep => http::http_count_step,
        Rule::HttpPhaseOrder => http::http_phase_order,
        Rule::HttpCompletedCounted => http::http_completed_counted,
        Rule::HttpSucceedCompleted => http::http_succeed_completed,
        Rule::ProgressWithinTotal => http::progress_within_total,
        Rule::ProgressMonotonic => http::progress_monotonic,
        Rule::ProgressTotalStable => http::progress_total_stable,
        Rule::HttpUrlStable => http::http_url_stable,
        Rule::CancelRequiresCall => cancellation::cancel_requires_call,
        Rule::CancelStopsWork => cancellation::cancel_stops_work,
        Rule::ReaderFlagsValid => reader::reader_flags_valid,
        Rule::ReaderAlreadyIndividualized => reader::reader_already_individualized,
        Rule::ReaderNeedsWhenOutdated => reader::reader_needs_when_outdated,
        Rule::ReaderNoRightsAfterSucceed => reader::reader_no_rights_after_succeed,
        Rule::ReaderNoRightsNotBefore => reader::reader_no_rights_not_before,
        Rule::SecurityFlagsOne => security::security_flags_one,
        Rule::SecurityCompletedOnce => security::security_completed_once,
        Rule::SecurityCompletedMatches => security::security_completed_matches,
        Rule::SecurityAsNeeded => security::security_as_needed,
        Rule::SecurityForce => security::security_force,
        Rule::SecurityRevocationOnly => security::security_revocation_only,
        Rule::SecurityVersionForm => security::security_version_form,
        Rule::SecurityVersionReflects => security::security_version_reflects,
        Rule::SecurityVersionStable => security::security_version_stable,
    })
}

/// One operator's working state.
struct Op<'a, 'c> {
    spec: &'a Spec,
    /// The legal trace, read before any edit.
    analysis: &'a Analysis,
    /// The trace being edited.
    draft: Draft,
    choices: &'c mut dyn Choices,
}

impl Op<'_, '_> {
    /// One of `sites`, or `None` (about one time in five, and always when
    /// there is none) to make the operator use its fresh block instead.
    fn site<T: Clone>(&mut self, sites: &[T]) -> Option<T> {
        if sites.is_empty() || chance(self.choices, 20) {
            return None;
        }
        Some(sites[self.choices.choose(sites.len() as u32) as usize].clone())
    }

    /// Appends `block` and targets its record `local`.
    fn append_target(&mut self, block: Block, local: usize) -> Option<()> {
        let base = self.draft.append(block.records);
        self.draft.target = Some(base + local);
        Some(())
    }

    /// A status whose value the rule judges wherever it stands: an existing
    /// one (matching `keep`), or a stray one appended.
    fn any_status(&mut self, keep: impl Fn(&IndividualizeStatus<'_>) -> bool) -> usize {
        let sites: Vec<usize> = self
            .analysis
            .statuses
            .iter()
            .copied()
            .filter(|at| self.draft.value(*at).is_some_and(|v| keep(&v)))
            .collect();
        match self.site(&sites) {
            Some(at) => at,
            None => {
                let path = pick(self.choices, &[Path::Reader, Path::Security]);
                let at = self.draft.records.len();
                self.draft.records.push(status_on(path, value(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0)));
                at
            }
        }
    }

    /// Edits a status value judged by a value rule and targets it.
    fn edit_value(
        &mut self,
        keep: impl Fn(&IndividualizeStatus<'_>) -> bool,
        edit: impl FnOnce(&mut IndividualizeStatus<'static>, &mut dyn Choices),
    ) -> Option<()> {
        let at = self.any_status(keep);
        let v = self.draft.value_mut(at)?;
        edit(v, &mut *self.choices);
        self.draft.target = Some(at);
        Some(())
    }

    /// Edits the value of the session status at `at` and targets it.
    fn edit_at(&mut self, at: usize, edit: impl FnOnce(&mut IndividualizeStatus<'static>)) -> Option<()> {
        edit(self.draft.value_mut(at)?);
        self.draft.target = Some(at);
        Some(())
    }
}

/// A failing hr a session may end with.
fn failure(c: &mut dyn Choices) -> Hresult {
    pick(c, &[KnownHresult::IndividualizeError, KnownHresult::IndivServiceUnavailable, KnownHresult::EUnexpected])
        .into()
}
