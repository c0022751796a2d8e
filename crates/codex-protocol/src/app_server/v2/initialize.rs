//! The handshake: `initialize` and its response, then the `initialized` notification.

use serde_json::{Map, Value};

use crate::app_server::macros::wire_struct;

wire_struct! {
    /// `ClientInfo`: who is connecting. `name` becomes the `originator` of threads the client
    /// creates and appears in the server's `userAgent`.
    pub struct ClientInfo {
        /// A short machine name for the client (for example `my_sdk`).
        pub name: String,
        /// A display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        /// The client's version.
        pub version: String,
    }
}

impl ClientInfo {
    /// Client info with a name and a version and no title.
    #[must_use]
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            title: None,
            version: version.into(),
            extra: Map::new(),
        }
    }

    /// Sets the display title. By default there is none.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

wire_struct! {
    /// `InitializeCapabilities`: what the client opts into.
    #[derive(Default)]
    pub struct InitializeCapabilities {
        /// Opt into experimental methods and fields (for example `thread/start.dynamicTools`;
        /// without it codex answers `-32600 "… requires experimentalApi capability"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub experimental_api: Option<bool>,
        /// Notification methods the server must not send (exact method names).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub opt_out_notification_methods: Option<Vec<String>>,
        /// Whether the client can answer `attestation/generate` requests.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_attestation: Option<bool>,
        /// Whether approvals must be answered by a human.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub required_human_approval: Option<bool>,
        /// Whether the client handles gateway OAuth explicitly.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub explicit_gateway_oauth: Option<bool>,
        /// Whether the client renders OpenAI form elicitations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mcp_server_openai_form_elicitation: Option<bool>,
        /// Client extensions (free-form object).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub extensions: Option<Map<String, Value>>,
    }
}

impl InitializeCapabilities {
    /// Sets `experimentalApi`. By default it is absent, which codex reads as `false`.
    #[must_use]
    pub fn experimental_api(mut self, enabled: bool) -> Self {
        self.experimental_api = Some(enabled);
        self
    }

    /// Sets `optOutNotificationMethods`. By default it is absent: every notification is sent.
    #[must_use]
    pub fn opt_out_notification_methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.opt_out_notification_methods = Some(methods.into_iter().map(Into::into).collect());
        self
    }
}

wire_struct! {
    /// `InitializeParams` of the `initialize` request, the first message of a connection.
    pub struct InitializeParams {
        /// Who is connecting.
        pub client_info: ClientInfo,
        /// What the client opts into.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub capabilities: Option<InitializeCapabilities>,
    }
}

impl InitializeParams {
    /// Params with no capabilities.
    #[must_use]
    pub fn new(client_info: ClientInfo) -> Self {
        Self {
            client_info,
            capabilities: None,
            extra: Map::new(),
        }
    }

    /// Sets the capabilities. By default they are absent (codex's defaults apply).
    #[must_use]
    pub fn capabilities(mut self, capabilities: InitializeCapabilities) -> Self {
        self.capabilities = Some(capabilities);
        self
    }
}

wire_struct! {
    /// `InitializeResponse`: the result of `initialize`.
    ///
    /// Codex 0.169 sends no `serverInfo`; its version is inside `userAgent`
    /// (`<clientInfo.name>/0.169.0 (Debian 12.0.0; x86_64) xterm (<name>; <version>)`), see
    /// [`InitializeResponse::server_version`].
    pub struct InitializeResponse {
        /// The user agent codex sends upstream, which embeds its version.
        pub user_agent: String,
        /// The absolute `CODEX_HOME` the server uses.
        pub codex_home: String,
        /// `unix` or `windows`.
        pub platform_family: String,
        /// `linux`, `macos`, `windows`, …
        pub platform_os: String,
    }
}

impl InitializeResponse {
    /// The codex version taken from `userAgent`: what follows the last `/` of its first
    /// space-separated token (`"my_sdk/0.169.0 (Debian…)"` → `"0.169.0"`). `None` when the
    /// user agent has no such token.
    #[must_use]
    pub fn server_version(&self) -> Option<&str> {
        server_version_from_user_agent(&self.user_agent)
    }
}

/// See [`InitializeResponse::server_version`].
#[must_use]
pub fn server_version_from_user_agent(user_agent: &str) -> Option<&str> {
    let product = user_agent.split_whitespace().next()?;
    let (_, version) = product.rsplit_once('/')?;
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_version_comes_from_the_user_agent() {
        let ua = "steering_fixture_client/0.169.0 (Debian 12.0.0; x86_64) xterm (steering_fixture_client; 0.0.1)";
        assert_eq!(server_version_from_user_agent(ua), Some("0.169.0"));
        assert_eq!(server_version_from_user_agent("a/b/1.2.3"), Some("1.2.3"));
        assert_eq!(server_version_from_user_agent("noslash (x)"), None);
        assert_eq!(server_version_from_user_agent("trailing/ x"), None);
        assert_eq!(server_version_from_user_agent(""), None);
    }
}
