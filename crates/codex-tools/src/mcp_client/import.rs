//! External MCP tools as host tools of a registry.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::{McpClient, McpTool};
use crate::registry::{RegistrationError, ToolRegistry};
use crate::tools::{Tool, ToolError};

/// Which tools [`import`] takes, and where it puts them.
#[derive(Debug, Clone, Default)]
#[must_use]
#[non_exhaustive]
pub struct ImportOptions {
    namespace: Option<String>,
    allow: Vec<String>,
    deny: Vec<String>,
}

impl ImportOptions {
    /// Every tool, in the namespace named after the client.
    pub fn new() -> Self {
        Self::default()
    }

    /// The namespace the tools go into (the model sees `mcp__<namespace>__<tool>` on exec).
    /// By default, the client's name ([`McpClientOptions::name`](super::McpClientOptions::name)).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Imports only the tools named here (repeatable). By default, every tool.
    pub fn allow(mut self, tool: impl Into<String>) -> Self {
        self.allow.push(tool.into());
        self
    }

    /// Never imports the tools named here (repeatable); deny wins over allow. By default, none.
    pub fn deny(mut self, tool: impl Into<String>) -> Self {
        self.deny.push(tool.into());
        self
    }

    fn admits(&self, name: &str) -> bool {
        !self.deny.iter().any(|denied| denied == name)
            && (self.allow.is_empty() || self.allow.iter().any(|allowed| allowed == name))
    }
}

/// Tools imported by [`import`]. Dropping it stops following the server's tool list; the
/// tools stay registered until [`remove`](Self::remove).
#[derive(Debug)]
pub struct Import {
    namespace: String,
    names: Arc<Mutex<BTreeSet<String>>>,
    registry: ToolRegistry,
    sync: tokio::task::JoinHandle<()>,
}

impl Import {
    /// The namespace the tools are in.
    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The names of the imported tools (on the server, and in the namespace).
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Deregisters every imported tool.
    pub fn remove(self) {
        let names = std::mem::take(&mut *self.names.lock().unwrap_or_else(PoisonError::into_inner));
        for name in names {
            self.registry.deregister(Some(&self.namespace), &name);
        }
    }
}

impl Drop for Import {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

/// Registers the client's tools (those `options` admit) as host tools in `registry`, under
/// one namespace, and keeps them in step with the server's tool list (`list_changed`, a
/// restart). A call runs [`McpClient::call_tool`]: its timeout is the client's request
/// timeout, a failed call or an error reaches the model as a tool error.
///
/// Must be called within a Tokio runtime (the sync task).
///
/// # Errors
///
/// A [`RegistrationError`] when a tool's name, the namespace or a schema is refused, or a
/// tool of that name exists; nothing is registered then.
pub fn import(
    client: &McpClient,
    registry: &ToolRegistry,
    options: ImportOptions,
) -> Result<Import, RegistrationError> {
    let namespace = options
        .namespace
        .clone()
        .unwrap_or_else(|| client.name().to_owned());
    let tools: Vec<McpTool> = client
        .tools()
        .iter()
        .filter(|tool| options.admits(&tool.name))
        .cloned()
        .collect();
    let mut registered = Vec::new();
    for tool in &tools {
        if let Err(error) = registry.register(host_tool(client, &namespace, tool)) {
            for name in registered {
                registry.deregister(Some(&namespace), name);
            }
            return Err(error);
        }
        registered.push(tool.name.as_str());
    }
    let names = Arc::new(Mutex::new(
        tools
            .iter()
            .map(|tool| tool.name.clone())
            .collect::<BTreeSet<_>>(),
    ));
    let sync = tokio::spawn(follow(
        client.clone(),
        registry.clone(),
        namespace.clone(),
        options,
        names.clone(),
    ));
    Ok(Import {
        namespace,
        names,
        registry: registry.clone(),
        sync,
    })
}

/// Re-registers the admitted tools whenever the server's list changes.
async fn follow(
    client: McpClient,
    registry: ToolRegistry,
    namespace: String,
    options: ImportOptions,
    names: Arc<Mutex<BTreeSet<String>>>,
) {
    let mut lists = client.watch_tools();
    while lists.changed().await.is_ok() {
        let tools = lists.borrow_and_update().clone();
        let mut current = names.lock().unwrap_or_else(PoisonError::into_inner);
        for name in std::mem::take(&mut *current) {
            registry.deregister(Some(&namespace), &name);
        }
        for tool in tools.iter().filter(|tool| options.admits(&tool.name)) {
            match registry.register(host_tool(&client, &namespace, tool)) {
                Ok(()) => {
                    current.insert(tool.name.clone());
                }
                Err(error) => tracing::warn!(%error, "an MCP tool could not be imported"),
            }
        }
        tracing::debug!(namespace, tools = current.len(), "MCP tools re-imported");
    }
}

/// The host tool that forwards to `tool` on the server.
fn host_tool(client: &McpClient, namespace: &str, tool: &McpTool) -> Tool {
    let forward = client.clone();
    let name = tool.name.clone();
    let optional = optional_properties(&tool.input_schema);
    let mut host = Tool::new(
        tool.name.clone(),
        tool.description.clone(),
        tool.input_schema.clone(),
        move |arguments: Value| {
            let client = forward.clone();
            let name = name.clone();
            let arguments = drop_null_optionals(arguments, &optional);
            async move {
                match client.call_tool(&name, arguments).await {
                    Ok(result) => result.into_tool_result(),
                    Err(error) => Err(ToolError::new(error)),
                }
            }
        },
    )
    .namespace(namespace)
    .timeout(client.inner.options.request_timeout);
    if let Some(read_only) = tool.read_only {
        host = host.read_only(read_only);
    }
    if let Some(destructive) = tool.destructive {
        host = host.destructive(destructive);
    }
    if let Some(idempotent) = tool.idempotent {
        host = host.idempotent(idempotent);
    }
    host
}

/// The properties a schema does not require: strict mode makes them required and nullable,
/// so the model sends `null` for them, which the server may refuse.
fn optional_properties(schema: &Value) -> Vec<String> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|properties| properties.keys())
        .filter(|key| !required.contains(&key.as_str()))
        .cloned()
        .collect()
}

/// Leaves out the `null`s the model sent for optional properties.
fn drop_null_optionals(mut arguments: Value, optional: &[String]) -> Value {
    if let Some(object) = arguments.as_object_mut() {
        object.retain(|key, value| !(value.is_null() && optional.contains(key)));
    }
    arguments
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn deny_wins_over_allow() {
        let options = ImportOptions::new().allow("echo").allow("add").deny("add");
        assert!(options.admits("echo"));
        assert!(!options.admits("add"));
        assert!(!options.admits("other"));
        assert!(ImportOptions::new().admits("anything"));
    }

    #[test]
    fn nulls_of_optional_properties_are_left_out() {
        let schema = json!({"type": "object", "required": ["a"],
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}}});
        let optional = optional_properties(&schema);
        assert_eq!(optional, vec!["b".to_owned()]);
        assert_eq!(
            drop_null_optionals(json!({"a": null, "b": null}), &optional),
            json!({"a": null})
        );
    }
}
