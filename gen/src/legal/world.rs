//! What the generator knows about the world beyond the session being run:
//! the component's and the service's versions, the `0x1` lock, a pending
//! `WMT_NEEDS_INDIVIDUALIZATION` and its requirement, stale reader objects,
//! pending revocation refreshes. It changes
//! exactly where the checker's readings say the world changes.

use indiv_spec::vocab::{ComponentVersion, RequiredVersion, SecurityVersion};

/// Everything the next record depends on beyond the session being run.
#[derive(Debug)]
pub(super) struct World {
    pub(super) component: ComponentVersion,
    pub(super) service: Option<SecurityVersion>,
    /// The last reader session to end was an `Individualize(0x1)` success and
    /// no `WMT_NEEDS_INDIVIDUALIZATION` came since: Individualize is refused.
    pub(super) locked: bool,
    /// A `WMT_NEEDS_INDIVIDUALIZATION` has not been answered by `WMT_NO_RIGHTS_EX` yet.
    pub(super) needs_pending: bool,
    /// The required version of the Open whose `WMT_NEEDS_INDIVIDUALIZATION`
    /// waits, if it came in an Open's window.
    pub(super) pending_required: Option<RequiredVersion>,
    /// A security-path session succeeded and no reader session has since:
    /// reader objects may be stale, so `WMT_NEEDS_INDIVIDUALIZATION` on Open
    /// is allowed and not required.
    pub(super) stale_readers: bool,
    /// Revocation refreshes still owed a `MEWMDRMRevocationDownloadCompleted`.
    pub(super) revocations_pending: u32,
    /// A pending refresh was canceled (CancelAsyncOperation with no session
    /// open): the next revocation event carries NS_E_DRM_OPERATION_CANCELED.
    pub(super) refresh_canceled: bool,
    /// Sessions opened so far.
    pub(super) sessions: usize,
    /// A session installed and succeeded: applications tend to ask for the
    /// new version next (SECURITY-VERSION-REFLECTS judges that answer).
    pub(super) version_due: bool,
}

impl World {
    pub(super) fn is_outdated(&self, required: RequiredVersion) -> Option<bool> {
        Some(self.component.known()?.is_outdated_for(required))
    }

    /// Whether the component meets the requirement of the waiting
    /// `WMT_NEEDS_INDIVIDUALIZATION` (with either unknown, it does):
    /// `WMT_NO_RIGHTS_EX` is owed after a reader success only then.
    pub(super) fn meets_pending_need(&self) -> bool {
        match (self.pending_required, self.component.known()) {
            (Some(required), Some(c)) => !c.is_outdated_for(required),
            _ => true,
        }
    }

    /// Whether the client is at least as new as the service, when both are known.
    pub(super) fn up_to_date(&self) -> Option<bool> {
        self.component.up_to_date(self.service)
    }
}
