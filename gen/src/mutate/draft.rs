//! Editing a trace: the [`Draft`] being mutated, which keeps the index of the
//! record the rule must be reported at right through inserts and removals,
//! and the fresh [`Block`]s operators append when the trace offers no place
//! to edit.

use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, Path, SecurityFlag};

use super::Mutant;
use crate::legal::{call, event, status_on, value};

/// The trace being edited, with the index of the record the rule must be
/// reported at, kept right through inserts and removals.
pub(super) struct Draft {
    pub(super) records: Vec<Record<'static>>,
    pub(super) target: Option<usize>,
}

impl Draft {
    pub(super) fn insert(&mut self, at: usize, record: Record<'static>) {
        self.records.insert(at, record);
        if let Some(t) = self.target.as_mut() {
            if at <= *t {
                *t += 1;
            }
        }
    }

    pub(super) fn insert_target(&mut self, at: usize, record: Record<'static>) {
        self.insert(at, record);
        self.target = Some(at);
    }

    /// Removes the records at `at` (indices into the current draft); the
    /// target must not be one of them.
    pub(super) fn remove(&mut self, mut at: Vec<usize>) {
        at.sort_unstable_by(|a, b| b.cmp(a));
        at.dedup();
        for i in at {
            self.records.remove(i);
            if let Some(t) = self.target.as_mut() {
                if i < *t {
                    *t -= 1;
                }
            }
        }
    }

    /// Appends `block`; returns the index of its first record.
    pub(super) fn append(&mut self, block: Vec<Record<'static>>) -> usize {
        let base = self.records.len();
        self.records.extend(block);
        base
    }

    /// Inserts `block` at `at`; returns `at`.
    pub(super) fn insert_block(&mut self, at: usize, block: Vec<Record<'static>>) -> usize {
        for (k, record) in block.into_iter().enumerate() {
            self.insert(at + k, record);
        }
        at
    }

    pub(super) fn value_mut(&mut self, at: usize) -> Option<&mut IndividualizeStatus<'static>> {
        match &mut self.records.get_mut(at)?.body {
            Body::Status { status: Status::Individualize(v), .. } | Body::Event { event: Event::Progress(v), .. } => {
                Some(v)
            }
            _ => None,
        }
    }

    pub(super) fn value(&self, at: usize) -> Option<IndividualizeStatus<'static>> {
        match &self.records.get(at)?.body {
            Body::Status { status: Status::Individualize(v), .. } | Body::Event { event: Event::Progress(v), .. } => {
                Some(v.clone())
            }
            _ => None,
        }
    }

    pub(super) fn hr_mut(&mut self, at: usize) -> Option<&mut Hresult> {
        match &mut self.records.get_mut(at)?.body {
            Body::Call { hr, .. } | Body::Event { hr, .. } | Body::Status { hr, .. } => Some(hr),
            Body::Header { .. } => None,
        }
    }

    pub(super) fn call_mut(&mut self, at: usize) -> Option<&mut Call<'static>> {
        match &mut self.records.get_mut(at)?.body {
            Body::Call { call, .. } => Some(call),
            _ => None,
        }
    }

    pub(super) fn into_mutant(self) -> Option<Mutant> {
        let t = self.target?;
        Some(Mutant { records: self.records, line: t + 1 })
    }
}

/// A fresh block of records on one path, starting with its accepted start call.
pub(super) struct Block {
    pub(super) path: Path,
    pub(super) records: Vec<Record<'static>>,
}

impl Block {
    /// `PerformSecurityUpdate(flags)` or `Individualize(flags)` that returned S_OK.
    pub(super) fn start(path: Path, flags: u32) -> Block {
        let c = match path {
            Path::Reader => Call::Individualize { flags },
            Path::Security => Call::PerformSecurityUpdate { flags },
        };
        Block { path, records: vec![call(c, KnownHresult::SOk)] }
    }

    pub(super) fn forced() -> Block {
        Block::start(Path::Security, SecurityFlag::ForceIndiv.value())
    }

    /// A status on the block's channel; returns its index in the block.
    pub(super) fn status(&mut self, indi: IndiStatus, req: u32, http: HttpStatus, progress: u32, total: u32) -> usize {
        self.push(status_on(self.path, value(indi, req, http, progress, total)))
    }

    pub(super) fn begin(&mut self) -> usize {
        self.status(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0)
    }

    /// BEGIN, a finished download, an install and INDI_SUCCEED; returns the
    /// index of the INDI_SUCCEED.
    pub(super) fn full_success(&mut self) -> usize {
        self.begin();
        self.status(IndiStatus::Download, 0, HttpStatus::Connecting, 0, 0);
        self.status(IndiStatus::Download, 0, HttpStatus::Receiving, 1000, 1000);
        self.status(IndiStatus::Install, 1, HttpStatus::Completed, 1000, 1000);
        let at = self.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 1000, 1000);
        if self.path == Path::Security {
            self.push(event(Event::Completed, KnownHresult::SOk));
        }
        at
    }

    pub(super) fn push(&mut self, record: Record<'static>) -> usize {
        self.records.push(record);
        self.records.len() - 1
    }
}
