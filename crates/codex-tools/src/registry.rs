//! [`ToolRegistry`]: the tools a thread offers, and how their calls run.
//!
//! A registry registers, deregisters and lists [`Tool`]s; clones share one set of tools, so a
//! registry can be handed to several threads and changed while they run. Calls run through a
//! [`ToolSession`] (one per turn in codex-agent-sdk), under the registry's execution rules:
//!
//! - **timeout**: a call that takes longer than its tool's timeout (or the registry's
//!   default, 120 seconds) is dropped, and the model gets a [`ToolErrorKind::Timeout`] error;
//! - **cancellation**: [`ToolSession::cancel`] (the turn ended or was dropped) drops every
//!   call of the session still running; they answer [`ToolErrorKind::Cancelled`];
//! - **bounded parallelism**: calls run concurrently, each in its own task, at most
//!   `max_concurrent_calls` at a time (8 by default); the others wait for a slot;
//! - **panics**: a handler that panics fails its call with [`ToolErrorKind::Panicked`]; the
//!   registry goes on;
//! - **metrics**: per tool, calls, errors and latency ([`ToolRegistry::metrics`]).
//!
//! ```
//! use codex_agent_tools::registry::{RegistrationError, ToolRegistry};
//! use codex_agent_tools::tools::{Tool, ToolError};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Add {
//!     a: i64,
//!     b: i64,
//! }
//! let add = || Tool::typed("add", "Adds.", |i: Add| async move { Ok::<_, ToolError>((i.a + i.b).to_string()) });
//!
//! let registry = ToolRegistry::new();
//! registry.register(add())?;
//! assert!(matches!(registry.register(add()), Err(RegistrationError::DuplicateName { .. })));
//! # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
//! let output = registry.session().call(None, "add", serde_json::json!({"a": 2, "b": 3})).await;
//! assert_eq!(output, Ok(codex_agent_tools::tools::ToolOutput::text("5")));
//! # });
//! assert_eq!(registry.metrics()[0].calls(), 1);
//! # Ok::<(), RegistrationError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use codex_agent_protocol::app_server::{
    DynamicToolNamespace, DynamicToolNamespaceTool, DynamicToolSpec,
};
use codex_agent_protocol::structured::SchemaIssue;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::tools::{Tool, ToolError, ToolErrorKind, ToolOutput, qualified};

/// The default time limit of one call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_mins(2);

/// The default number of calls that run at once.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 8;

/// Why a tool cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// A tool of that name (in that namespace) is already registered.
    #[error("a tool named `{name}` is already registered")]
    DuplicateName {
        /// `namespace/name` or `name`.
        name: String,
    },
    /// codex would refuse the name (or the namespace).
    #[error("`{name}` is not a valid tool name for codex: {reason}")]
    InvalidName {
        /// The refused name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The input schema cannot be made strict-mode safe.
    #[error("the input schema of `{name}` cannot be made strict: {issue}")]
    Schema {
        /// `namespace/name` or `name`.
        name: String,
        /// Where and why the normalizer refused it.
        issue: SchemaIssue,
    },
}

/// The names codex (0.169 to 0.171) gives its own tools. A host tool outside a namespace may
/// not take one: on the app-server, where host tools are codex's dynamic tools, codex would
/// offer the model its own tool of that name and silently leave the host's out (on exec, host
/// tools sit in their own MCP namespace, but a name must mean the same on both transports).
pub const CODEX_TOOL_NAMES: &[&str] = &[
    "apply_patch",
    "create_goal",
    "exec_command",
    "get_goal",
    "list_mcp_resource_templates",
    "list_mcp_resources",
    "read_mcp_resource",
    "request_user_input",
    "tool_search",
    "update_goal",
    "update_plan",
    "view_image",
    "web_search",
    "write_stdin",
];

/// Checks a tool or namespace name against what codex and the Responses API accept:
/// 1 to 64 ASCII letters, digits, `_` and `-`, not starting with `mcp__` (codex's prefix for
/// MCP namespaces).
fn check_name(name: &str) -> Result<(), RegistrationError> {
    let invalid = |reason| {
        Err(RegistrationError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() || name.len() > 64 {
        return invalid("it must have 1 to 64 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return invalid("only ASCII letters, digits, `_` and `-` are allowed");
    }
    if name.starts_with("mcp__") {
        return invalid("the prefix `mcp__` is codex's own, for MCP servers");
    }
    Ok(())
}

/// A set of tools, shared by its clones, with execution limits and per-tool metrics.
#[derive(Clone)]
pub struct ToolRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    tools: RwLock<BTreeMap<String, Tool>>,
    metrics: Mutex<BTreeMap<String, ToolMetrics>>,
    permits: Arc<Semaphore>,
    default_timeout: Duration,
}

impl fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.names())
            .field("default_timeout", &self.inner.default_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ToolRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl ToolRegistry {
    /// An empty registry with the default limits ([`DEFAULT_MAX_CONCURRENT_CALLS`],
    /// [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_TIMEOUT)
    }

    /// An empty registry running at most `max_concurrent_calls` calls at once (at least
    /// one), each limited to `default_timeout` unless its tool sets its own.
    #[must_use]
    pub fn with_limits(max_concurrent_calls: usize, default_timeout: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                tools: RwLock::new(BTreeMap::new()),
                metrics: Mutex::new(BTreeMap::new()),
                permits: Arc::new(Semaphore::new(max_concurrent_calls.max(1))),
                default_timeout,
            }),
        }
    }

    /// Registers a tool.
    ///
    /// # Errors
    ///
    /// [`RegistrationError::InvalidName`] for a name or namespace codex refuses, or a name
    /// outside a namespace that is one of codex's own ([`CODEX_TOOL_NAMES`]),
    /// [`RegistrationError::Schema`] for an input schema that cannot be made strict,
    /// [`RegistrationError::DuplicateName`] when the name is taken (deregister first to
    /// replace a tool).
    pub fn register(&self, tool: Tool) -> Result<(), RegistrationError> {
        check_name(tool.name())?;
        match tool.namespace_name() {
            Some(namespace) => check_name(namespace)?,
            None if CODEX_TOOL_NAMES.contains(&tool.name()) => {
                return Err(RegistrationError::InvalidName {
                    name: tool.name().to_owned(),
                    reason: "codex has a tool of its own by that name, which would hide this \
                             one from the model (put it in a namespace, or rename it)",
                });
            }
            None => {}
        }
        let name = tool.qualified_name();
        if let Err(issue) = tool.input_schema() {
            return Err(RegistrationError::Schema {
                name,
                issue: issue.clone(),
            });
        }
        let mut tools = self
            .inner
            .tools
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if tools.contains_key(&name) {
            return Err(RegistrationError::DuplicateName { name });
        }
        tools.insert(name, tool);
        Ok(())
    }

    /// Registers a tool and returns the registry, for chaining.
    ///
    /// # Errors
    ///
    /// As [`register`](Self::register).
    pub fn with(self, tool: Tool) -> Result<Self, RegistrationError> {
        self.register(tool)?;
        Ok(self)
    }

    /// Removes the tool `name` of `namespace` (`None`: no namespace) and returns it. Calls
    /// already running finish; later calls get an unknown-tool error.
    pub fn deregister(&self, namespace: Option<&str>, name: &str) -> Option<Tool> {
        self.inner
            .tools
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&qualified(namespace, name))
    }

    /// The registered tools, ordered by qualified name.
    #[must_use]
    pub fn list(&self) -> Vec<Tool> {
        self.inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// The qualified names of the registered tools, in order.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// Whether no tool is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// The tool `name` of `namespace`, if registered.
    #[must_use]
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Tool> {
        self.inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&qualified(namespace, name))
            .cloned()
    }

    /// The timeout of calls whose tool sets none.
    #[must_use]
    pub fn default_timeout(&self) -> std::time::Duration {
        self.inner.default_timeout
    }

    /// A snapshot of the metrics of every tool called so far, ordered by qualified name.
    #[must_use]
    pub fn metrics(&self) -> Vec<ToolMetrics> {
        self.inner
            .metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// The `dynamicTools` of `thread/start` for the registered tools: tools without a
    /// namespace as `function`s, the others grouped into one `namespace` each.
    ///
    /// # Panics
    ///
    /// Never: a namespace of function tools always builds.
    #[must_use]
    pub fn dynamic_tool_specs(&self) -> Vec<DynamicToolSpec> {
        let mut specs = Vec::new();
        let mut namespaces: BTreeMap<String, Vec<DynamicToolNamespaceTool>> = BTreeMap::new();
        for tool in self.list() {
            match tool.namespace_name() {
                None => specs.push(DynamicToolSpec::Function(tool.function_spec())),
                Some(namespace) => namespaces
                    .entry(namespace.to_owned())
                    .or_default()
                    .push(DynamicToolNamespaceTool::Function(tool.function_spec())),
            }
        }
        for (name, tools) in namespaces {
            let description = format!("Tools of the `{name}` namespace.");
            let namespace: DynamicToolNamespace = serde_json::from_value(serde_json::json!({
                "name": name, "description": description, "tools": tools,
            }))
            .expect("a namespace of function tools is a valid DynamicToolNamespace");
            specs.push(DynamicToolSpec::Namespace(namespace));
        }
        specs
    }

    /// A fresh session: calls made through it can be cancelled together.
    #[must_use]
    pub fn session(&self) -> ToolSession {
        ToolSession {
            registry: self.clone(),
            cancel: CancellationToken::new(),
        }
    }

    fn record(&self, name: &str, latency: Duration, failed: bool) {
        let mut metrics = self
            .inner
            .metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = metrics
            .entry(name.to_owned())
            .or_insert_with(|| ToolMetrics {
                name: name.to_owned(),
                ..ToolMetrics::default()
            });
        entry.calls += 1;
        entry.errors += u64::from(failed);
        entry.total_latency += latency;
        entry.max_latency = entry.max_latency.max(latency);
    }
}

/// Calls and their outcome for one tool, since the registry was created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolMetrics {
    name: String,
    calls: u64,
    errors: u64,
    total_latency: Duration,
    max_latency: Duration,
}

impl ToolMetrics {
    /// `namespace/name` or `name`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls made, failed ones included.
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Calls that failed (handler error, bad arguments, timeout, cancellation, panic).
    #[must_use]
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The sum of the calls' latencies (from the call to its answer, waiting for a slot
    /// included).
    #[must_use]
    pub fn total_latency(&self) -> Duration {
        self.total_latency
    }

    /// The longest call.
    #[must_use]
    pub fn max_latency(&self) -> Duration {
        self.max_latency
    }

    /// The mean latency (zero before the first call).
    #[must_use]
    pub fn mean_latency(&self) -> Duration {
        u32::try_from(self.calls)
            .ok()
            .filter(|calls| *calls > 0)
            .map_or(Duration::ZERO, |calls| self.total_latency / calls)
    }
}

/// Calls into a registry that can be cancelled together (codex-agent-sdk makes one per turn).
///
/// Clones share the cancellation.
#[derive(Clone)]
pub struct ToolSession {
    registry: ToolRegistry,
    cancel: CancellationToken,
}

impl fmt::Debug for ToolSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolSession")
            .field("registry", &self.registry)
            .field("cancelled", &self.cancel.is_cancelled())
            .finish()
    }
}

impl ToolSession {
    /// The registry the session calls into.
    #[must_use]
    pub fn registry(&self) -> &ToolRegistry {
        &self.registry
    }

    /// Cancels every call of this session that still runs, and every later one.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Calls the tool `name` of `namespace` with `arguments`, under the registry's rules
    /// (see the [module docs](self)). Must run inside a tokio runtime (the handler runs in a
    /// task of its own).
    ///
    /// # Errors
    ///
    /// The [`ToolError`] the model sees: the handler's error, or
    /// [`ToolErrorKind::UnknownTool`], [`InvalidArguments`](ToolErrorKind::InvalidArguments),
    /// [`Timeout`](ToolErrorKind::Timeout), [`Cancelled`](ToolErrorKind::Cancelled),
    /// [`Panicked`](ToolErrorKind::Panicked).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future aborts the handler's task.
    pub async fn call(
        &self,
        namespace: Option<&str>,
        name: &str,
        arguments: Value,
    ) -> Result<ToolOutput, ToolError> {
        let qualified_name = qualified(namespace, name);
        let Some(tool) = self.registry.get(namespace, name) else {
            tracing::debug!(tool = %qualified_name, "call of an unknown tool");
            return Err(ToolError::with_kind(
                ToolErrorKind::UnknownTool,
                format!("unknown tool `{qualified_name}`: no such tool is registered"),
            ));
        };
        let started = Instant::now();
        let result = self.run(&tool, &qualified_name, arguments).await;
        let latency = started.elapsed();
        self.registry
            .record(&qualified_name, latency, result.is_err());
        tracing::debug!(
            tool = %qualified_name,
            latency_ms = latency.as_secs_f64() * 1e3,
            ok = result.is_ok(),
            "tool call"
        );
        result
    }

    async fn run(
        &self,
        tool: &Tool,
        name: &str,
        arguments: Value,
    ) -> Result<ToolOutput, ToolError> {
        let cancelled = || {
            ToolError::with_kind(
                ToolErrorKind::Cancelled,
                format!("the call of `{name}` was cancelled: the turn ended"),
            )
        };
        let limit = tool
            .timeout_limit()
            .unwrap_or(self.registry.inner.default_timeout);
        let permits = Arc::clone(&self.registry.inner.permits);
        let work = async {
            let _permit = tokio::select! {
                permit = permits.acquire_owned() => permit.map_err(|_| cancelled())?,
                () = self.cancel.cancelled() => return Err(cancelled()),
            };
            let tool = tool.clone();
            let task = AbortOnDrop(tokio::spawn(async move { tool.start(arguments).await }));
            tokio::select! {
                joined = task.join() => match joined {
                    Ok(result) => result,
                    Err(error) if error.is_panic() => Err(ToolError::with_kind(
                        ToolErrorKind::Panicked,
                        format!("the tool `{name}` failed: its handler panicked"),
                    )),
                    Err(_) => Err(cancelled()),
                },
                () = self.cancel.cancelled() => Err(cancelled()),
            }
        };
        match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(ToolError::with_kind(
                ToolErrorKind::Timeout,
                format!(
                    "the tool `{name}` timed out after {} ms and was cancelled",
                    limit.as_millis()
                ),
            )),
        }
    }
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Add {
        a: i64,
        b: i64,
    }

    fn add() -> Tool {
        Tool::typed("add", "Adds.", |i: Add| async move {
            Ok::<_, ToolError>((i.a + i.b).to_string())
        })
    }

    #[test]
    fn registration_errors_are_typed() {
        let registry = ToolRegistry::new();
        registry.register(add()).expect("first add");
        assert_eq!(
            registry.register(add()),
            Err(RegistrationError::DuplicateName { name: "add".into() })
        );
        registry
            .register(add().namespace("math"))
            .expect("another namespace, another tool");
        for (name, reason) in [
            ("", "it must have 1 to 64 characters"),
            ("a b", "only ASCII letters, digits, `_` and `-` are allowed"),
            (
                "mcp__x",
                "the prefix `mcp__` is codex's own, for MCP servers",
            ),
        ] {
            assert_eq!(
                registry.register(Tool::new(name, "", json!({"type": "object"}), |_| async {
                    Ok::<_, ToolError>("")
                })),
                Err(RegistrationError::InvalidName {
                    name: name.into(),
                    reason
                })
            );
        }
        assert!(matches!(
            registry.register(add().namespace("no/slash")),
            Err(RegistrationError::InvalidName { .. })
        ));
        // codex's own tool names are refused outside a namespace, taken inside one.
        let named = |name: &str| {
            Tool::new(name, "", json!({"type": "object"}), |_| async {
                Ok::<_, ToolError>("")
            })
        };
        let own = ToolRegistry::new();
        for name in CODEX_TOOL_NAMES {
            let error = own.register(named(name)).expect_err("codex's own name");
            assert!(
                matches!(&error, RegistrationError::InvalidName { name: n, reason }
                    if n == name && reason.contains("codex has a tool of its own")),
                "{error}"
            );
            own.register(named(name).namespace("mine"))
                .expect("inside a namespace");
        }
        let free_form = Tool::new(
            "free",
            "",
            json!({"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "string"}}}}),
            |_| async { Ok::<_, ToolError>("") },
        );
        let error = registry.register(free_form).expect_err("a map is refused");
        assert!(matches!(error, RegistrationError::Schema { .. }), "{error}");
        assert_eq!(registry.names(), ["add", "math/add"]);
        assert!(registry.deregister(Some("math"), "add").is_some());
        assert!(registry.deregister(Some("math"), "add").is_none());
        assert_eq!(registry.names(), ["add"]);
    }

    #[test]
    fn dynamic_tool_specs_group_namespaces() {
        let registry = ToolRegistry::new()
            .with(add())
            .and_then(|r| r.with(add().namespace("math")))
            .expect("valid");
        let specs = serde_json::to_value(registry.dynamic_tool_specs()).expect("json");
        assert_eq!(specs[0]["type"], "function");
        assert_eq!(specs[0]["name"], "add");
        assert_eq!(specs[1]["type"], "namespace");
        assert_eq!(specs[1]["name"], "math");
        assert_eq!(specs[1]["tools"][0]["name"], "add");
    }

    #[tokio::test]
    async fn calls_time_out_panic_cancel_and_count() {
        let registry = ToolRegistry::with_limits(4, Duration::from_secs(30));
        registry.register(add()).expect("add");
        registry
            .register(
                Tool::new("hang", "", json!({"type": "object"}), |_| async {
                    std::future::pending::<Result<String, ToolError>>().await
                })
                .timeout(Duration::from_millis(50)),
            )
            .expect("hang");
        registry
            .register(Tool::new(
                "boom",
                "",
                json!({"type": "object"}),
                |arguments: Value| async move {
                    assert!(arguments.is_null(), "boom");
                    Ok::<_, ToolError>("")
                },
            ))
            .expect("boom");
        let session = registry.session();
        let kind = |result: Result<ToolOutput, ToolError>| result.map_err(|e| e.kind());
        assert_eq!(
            kind(session.call(None, "add", json!({"a": 1, "b": 2})).await),
            Ok(ToolOutput::text("3"))
        );
        assert_eq!(
            kind(session.call(None, "add", json!({"a": "x"})).await),
            Err(ToolErrorKind::InvalidArguments)
        );
        assert_eq!(
            kind(session.call(None, "hang", json!({})).await),
            Err(ToolErrorKind::Timeout)
        );
        assert_eq!(
            kind(session.call(None, "boom", json!({})).await),
            Err(ToolErrorKind::Panicked)
        );
        assert_eq!(
            kind(session.call(None, "nope", json!({})).await),
            Err(ToolErrorKind::UnknownTool)
        );
        // A cancelled session drops a hanging call.
        let slow = registry.session();
        registry.deregister(None, "hang");
        registry
            .register(Tool::new(
                "hang",
                "",
                json!({"type": "object"}),
                |_| async { std::future::pending::<Result<String, ToolError>>().await },
            ))
            .expect("hang without timeout");
        let canceller = slow.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            canceller.cancel();
        });
        assert_eq!(
            kind(slow.call(None, "hang", json!({})).await),
            Err(ToolErrorKind::Cancelled)
        );
        let metrics: Vec<(String, u64, u64)> = registry
            .metrics()
            .iter()
            .map(|m| (m.name().to_owned(), m.calls(), m.errors()))
            .collect();
        assert_eq!(
            metrics,
            [
                ("add".to_owned(), 2, 1),
                ("boom".to_owned(), 1, 1),
                ("hang".to_owned(), 2, 2)
            ]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallelism_is_bounded() {
        let registry = ToolRegistry::with_limits(2, Duration::from_secs(30));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (r, p) = (Arc::clone(&running), Arc::clone(&peak));
        registry
            .register(Tool::new(
                "work",
                "",
                json!({"type": "object"}),
                move |_| {
                    let (running, peak) = (Arc::clone(&r), Arc::clone(&p));
                    async move {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, ToolError>("done")
                    }
                },
            ))
            .expect("work");
        let session = registry.session();
        let calls = (0..5).map(|_| session.call(None, "work", json!({})));
        let results = futures::future::join_all(calls).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
