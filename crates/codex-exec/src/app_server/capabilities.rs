//! What the running codex offers: [`ServerInfo`] from the `initialize` handshake, and
//! [`Capabilities`], the request fields it accepts.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use codex_agent_protocol::app_server::InitializeResponse;
use futures::StreamExt as _;

use crate::{CodexBinary, EnvPlan, ExecOptions, ExecStream, ProcessSpec, Version};

/// What the server said about itself in the `initialize` handshake.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    initialize: InitializeResponse,
    version: Option<Version>,
}

impl ServerInfo {
    pub(crate) fn new(initialize: InitializeResponse) -> Self {
        let version = initialize
            .server_version()
            .and_then(|v| v.parse::<Version>().ok());
        Self {
            initialize,
            version,
        }
    }

    /// The user agent codex sends upstream (`codex_sdk_rs/0.169.0 (…) …`).
    #[must_use]
    pub fn user_agent(&self) -> &str {
        &self.initialize.user_agent
    }

    /// The codex version, parsed from the user agent; `None` when it holds none.
    #[must_use]
    pub fn version(&self) -> Option<&Version> {
        self.version.as_ref()
    }

    /// The `CODEX_HOME` the server uses.
    #[must_use]
    pub fn codex_home(&self) -> &str {
        &self.initialize.codex_home
    }

    /// `unix` or `windows`.
    #[must_use]
    pub fn platform_family(&self) -> &str {
        &self.initialize.platform_family
    }

    /// `linux`, `macos`, `windows`, …
    #[must_use]
    pub fn platform_os(&self) -> &str {
        &self.initialize.platform_os
    }

    /// The whole `initialize` result.
    #[must_use]
    pub fn initialize_response(&self) -> &InitializeResponse {
        &self.initialize
    }
}

/// Where a [`Capabilities`] table comes from (see [`Capabilities`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapabilitySource {
    /// A release of codex 0.169.0 or later: the table of 0.169.0 (the same in 0.171.0).
    KnownRelease,
    /// `codex app-server generate-json-schema --experimental` of the running binary.
    SchemaProbe,
    /// Nothing is known.
    Unknown,
}

/// The request fields the running codex accepts.
///
/// # How they are known
///
/// Codex's experimental fields come and go between releases; sending one a codex does not
/// know fails the request. [`Capabilities`] answers "does this codex accept `field` in
/// `method`'s params?" for the requests that carry options: `thread/start`, `thread/resume`,
/// `thread/fork`, `turn/start` and `turn/steer`. The client initializes with
/// `experimentalApi: true` by default, so experimental fields count.
///
/// * A release version of codex 0.169.0 or later (from `userAgent`): the fields of codex
///   0.169.0, from its own schema bundle (`codex app-server generate-json-schema
///   --experimental`, vendored in `fixtures/app-server-schema/0.169.0/`); 0.171.0 has the same
///   fields, and a unit test checks the table against every vendored bundle. Later releases
///   are assumed to keep them. [`CapabilitySource::KnownRelease`].
/// * Anything else (a development build reporting `0.0.0`, a pre-release, an older release, no
///   version at all), when the client spawned codex itself: the client runs `codex app-server
///   generate-json-schema --experimental --out <tmp>` once, as the Python SDK does for
///   development builds, and reads the params schemas. [`CapabilitySource::SchemaProbe`].
/// * Otherwise (a connection over a caller's transport, or a failed probe): nothing is known
///   and [`Capabilities::supports`] says `false`. [`CapabilitySource::Unknown`].
#[derive(Debug, Clone)]
pub struct Capabilities {
    source: CapabilitySource,
    /// `"<method>.<field>"`.
    fields: BTreeSet<String>,
}

impl Capabilities {
    /// Whether codex accepts `field` (wire name) in the params of `method`, for example
    /// `supports("thread/start", "dynamicTools")`.
    #[must_use]
    pub fn supports(&self, method: &str, field: &str) -> bool {
        self.fields.contains(&format!("{method}.{field}"))
    }

    /// Every known `"<method>.<field>"`, sorted.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(String::as_str)
    }

    /// Where this table comes from.
    #[must_use]
    pub fn source(&self) -> CapabilitySource {
        self.source
    }

    /// The table for `version`, when it is a release of 0.169.0 or later.
    pub(crate) fn for_version(version: Option<&Version>) -> Option<Self> {
        let version = version?;
        (version.pre.is_none() && *version >= Version::new(0, 169, 0)).then(|| Self {
            source: CapabilitySource::KnownRelease,
            fields: known_fields(),
        })
    }

    pub(crate) fn unknown() -> Self {
        Self {
            source: CapabilitySource::Unknown,
            fields: BTreeSet::new(),
        }
    }

    /// Runs `codex app-server generate-json-schema --experimental` and reads the params
    /// schemas; [`Capabilities::unknown`] when that fails (a debug event says why).
    pub(crate) async fn probe(binary: &CodexBinary, env: &EnvPlan, options: &ExecOptions) -> Self {
        match probe_fields(binary, env, options).await {
            Ok(fields) => Self {
                source: CapabilitySource::SchemaProbe,
                fields,
            },
            Err(reason) => {
                tracing::debug!(%reason, "the capability probe failed");
                Self::unknown()
            }
        }
    }
}

/// The request types whose params [`Capabilities`] covers, and their schema file names.
const PROBED: &[(&str, &str)] = &[
    ("thread/start", "ThreadStartParams"),
    ("thread/resume", "ThreadResumeParams"),
    ("thread/fork", "ThreadForkParams"),
    ("turn/start", "TurnStartParams"),
    ("turn/steer", "TurnSteerParams"),
];

/// How long the schema probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

async fn probe_fields(
    binary: &CodexBinary,
    env: &EnvPlan,
    options: &ExecOptions,
) -> Result<BTreeSet<String>, String> {
    let dir = tempfile::Builder::new()
        .prefix("codex-sdk-schema.")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let mut spec = ProcessSpec::new(binary.path())
        .args([
            "app-server",
            "generate-json-schema",
            "--experimental",
            "--out",
        ])
        .arg(dir.path())
        .env_clear();
    for (key, value) in env.iter() {
        spec = spec.env(key, value);
    }
    let options = options.clone().turn_timeout(PROBE_TIMEOUT);
    let mut stream = ExecStream::spawn(spec, &options).map_err(|e| e.to_string())?;
    while let Some(item) = stream.next().await {
        // The command prints nothing on stdout; only the process outcome matters.
        if let Err(error) = item
            && !matches!(
                error,
                crate::Error::Parse(_)
                    | crate::Error::LineTooLong { .. }
                    | crate::Error::InvalidUtf8 { .. }
            )
        {
            return Err(error.to_string());
        }
    }
    fields_from_bundle(dir.path())
}

/// Reads the params properties out of a schema bundle written by `generate-json-schema`.
fn fields_from_bundle(dir: &Path) -> Result<BTreeSet<String>, String> {
    let mut fields = BTreeSet::new();
    for (method, file) in PROBED {
        let path = dir.join("v2").join(format!("{file}.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let schema: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let properties = schema
            .get("properties")
            .and_then(serde_json::Value::as_object)
            .ok_or_else(|| format!("{} has no properties", path.display()))?;
        fields.extend(properties.keys().map(|field| format!("{method}.{field}")));
    }
    Ok(fields)
}

fn known_fields() -> BTreeSet<String> {
    KNOWN_0_169
        .iter()
        .flat_map(|(method, fields)| fields.iter().map(move |field| format!("{method}.{field}")))
        .collect()
}

/// The params fields of codex 0.169.0 (experimental bundle), by method; 0.171.0 has the same.
const KNOWN_0_169: &[(&str, &[&str])] = &[
    (
        "thread/start",
        &[
            "allowProviderModelFallback",
            "approvalPolicy",
            "approvalsReviewer",
            "baseInstructions",
            "config",
            "cwd",
            "daybreakEnabled",
            "developerInstructions",
            "dynamicTools",
            "environments",
            "ephemeral",
            "experimentalRawEvents",
            "historyMode",
            "mockExperimentalField",
            "model",
            "modelProvider",
            "multiAgentMode",
            "permissions",
            "personality",
            "projectId",
            "runtimeWorkspaceRoots",
            "sandbox",
            "selectedCapabilityRoots",
            "serviceName",
            "serviceTier",
            "sessionStartSource",
            "threadSource",
        ],
    ),
    (
        "thread/resume",
        &[
            "approvalPolicy",
            "approvalsReviewer",
            "baseInstructions",
            "config",
            "cwd",
            "developerInstructions",
            "excludeTurns",
            "history",
            "initialTurnsPage",
            "model",
            "modelProvider",
            "path",
            "permissions",
            "personality",
            "runtimeWorkspaceRoots",
            "sandbox",
            "serviceTier",
            "threadId",
        ],
    ),
    (
        "thread/fork",
        &[
            "approvalPolicy",
            "approvalsReviewer",
            "attachToSource",
            "baseInstructions",
            "beforeTurnId",
            "config",
            "cwd",
            "deferGoalContinuation",
            "developerInstructions",
            "ephemeral",
            "excludeTurns",
            "experimentalDisablePredictionMcp",
            "experimentalPredictionMode",
            "lastTurnId",
            "model",
            "modelProvider",
            "path",
            "permissions",
            "runtimeWorkspaceRoots",
            "sandbox",
            "serviceTier",
            "threadId",
            "threadSource",
        ],
    ),
    (
        "turn/start",
        &[
            "additionalContext",
            "approvalPolicy",
            "approvalsReviewer",
            "clientUserMessageId",
            "collaborationMode",
            "cwd",
            "cyberAccessProgram",
            "disabledPluginIds",
            "effort",
            "environments",
            "input",
            "model",
            "multiAgentMode",
            "outputSchema",
            "parentTurnId",
            "permissions",
            "personality",
            "responsesapiClientMetadata",
            "responsesapiClientMetadataPatch",
            "rootTurnId",
            "runtimeWorkspaceRoots",
            "sandboxPolicy",
            "serviceTier",
            "serviceTierForTurn",
            "summary",
            "threadId",
            "toolOutput",
            "turnTrigger",
        ],
    ),
    (
        "turn/steer",
        &[
            "additionalContext",
            "clientUserMessageId",
            "expectedTurnId",
            "input",
            "responsesapiClientMetadata",
            "responsesapiClientMetadataPatch",
            "threadId",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The experimental bundle of `version`, vendored in `fixtures/app-server-schema/`.
    fn fixture_bundle(version: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/app-server-schema")
            .join(version)
            .join("experimental")
    }

    /// The 0.169.0 table holds for every supported version: the fields did not change.
    #[test]
    fn the_table_matches_every_vendored_bundle() {
        for version in codex_agent_testkit::real_codex::SUPPORTED_CODEX_VERSIONS {
            let from_bundle =
                fields_from_bundle(&fixture_bundle(version)).expect("the vendored bundle reads");
            assert_eq!(known_fields(), from_bundle, "codex {version}");
        }
    }

    /// The probe a development build would get, run against the selected supported codex: it
    /// finds exactly the table.
    #[tokio::test]
    async fn the_schema_probe_of_the_real_codex_finds_the_table() {
        let path = codex_agent_testkit::real_codex::real_codex().unwrap_or_else(|e| panic!("{e}"));
        let binary = CodexBinary::new(path);
        let env = crate::command::env_plan(&crate::CodexOptions::new(), &binary, None);
        let probed = Capabilities::probe(&binary, &env, &ExecOptions::new()).await;
        assert_eq!(probed.source(), CapabilitySource::SchemaProbe);
        assert_eq!(probed.fields, known_fields());
    }

    #[tokio::test]
    async fn a_failing_probe_knows_nothing() {
        let binary = CodexBinary::new("/nonexistent/codex");
        let env = crate::command::env_plan(&crate::CodexOptions::new(), &binary, None);
        let probed = Capabilities::probe(&binary, &env, &ExecOptions::new()).await;
        assert_eq!(probed.source(), CapabilitySource::Unknown);
        assert_eq!(probed.fields().count(), 0);
    }

    #[test]
    fn releases_from_0_169_use_the_table_and_others_do_not() {
        let table = |v: &str| Capabilities::for_version(Some(&v.parse().expect("a version")));
        let known = table("0.169.0").expect("0.169.0 is known");
        assert_eq!(known.source(), CapabilitySource::KnownRelease);
        assert!(known.supports("thread/start", "dynamicTools"));
        assert!(known.supports("turn/start", "toolOutput"));
        assert!(!known.supports("turn/start", "noSuchField"));
        assert!(table("0.170.2").is_some());
        assert!(table("0.0.0").is_none());
        assert!(table("0.168.0").is_none());
        assert!(table("0.170.0-alpha.1").is_none());
        assert!(Capabilities::for_version(None).is_none());
        assert!(!Capabilities::unknown().supports("thread/start", "cwd"));
    }
}
