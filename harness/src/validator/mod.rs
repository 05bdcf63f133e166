//! `indiv certify --validate-protocol`: checks every line of the testee
//! protocol, in both directions, against the protocol that `indiv schema
//! testee` publishes as a JSON Schema and against the state of the
//! conversation, and explains the first mismatch in plain words.
//!
//! How a line is checked:
//!
//! - It must be a JSON object with either `op` (a protocol message) or, from
//!   the testee only, `kind` (an `indiv-trace/1` record).
//! - A protocol message must deserialize strictly (`deny_unknown_fields`)
//!   into [`HarnessMessage`] or [`TesteeMessage`], the types the schema is
//!   generated from and the harness reads with, and must break none of the
//!   keywords of its branch of [`crate::protocol::schema`] (the schema for its
//!   direction and op), which is walked here to name the first mismatch with its
//!   JSON path ("field `implementation.language` missing"; serde's messages
//!   carry no path, and are the explanation only when the walk finds
//!   nothing). Both are needed: serde lets a call without arguments carry
//!   unknown fields, which the schema forbids, and the walk leaves `pattern`
//!   to the types. The unit test `the_schema_and_the_types_agree` holds this
//!   check and the published schema, validated by the `jsonschema` crate, to
//!   the same answers. That crate is not used at run time: it would become a
//!   dependency of every build of this crate, the fuzz targets' included,
//!   for messages this small.
//! - A record goes through the `indiv-trace/1` record parser that `indiv
//!   check` uses, which is stricter than the trace schema and names the
//!   column.
//! - Each line must be one the conversation allows at that point (`ready`
//!   after `reset`, records only while a case runs, …).

use std::fmt;
use std::sync::OnceLock;

use indiv_spec::record::{Body, Record};
use serde_json::{Map, Value};

use indiv_spec::text::shorten;

use crate::QUOTE_CHARS;
use crate::protocol::{HarnessMessage, PROTOCOL, TesteeMessage};

/// Which way a line went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Written by the harness to the testee's standard input.
    HarnessToTestee,
    /// Written by the testee on its standard output.
    TesteeToHarness,
}

impl Direction {
    /// The mark of the direction in the protocol log: `>` or `<`.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::HarnessToTestee => ">",
            Direction::TesteeToHarness => "<",
        }
    }

    fn writer(self) -> &'static str {
        match self {
            Direction::HarnessToTestee => "the harness",
            Direction::TesteeToHarness => "a testee",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::HarnessToTestee => "harness→testee",
            Direction::TesteeToHarness => "testee→harness",
        })
    }
}

/// The first line that broke the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Which way it went.
    pub direction: Direction,
    /// Its number in the exchange: lines in both directions, from 1 (the
    /// harness's hello) for each testee process.
    pub line: usize,
    /// What was wrong, in plain words.
    pub problem: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "protocol mismatch in line {} of the exchange ({}): {}", self.line, self.direction, self.problem)
    }
}

/// Where the conversation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing said yet.
    Start,
    /// The harness said hello.
    AwaitHello,
    /// Between cases: after the testee's hello or `ended`.
    Idle,
    /// The harness sent `reset`.
    AwaitReady,
    /// A case runs.
    Running,
    /// The harness sent `end`.
    AwaitEnded,
    /// The harness said `bye`.
    Closed,
}

impl State {
    /// What `direction` may write now, in words.
    fn expected(self, direction: Direction) -> &'static str {
        match (direction, self) {
            (Direction::HarnessToTestee, State::Start) => "{\"op\":\"hello\",\"protocol\":\"indiv-testee/1\"} first",
            (Direction::HarnessToTestee, State::AwaitHello) => "nothing until the testee answers hello",
            (Direction::HarnessToTestee, State::Idle) => "reset or bye between cases",
            (Direction::HarnessToTestee, State::AwaitReady) => "nothing until the testee answers ready",
            (Direction::HarnessToTestee, State::Running) => "call or end while a case runs",
            (Direction::HarnessToTestee, State::AwaitEnded) => "nothing until the testee answers ended",
            (Direction::TesteeToHarness, State::Start) => "nothing before the harness says hello",
            (Direction::TesteeToHarness, State::AwaitHello) => {
                "{\"op\":\"hello\",\"protocol\":\"indiv-testee/1\",\"implementation\":{…},\"capabilities\":[…]} in answer to hello"
            }
            (Direction::TesteeToHarness, State::Idle) => "nothing between ended and the next reset",
            (Direction::TesteeToHarness, State::AwaitReady) => "{\"op\":\"ready\"} after reset",
            (Direction::TesteeToHarness, State::Running) => "indiv-trace/1 records while the case runs",
            (Direction::TesteeToHarness, State::AwaitEnded) => "indiv-trace/1 records or {\"op\":\"ended\"} after end",
            (_, State::Closed) => "nothing after bye",
        }
    }

    /// The state after `direction` wrote `op`, or `None` when `op` is not
    /// allowed now.
    fn after(self, direction: Direction, op: &str) -> Option<State> {
        match (direction, self, op) {
            (Direction::HarnessToTestee, State::Start, "hello") => Some(State::AwaitHello),
            (Direction::HarnessToTestee, State::Idle, "reset") => Some(State::AwaitReady),
            (Direction::HarnessToTestee, State::Idle, "bye") => Some(State::Closed),
            (Direction::HarnessToTestee, State::Running, "call") => Some(State::Running),
            (Direction::HarnessToTestee, State::Running, "end") => Some(State::AwaitEnded),
            (Direction::TesteeToHarness, State::AwaitHello, "hello") => Some(State::Idle),
            (Direction::TesteeToHarness, State::AwaitReady, "ready") => Some(State::Running),
            (Direction::TesteeToHarness, State::AwaitEnded, "ended") => Some(State::Idle),
            _ => None,
        }
    }

    fn takes_records(self) -> bool {
        matches!(self, State::Running | State::AwaitEnded)
    }
}

/// One branch of the schema: the message with one op in one direction.
struct Branch {
    op: String,
    /// The fields of the message, required ones first, then the schema's order.
    fields: Vec<String>,
    schema: Value,
}

/// The schema's branches, split once.
struct Branches {
    /// The schema's `$defs`, which the branches refer to.
    defs: Value,
    harness: Vec<Branch>,
    testee: Vec<Branch>,
}

impl Branches {
    fn of(&self, direction: Direction) -> &[Branch] {
        match direction {
            Direction::HarnessToTestee => &self.harness,
            Direction::TesteeToHarness => &self.testee,
        }
    }
}

/// The testee protocol's own schema lacks what the validator reads: a build
/// defect, which the tests rule out.
#[derive(Clone, Debug, thiserror::Error)]
#[error("the testee protocol schema {0}")]
pub struct SchemaDefect(String);

fn branches() -> Result<&'static Branches, SchemaDefect> {
    static BRANCHES: OnceLock<Result<Branches, SchemaDefect>> = OnceLock::new();
    BRANCHES.get_or_init(split).as_ref().map_err(Clone::clone)
}

/// Splits the testee protocol schema into one branch per direction and op.
fn split() -> Result<Branches, SchemaDefect> {
    let root =
        serde_json::to_value(crate::protocol::schema()).map_err(|e| SchemaDefect(format!("is not JSON: {e}")))?;
    let defs = root.get("$defs").cloned().unwrap_or(Value::Object(Map::new()));
    let messages = |name: &str| -> Result<Vec<Branch>, SchemaDefect> {
        let variants = defs
            .pointer(&format!("/{name}/oneOf"))
            .and_then(Value::as_array)
            .ok_or_else(|| SchemaDefect(format!("has no `{name}` messages")))?;
        let mut branches = Vec::new();
        for variant in variants {
            let op = variant
                .pointer("/properties/op/const")
                .and_then(Value::as_str)
                .ok_or_else(|| SchemaDefect(format!("has a `{name}` message without a constant op")))?;
            // A message whose fields depend on a further choice (a call's
            // `api`) has no one list of fields.
            let mut fields: Vec<String> = variant
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(String::from))
                .collect();
            for key in variant.get("properties").and_then(Value::as_object).into_iter().flat_map(Map::keys) {
                if !fields.contains(key) {
                    fields.push(key.clone());
                }
            }
            if variant.get("oneOf").is_some() {
                fields.clear();
            }
            branches.push(Branch { op: op.to_string(), fields, schema: variant.clone() });
        }
        Ok(branches)
    };
    let harness = messages("HarnessMessage")?;
    let testee = messages("TesteeMessage")?;
    Ok(Branches { defs, harness, testee })
}

/// Follows one conversation with one testee process and checks each line.
pub struct ProtocolValidator {
    branches: &'static Branches,
    state: State,
    lines: usize,
}

impl ProtocolValidator {
    /// A validator for a new testee process (the harness has said nothing yet).
    pub fn new() -> Result<ProtocolValidator, SchemaDefect> {
        Ok(ProtocolValidator { branches: branches()?, state: State::Start, lines: 0 })
    }

    /// How many lines the exchange has had, in both directions.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Checks the next line, written in `direction`.
    pub fn check(&mut self, direction: Direction, text: &str) -> Result<(), Mismatch> {
        self.lines += 1;
        let line = self.lines;
        self.problem(direction, text).map_err(|problem| Mismatch { direction, line, problem })
    }

    /// Counts a line from the testee that could not be read at all (`what`
    /// says why) and returns the mismatch it is.
    pub fn unreadable(&mut self, what: &str) -> Mismatch {
        self.lines += 1;
        Mismatch {
            direction: Direction::TesteeToHarness,
            line: self.lines,
            problem: format!("{what}; every line must be UTF-8 JSON of at most 1 MiB"),
        }
    }

    fn problem(&mut self, direction: Direction, text: &str) -> Result<(), String> {
        let expected = self.state.expected(direction);
        let value: Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "not JSON ({} at column {}); expected {expected}: {}",
                serde_message(&e),
                e.column(),
                shorten(text, QUOTE_CHARS)
            )
        })?;
        let Value::Object(object) = &value else {
            return Err(format!(
                "a JSON {}, not an object; expected {expected}: {}",
                type_name(&value),
                shorten(text, QUOTE_CHARS)
            ));
        };
        match (object.get("op"), object.get("kind")) {
            (Some(_), Some(_)) => Err(format!(
                "the line has both `op` and `kind`, but a line is either a protocol message (`op`) or an \
                 indiv-trace/1 record (`kind`): {}",
                shorten(text, QUOTE_CHARS)
            )),
            (Some(op), None) => self.message(direction, op, &value, text),
            (None, Some(_)) if direction == Direction::TesteeToHarness => self.record(text),
            (None, Some(_)) => {
                Err(format!("expected {expected}, got an indiv-trace/1 record: {}", shorten(text, QUOTE_CHARS)))
            }
            (None, None) => Err(format!(
                "the line has neither `op` (a protocol message) nor `kind` (an indiv-trace/1 record); \
                 expected {expected}: {}",
                shorten(text, QUOTE_CHARS)
            )),
        }
    }

    fn message(&mut self, direction: Direction, op: &Value, value: &Value, text: &str) -> Result<(), String> {
        let expected = self.state.expected(direction);
        let branches = self.branches.of(direction);
        let Some(op) = op.as_str() else {
            return Err(format!(
                "field `op` is {op}, not a string; expected {expected}: {}",
                shorten(text, QUOTE_CHARS)
            ));
        };
        let Some(branch) = branches.iter().find(|b| b.op == op) else {
            let ops: Vec<String> = branches.iter().map(|b| format!("`{}`", b.op)).collect();
            return Err(format!(
                "unknown op `{op}` ({} writes {}); expected {expected}: {}",
                direction.writer(),
                one_of(&ops, "or"),
                shorten(text, QUOTE_CHARS)
            ));
        };
        let Some(next) = self.state.after(direction, op) else {
            return Err(format!("expected {expected}, got {}", shorten(text, QUOTE_CHARS)));
        };
        let typed = match direction {
            Direction::HarnessToTestee => serde_json::from_str::<HarnessMessage>(text).map(|_| ()),
            Direction::TesteeToHarness => serde_json::from_str::<TesteeMessage>(text).map(|_| ()),
        };
        let problem = match (schema_mismatch(&branch.schema, &self.branches.defs, value, ""), typed) {
            (Some(mismatch), _) => Some(mismatch.words(branch)),
            (None, Err(e)) => Some(serde_message(&e)),
            (None, Ok(())) => None,
        };
        if let Some(problem) = problem {
            return Err(format!("{problem} in {}", shorten(text, QUOTE_CHARS)));
        }
        if op == "hello" {
            if let Some(protocol) = value.get("protocol").filter(|p| p.as_str() != Some(PROTOCOL)) {
                return Err(format!(
                    "field `protocol` is {protocol}, expected \"{PROTOCOL}\" in {}",
                    shorten(text, QUOTE_CHARS)
                ));
            }
        }
        self.state = next;
        Ok(())
    }

    fn record(&mut self, text: &str) -> Result<(), String> {
        if !self.state.takes_records() {
            let expected = self.state.expected(Direction::TesteeToHarness);
            return Err(format!("expected {expected}, got the indiv-trace/1 record {}", shorten(text, QUOTE_CHARS)));
        }
        let record: Record<'_> = serde_json::from_str(text).map_err(|e| {
            format!(
                "not an indiv-trace/1 record: {} at column {}: {}",
                serde_message(&e),
                e.column(),
                shorten(text, QUOTE_CHARS)
            )
        })?;
        if matches!(record.body, Body::Header { .. }) {
            return Err(format!(
                "a header record, but the harness writes the header, never the testee: {}",
                shorten(text, QUOTE_CHARS)
            ));
        }
        Ok(())
    }
}

/// serde_json's message without its " at line L column C" (there is one line).
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// How a value breaks a schema.
#[derive(Clone, Debug, PartialEq)]
enum SchemaMismatch {
    /// A required field is absent.
    Missing { path: String },
    /// Fields the schema does not have.
    Unknown { path: String, names: Vec<String> },
    /// A value other than the one constant allowed.
    NotConstant { path: String, value: Value, constant: Value },
    /// A value of the wrong type or out of range; `expected` in words.
    Wrong { path: String, value: Value, expected: String },
}

impl SchemaMismatch {
    fn words(&self, branch: &Branch) -> String {
        let subject = |path: &str| if path.is_empty() { "the message".to_string() } else { format!("field `{path}`") };
        match self {
            SchemaMismatch::Missing { path } => format!("field `{path}` missing"),
            SchemaMismatch::Unknown { path, names } => {
                let names: Vec<String> = names.iter().map(|n| format!("`{}`", join(path, n))).collect();
                let fields: Vec<String> = branch.fields.iter().map(|f| format!("`{f}`")).collect();
                let has = if path.is_empty() && !fields.is_empty() {
                    format!(" (a `{}` message has {})", branch.op, one_of(&fields, "and"))
                } else {
                    String::new()
                };
                format!("unknown field{} {}{has}", if names.len() == 1 { "" } else { "s" }, one_of(&names, "and"))
            }
            SchemaMismatch::NotConstant { path, value, constant } => {
                format!("{} is {value}, expected {constant}", subject(path))
            }
            SchemaMismatch::Wrong { path, value, expected } => {
                format!("{} is {value}, expected {expected}", subject(path))
            }
        }
    }

    fn path(&self) -> &str {
        match self {
            SchemaMismatch::Missing { path }
            | SchemaMismatch::Unknown { path, .. }
            | SchemaMismatch::NotConstant { path, .. }
            | SchemaMismatch::Wrong { path, .. } => path,
        }
    }
}

/// The first way `value` (at `path`) breaks `schema`, a part of the testee
/// protocol schema whose `$ref`s point into `defs`. It knows the keywords
/// schemars writes for the protocol types (`$ref`, `type`, `const`, `enum`,
/// `minimum`, `oneOf`, `properties`, `required`, `additionalProperties`,
/// `unevaluatedProperties`, `items`) and does not evaluate `pattern` or
/// `format`; `None` when those it knows all hold.
fn schema_mismatch(schema: &Value, defs: &Value, value: &Value, path: &str) -> Option<SchemaMismatch> {
    let schema = resolve(schema, defs);
    let wrong =
        |expected: String| Some(SchemaMismatch::Wrong { path: path.to_string(), value: value.clone(), expected });
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        if !has_type(value, kind) {
            return wrong(article(kind));
        }
    }
    if let Some(constant) = schema.get("const") {
        if value != constant {
            return Some(SchemaMismatch::NotConstant {
                path: path.to_string(),
                value: value.clone(),
                constant: constant.clone(),
            });
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            let options: Vec<String> = options.iter().map(Value::to_string).collect();
            return wrong(one_of(&options, "or"));
        }
    }
    if let (Some(minimum), Some(number)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64()) {
        if number < minimum {
            return wrong(format!("at least {minimum}"));
        }
    }
    // The fields the schema speaks of: its own, and those of the `oneOf`
    // branch the value matches.
    let mut known: Vec<&str> = property_names(schema);
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let mismatches: Vec<Option<SchemaMismatch>> =
            branches.iter().map(|b| schema_mismatch(b, defs, value, path)).collect();
        match mismatches.iter().position(Option::is_none) {
            Some(matched) => known.extend(property_names(resolve(&branches[matched], defs))),
            None => return one_of_mismatches(mismatches.into_iter().flatten().collect()),
        }
    }
    if let Value::Object(object) = value {
        for (name, property) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if let Some(field) = object.get(name) {
                if let Some(found) = schema_mismatch(property, defs, field, &join(path, name)) {
                    return Some(found);
                }
            }
        }
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Some(SchemaMismatch::Missing { path: join(path, name) });
            }
        }
        let closed = [schema.get("additionalProperties"), schema.get("unevaluatedProperties")]
            .contains(&Some(&Value::Bool(false)));
        let unknown: Vec<String> = object.keys().filter(|k| !known.contains(&k.as_str())).cloned().collect();
        if closed && !unknown.is_empty() {
            return Some(SchemaMismatch::Unknown { path: path.to_string(), names: unknown });
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, element) in items.iter().enumerate() {
            if let Some(found) = schema_mismatch(item, defs, element, &format!("{path}[{i}]")) {
                return Some(found);
            }
        }
    }
    None
}

/// The mismatch of a value no `oneOf` branch takes.
fn one_of_mismatches(mismatches: Vec<SchemaMismatch>) -> Option<SchemaMismatch> {
    // Every branch wants another constant at the same place: name them all.
    let constants: Option<Vec<String>> = mismatches
        .iter()
        .map(|f| match f {
            SchemaMismatch::NotConstant { path, constant, .. } if path == mismatches[0].path() => {
                Some(constant.to_string())
            }
            _ => None,
        })
        .collect();
    if let (Some(constants), Some(SchemaMismatch::NotConstant { path, value, .. })) = (constants, mismatches.first()) {
        return Some(SchemaMismatch::Wrong {
            path: path.clone(),
            value: value.clone(),
            expected: one_of(&constants, "or"),
        });
    }
    // Otherwise the branch whose constants matched: its fault is the one.
    mismatches.iter().find(|f| !matches!(f, SchemaMismatch::NotConstant { .. })).or(mismatches.first()).cloned()
}

/// Follows `$ref`s into `#/$defs/`.
fn resolve<'a>(mut schema: &'a Value, defs: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(target) = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) else {
            break;
        };
        match defs.get(target) {
            Some(found) => schema = found,
            None => break,
        }
    }
    schema
}

fn property_names(schema: &Value) -> Vec<&str> {
    schema.get("properties").and_then(Value::as_object).into_iter().flat_map(Map::keys).map(String::as_str).collect()
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        other => type_name(value) == other,
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

fn article(type_name: &str) -> String {
    match type_name {
        "array" | "object" | "integer" => format!("an {type_name}"),
        "null" => "null".to_string(),
        other => format!("a {other}"),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests;
