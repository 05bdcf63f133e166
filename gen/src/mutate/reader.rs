//! Operators of the `reader` area (the `IWMDRMReader` path):
//! READER-FLAGS-VALID, READER-ALREADY-INDIVIDUALIZED,
//! READER-NEEDS-WHEN-OUTDATED, READER-NO-RIGHTS-AFTER-SUCCEED and
//! READER-NO-RIGHTS-NOT-BEFORE.

use indiv_spec::record::{Call, Status};
use indiv_spec::vocab::{KnownHresult, Path, ReaderFlag, RequiredVersion};

use super::Op;
use super::draft::Block;
use crate::legal::{call, chance, notify, pick};

pub(super) fn reader_flags_valid(op: &mut Op) -> Option<()> {
    const BAD: [u32; 5] = [2, 3, 4, 0x10, u32::MAX];
    let sites: Vec<(usize, u32)> = op.analysis.starts.iter().filter(|s| s.reader).map(|s| (s.at, s.flags)).collect();
    match op.site(&sites) {
        Some((at, flags)) if ReaderFlag::from_value(flags).is_some() => {
            // Whatever it returned, it was not E_INVALIDARG.
            *op.draft.call_mut(at)? = Call::Individualize { flags: pick(op.choices, &BAD) };
            op.draft.target = Some(at);
            Some(())
        }
        Some((at, _)) => {
            *op.draft.hr_mut(at)? =
                pick(op.choices, &[KnownHresult::Individualizing, KnownHresult::IndividualizeError]).into();
            op.draft.target = Some(at);
            Some(())
        }
        None => {
            let at = op.draft.append(vec![call(
                Call::Individualize { flags: pick(op.choices, &BAD) },
                KnownHresult::Individualizing,
            )]);
            op.draft.target = Some(at);
            Some(())
        }
    }
}

pub(super) fn reader_already_individualized(op: &mut Op) -> Option<()> {
    // What a locked client must not return, and what an unlocked one must not.
    let not_refused = pick(
        op.choices,
        &[
            KnownHresult::Individualizing,
            KnownHresult::IndividualizeError,
            KnownHresult::EInvalidArg,
            KnownHresult::SOk,
        ],
    );
    let refused = pick(
        op.choices,
        &[KnownHresult::AlreadyIndividualized, KnownHresult::IndividualizeError, KnownHresult::EUnexpected],
    );
    let locked_sites: Vec<usize> = op
        .analysis
        .starts
        .iter()
        .filter(|s| s.reader && s.locked && !s.busy && ReaderFlag::from_value(s.flags).is_some())
        .map(|s| s.at)
        .collect();
    let flags = pick(op.choices, &[0, 1]);
    if chance(op.choices, 50) {
        // A locked client accepts, or refuses with another code.
        if let Some(at) = op.site(&locked_sites) {
            *op.draft.hr_mut(at)? = not_refused.into();
            op.draft.target = Some(at);
            return Some(());
        }
    } else {
        // An unlocked client refuses: on a fresh component, after a failure,
        // a cancel or a 0x0 success.
        let sites = op.analysis.unlocked_free.clone();
        if let Some(at) = op.site(&sites) {
            op.draft.insert_target(at, call(Call::Individualize { flags }, refused));
            return Some(());
        }
    }
    // Lock it (an Individualize(0x1) session that succeeds), then either
    // refuse wrongly, or lift the lock with a new need and refuse anyway.
    let mut b = Block { path: Path::Reader, records: Vec::new() };
    if !op.analysis.locked_at_end {
        b = Block::start(Path::Reader, ReaderFlag::Final.value());
        b.full_success();
    }
    let hr = if chance(op.choices, 50) {
        b.push(call(Call::Open { required_version: RequiredVersion { major: 999, minor: 0 } }, KnownHresult::SOk));
        b.push(notify(Status::NeedsIndividualization));
        KnownHresult::AlreadyIndividualized
    } else {
        not_refused
    };
    let at = b.push(call(Call::Individualize { flags }, hr));
    op.append_target(b, at)
}

pub(super) fn reader_needs_when_outdated(op: &mut Op) -> Option<()> {
    let missing: Vec<(usize, usize)> = op
        .analysis
        .opens
        .iter()
        .filter(|o| o.expected == Some(true))
        .filter_map(|o| o.needs.map(|n| (o.at, n)))
        .collect();
    let unwanted: Vec<usize> =
        op.analysis.opens.iter().filter(|o| o.expected == Some(false) && o.needs.is_none()).map(|o| o.at).collect();
    match op.choices.choose(3) {
        0 if !missing.is_empty() => {
            // The NEEDS an outdated component owed never comes: reported at the Open.
            let (open, needs) = missing[op.choices.choose(missing.len() as u32) as usize];
            op.draft.target = Some(open);
            op.draft.remove(vec![needs]);
        }
        1 if !unwanted.is_empty() => {
            // A NEEDS although the component satisfies the content.
            let open = unwanted[op.choices.choose(unwanted.len() as u32) as usize];
            op.draft.insert_target(open + 1, notify(Status::NeedsIndividualization));
        }
        _ => {
            // A NEEDS without an Open of its own: at the start, or right after another NEEDS.
            let mut places = vec![op.analysis.body_start];
            places.extend(op.analysis.needs.iter().map(|n| n + 1));
            let at = places[op.choices.choose(places.len() as u32) as usize];
            op.draft.insert_target(at, notify(Status::NeedsIndividualization));
        }
    }
    Some(())
}

pub(super) fn reader_no_rights_after_succeed(op: &mut Op) -> Option<()> {
    // Only the last WMT_NO_RIGHTS_EX can go: a later one would answer the success too.
    if let Some(&(at, Some(success))) = op.analysis.no_rights.last() {
        if !chance(op.choices, 20) {
            op.draft.target = Some(success);
            op.draft.remove(vec![at]);
            return Some(());
        }
    }
    // Content the service's version meets, so that the success owes the event.
    let required = op.analysis.service.map_or(RequiredVersion { major: 999, minor: 0 }, |v| {
        let (major, minor) = v.major_minor();
        RequiredVersion { major, minor }
    });
    let mut b = Block { path: Path::Reader, records: Vec::new() };
    b.push(call(Call::Open { required_version: required }, KnownHresult::SOk));
    b.push(notify(Status::NeedsIndividualization));
    b.push(call(Call::Individualize { flags: ReaderFlag::Reindividualizable.value() }, KnownHresult::SOk));
    let at = b.full_success();
    op.append_target(b, at)
}

pub(super) fn reader_no_rights_not_before(op: &mut Op) -> Option<()> {
    let sites = op.analysis.needs.clone();
    match op.site(&sites) {
        Some(needs) => op.draft.insert_target(needs + 1, notify(Status::NoRightsEx)),
        None => {
            let block = vec![
                call(Call::Open { required_version: RequiredVersion { major: 999, minor: 0 } }, KnownHresult::SOk),
                notify(Status::NeedsIndividualization),
                notify(Status::NoRightsEx),
            ];
            let at = if chance(op.choices, 50) {
                op.draft.insert_block(op.analysis.body_start, block)
            } else {
                op.draft.append(block)
            };
            op.draft.target = Some(at + 2);
        }
    }
    Some(())
}
