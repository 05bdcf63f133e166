//! The testee protocol `indiv-testee/1` (see docs/TESTEE.md): the messages
//! the harness writes and the ones the testee answers, strict serde types
//! from which the JSON Schema (`indiv schema testee`) is derived.

use indiv_engine::AppCall;
use indiv_spec::vocab::SecurityVersion;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The protocol's name, in both hellos.
pub const PROTOCOL: &str = "indiv-testee/1";

/// A line the harness writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum HarnessMessage {
    /// The first line: which protocol the harness speaks.
    Hello {
        /// Always `indiv-testee/1`.
        protocol: String,
    },
    /// Start a case with a fresh component.
    Reset {
        /// The case's name.
        case: String,
        /// The fresh component's security version.
        component_version: SecurityVersion,
        /// The individualization service's URL prefix, ending in `/`.
        service_url: String,
        /// How long, in milliseconds, an engine that simulates its installer
        /// should take to install in this case (absent: 0). An engine with a
        /// real installer ignores it.
        #[serde(default, skip_serializing_if = "is_zero")]
        install_ms: u32,
    },
    /// Make an application call.
    Call(AppCall),
    /// Abandon what runs, flush, answer `ended`.
    End {},
    /// Exit with status 0.
    Bye {},
}

/// Who the testee is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Implementation {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The language it is written in.
    pub language: String,
}

/// A part of the API a testee implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// `IWMDRMReader`: Open, Individualize, CancelIndividualization, WMT_* statuses.
    Reader,
    /// `IWMDRMSecurity`: PerformSecurityUpdate, CancelAsyncOperation, GetSecurityVersion, events.
    Security,
}

/// A protocol line the testee writes (its other lines are `indiv-trace/1` records).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum TesteeMessage {
    /// The answer to hello.
    Hello {
        /// Always `indiv-testee/1`.
        protocol: String,
        /// Who it is.
        implementation: Implementation,
        /// What it implements.
        capabilities: Vec<Capability>,
    },
    /// The fresh component is ready.
    Ready {},
    /// Everything is abandoned and flushed.
    Ended {},
}

/// The capabilities a call needs.
pub fn needs(call: &AppCall) -> Capability {
    match call {
        AppCall::Open { .. } | AppCall::Individualize { .. } | AppCall::CancelIndividualization => Capability::Reader,
        AppCall::PerformSecurityUpdate { .. } | AppCall::CancelAsyncOperation | AppCall::GetSecurityVersion => {
            Capability::Security
        }
    }
}

/// The JSON Schema of both directions.
pub fn schema() -> schemars::Schema {
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    // A line is a message itself, not wrapped in `{"Harness": …}`.
    #[schemars(untagged)]
    /// One line of the testee protocol, in either direction.
    enum TesteeProtocolLine {
        /// Written by the harness.
        Harness(HarnessMessage),
        /// A protocol line written by the testee (its other lines are indiv-trace/1 records).
        Testee(TesteeMessage),
    }
    let mut schema = schemars::schema_for!(TesteeProtocolLine);
    deny_unknown_call_fields(&mut schema);
    schema.insert("$id".into(), "https://indiv.invalid/schema/indiv-testee-1.json".into());
    schema.insert("title".into(), "indiv-testee/1 protocol line".into());
    schema
}

/// `AppCall` denies unknown fields, but its variants are inlined next to the
/// `op` tag of the `call` message, where schemars cannot say
/// `additionalProperties: false`; `unevaluatedProperties: false` on the call
/// message says the same (`op`, `api` and the matching call's arguments only).
fn deny_unknown_call_fields(schema: &mut schemars::Schema) {
    let variants = schema
        .get_mut("$defs")
        .and_then(|defs| defs.get_mut("HarnessMessage"))
        .and_then(|message| message.get_mut("oneOf"))
        .and_then(serde_json::Value::as_array_mut);
    for variant in variants.into_iter().flatten() {
        if variant.pointer("/properties/op/const").and_then(serde_json::Value::as_str) == Some("call") {
            if let Some(object) = variant.as_object_mut() {
                object.insert("unevaluatedProperties".into(), false.into());
            }
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_written_as_the_protocol_says() {
        let call = HarnessMessage::Call(AppCall::Individualize { flags: 1 });
        assert_eq!(serde_json::to_string(&call).expect("json"), r#"{"op":"call","api":"Individualize","flags":1}"#);
        let open: HarnessMessage =
            serde_json::from_str(r#"{"op":"call","api":"Open","required_version":"2.2"}"#).expect("reads");
        assert!(matches!(open, HarnessMessage::Call(AppCall::Open { .. })));
        let hello: TesteeMessage = serde_json::from_str(
            r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C"},"capabilities":["reader"]}"#,
        )
        .expect("reads");
        assert!(matches!(hello, TesteeMessage::Hello { .. }));
        assert!(serde_json::from_str::<TesteeMessage>(r#"{"op":"ready","extra":1}"#).is_err());
        assert_eq!(serde_json::from_str::<TesteeMessage>(r#"{"op":"ready"}"#).expect("reads"), TesteeMessage::Ready {});
        assert_eq!(serde_json::to_string(&HarnessMessage::End {}).expect("json"), r#"{"op":"end"}"#);
    }

    #[test]
    fn the_schema_takes_protocol_lines_as_they_are_written() {
        let schema = serde_json::to_value(schema()).expect("the schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        let valid = |line: &str| validator.is_valid(&serde_json::from_str(line).expect("json"));
        for line in [
            r#"{"op":"hello","protocol":"indiv-testee/1"}"#,
            r#"{"op":"reset","case":"busy","component_version":"2.1.0.0","service_url":"http://127.0.0.1:1/c/1/"}"#,
            r#"{"op":"call","api":"Individualize","flags":1}"#,
            r#"{"op":"call","api":"GetSecurityVersion"}"#,
            r#"{"op":"end"}"#,
            r#"{"op":"bye"}"#,
            r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C"},"capabilities":["reader"]}"#,
            r#"{"op":"ready"}"#,
            r#"{"op":"ended"}"#,
        ] {
            assert!(valid(line), "{line}");
        }
        for line in [
            r#"{"Harness":{"op":"end"}}"#,
            r#"{"op":"ready","extra":1}"#,
            r#"{"op":"call","api":"GetSecurityVersion","flags":1}"#,
            r#"{"op":"call","api":"Individualize"}"#,
        ] {
            assert!(!valid(line), "{line}");
        }
    }
}
