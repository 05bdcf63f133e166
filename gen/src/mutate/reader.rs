//! Operators of the `reader` area (the `IWMDRMReader` path):
//! READER-FLAGS-VALID, READER-NO-REINDIV, READER-REINDIV-ALLOWED,
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

pub(super) fn reader_no_reindiv(op: &mut Op) -> Option<()> {
    let wrong = pick(
        op.choices,
        &[
            KnownHresult::Individualizing,
            KnownHresult::IndividualizeError,
            KnownHresult::EInvalidArg,
            KnownHresult::SOk,
        ],
    );
    let sites: Vec<usize> = op
        .analysis
        .starts
        .iter()
        .filter(|s| s.reader && s.locked && !s.busy && ReaderFlag::from_value(s.flags).is_some())
        .map(|s| s.at)
        .collect();
    if let Some(at) = op.site(&sites) {
        *op.draft.hr_mut(at)? = wrong.into();
        op.draft.target = Some(at);
        return Some(());
    }
    let mut b = Block { path: Path::Reader, records: Vec::new() };
    if !op.analysis.locked_at_end {
        // Lock it first: an Individualize(0x1) session that succeeds.
        b = Block::start(Path::Reader, ReaderFlag::Final.value());
        b.full_success();
    }
    let at = b.push(call(Call::Individualize { flags: pick(op.choices, &[0, 1]) }, wrong));
    op.append_target(b, at)
}

pub(super) fn reader_reindiv_allowed(op: &mut Op) -> Option<()> {
    let flags = pick(op.choices, &[0, 1]);
    let hr = pick(
        op.choices,
        &[KnownHresult::AlreadyIndividualized, KnownHresult::IndividualizeError, KnownHresult::EUnexpected],
    );
    let refused = call(Call::Individualize { flags }, hr);
    let sites = op.analysis.reindiv_free.clone();
    if let Some(at) = op.site(&sites) {
        op.draft.insert_target(at, refused);
        return Some(());
    }
    // An Individualize(0x0) session that succeeds, then a refusal; at the
    // start of the trace when the trace ends locked (the lock is never lifted).
    let mut b = Block::start(Path::Reader, ReaderFlag::Reindividualizable.value());
    b.full_success();
    let local = b.push(refused);
    let at = if op.analysis.locked_at_end || chance(op.choices, 30) {
        op.draft.insert_block(op.analysis.body_start, b.records)
    } else {
        op.draft.append(b.records)
    };
    op.draft.target = Some(at + local);
    Some(())
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
    let mut b = Block { path: Path::Reader, records: Vec::new() };
    b.push(call(Call::Open { required_version: RequiredVersion { major: 999, minor: 0 } }, KnownHresult::SOk));
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
