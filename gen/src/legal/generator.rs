//! The generator proper, [`Gen`]: an optional header, then episodes (what an
//! application does between sessions: reading protected content, updating
//! the security component, asking its version, refreshing revocation data,
//! a stray call), queued record by record with optional timestamps. The
//! sessions themselves are walked in `session`.

use std::borrow::Cow;
use std::collections::VecDeque;

use indiv_spec::Spec;
use indiv_spec::record::{Body, Call, Event, Record, Status};
use indiv_spec::vocab::{
    ComponentVersion, Hresult, IndiStatus, KnownHresult, Path, ReaderFlag, RequiredVersion, SecurityFlag,
    SecurityVersion,
};
use serde_json::Number;

use super::choices::{Choices, chance, pick, weighted};
use super::records::{call, event, notify};
use super::world::World;

/// Whether records carry `ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stamps {
    Never,
    Always,
    Sometimes,
}

const COMPONENTS: [[u32; 4]; 6] = [[2, 1, 0, 0], [2, 2, 0, 1], [2, 4, 0, 1], [2, 5, 0, 1], [2, 4, 0, 0], [1, 0, 0, 0]];
const SERVICES: [[u32; 4]; 4] = [[2, 4, 0, 1], [2, 5, 0, 1], [2, 3, 0, 1], [2, 6, 0, 1]];
const BAD_READER_FLAGS: [u32; 4] = [2, 3, 0x10, u32::MAX];
const BAD_SECURITY_FLAGS: [u32; 6] = [0, 3, 5, 6, 8, u32::MAX];

/// The generator proper: emits whole episodes into a queue.
pub(super) struct Gen<'s> {
    pub(super) spec: &'s Spec,
    pub(super) out: VecDeque<Record<'static>>,
    stamps: Stamps,
    clock: u64,
    pub(super) world: World,
}

impl<'s> Gen<'s> {
    /// A generator whose first records (an optional header) are queued.
    pub(super) fn new(spec: &'s Spec, c: &mut dyn Choices) -> Gen<'s> {
        let stamps = [Stamps::Never, Stamps::Always, Stamps::Sometimes][weighted(c, &[3, 2, 1])];
        let world = World {
            component: ComponentVersion::Unknown,
            service: None,
            locked: false,
            needs_pending: false,
            pending_required: None,
            stale_readers: false,
            revocations_pending: 0,
            refresh_canceled: false,
            sessions: 0,
            version_due: false,
        };
        let mut g = Gen { spec, out: VecDeque::new(), stamps, clock: 0, world };
        g.header(c);
        g
    }

    pub(super) fn push(&mut self, c: &mut dyn Choices, mut record: Record<'static>) {
        self.clock += 1 + u64::from(c.choose(5));
        let stamp = match self.stamps {
            Stamps::Never => false,
            Stamps::Always => true,
            Stamps::Sometimes => chance(c, 50),
        };
        if stamp {
            record.ts = Some(Number::from(self.clock));
        }
        self.out.push_back(record);
    }

    /// The optional header: no versions known, one, or both.
    fn header(&mut self, c: &mut dyn Choices) {
        let (component, service) = match weighted(c, &[3, 5, 1, 1]) {
            0 => return,
            1 => (Some(pick(c, &COMPONENTS)), Some(pick(c, &SERVICES))),
            2 => (Some(pick(c, &COMPONENTS)), None),
            _ => (None, Some(pick(c, &SERVICES))),
        };
        let component_version = component.map(SecurityVersion);
        let service_version = service.map(SecurityVersion);
        self.world.component = component_version.map_or(ComponentVersion::Unknown, ComponentVersion::Known);
        self.world.service = service_version;
        self.push(c, Record::new(Body::Header { component_version, service_version }));
    }

    /// One episode: something an application does between sessions, ending
    /// with no session open.
    pub(super) fn episode(&mut self, c: &mut dyn Choices) {
        match weighted(c, &[10, 8, 2, 3, 2, 1, 1]) {
            0 => self.reader_flow(c),
            1 => self.security_flow(c),
            2 => self.open(c),
            3 => self.get_version(c),
            4 => self.refresh(c),
            5 => self.bad_flags(c),
            _ => self.stray_cancel(c),
        }
        if std::mem::take(&mut self.world.version_due) && chance(c, 40) {
            self.get_version(c);
        }
        // With no session open, the application may cancel a pending
        // refresh; it still ends with its one event (contradiction C9).
        if self.world.revocations_pending > 0 && chance(c, 10) {
            self.push(c, call(Call::CancelAsyncOperation, KnownHresult::SOk));
            self.world.refresh_canceled = true;
        }
        // A refresh completes whenever the service answers.
        while self.world.revocations_pending > 0 && chance(c, 50) {
            self.revocation_done(c);
        }
    }

    /// Settles what a complete trace owes: every refresh gets its event.
    pub(super) fn finish(&mut self, c: &mut dyn Choices) {
        while self.world.revocations_pending > 0 {
            self.revocation_done(c);
        }
    }
    // --- episodes -----------------------------------------------------------

    /// Opening content: WMT_NEEDS_INDIVIDUALIZATION exactly when the component
    /// is out of date (either way when its version is unknown or reader
    /// objects may be stale); it lifts the lock.
    fn open(&mut self, c: &mut dyn Choices) {
        let required = self.required_version(c);
        let known = self.world.is_outdated(required).filter(|_| !self.world.stale_readers);
        let needs = known.unwrap_or_else(|| chance(c, 50));
        // Open's hr is ignored; an engine may well say why content did not open.
        let hr = if needs && chance(c, 30) { KnownHresult::NeedsIndividualization } else { KnownHresult::SOk };
        self.push(c, call(Call::Open { required_version: required }, hr));
        if needs {
            self.push(c, notify(Status::NeedsIndividualization));
            self.world.needs_pending = true;
            self.world.pending_required = Some(required);
            self.world.locked = false;
        }
    }

    fn required_version(&self, c: &mut dyn Choices) -> RequiredVersion {
        let (major, minor) = match self.world.component {
            ComponentVersion::Known(v) => {
                let (major, minor) = v.major_minor();
                pick(c, &[(major, minor), (major, minor + 1), (major, minor.saturating_sub(1)), (2, 2), (3, 0)])
            }
            _ => pick(c, &[(2, 2), (2, 4), (2, 5)]),
        };
        RequiredVersion { major, minor }
    }

    /// Optionally Open, then Individualize: refused while locked, otherwise a
    /// session; a success that meets the requirement of a waiting NEEDS is
    /// answered by WMT_NO_RIGHTS_EX.
    fn reader_flow(&mut self, c: &mut dyn Choices) {
        if chance(c, 60) {
            self.open(c);
        }
        let flags = if chance(c, 25) { ReaderFlag::Final } else { ReaderFlag::Reindividualizable }.value();
        if self.world.locked {
            self.push(c, call(Call::Individualize { flags }, KnownHresult::AlreadyIndividualized));
            return;
        }
        self.push(c, call(Call::Individualize { flags }, KnownHresult::SOk));
        let (end, _) = self.session(c, Path::Reader, flags, None);
        self.world.locked = end == IndiStatus::Succeed && flags == ReaderFlag::Final.value();
        if end == IndiStatus::Succeed {
            self.world.stale_readers = false;
            if self.world.needs_pending && self.world.meets_pending_need() {
                self.push(c, notify(Status::NoRightsEx));
                self.world.needs_pending = false;
            }
        }
    }

    /// PerformSecurityUpdate(INDIV or FORCE_INDIV): a session, then exactly one
    /// Completed whose hr tells the outcome.
    fn security_flow(&mut self, c: &mut dyn Choices) {
        let flags = if chance(c, 50) { SecurityFlag::ForceIndiv } else { SecurityFlag::Indiv }.value();
        let up_to_date = self.world.up_to_date();
        self.push(c, call(Call::PerformSecurityUpdate { flags }, KnownHresult::SOk));
        let (end, hr) = self.session(c, Path::Security, flags, up_to_date);
        self.world.stale_readers |= end == IndiStatus::Succeed;
        let completed = match end {
            IndiStatus::Succeed => Hresult::S_OK,
            IndiStatus::Fail if hr.is_failure() => hr,
            _ => KnownHresult::OperationCanceled.into(),
        };
        self.push(c, event(Event::Completed, completed));
    }

    /// GetSecurityVersion reports what the world knows (after an installing
    /// success: the service's version, or an individualized one).
    fn get_version(&mut self, c: &mut dyn Choices) {
        if chance(c, 10) {
            self.push(c, call(Call::GetSecurityVersion { version: None }, KnownHresult::EUnexpected));
            return;
        }
        let version = match self.world.component {
            ComponentVersion::Known(v) => v,
            ComponentVersion::IndividualizedUnknown => {
                SecurityVersion(pick(c, &[[2, 4, 0, 1], [2, 5, 0, 1], [9, 9, 0, 1]]))
            }
            ComponentVersion::Unknown => SecurityVersion(pick(c, &COMPONENTS)),
        };
        self.world.component = ComponentVersion::Known(version);
        let version = Some(Cow::Owned(version.to_string()));
        self.push(c, call(Call::GetSecurityVersion { version }, KnownHresult::SOk));
    }

    /// PerformSecurityUpdate(REVOCATION_REFRESH): no session, one event later.
    pub(super) fn refresh(&mut self, c: &mut dyn Choices) {
        let flags = SecurityFlag::RevocationRefresh.value();
        self.push(c, call(Call::PerformSecurityUpdate { flags }, KnownHresult::SOk));
        self.world.revocations_pending += 1;
    }

    pub(super) fn revocation_done(&mut self, c: &mut dyn Choices) {
        self.world.revocations_pending = self.world.revocations_pending.saturating_sub(1);
        // A canceled refresh may say so; the event's hr is not judged.
        let hr = if std::mem::take(&mut self.world.refresh_canceled) {
            KnownHresult::OperationCanceled
        } else {
            KnownHresult::SOk
        };
        self.push(c, event(Event::RevocationCompleted, hr));
    }

    /// A start call with flags no API accepts: E_INVALIDARG, nothing opened.
    pub(super) fn bad_flags(&mut self, c: &mut dyn Choices) {
        let record = if chance(c, 50) {
            call(Call::PerformSecurityUpdate { flags: pick(c, &BAD_SECURITY_FLAGS) }, KnownHresult::EInvalidArg)
        } else {
            call(Call::Individualize { flags: pick(c, &BAD_READER_FLAGS) }, KnownHresult::EInvalidArg)
        };
        self.push(c, record);
    }

    /// A cancel with nothing to cancel, refused.
    fn stray_cancel(&mut self, c: &mut dyn Choices) {
        let what = if chance(c, 50) { Call::CancelAsyncOperation } else { Call::CancelIndividualization };
        self.push(c, call(what, KnownHresult::EUnexpected));
    }
}
