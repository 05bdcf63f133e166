//! One session, from its accepted start call to its terminal status: a random
//! walk over the spec's `[session]` phase table (`first`, `may_follow`, the
//! terminal statuses) whose statuses report snapshots of round trips planned
//! along the `[http]` order, with the counters kept consistent and, between
//! two statuses, the calls an application may make meanwhile.

use std::borrow::Cow;

use indiv_spec::record::{Body, Call, IndividualizeStatus};
use indiv_spec::vocab::{
    ComponentVersion, Hresult, HttpStatus, IndiStatus, KnownHresult, Path, ReaderFlag, SecurityFlag,
};

use super::choices::{Choices, chance, pick, weighted};
use super::generator::Gen;
use super::records::{call, status_on};

const URLS: [&str; 3] =
    ["https://indiv.example/resp/7f3a", "http://indiv.example:8080/r?id=42", "HTTPS://Indiv.Example/x#frag"];
const FAILURES: [KnownHresult; 5] = [
    KnownHresult::IndividualizeError,
    KnownHresult::IndividualizationIncomplete,
    KnownHresult::IndivFraud,
    KnownHresult::IndivNoCabs,
    KnownHresult::IndivServiceUnavailable,
];
/// At most this many statuses in a session before it must end.
const MAX_STATUSES: u32 = 40;

/// One HTTP snapshot: what a status reports about round trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Snap {
    req: u32,
    http: HttpStatus,
    progress: u32,
    total: u32,
    /// The 0-based round trip the snapshot belongs to (`None` before every trip).
    trip: Option<u32>,
}

/// The state of an accepted cancel, as the checker's `CANCEL-STOPS-WORK` reading keeps it.
#[derive(Clone, Copy, Debug)]
struct CancelMark {
    phase: Option<IndiStatus>,
    trip: Option<u32>,
}

/// A session being generated.
#[derive(Debug)]
struct Run {
    path: Path,
    flags: u32,
    up_to_date: Option<bool>,
    /// The round trips of the whole session, state by state, in the
    /// `[http].order`; statuses report a subsequence of it.
    plan: Vec<Snap>,
    /// The snapshot of the last status (`None`: before every trip).
    at: Option<usize>,
    idle: Snap,
    phase: Option<IndiStatus>,
    last_download: Option<(u32, u32)>,
    installs: u32,
    statuses: u32,
    cancel: Option<CancelMark>,
    url: Option<&'static str>,
}

impl Run {
    fn current(&self) -> Snap {
        match self.at {
            Some(i) => self.plan[i],
            None => self.idle,
        }
    }

    fn download_finished(&self) -> bool {
        self.last_download.is_some_and(|(progress, total)| total > 0 && progress == total)
    }

    /// An as-needed security update, exempt from installing unless the client is known to be older.
    fn may_skip_install(&self) -> bool {
        self.path == Path::Security && self.flags == SecurityFlag::Indiv.value() && self.up_to_date != Some(false)
    }

    /// Where the next INDI_DOWNLOAD status may stand: a few states ahead in
    /// the plan (snapshots skip states), never more than one completed round
    /// trip ahead (HTTP-COUNT-STEP), and after a cancel never in a new trip.
    fn download_steps(&self) -> Vec<usize> {
        let current = self.current();
        let from = self.at.map_or(0, |i| i + 1);
        let mut out = Vec::new();
        for j in from..self.plan.len().min(from + 3) {
            let next = self.plan[j];
            if next.req > current.req + 1 {
                break;
            }
            if let Some(mark) = self.cancel {
                if mark.trip.is_none_or(|t| next.trip.is_some_and(|n| n > t)) {
                    break;
                }
            }
            out.push(j);
        }
        out
    }

    /// The plan index where the current round trip completes, if one is under way.
    fn trip_completion(&self, finished: HttpStatus) -> Option<usize> {
        let at = self.at?;
        let current = self.plan[at];
        if current.http == finished {
            return None;
        }
        (at + 1..self.plan.len()).find(|j| self.plan[*j].trip == current.trip && self.plan[*j].http == finished)
    }
}

impl Gen<'_> {
    /// The round trips a session may make: 1 to 3 trips, the last one
    /// downloading the component (a non-zero total), earlier ones asking the
    /// service. States come from `[http].order`; progress grows only while
    /// receiving.
    fn plan(&self, c: &mut dyn Choices) -> Vec<Snap> {
        let http = &self.spec.http;
        let trips = 1 + c.choose(3);
        let mut plan = Vec::new();
        for k in 0..trips {
            let total = if k + 1 == trips {
                pick(c, &[65_536, 4_096, 1_048_576, 123_457, 1])
            } else {
                pick(c, &[0, 0, 2_048, 777])
            };
            for &state in &http.order {
                if state == http.before_any_trip {
                    continue;
                }
                let trip = Some(k);
                if state == http.trip_finished {
                    plan.push(Snap { req: k + 1, http: state, progress: total, total, trip });
                } else if state == HttpStatus::Receiving && total > 0 {
                    let chunks = 1 + c.choose(4);
                    for i in 1..=chunks {
                        // At most `total`, so it fits in u32.
                        let progress = (u64::from(total) * u64::from(i) / u64::from(chunks)) as u32;
                        plan.push(Snap { req: k, http: state, progress, total, trip });
                    }
                } else {
                    plan.push(Snap { req: k, http: state, progress: 0, total: 0, trip });
                }
            }
        }
        plan
    }

    /// Runs one session from its start call (already written) to its terminal
    /// status; returns that status and its hr. The phases are a random walk
    /// over `[session.may_follow]`, restricted to what is possible now.
    pub(super) fn session(
        &mut self,
        c: &mut dyn Choices,
        path: Path,
        flags: u32,
        up_to_date: Option<bool>,
    ) -> (IndiStatus, Hresult) {
        self.world.sessions += 1;
        let idle = Snap { req: 0, http: self.spec.http.before_any_trip, progress: 0, total: 0, trip: None };
        let url = if chance(c, 75) { Some(pick(c, &URLS)) } else { None };
        let mut run = Run {
            path,
            flags,
            up_to_date,
            plan: self.plan(c),
            at: None,
            idle,
            phase: None,
            last_download: None,
            installs: 0,
            statuses: 0,
            cancel: None,
            url,
        };
        self.slot(c, &mut run, true);
        self.report(c, &mut run, self.spec.phases.first, Hresult::S_OK);
        loop {
            self.slot(c, &mut run, true);
            let next = self.next_phase(c, &run);
            let hr = match next {
                IndiStatus::Download => {
                    self.download(c, &mut run);
                    continue;
                }
                IndiStatus::Install => {
                    self.install(c, &mut run);
                    continue;
                }
                IndiStatus::Succeed => self.succeed(c, &mut run),
                IndiStatus::Fail => {
                    let hr = pick(c, &FAILURES).into();
                    self.report(c, &mut run, next, hr);
                    hr
                }
                _ => {
                    // INDI_CANCEL (or a terminal status this generator does not
                    // know, which it reports like a cancel).
                    let hr = if chance(c, 50) { KnownHresult::OperationCanceled.into() } else { Hresult::S_OK };
                    self.report(c, &mut run, next, hr);
                    hr
                }
            };
            if path == Path::Security {
                // A security session stays open until its Completed event:
                // calls made meanwhile are still refused as busy.
                for _ in 0..c.choose(3) {
                    self.slot(c, &mut run, false);
                }
            }
            return (next, hr);
        }
    }

    /// The phase of the next status: one of `may_follow` of the current phase
    /// that is possible now, weighted towards finishing the work.
    fn next_phase(&self, c: &mut dyn Choices, run: &Run) -> IndiStatus {
        let current = run.phase.unwrap_or(self.spec.phases.first);
        let canceled = run.cancel.is_some();
        let cancel_phase = run.cancel.and_then(|m| m.phase);
        let room = run.statuses < MAX_STATUSES;
        let mut candidates: Vec<(u8, IndiStatus, u32)> = Vec::new();
        for next in self.spec.phases.successors(current) {
            let (rank, weight) = match next {
                IndiStatus::Download => {
                    let possible = room
                        && !run.download_steps().is_empty()
                        && (!canceled || cancel_phase == Some(IndiStatus::Download));
                    (
                        0,
                        if !possible {
                            0
                        } else if canceled {
                            2
                        } else {
                            12
                        },
                    )
                }
                IndiStatus::Install => {
                    let up_to_date_as_needed = run.path == Path::Security
                        && run.flags == SecurityFlag::Indiv.value()
                        && run.up_to_date == Some(true);
                    let possible = room
                        && run.installs < 3
                        && run.download_finished()
                        && !up_to_date_as_needed
                        && (!canceled || cancel_phase == Some(IndiStatus::Install));
                    (
                        1,
                        if !possible {
                            0
                        } else if run.installs == 0 {
                            8
                        } else {
                            2
                        },
                    )
                }
                IndiStatus::Succeed => {
                    // INDI_SUCCEED reports a completed trip; from before every
                    // trip that means starting one, which a cancel forbids.
                    let reachable = run.at.is_some() || !canceled;
                    let complete = run.download_finished() && run.installs > 0;
                    // After a cancel, only an install under way may still succeed.
                    let allowed = !canceled || cancel_phase == Some(IndiStatus::Install);
                    let possible = reachable && allowed && (complete || run.may_skip_install());
                    (
                        2,
                        if !possible {
                            0
                        } else if canceled {
                            1
                        } else {
                            6
                        },
                    )
                }
                IndiStatus::Fail => (3, 1),
                IndiStatus::Cancel => (4, if canceled { 10 } else { 0 }),
                _ => (5, 0),
            };
            if weight > 0 {
                candidates.push((rank, next, weight));
            }
        }
        candidates.sort_by_key(|(rank, _, _)| *rank);
        if candidates.is_empty() {
            // The shipped table lets INDI_FAIL follow every non-terminal phase;
            // a table without that still gets an ending.
            return self.spec.phases.terminals().first().copied().unwrap_or(IndiStatus::Fail);
        }
        let weights: Vec<u32> = candidates.iter().map(|(_, _, w)| *w).collect();
        candidates[weighted(c, &weights)].1
    }

    fn download(&mut self, c: &mut dyn Choices, run: &mut Run) {
        let steps = run.download_steps();
        if steps.is_empty() {
            return;
        }
        run.at = Some(steps[c.choose(steps.len() as u32) as usize]);
        let now = run.current();
        run.last_download = Some((now.progress, now.total));
        self.report(c, run, IndiStatus::Download, Hresult::S_OK);
    }

    fn install(&mut self, c: &mut dyn Choices, run: &mut Run) {
        // Installing may see the download's trip complete, never a new trip.
        if let Some(j) = run.trip_completion(self.spec.http.trip_finished) {
            if chance(c, 50) {
                run.at = Some(j);
            }
        }
        run.installs += 1;
        self.report(c, run, IndiStatus::Install, Hresult::S_OK);
    }

    /// INDI_SUCCEED at a completed trip (completing the current one, or the
    /// first one when no trip was reported yet); an installing success
    /// updates the component's version.
    fn succeed(&mut self, c: &mut dyn Choices, run: &mut Run) -> Hresult {
        let finished = self.spec.http.trip_finished;
        if run.current().http != finished {
            run.at = match run.at {
                Some(_) => run.trip_completion(finished).or(run.at),
                None => run.plan.iter().position(|s| s.http == finished),
            };
        }
        // Bytes downloaded are reported by an INDI_DOWNLOAD first
        // (SESSION-DOWNLOAD-REPORTED).
        if run.last_download.is_none() && run.current().progress > 0 {
            let now = run.current();
            run.last_download = Some((now.progress, now.total));
            self.report(c, run, IndiStatus::Download, Hresult::S_OK);
        }
        let hr = if chance(c, 20) { KnownHresult::NsSDrmIndividualized.into() } else { Hresult::S_OK };
        self.report(c, run, IndiStatus::Succeed, hr);
        if run.installs > 0 {
            self.world.component =
                self.world.service.map_or(ComponentVersion::IndividualizedUnknown, ComponentVersion::Known);
            self.world.version_due = true;
        }
        hr
    }

    /// Writes a status of `indi` at the run's current snapshot.
    fn report(&mut self, c: &mut dyn Choices, run: &mut Run, indi: IndiStatus, hr: Hresult) {
        let snap = run.current();
        // The response URL is known once the service has answered a round trip.
        let url = if snap.req >= 1 { run.url.map(Cow::Borrowed) } else { None };
        let v = IndividualizeStatus {
            hr,
            indi: indi.value(),
            url,
            http_request: snap.req,
            http: snap.http.value(),
            progress: snap.progress,
            total: snap.total,
        };
        let mut record = status_on(run.path, v);
        // The callback's own hr is not judged; a failing engine often repeats it.
        if let Body::Status { hr: callback_hr, .. } = &mut record.body {
            if indi == IndiStatus::Fail && chance(c, 50) {
                *callback_hr = hr;
            }
        }
        self.push(c, record);
        run.phase = Some(indi);
        run.statuses += 1;
    }

    /// Between two statuses of an open session, the application may call
    /// (cancel, a refused start, a refresh) and a refresh may complete.
    fn slot(&mut self, c: &mut dyn Choices, run: &mut Run, running: bool) {
        let can_cancel = running && run.cancel.is_none();
        let revocation = if self.world.revocations_pending > 0 { 6 } else { 0 };
        match weighted(c, &[40, if can_cancel { 3 } else { 0 }, 2, 1, 1, revocation, 1]) {
            0 => {}
            1 => {
                let what = match run.path {
                    Path::Reader => Call::CancelIndividualization,
                    Path::Security => Call::CancelAsyncOperation,
                };
                self.push(c, call(what, KnownHresult::SOk));
                run.cancel = Some(CancelMark { phase: run.phase, trip: run.current().trip });
            }
            2 => {
                // Busy: valid flags while a session is open.
                let record = if chance(c, 50) {
                    let flags = pick(c, &[SecurityFlag::Indiv, SecurityFlag::ForceIndiv]).value();
                    call(Call::PerformSecurityUpdate { flags }, KnownHresult::Individualizing)
                } else {
                    let flags = pick(c, &[ReaderFlag::Reindividualizable, ReaderFlag::Final]).value();
                    call(Call::Individualize { flags }, KnownHresult::Individualizing)
                };
                self.push(c, record);
            }
            3 => self.bad_flags(c),
            4 => self.refresh(c),
            5 => self.revocation_done(c),
            _ => {
                // A cancel for the other path finds nothing to cancel.
                let what = match run.path {
                    Path::Reader => Call::CancelAsyncOperation,
                    Path::Security => Call::CancelIndividualization,
                };
                self.push(c, call(what, KnownHresult::EUnexpected));
            }
        }
    }
}
