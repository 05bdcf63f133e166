//! A generator of legal traces driven by the spec's own tables (placeholder).
