//! What the generator knows about the world beyond the session being run:
//! the component's and the service's versions, the `0x1` lock, a pending
//! `WMT_NEEDS_INDIVIDUALIZATION`, pending revocation refreshes. It changes
//! exactly where the checker's readings say the world changes.

use indiv_spec::vocab::{ComponentVersion, RequiredVersion, SecurityVersion};

/// Everything the next record depends on beyond the session being run.
#[derive(Debug)]
pub(super) struct World {
    pub(super) component: ComponentVersion,
    pub(super) service: Option<SecurityVersion>,
    /// An `Individualize(0x1)` session has succeeded: later calls are refused.
    pub(super) locked: bool,
    /// A `WMT_NEEDS_INDIVIDUALIZATION` has not been answered by `WMT_NO_RIGHTS_EX` yet.
    pub(super) needs_pending: bool,
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

    /// Whether the client is at least as new as the service, when both are known.
    pub(super) fn up_to_date(&self) -> Option<bool> {
        self.component.up_to_date(self.service)
    }
}
