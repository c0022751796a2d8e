//! Moderation of agent messages: [`AgentMessageModeration`] (the `moderation` field of
//! [`AgentMessageItem`](super::AgentMessageItem)) and [`AgentMessageDisplay`], how a client
//! should present a moderated answer, in the shapes of codex 0.169 and 0.171.

use std::borrow::Cow;

use serde_json::Value;

use crate::app_server::macros::{
    from_value, retag, string_enum, tagged_enum, take_tag, wire_struct,
};
use crate::app_server::unknowns::{Walk, join, unknown_value};

wire_struct! {
    /// `AgentMessageModeration`: whether moderation touched an agent message, and how to
    /// show it.
    pub struct AgentMessageModeration {
        /// Whether the message was moderated.
        pub moderated: bool,
        /// How to present it, when codex says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub display: Option<AgentMessageDisplay>,
    }
}

string_enum! {
    /// `TrustedContacts`: whether a shown answer should go through the trusted-contacts
    /// check.
    pub enum TrustedContacts {
        /// `check`
        Check = "check",
        /// `skip`
        Skip = "skip",
    }
}

string_enum! {
    /// `HelplineSubject`: what a helpline annotation is about.
    pub enum HelplineSubject {
        /// `answer`
        Answer = "answer",
        /// `prompt`
        Prompt = "prompt",
    }
}

wire_struct! {
    /// Payload of [`AnswerAnnotation::WellbeingHelpline`].
    pub struct WellbeingHelplineAnnotation {
        /// What the helpline annotation is about.
        pub subject: HelplineSubject,
    }
}

tagged_enum! {
    /// `AnswerAnnotation`: something to show next to a shown answer, tagged by `kind`.
    pub enum AnswerAnnotation by ("kind", kind, KNOWN_KINDS) {
        /// `wellbeingHelpline`: point to a helpline.
        WellbeingHelpline("wellbeingHelpline", WellbeingHelplineAnnotation),
    }
}

wire_struct! {
    /// Payload of [`AnswerReplacement::WellbeingPromptHelpline`] (no fields).
    pub struct WellbeingPromptHelplineReplacement {}
}

tagged_enum! {
    /// `AnswerReplacement`: what to show instead of a hidden answer, tagged by `kind`.
    pub enum AnswerReplacement by ("kind", kind, KNOWN_KINDS) {
        /// `wellbeingPromptHelpline`: a helpline prompt.
        WellbeingPromptHelpline("wellbeingPromptHelpline", WellbeingPromptHelplineReplacement),
    }
}

wire_struct! {
    /// Payload of [`BlockReason::Protection`].
    pub struct ProtectionBlockReason {
        /// Identifies the moderation row the answer matched.
        pub protection_type: String,
    }
}

wire_struct! {
    /// Payload of [`BlockReason::Cyber`].
    pub struct CyberBlockReason {
        /// Whether the account has trusted cyber access, when codex says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub trusted_access: Option<bool>,
    }
}

tagged_enum! {
    /// `BlockReason`: why an answer was blocked, tagged by `kind`.
    pub enum BlockReason by ("kind", kind, KNOWN_KINDS) {
        /// `protection`
        Protection("protection", ProtectionBlockReason),
        /// `cyber`
        Cyber("cyber", CyberBlockReason),
    }
}

wire_struct! {
    /// Payload of [`AgentMessageDisplay::Show`]: show the answer.
    pub struct ShowDisplay {
        /// The version of the instruction (`1`).
        pub version: i64,
        /// Whether to run the trusted-contacts check.
        pub trusted_contacts: TrustedContacts,
        /// Something to show next to the answer, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub annotation: Option<AnswerAnnotation>,
    }
}

wire_struct! {
    /// Payload of [`AgentMessageDisplay::Hide`]: hide the answer and show a replacement.
    pub struct HideDisplay {
        /// The version of the instruction (`1`).
        pub version: i64,
        /// What to show instead.
        pub replacement: AnswerReplacement,
    }
}

wire_struct! {
    /// Payload of [`AgentMessageDisplay::Block`]: block the answer.
    pub struct BlockDisplay {
        /// The version of the instruction (`1`).
        pub version: i64,
        /// Why it is blocked.
        pub reason: BlockReason,
    }
}

wire_struct! {
    /// Payload of [`AgentMessageDisplay::Action`]: the display instruction of codex 0.169,
    /// before the `mode` union.
    pub struct DisplayAction {
        /// What to do. Codex documents no values; unknown actions are for the client that
        /// produced the answer to handle.
        pub action: String,
        /// The kind of block, for a block action.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub block_type: Option<String>,
        /// Whether to run the trusted-contacts check.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub check_trusted_contacts: Option<bool>,
        /// Whether the account has trusted cyber access.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cyber_trusted_access: Option<bool>,
    }
}

/// `AgentMessageDisplay`: how a client should present a moderated answer.
///
/// The instruction changed shape between the supported codex versions, and both parse:
///
/// * codex 0.169 sends an object with an `action` string and optional `blockType`,
///   `checkTrustedContacts` and `cyberTrustedAccess`: [`AgentMessageDisplay::Action`].
/// * codex 0.171 sends a union tagged by `mode`, each with `version: 1`:
///   `{"mode": "show", trustedContacts, annotation?}` ([`AgentMessageDisplay::Show`]),
///   `{"mode": "hide", replacement}` ([`AgentMessageDisplay::Hide`]) and
///   `{"mode": "block", reason}` ([`AgentMessageDisplay::Block`]).
///
/// Any other shape (a new `mode`, an object with neither `mode` nor `action`, a non-object) is
/// [`AgentMessageDisplay::Unknown`] and keeps the raw JSON; a known `mode` whose payload does
/// not have its required fields is a parse error, as for every tagged union of this crate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentMessageDisplay {
    /// `{"mode": "show", …}`: show the answer.
    Show(ShowDisplay),
    /// `{"mode": "hide", …}`: hide the answer, show the replacement.
    Hide(HideDisplay),
    /// `{"mode": "block", …}`: block the answer.
    Block(BlockDisplay),
    /// `{"action": …}` without `mode`: codex 0.169's shape.
    Action(DisplayAction),
    /// A shape this version of the crate does not know, kept verbatim: another `mode`, an
    /// object with neither `mode` nor `action`, or not an object at all.
    Unknown(Value),
}

impl AgentMessageDisplay {
    /// Every `mode` value this crate models, in wire spelling.
    pub const KNOWN_MODES: &'static [&'static str] = &["show", "hide", "block"];

    /// The wire `mode`: for [`Action`](Self::Action), `None`; for `Unknown`, the `mode` it
    /// carried, if any.
    #[must_use]
    pub fn mode(&self) -> Option<&str> {
        match self {
            Self::Show(_) => Some("show"),
            Self::Hide(_) => Some("hide"),
            Self::Block(_) => Some("block"),
            Self::Action(_) => None,
            Self::Unknown(raw) => raw.get("mode").and_then(Value::as_str),
        }
    }

    /// Whether this is a shape this crate does not know.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl serde::Serialize for AgentMessageDisplay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The payload with `mode` in front of its own fields.
        #[derive(serde::Serialize)]
        struct Tagged<'a, T> {
            mode: &'static str,
            #[serde(flatten)]
            payload: &'a T,
        }
        match self {
            Self::Show(payload) => Tagged {
                mode: "show",
                payload,
            }
            .serialize(serializer),
            Self::Hide(payload) => Tagged {
                mode: "hide",
                payload,
            }
            .serialize(serializer),
            Self::Block(payload) => Tagged {
                mode: "block",
                payload,
            }
            .serialize(serializer),
            Self::Action(payload) => payload.serialize(serializer),
            Self::Unknown(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de> serde::Deserialize<'de> for AgentMessageDisplay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const NAME: &str = "AgentMessageDisplay";
        let raw = <Value as serde::Deserialize>::deserialize(deserializer)?;
        let Value::Object(map) = raw else {
            return Ok(Self::Unknown(raw));
        };
        match map.get("mode") {
            Some(Value::String(_)) => {
                let (mode, map) = take_tag::<D::Error>(map, "mode")?;
                match mode.as_str() {
                    "show" => from_value(Value::Object(map), NAME, "show").map(Self::Show),
                    "hide" => from_value(Value::Object(map), NAME, "hide").map(Self::Hide),
                    "block" => from_value(Value::Object(map), NAME, "block").map(Self::Block),
                    _ => Ok(Self::Unknown(retag("mode", mode, map))),
                }
            }
            None if map.get("action").is_some_and(Value::is_string) => {
                from_value(Value::Object(map), NAME, "action").map(Self::Action)
            }
            _ => Ok(Self::Unknown(Value::Object(map))),
        }
    }
}

impl schemars::JsonSchema for AgentMessageDisplay {
    fn schema_name() -> Cow<'static, str> {
        "AgentMessageDisplay".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        use crate::app_server::macros::tagged_variant_schema;
        let mut action = <DisplayAction as schemars::JsonSchema>::json_schema(generator).to_value();
        if let Value::Object(obj) = &mut action {
            obj.insert("title".to_owned(), Value::String("Action".to_owned()));
        }
        schemars::json_schema!({
            "oneOf": [
                tagged_variant_schema::<ShowDisplay>(generator, "Show", "mode", "show"),
                tagged_variant_schema::<HideDisplay>(generator, "Hide", "mode", "hide"),
                tagged_variant_schema::<BlockDisplay>(generator, "Block", "mode", "block"),
                action,
            ],
            "discriminator": { "propertyName": "mode" },
            "description": "Tagged by `mode` (codex 0.171 on); the untagged `Action` \
                alternative is codex 0.169's shape. Open union: other shapes parse as `Unknown`.",
        })
    }
}

impl crate::Unknowns for AgentMessageDisplay {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        self.walk(path, out);
    }
}

impl Walk for AgentMessageDisplay {
    fn walk(&self, path: &str, out: &mut Vec<String>) {
        match self {
            Self::Show(payload) => payload.walk(path, out),
            Self::Hide(payload) => payload.walk(path, out),
            Self::Block(payload) => payload.walk(path, out),
            Self::Action(payload) => payload.walk(path, out),
            Self::Unknown(raw) => match raw.get("mode") {
                Some(mode) => unknown_value(&join(path, "mode"), mode, out),
                None => unknown_value(path, raw, out),
            },
        }
    }
}
