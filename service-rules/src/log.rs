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
    /// The request followed a redirect the service gave.
    pub redirected: bool,
    /// The response's framing deviates from plain HTTP/1.1 (a hostile
    /// fault), so a careful client may take it for a broken exchange or
    /// read it in full: its round trip may be counted either way.
    pub ambiguous: bool,
}

/// What the service has done for one case so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseLog {
    /// Every exchange, in the order the requests arrived.
    pub exchanges: Vec<ExchangeRecord>,
}

impl ExchangeRecord {
    /// What the service did in this exchange, in one line: the request,
    /// the status and `Content-Length` it answered, the body bytes written,
    /// and whether the response was written in full.
    pub fn describe(&self) -> String {
        let request = match self.kind {
            ExchangeKind::Query => "POST individualize",
            ExchangeKind::Package => "GET package",
            ExchangeKind::Other => "another request",
        };
        let status = self.status.map_or("no response head".to_string(), |s| format!("status {s}"));
        let length = self.content_length.map_or("no Content-Length".to_string(), |n| format!("Content-Length {n}"));
        let done = if self.completed { "written in full" } else { "not written in full" };
        format!("{request}: {status}, {length}, {} body bytes written, {done}", self.body_written)
    }
}

impl CaseLog {
    /// The exchanges at `indices`, each described on a line of its own as
    /// `exchange N: ...` (see [`ExchangeRecord::describe`]).
    pub fn excerpt(&self, indices: &[usize]) -> Vec<String> {
        indices
            .iter()
            .filter_map(|&i| self.exchanges.get(i).map(|e| format!("exchange {i}: {}", e.describe())))
            .collect()
    }
}
