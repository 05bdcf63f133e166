//! What the service did for one case, exchange by exchange: the record the
//! loopback service keeps as it answers, and the evidence the `SERVICE-*`
//! rules judge statuses against. Plain data, without sockets, so that rule
//! fixtures can state a log directly.

/// Which request an exchange answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeKind {
    /// `POST individualize`.
    Query,
    /// `GET package`.
    Package,
    /// Anything else (answered 404).
    Other,
}

/// What the service did in one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeRecord {
    /// Which request.
    pub kind: ExchangeKind,
    /// The response was written in full (set before the final write).
    pub completed: bool,
    /// Body bytes written so far (raised before each write).
    pub body_written: u64,
    /// The `Content-Length` announced, once the head is written.
    pub content_length: Option<u32>,
    /// The HTTP status answered, once the head is written.
    pub status: Option<u16>,
    /// For a package request: the query exchange whose offer named it (the
    /// service tags every package URL it hands out with its query).
    pub offer_of: Option<usize>,
}

/// What the service has done for one case so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseLog {
    /// Every exchange, in the order the requests arrived.
    pub exchanges: Vec<ExchangeRecord>,
}
