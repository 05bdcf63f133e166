//! The one error type of `indiv-prove`.

/// Why the checker could not run. A property that fails is no error: it is
/// the result, in the [`crate::Report`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The built-in spec did not load (a build defect the tests rule out).
    #[error("the built-in spec does not load: {0}")]
    Spec(#[from] indiv_spec::Error),
    /// The bounds ask for nothing to explore.
    #[error("invalid bounds: {0}")]
    Bounds(String),
}
