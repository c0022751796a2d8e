//! The JSON-RPC envelope of `codex app-server`: one JSON object per line, in four shapes.
//!
//! | shape | keys | direction |
//! |---|---|---|
//! | request | `id`, `method`, `params` | both (client requests, server requests) |
//! | notification | `method`, `params`, `emittedAtMs` (server only, **outside** `params`) | both |
//! | response | `id`, `result` | both |
//! | error response | `id`, `error {code, message, data?}` | both |
//!
//! There is no `"jsonrpc": "2.0"` field on the wire. One is accepted and dropped when present;
//! it is never written. Ids are integers or strings ([`RequestId`]); codex numbers its own
//! server requests from **0**, so id 0 is an ordinary id.
//!
//! Parsing is lenient about what it does not know: an unknown method becomes the `Unknown`
//! variant of the method enum, unknown top-level keys land in `extra`. The `*_strict`
//! functions reject both with [`ParseError::Strict`].

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::macros::{serde_error, shape_error};
use super::unknowns::{Walk, extra_unknowns, join};
use super::v2::{ClientNotification, ClientRequest, ServerNotification, ServerRequest};
use crate::{ParseError, Unknowns};

/// A JSON-RPC request id: an integer or a string. Ids are compared exactly: `1` and `"1"` are
/// different ids.
///
/// This enum is deliberately exhaustive: JSON-RPC defines ids as integers or strings, so a
/// newer codex cannot add a third kind.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id (codex numbers its server requests 0, 1, 2, …).
    Integer(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integer(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<String> for RequestId {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<&str> for RequestId {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl Walk for RequestId {
    fn walk(&self, _: &str, _: &mut Vec<String>) {}
}

impl RequestId {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Number(n) => n
                .as_i64()
                .map(Self::Integer)
                .ok_or_else(|| format!("`id` must be an integer or a string, found {n}")),
            Value::String(s) => Ok(Self::String(s)),
            other => Err(format!(
                "`id` must be an integer or a string, found {other}"
            )),
        }
    }
}

super::macros::wire_struct! {
    /// The `error` object of an error response (`JSONRPCErrorError` in codex's schema).
    ///
    /// Codex uses `-32600` (invalid request, e.g. "thread/start.dynamicTools requires
    /// experimentalApi capability", "no active turn to interrupt") and `-32603` (internal).
    pub struct JsonRpcError {
        /// The JSON-RPC error code.
        pub code: i64,
        /// A human-readable message.
        pub message: String,
        /// Extra data, when the server attached any (any JSON value; an explicit `null` is
        /// kept).
        #[serde(default, deserialize_with = "super::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub data: Option<Value>,
    }
}

impl JsonRpcError {
    /// JSON-RPC "method not found" (`-32601`): the receiver does not answer this method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// JSON-RPC "invalid params" (`-32602`): the params do not fit the method.
    pub const INVALID_PARAMS: i64 = -32602;
    /// JSON-RPC "internal error" (`-32603`).
    pub const INTERNAL_ERROR: i64 = -32603;

    /// An error with this code and message, without `data`.
    #[must_use]
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
            extra: Map::new(),
        }
    }

    /// Attaches `data`. By default there is none.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// A request: `{"id", "method", "params"}`. `body` holds the method and its typed params.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Request<T> {
    /// The id the response will carry.
    pub id: RequestId,
    /// The method and its params.
    pub body: T,
    /// Top-level keys this crate does not model (for example `trace`), kept verbatim.
    pub extra: Map<String, Value>,
}

impl<T> Request<T> {
    /// A request with no extra keys.
    #[must_use]
    pub fn new(id: impl Into<RequestId>, body: T) -> Self {
        Self {
            id: id.into(),
            body,
            extra: Map::new(),
        }
    }
}

/// A notification: `{"method", "params", "emittedAtMs"}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Notification<T> {
    /// The method and its params.
    pub body: T,
    /// When the server emitted it (Unix milliseconds). Server notifications carry it, next
    /// to `params`; client notifications do not.
    pub emitted_at_ms: Option<i64>,
    /// Top-level keys this crate does not model, kept verbatim.
    pub extra: Map<String, Value>,
}

impl<T> Notification<T> {
    /// A notification without `emittedAtMs` and without extra keys.
    #[must_use]
    pub fn new(body: T) -> Self {
        Self {
            body,
            emitted_at_ms: None,
            extra: Map::new(),
        }
    }
}

/// A successful response: `{"id", "result"}`.
///
/// `result` stays raw JSON because its type depends on the request it answers: use
/// [`Response::result_as`], or [`ClientRequestResult::from_result`](super::ClientRequestResult::from_result) /
/// [`ServerRequestResult::from_result`](super::ServerRequestResult::from_result) with the method of the
/// request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response {
    /// The id of the request this answers.
    pub id: RequestId,
    /// The result, as sent.
    pub result: Value,
    /// Top-level keys this crate does not model, kept verbatim.
    pub extra: Map<String, Value>,
}

impl Response {
    /// A response with no extra keys.
    #[must_use]
    pub fn new(id: impl Into<RequestId>, result: Value) -> Self {
        Self {
            id: id.into(),
            result,
            extra: Map::new(),
        }
    }

    /// Deserializes the result as `T`.
    ///
    /// # Errors
    ///
    /// [`ParseError::Shape`] when the result does not have the shape of `T`.
    pub fn result_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, ParseError> {
        T::deserialize(&self.result)
            .map_err(|e| shape_error(format!("result: {e}"), &self.result.to_string()))
    }
}

/// An error response: `{"id", "error": {code, message, data?}}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The id of the request this answers.
    pub id: RequestId,
    /// What went wrong.
    pub error: JsonRpcError,
    /// Top-level keys this crate does not model, kept verbatim.
    pub extra: Map<String, Value>,
}

impl ErrorResponse {
    /// An error response with no extra keys and no `data`.
    #[must_use]
    pub fn new(id: impl Into<RequestId>, code: i64, message: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            error: JsonRpcError::new(code, message),
            extra: Map::new(),
        }
    }
}

/// One line read from `codex app-server`'s stdout.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerMessage {
    /// A request the client must answer (approvals, user input, dynamic tool calls…).
    Request(Request<ServerRequest>),
    /// A notification (events of threads, turns and items).
    Notification(Notification<ServerNotification>),
    /// The result of a client request.
    Response(Response),
    /// The failure of a client request.
    Error(ErrorResponse),
}

/// One line written to `codex app-server`'s stdin.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientMessage {
    /// A request to the server.
    Request(Request<ClientRequest>),
    /// A notification (only `initialized` today).
    Notification(Notification<ClientNotification>),
    /// The answer to a server request.
    Response(Response),
    /// The refusal of a server request.
    Error(ErrorResponse),
}

/// The keys of one message, taken apart.
enum Parts {
    Request {
        id: RequestId,
        method: String,
        params: Option<Value>,
        extra: Map<String, Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
        emitted_at_ms: Option<i64>,
        extra: Map<String, Value>,
    },
    Response(Response),
    Error(ErrorResponse),
}

impl Parts {
    fn from_map(mut map: Map<String, Value>) -> Result<Self, String> {
        // Codex never writes `jsonrpc`; accept it from other peers and drop it.
        map.remove("jsonrpc");
        let id = map.remove("id").map(RequestId::from_value).transpose()?;
        let method = match map.remove("method") {
            Some(Value::String(method)) => Some(method),
            Some(other) => return Err(format!("`method` must be a string, found {other}")),
            None => None,
        };
        match (id, method) {
            (Some(id), Some(method)) => {
                let params = map.remove("params");
                Ok(Self::Request {
                    id,
                    method,
                    params,
                    extra: map,
                })
            }
            (None, Some(method)) => {
                let params = map.remove("params");
                let emitted_at_ms = match map.remove("emittedAtMs") {
                    None => None,
                    Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
                    Some(other) => {
                        return Err(format!("`emittedAtMs` must be an integer, found {other}"));
                    }
                };
                Ok(Self::Notification {
                    method,
                    params,
                    emitted_at_ms,
                    extra: map,
                })
            }
            (Some(id), None) => match (map.remove("result"), map.remove("error")) {
                (Some(result), None) => Ok(Self::Response(Response {
                    id,
                    result,
                    extra: map,
                })),
                (None, Some(error)) => {
                    let error =
                        JsonRpcError::deserialize(error).map_err(|e| format!("error: {e}"))?;
                    Ok(Self::Error(ErrorResponse {
                        id,
                        error,
                        extra: map,
                    }))
                }
                (Some(_), Some(_)) => Err("a response has both `result` and `error`".to_owned()),
                (None, None) => {
                    Err("a message with an `id` has no `method`, `result` or `error`".to_owned())
                }
            },
            (None, None) => Err("not a JSON-RPC message: no `method` and no `id`".to_owned()),
        }
    }
}

/// Generates parsing, serialization and strict checking for one direction's message enum.
macro_rules! message_impls {
    ($message:ident, $request:ty, $notification:ty, $parse:ident, $parse_strict:ident, $side:literal) => {
        impl $message {
            fn from_map(map: Map<String, Value>) -> Result<Self, String> {
                Ok(match Parts::from_map(map)? {
                    Parts::Request { id, method, params, extra } => {
                        Self::Request(Request { id, body: <$request>::from_parts(method, params)?, extra })
                    }
                    Parts::Notification { method, params, emitted_at_ms, extra } => Self::Notification(Notification {
                        body: <$notification>::from_parts(method, params)?,
                        emitted_at_ms,
                        extra,
                    }),
                    Parts::Response(response) => Self::Response(response),
                    Parts::Error(error) => Self::Error(error),
                })
            }

            /// The id, for requests, responses and error responses.
            #[must_use]
            pub fn id(&self) -> Option<&RequestId> {
                match self {
                    Self::Request(r) => Some(&r.id),
                    Self::Response(r) => Some(&r.id),
                    Self::Error(r) => Some(&r.id),
                    Self::Notification(_) => None,
                }
            }

            /// The method, for requests and notifications.
            #[must_use]
            pub fn method(&self) -> Option<&str> {
                match self {
                    Self::Request(r) => Some(r.body.method()),
                    Self::Notification(n) => Some(n.body.method()),
                    Self::Response(_) | Self::Error(_) => None,
                }
            }

            /// The message as one JSON line (without the trailing newline), in codex's wire
            /// shape.
            ///
            /// # Panics
            ///
            /// Never: every map key of these types is a string, so JSON serialization cannot
            /// fail.
            #[must_use]
            pub fn to_line(&self) -> String {
                serde_json::to_string(self).expect("serializing a JSON-RPC message cannot fail: every map key is a string")
            }
        }

        impl Serialize for $message {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    Self::Request(r) => {
                        let mut map = serializer.serialize_map(None)?;
                        map.serialize_entry("id", &r.id)?;
                        map.serialize_entry("method", r.body.method())?;
                        r.body.serialize_params(&mut map)?;
                        serialize_extra(&mut map, &r.extra)?;
                        map.end()
                    }
                    Self::Notification(n) => {
                        let mut map = serializer.serialize_map(None)?;
                        map.serialize_entry("method", n.body.method())?;
                        n.body.serialize_params(&mut map)?;
                        if let Some(ms) = n.emitted_at_ms {
                            map.serialize_entry("emittedAtMs", &ms)?;
                        }
                        serialize_extra(&mut map, &n.extra)?;
                        map.end()
                    }
                    Self::Response(r) => r.serialize(serializer),
                    Self::Error(r) => r.serialize(serializer),
                }
            }
        }

        impl<'de> Deserialize<'de> for $message {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let map = Map::<String, Value>::deserialize(deserializer)?;
                Self::from_map(map).map_err(serde::de::Error::custom)
            }
        }

        impl Unknowns for $message {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                self.walk(path, out);
            }
        }

        impl Walk for $message {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                match self {
                    Self::Request(r) => {
                        r.body.walk(path, out);
                        extra_unknowns(path, &r.extra, out);
                    }
                    Self::Notification(n) => {
                        n.body.walk(path, out);
                        extra_unknowns(path, &n.extra, out);
                    }
                    Self::Response(r) => extra_unknowns(path, &r.extra, out),
                    Self::Error(r) => {
                        r.error.walk(&join(path, "error"), out);
                        extra_unknowns(path, &r.extra, out);
                    }
                }
            }
        }

        impl schemars::JsonSchema for $message {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($message).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "description": "One JSON-RPC line (no `jsonrpc` field): a request, a notification, a response or an error response.",
                    "oneOf": [
                        {
                            "title": "Request",
                            "allOf": [generator.subschema_for::<$request>()],
                            "properties": { "id": generator.subschema_for::<RequestId>() },
                            "required": ["id"],
                        },
                        {
                            "title": "Notification",
                            "allOf": [generator.subschema_for::<$notification>()],
                            "properties": { "emittedAtMs": { "type": "integer", "format": "int64" } },
                        },
                        generator.subschema_for::<Response>(),
                        generator.subschema_for::<ErrorResponse>(),
                    ],
                })
            }
        }

        #[doc = concat!("Parses one line ", $side, ".")]
        ///
        /// Unknown methods, variants and fields do not fail: they are kept (`Unknown`
        /// variants, `extra` maps) and serialize back unchanged.
        ///
        /// # Errors
        ///
        /// [`ParseError::Json`] when the line is not JSON; [`ParseError::Shape`] when it is no
        /// JSON-RPC message, or a known method's params do not have the documented shape.
        pub fn $parse(line: &str) -> Result<$message, ParseError> {
            let map: Map<String, Value> =
                crate::fast_json::parse_with(line, |e| serde_error(&e, line))?;
            $message::from_map(map).map_err(|reason| shape_error(reason, line))
        }

        #[doc = concat!("Parses one line ", $side, ", rejecting anything this crate does not model.")]
        ///
        /// # Errors
        ///
        #[doc = concat!("As [`", stringify!($parse), "`], plus [`ParseError::Strict`] listing every unknown method,")]
        /// variant and field with its path.
        pub fn $parse_strict(line: &str) -> Result<$message, ParseError> {
            let message = $parse(line)?;
            let unknowns = message.unknowns();
            if unknowns.is_empty() { Ok(message) } else { Err(ParseError::strict(unknowns, line)) }
        }
    };
}

message_impls!(
    ServerMessage,
    ServerRequest,
    ServerNotification,
    parse_server_message,
    parse_server_message_strict,
    "read from the server (a response, error response, notification or server request)"
);
message_impls!(
    ClientMessage,
    ClientRequest,
    ClientNotification,
    parse_client_message,
    parse_client_message_strict,
    "written by a client (a request, notification, response or error response)"
);

fn serialize_extra<M: SerializeMap>(
    map: &mut M,
    extra: &Map<String, Value>,
) -> Result<(), M::Error> {
    for (k, v) in extra {
        map.serialize_entry(k, v)?;
    }
    Ok(())
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("result", &self.result)?;
        serialize_extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for ErrorResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("error", &self.error)?;
        serialize_extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl schemars::JsonSchema for Response {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Response".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "A successful response; `result` depends on the method of the request.",
            "properties": { "id": generator.subschema_for::<RequestId>(), "result": true },
            "required": ["id", "result"],
        })
    }
}

impl schemars::JsonSchema for ErrorResponse {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ErrorResponse".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "An error response.",
            "properties": {
                "id": generator.subschema_for::<RequestId>(),
                "error": generator.subschema_for::<JsonRpcError>(),
            },
            "required": ["id", "error"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_schemas_generate() {
        let schema = schemars::schema_for!(ServerMessage);
        let defs = schema
            .get("$defs")
            .and_then(serde_json::Value::as_object)
            .expect("definitions");
        for name in [
            "ServerRequest",
            "ServerNotification",
            "Response",
            "ErrorResponse",
            "ThreadItem",
            "Turn",
        ] {
            assert!(defs.contains_key(name), "{name}");
        }
        let schema = schemars::schema_for!(ClientMessage);
        assert!(
            schema
                .get("$defs")
                .and_then(|d| d.get("ClientRequest"))
                .is_some()
        );
    }

    #[test]
    fn id_zero_is_an_id() {
        let msg = parse_server_message(r#"{"method":"item/tool/call","id":0,"params":{"threadId":"t","turnId":"u","callId":"c","namespace":null,"tool":"x","arguments":{}}}"#)
            .expect("parses");
        assert_eq!(msg.id(), Some(&RequestId::Integer(0)));
    }

    #[test]
    fn jsonrpc_field_is_accepted_and_dropped() {
        let msg = parse_client_message_strict(r#"{"jsonrpc":"2.0","method":"initialized"}"#)
            .expect("parses");
        assert_eq!(msg.to_line(), r#"{"method":"initialized"}"#);
    }

    #[test]
    fn shapes_that_are_no_message_fail() {
        for line in [
            r#"{"params":{}}"#,
            r#"{"id":1}"#,
            r#"{"id":1,"result":1,"error":{}}"#,
            r#"{"id":null,"result":1}"#,
            "[]",
            "3",
        ] {
            let err = parse_server_message(line).expect_err(line);
            assert!(matches!(err, ParseError::Shape { .. }), "{line}: {err}");
        }
        assert!(matches!(
            parse_server_message("{"),
            Err(ParseError::Json { .. })
        ));
        // serde reports a column inside the multi-byte character here.
        for line in ["\"\u{a51}", "{\"a\":\"\u{a51}", "{\"a\":\n\"\u{a51}"] {
            assert!(
                matches!(parse_server_message(line), Err(ParseError::Json { .. })),
                "{line}"
            );
        }
    }
}
