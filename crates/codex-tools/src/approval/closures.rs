//! Approval handlers written as closures or `async fn`s: [`from_fn`] for one function that
//! decides every approval, [`ApprovalHandlers`] for one function per kind of request.
//!
//! Both take the request by value (a clone of what codex sent), so the closure returns a
//! plain `async move` block with no lifetimes to spell out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{
    AlwaysDecline, ApprovalDecision, ApprovalFuture, ApprovalHandler,
    CommandExecutionRequestApprovalParams, FileChangeRequestApprovalParams,
    McpServerElicitationRequestParams, McpServerElicitationRequestResponse,
    PermissionsRequestApprovalParams, PermissionsRequestApprovalResponse,
    ToolRequestUserInputParams, ToolRequestUserInputResponse,
};

/// One request that codex asks the client to approve or decline, whatever its kind: what
/// the function given to [`from_fn`] decides on.
///
/// Questions to the user (`item/tool/requestUserInput`) and MCP elicitations are not
/// approvals (they want answers, not a yes or no); answer them with
/// [`ApprovalHandlers::on_user_input`] and [`ApprovalHandlers::on_elicitation`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApprovalRequest {
    /// `item/commandExecution/requestApproval`: may codex run this command?
    CommandExecution(Box<CommandExecutionRequestApprovalParams>),
    /// `item/fileChange/requestApproval`: may codex apply this patch?
    FileChange(Box<FileChangeRequestApprovalParams>),
    /// `item/permissions/requestApproval`: may the agent have these permissions? Accepting
    /// grants all of them ([`ApprovalDecision::for_permissions`]).
    Permissions(Box<PermissionsRequestApprovalParams>),
}

impl ApprovalRequest {
    /// The JSON-RPC method of the request (`item/commandExecution/requestApproval`, …).
    #[must_use]
    pub fn method(&self) -> &'static str {
        match self {
            Self::CommandExecution(_) => "item/commandExecution/requestApproval",
            Self::FileChange(_) => "item/fileChange/requestApproval",
            Self::Permissions(_) => "item/permissions/requestApproval",
        }
    }

    /// The thread that asks.
    #[must_use]
    pub fn thread_id(&self) -> &str {
        match self {
            Self::CommandExecution(r) => &r.thread_id,
            Self::FileChange(r) => &r.thread_id,
            Self::Permissions(r) => &r.thread_id,
        }
    }

    /// The turn that asks.
    #[must_use]
    pub fn turn_id(&self) -> &str {
        match self {
            Self::CommandExecution(r) => &r.turn_id,
            Self::FileChange(r) => &r.turn_id,
            Self::Permissions(r) => &r.turn_id,
        }
    }

    /// The item the request is about (the `command_execution` or `file_change` item).
    #[must_use]
    pub fn item_id(&self) -> &str {
        match self {
            Self::CommandExecution(r) => &r.item_id,
            Self::FileChange(r) => &r.item_id,
            Self::Permissions(r) => &r.item_id,
        }
    }

    /// Why the agent asks, when it says.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::CommandExecution(r) => r.reason.as_deref(),
            Self::FileChange(r) => r.reason.as_deref(),
            Self::Permissions(r) => r.reason.as_deref(),
        }
    }

    /// The command line of a command request (`/bin/bash -lc 'touch f'`), when codex sent
    /// one; `None` for other requests.
    #[must_use]
    pub fn command(&self) -> Option<&str> {
        match self {
            Self::CommandExecution(r) => r.command.as_deref(),
            Self::FileChange(_) | Self::Permissions(_) => None,
        }
    }

    /// The working directory: of the command, or the one requested permissions are relative
    /// to; `None` for a file change.
    #[must_use]
    pub fn cwd(&self) -> Option<&str> {
        match self {
            Self::CommandExecution(r) => r.cwd.as_deref(),
            Self::Permissions(r) => Some(&r.cwd),
            Self::FileChange(_) => None,
        }
    }
}

/// An [`ApprovalHandler`] from a closure or an `async fn` that decides every approval
/// request: commands, file changes and permission requests ([`ApprovalRequest`]).
///
/// For a permission request, accepting grants everything asked for
/// ([`ApprovalDecision::for_permissions`]). Questions to the user get no answers and MCP
/// elicitations are declined, as [`AlwaysDecline`] does; use [`ApprovalHandlers`] to answer
/// those.
///
/// ```
/// use codex_agent_tools::approval::{self, ApprovalDecision, ApprovalRequest};
///
/// // Commands that touch `/etc` are declined, everything else is accepted.
/// let handler = approval::from_fn(|request: ApprovalRequest| async move {
///     match request.command() {
///         Some(command) if command.contains("/etc") => ApprovalDecision::Decline,
///         _ => ApprovalDecision::Accept,
///     }
/// });
///
/// // An `async fn` works as well.
/// async fn decline_patches(request: ApprovalRequest) -> ApprovalDecision {
///     match request {
///         ApprovalRequest::FileChange(_) => ApprovalDecision::Decline,
///         _ => ApprovalDecision::Accept,
///     }
/// }
/// let other = approval::from_fn(decline_patches);
/// # let _ = (handler, other);
/// ```
///
/// The function runs once per request, on the request's own task; state it needs goes into
/// it as an `Arc` (clone the `Arc` into the `async move` block).
pub fn from_fn<F, Fut>(decide: F) -> FromFn<F>
where
    F: Fn(ApprovalRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ApprovalDecision> + Send + 'static,
{
    FromFn { decide }
}

/// The [`ApprovalHandler`] made by [`from_fn`].
#[derive(Clone, Copy)]
pub struct FromFn<F> {
    decide: F,
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FromFn").finish_non_exhaustive()
    }
}

impl<F, Fut> ApprovalHandler for FromFn<F>
where
    F: Fn(ApprovalRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ApprovalDecision> + Send + 'static,
{
    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin((self.decide)(ApprovalRequest::CommandExecution(Box::new(
            request.clone(),
        ))))
    }

    fn file_change<'a>(
        &'a self,
        request: &'a FileChangeRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin((self.decide)(ApprovalRequest::FileChange(Box::new(
            request.clone(),
        ))))
    }

    fn permissions<'a>(
        &'a self,
        request: &'a PermissionsRequestApprovalParams,
    ) -> ApprovalFuture<'a, PermissionsRequestApprovalResponse> {
        let decision = (self.decide)(ApprovalRequest::Permissions(Box::new(request.clone())));
        Box::pin(async move { decision.await.for_permissions(request) })
    }
}

/// A callback of [`ApprovalHandlers`]: the request by value, the answer later.
type Callback<P, R> = Arc<dyn Fn(P) -> Pin<Box<dyn Future<Output = R> + Send>> + Send + Sync>;

fn callback<P, R, F, Fut>(f: F) -> Callback<P, R>
where
    F: Fn(P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    Arc::new(move |request| Box::pin(f(request)))
}

/// An [`ApprovalHandler`] built from one closure (or `async fn`) per kind of request; a kind
/// without one gets the refusal of [`AlwaysDecline`].
///
/// ```
/// use std::collections::BTreeMap;
///
/// use codex_agent_tools::approval::{
///     ApprovalDecision, ApprovalHandlers, ToolRequestUserInputAnswer,
///     ToolRequestUserInputResponse,
/// };
///
/// let handler = ApprovalHandlers::new()
///     .on_command(|request| async move {
///         if request.cwd.as_deref().is_some_and(|cwd| std::path::Path::new(cwd).starts_with("/work")) {
///             ApprovalDecision::Accept
///         } else {
///             ApprovalDecision::Decline
///         }
///     })
///     .on_file_change(|_| async { ApprovalDecision::AcceptForSession })
///     .on_user_input(|request| async move {
///         // Picks the first option of every question that offers some.
///         let answers = request
///             .questions
///             .iter()
///             .filter_map(|q| {
///                 let first = q.options.as_ref()?.first()?;
///                 Some((q.id.clone(), ToolRequestUserInputAnswer::new(vec![first.label.clone()])))
///             })
///             .collect::<BTreeMap<_, _>>();
///         ToolRequestUserInputResponse::new(answers)
///     });
/// # let _ = handler;
/// ```
///
/// Clones share the closures.
#[derive(Clone, Default)]
#[must_use]
pub struct ApprovalHandlers {
    command_execution: Option<Callback<CommandExecutionRequestApprovalParams, ApprovalDecision>>,
    file_change: Option<Callback<FileChangeRequestApprovalParams, ApprovalDecision>>,
    permissions:
        Option<Callback<PermissionsRequestApprovalParams, PermissionsRequestApprovalResponse>>,
    user_input: Option<Callback<ToolRequestUserInputParams, ToolRequestUserInputResponse>>,
    elicitation:
        Option<Callback<McpServerElicitationRequestParams, McpServerElicitationRequestResponse>>,
}

impl fmt::Debug for ApprovalHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |present: bool| if present { "closure" } else { "decline" };
        f.debug_struct("ApprovalHandlers")
            .field("command_execution", &set(self.command_execution.is_some()))
            .field("file_change", &set(self.file_change.is_some()))
            .field("permissions", &set(self.permissions.is_some()))
            .field("user_input", &set(self.user_input.is_some()))
            .field("elicitation", &set(self.elicitation.is_some()))
            .finish()
    }
}

impl ApprovalHandlers {
    /// No closures: every request is refused, as [`AlwaysDecline`] does.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides whether codex may run a command (`item/commandExecution/requestApproval`).
    ///
    /// By default, [`ApprovalDecision::Decline`].
    pub fn on_command<F, Fut>(mut self, decide: F) -> Self
    where
        F: Fn(CommandExecutionRequestApprovalParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApprovalDecision> + Send + 'static,
    {
        self.command_execution = Some(callback(decide));
        self
    }

    /// Decides whether codex may apply a patch (`item/fileChange/requestApproval`).
    ///
    /// By default, [`ApprovalDecision::Decline`].
    pub fn on_file_change<F, Fut>(mut self, decide: F) -> Self
    where
        F: Fn(FileChangeRequestApprovalParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApprovalDecision> + Send + 'static,
    {
        self.file_change = Some(callback(decide));
        self
    }

    /// Chooses which requested permissions to grant (`item/permissions/requestApproval`);
    /// [`ApprovalDecision::for_permissions`] turns a yes or no into an answer.
    ///
    /// By default, nothing is granted.
    pub fn on_permissions<F, Fut>(mut self, grant: F) -> Self
    where
        F: Fn(PermissionsRequestApprovalParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = PermissionsRequestApprovalResponse> + Send + 'static,
    {
        self.permissions = Some(callback(grant));
        self
    }

    /// Answers the agent's questions to the user (`item/tool/requestUserInput`), keyed by
    /// question id.
    ///
    /// By default, no answers.
    pub fn on_user_input<F, Fut>(mut self, answer: F) -> Self
    where
        F: Fn(ToolRequestUserInputParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ToolRequestUserInputResponse> + Send + 'static,
    {
        self.user_input = Some(callback(answer));
        self
    }

    /// Answers an MCP server's request for user input (`mcpServer/elicitation/request`).
    ///
    /// By default, declined.
    pub fn on_elicitation<F, Fut>(mut self, answer: F) -> Self
    where
        F: Fn(McpServerElicitationRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = McpServerElicitationRequestResponse> + Send + 'static,
    {
        self.elicitation = Some(callback(answer));
        self
    }
}

impl ApprovalHandler for ApprovalHandlers {
    fn beyond_commands(&self) -> Option<&'static str> {
        if self.file_change.is_some() {
            Some("asking an approval handler about file changes")
        } else if self.permissions.is_some() {
            Some("asking an approval handler about permissions")
        } else if self.user_input.is_some() {
            Some("asking an approval handler for user input")
        } else if self.elicitation.is_some() {
            Some("asking an approval handler about MCP elicitations")
        } else {
            None
        }
    }

    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        match &self.command_execution {
            Some(decide) => decide(request.clone()),
            None => AlwaysDecline.command_execution(request),
        }
    }

    fn file_change<'a>(
        &'a self,
        request: &'a FileChangeRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        match &self.file_change {
            Some(decide) => decide(request.clone()),
            None => AlwaysDecline.file_change(request),
        }
    }

    fn permissions<'a>(
        &'a self,
        request: &'a PermissionsRequestApprovalParams,
    ) -> ApprovalFuture<'a, PermissionsRequestApprovalResponse> {
        match &self.permissions {
            Some(grant) => grant(request.clone()),
            None => AlwaysDecline.permissions(request),
        }
    }

    fn user_input<'a>(
        &'a self,
        request: &'a ToolRequestUserInputParams,
    ) -> ApprovalFuture<'a, ToolRequestUserInputResponse> {
        match &self.user_input {
            Some(answer) => answer(request.clone()),
            None => AlwaysDecline.user_input(request),
        }
    }

    fn elicitation<'a>(
        &'a self,
        request: &'a McpServerElicitationRequestParams,
    ) -> ApprovalFuture<'a, McpServerElicitationRequestResponse> {
        match &self.elicitation {
            Some(answer) => answer(request.clone()),
            None => AlwaysDecline.elicitation(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::executor::block_on;
    use pretty_assertions::assert_eq;
    use serde_json::{Value, json};

    use super::*;
    use crate::approval::{
        McpServerElicitationAction, PermissionGrantScope, ToolRequestUserInputAnswer,
    };

    fn params<T: serde::de::DeserializeOwned>(extra: &Value) -> T {
        let mut base = json!({"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1});
        base.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        serde_json::from_value(base).expect("request params")
    }

    fn command(line: &str) -> CommandExecutionRequestApprovalParams {
        params(&json!({"command": line, "cwd": "/w"}))
    }

    fn file_change() -> FileChangeRequestApprovalParams {
        params(&json!({"reason": "write", "grantRoot": null}))
    }

    fn permissions() -> PermissionsRequestApprovalParams {
        params(&json!({"cwd": "/w", "environmentId": null, "reason": "net",
            "permissions": {"fileSystem": {"write": ["/w"]}, "network": {"enabled": true}}}))
    }

    fn user_input() -> ToolRequestUserInputParams {
        serde_json::from_value(json!({"threadId": "t", "turnId": "u", "itemId": "i",
            "isBlocking": true, "autoResolutionMs": null, "questions": [
                {"id": "q", "header": "H", "question": "Which?", "options": [
                    {"label": "A", "description": "a"}, {"label": "B", "description": "b"}]}]}))
        .expect("user input params")
    }

    fn elicitation() -> McpServerElicitationRequestParams {
        serde_json::from_value(
            json!({"threadId": "t", "serverName": "s", "turnId": null, "mode": "form"}),
        )
        .expect("elicitation params")
    }

    fn to_json(value: &impl serde::Serialize) -> Value {
        serde_json::to_value(value).expect("serializes")
    }

    #[test]
    fn from_fn_decides_every_approval_kind() {
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        let handler = from_fn(move |request: ApprovalRequest| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                match &request {
                    ApprovalRequest::CommandExecution(_) if request.command() == Some("rm x") => {
                        ApprovalDecision::Decline
                    }
                    ApprovalRequest::Permissions(_) => ApprovalDecision::AcceptForSession,
                    _ => ApprovalDecision::Accept,
                }
            }
        });
        block_on(async {
            assert_eq!(
                handler.command_execution(&command("rm x")).await,
                ApprovalDecision::Decline
            );
            assert_eq!(
                handler.command_execution(&command("ls")).await,
                ApprovalDecision::Accept
            );
            assert_eq!(
                handler.file_change(&file_change()).await,
                ApprovalDecision::Accept
            );
            let granted = handler.permissions(&permissions()).await;
            assert_eq!(
                to_json(&granted),
                json!({"permissions": {"fileSystem": {"write": ["/w"]},
                    "network": {"enabled": true}}, "scope": "session"})
            );
            assert_eq!(granted.scope, Some(PermissionGrantScope::Session));
            assert_eq!(
                to_json(&handler.user_input(&user_input()).await),
                json!({"answers": {}})
            );
            assert_eq!(
                handler.elicitation(&elicitation()).await.action,
                McpServerElicitationAction::Decline
            );
        });
        assert_eq!(seen.load(Ordering::SeqCst), 4, "not asked for questions");
    }

    #[test]
    fn from_fn_takes_an_async_fn() {
        async fn decline_patches(request: ApprovalRequest) -> ApprovalDecision {
            match request {
                ApprovalRequest::FileChange(_) => ApprovalDecision::Decline,
                _ => ApprovalDecision::Accept,
            }
        }
        let handler = from_fn(decline_patches);
        block_on(async {
            assert_eq!(
                handler.file_change(&file_change()).await,
                ApprovalDecision::Decline
            );
            assert_eq!(
                handler.command_execution(&command("ls")).await,
                ApprovalDecision::Accept
            );
        });
    }

    #[test]
    fn a_request_view_reads_every_kind() {
        let views = [
            ApprovalRequest::CommandExecution(Box::new(command("ls"))),
            ApprovalRequest::FileChange(Box::new(file_change())),
            ApprovalRequest::Permissions(Box::new(permissions())),
        ];
        let read: Vec<_> = views
            .iter()
            .map(|r| {
                (
                    r.method(),
                    r.thread_id(),
                    r.turn_id(),
                    r.item_id(),
                    r.reason(),
                    r.command(),
                    r.cwd(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                (
                    "item/commandExecution/requestApproval",
                    "t",
                    "u",
                    "i",
                    None,
                    Some("ls"),
                    Some("/w")
                ),
                (
                    "item/fileChange/requestApproval",
                    "t",
                    "u",
                    "i",
                    Some("write"),
                    None,
                    None
                ),
                (
                    "item/permissions/requestApproval",
                    "t",
                    "u",
                    "i",
                    Some("net"),
                    None,
                    Some("/w")
                ),
            ]
        );
    }

    #[test]
    fn per_kind_closures_answer_and_the_rest_declines() {
        let only_commands = ApprovalHandlers::new().on_command(|request| async move {
            if request.command.as_deref() == Some("ls") {
                ApprovalDecision::Accept
            } else {
                ApprovalDecision::Cancel
            }
        });
        let everything = only_commands
            .clone()
            .on_file_change(|_| async { ApprovalDecision::AcceptForSession })
            .on_permissions(
                |request| async move { ApprovalDecision::Accept.for_permissions(&request) },
            )
            .on_user_input(|request| async move {
                let answers = request
                    .questions
                    .iter()
                    .map(|q| {
                        (
                            q.id.clone(),
                            ToolRequestUserInputAnswer::new(vec!["B".to_owned()]),
                        )
                    })
                    .collect();
                ToolRequestUserInputResponse::new(answers)
            })
            .on_elicitation(|_| async {
                McpServerElicitationRequestResponse::new(McpServerElicitationAction::Cancel)
            });
        block_on(async {
            assert_eq!(
                only_commands.command_execution(&command("ls")).await,
                ApprovalDecision::Accept
            );
            assert_eq!(
                only_commands.command_execution(&command("rm")).await,
                ApprovalDecision::Cancel
            );
            assert_eq!(
                only_commands.file_change(&file_change()).await,
                ApprovalDecision::Decline
            );
            assert_eq!(
                to_json(&only_commands.permissions(&permissions()).await),
                json!({"permissions": {}})
            );
            assert_eq!(
                to_json(&only_commands.user_input(&user_input()).await),
                json!({"answers": {}})
            );
            assert_eq!(
                to_json(&only_commands.elicitation(&elicitation()).await),
                json!({"action": "decline"})
            );

            assert_eq!(
                everything.file_change(&file_change()).await,
                ApprovalDecision::AcceptForSession
            );
            assert_eq!(
                to_json(&everything.permissions(&permissions()).await),
                json!({"permissions": {"fileSystem": {"write": ["/w"]},
                    "network": {"enabled": true}}})
            );
            assert_eq!(
                to_json(&everything.user_input(&user_input()).await),
                json!({"answers": {"q": {"answers": ["B"]}}})
            );
            assert_eq!(
                to_json(&everything.elicitation(&elicitation()).await),
                json!({"action": "cancel"})
            );
        });
        assert_eq!(
            format!("{only_commands:?}"),
            "ApprovalHandlers { command_execution: \"closure\", file_change: \"decline\", \
             permissions: \"decline\", user_input: \"decline\", elicitation: \"decline\" }"
        );
    }

    #[test]
    fn a_shared_handler_answers_as_the_one_it_points_to() {
        let shared: Arc<dyn ApprovalHandler> = Arc::new(crate::approval::AlwaysAccept);
        let handler = Arc::clone(&shared);
        block_on(async {
            assert_eq!(
                handler.command_execution(&command("ls")).await,
                ApprovalDecision::Accept
            );
        });
    }
}
