//! Approvals on the app-server transport: the [`ApprovalHandler`] trait, the
//! [`ApprovalDecision`]s it returns, and ready-made policies: [`AlwaysDecline`] (the default),
//! [`AlwaysAccept`] and [`CommandPrefixPolicy`].
//!
//! With an approval policy that asks (`on-request` or `untrusted`), codex stops before a
//! command, a patch or a permission escalation and asks the client. The client passes each
//! request to the thread's handler (in codex-agent-sdk, `ThreadOptions::approval_handler`) and sends
//! its answer back ([`answer`](crate::answer) does both). Every request must be answered: an
//! unanswered request blocks the turn forever, so the client answers with the safe default
//! (decline, grant nothing, no answers) when a handler takes too long or panics (in codex-agent-sdk,
//! after `CodexOptions::approval_timeout`).
//!
//! `codex exec` never asks (it forces `approval_policy = never`): there codex-agent-sdk asks the
//! handler's [`command_execution`](ApprovalHandler::command_execution) about every command
//! through a `PreToolUse` hook ([`Hooks::approval_handler`](crate::hooks::Hooks::approval_handler)),
//! with only the command line set; exec cannot ask about file changes, permissions, questions
//! or elicitations.
//!
//! A handler is one expression. A closure or an `async fn` that decides every approval
//! becomes a handler with [`from_fn`]; [`ApprovalHandlers`] takes one closure per kind of
//! request (and answers questions and elicitations too); implement [`ApprovalHandler`] for
//! a type of your own when that reads better.
//!
//! ```
//! use codex_agent_tools::approval::{self, ApprovalDecision, ApprovalRequest};
//!
//! let handler = approval::from_fn(|request: ApprovalRequest| async move {
//!     match request.command() {
//!         Some(command) if command.contains("rm ") => ApprovalDecision::Decline,
//!         _ => ApprovalDecision::Accept,
//!     }
//! });
//! # let _ = handler;
//! ```
//!
//! Or a ready-made policy:
//!
//! ```
//! use codex_agent_tools::approval::{ApprovalDecision, CommandPrefixPolicy};
//!
//! // `git status` and `ls` run; `rm` never does; anything else is declined.
//! let policy = CommandPrefixPolicy::new()
//!     .allow(["git", "status"])
//!     .allow(["ls"])
//!     .deny(["rm"])
//!     .fallback(ApprovalDecision::Decline);
//! assert_eq!(policy.decide_command("/bin/bash -lc 'git status --short'"), ApprovalDecision::Accept);
//! assert_eq!(policy.decide_command("/bin/bash -lc 'ls && rm -rf target'"), ApprovalDecision::Decline);
//! ```

mod closures;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use codex_agent_protocol::app_server::{
    CommandAction, CommandExecutionApprovalDecision, ExecpolicyAmendment,
    FileChangeApprovalDecision,
};
pub use codex_agent_protocol::app_server::{
    CommandExecutionRequestApprovalParams, FileChangeRequestApprovalParams,
    GrantedPermissionProfile, McpServerElicitationAction, McpServerElicitationRequestParams,
    McpServerElicitationRequestResponse, PermissionGrantScope, PermissionsRequestApprovalParams,
    PermissionsRequestApprovalResponse, ToolRequestUserInputAnswer, ToolRequestUserInputParams,
    ToolRequestUserInputResponse,
};

pub use closures::{ApprovalHandlers, ApprovalRequest, FromFn, from_fn};

/// The future an [`ApprovalHandler`] method returns.
pub type ApprovalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The answer to a command or file change approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApprovalDecision {
    /// Run the command (apply the patch) this once.
    Accept,
    /// Run it, and let codex run similar commands (apply patches) without asking for the rest
    /// of the session.
    AcceptForSession,
    /// Run the command, and allow every command starting with this prefix from now on (codex
    /// proposes one in
    /// [`proposed_execpolicy_amendment`](CommandExecutionRequestApprovalParams::proposed_execpolicy_amendment)).
    /// For a file change, the same as [`Accept`](Self::Accept).
    AcceptWithExecpolicyAmendment(Vec<String>),
    /// Do not run it; the turn goes on and the model is told (the item completes as
    /// `declined`).
    Decline,
    /// Do not run it, and interrupt the turn.
    Cancel,
}

impl ApprovalDecision {
    /// The wire decision for a command approval
    /// (`item/commandExecution/requestApproval`).
    ///
    /// # Panics
    ///
    /// Never: any list of words is an exec policy amendment.
    #[must_use]
    pub fn for_command(&self) -> CommandExecutionApprovalDecision {
        match self {
            Self::Accept => CommandExecutionApprovalDecision::Accept,
            Self::AcceptForSession => CommandExecutionApprovalDecision::AcceptForSession,
            Self::AcceptWithExecpolicyAmendment(prefix) => {
                let amendment: ExecpolicyAmendment =
                    serde_json::from_value(serde_json::json!({ "execpolicy_amendment": prefix }))
                        .expect("a list of strings is an execpolicy amendment");
                CommandExecutionApprovalDecision::AcceptWithExecpolicyAmendment(amendment)
            }
            Self::Decline => CommandExecutionApprovalDecision::Decline,
            Self::Cancel => CommandExecutionApprovalDecision::Cancel,
        }
    }

    /// The wire decision for a file change approval (`item/fileChange/requestApproval`):
    /// [`AcceptWithExecpolicyAmendment`](Self::AcceptWithExecpolicyAmendment) becomes `accept`,
    /// as patches have no exec policy.
    #[must_use]
    pub fn for_file_change(&self) -> FileChangeApprovalDecision {
        match self {
            Self::Accept | Self::AcceptWithExecpolicyAmendment(_) => {
                FileChangeApprovalDecision::Accept
            }
            Self::AcceptForSession => FileChangeApprovalDecision::AcceptForSession,
            Self::Decline => FileChangeApprovalDecision::Decline,
            Self::Cancel => FileChangeApprovalDecision::Cancel,
        }
    }

    /// The answer to a permissions request (`item/permissions/requestApproval`) as a yes or
    /// no: accepting grants everything `request` asks for, for the turn
    /// ([`AcceptForSession`](Self::AcceptForSession): for the session); declining or
    /// cancelling grants nothing.
    #[must_use]
    pub fn for_permissions(
        &self,
        request: &PermissionsRequestApprovalParams,
    ) -> PermissionsRequestApprovalResponse {
        let mut granted = GrantedPermissionProfile::default();
        if matches!(self, Self::Decline | Self::Cancel) {
            return PermissionsRequestApprovalResponse::new(granted);
        }
        granted
            .file_system
            .clone_from(&request.permissions.file_system);
        granted.network.clone_from(&request.permissions.network);
        let mut response = PermissionsRequestApprovalResponse::new(granted);
        if *self == Self::AcceptForSession {
            response.scope = Some(PermissionGrantScope::Session);
        }
        response
    }
}

/// Answers the requests codex sends a thread on the app-server transport.
///
/// A closure is usually enough: see [`from_fn`] and [`ApprovalHandlers`]. Implement the trait
/// for a type that holds state or is reused.
///
/// Every method has a default that refuses: decline the command or patch, grant no
/// permission, answer no question, decline the elicitation ([`AlwaysDecline`] is exactly the
/// defaults). Implement the ones you care about:
///
/// ```
/// use codex_agent_tools::approval::{
///     ApprovalDecision, ApprovalFuture, ApprovalHandler, CommandExecutionRequestApprovalParams,
/// };
///
/// /// Lets codex run anything inside the sandbox's working directory `/work`.
/// #[derive(Debug)]
/// struct OnlyInWork;
///
/// impl ApprovalHandler for OnlyInWork {
///     fn command_execution<'a>(
///         &'a self,
///         request: &'a CommandExecutionRequestApprovalParams,
///     ) -> ApprovalFuture<'a, ApprovalDecision> {
///         Box::pin(async move {
///             if request.cwd.as_deref().is_some_and(|cwd| std::path::Path::new(cwd).starts_with("/work")) {
///                 ApprovalDecision::Accept
///             } else {
///                 ApprovalDecision::Decline
///             }
///         })
///     }
/// }
/// ```
///
/// Handlers run on their own tasks, one per request, so a slow handler holds up only its own
/// request (and the turn that waits for it).
pub trait ApprovalHandler: Send + Sync {
    /// May codex run this command (`item/commandExecution/requestApproval`)?
    ///
    /// By default, [`ApprovalDecision::Decline`].
    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        let _ = request;
        Box::pin(std::future::ready(ApprovalDecision::Decline))
    }

    /// May codex apply this patch (`item/fileChange/requestApproval`)?
    ///
    /// By default, [`ApprovalDecision::Decline`].
    fn file_change<'a>(
        &'a self,
        request: &'a FileChangeRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        let _ = request;
        Box::pin(std::future::ready(ApprovalDecision::Decline))
    }

    /// Which of the requested permissions to grant (`item/permissions/requestApproval`).
    /// Granting nothing declines.
    ///
    /// By default, nothing is granted.
    fn permissions<'a>(
        &'a self,
        request: &'a PermissionsRequestApprovalParams,
    ) -> ApprovalFuture<'a, PermissionsRequestApprovalResponse> {
        let _ = request;
        Box::pin(std::future::ready(PermissionsRequestApprovalResponse::new(
            GrantedPermissionProfile::default(),
        )))
    }

    /// Answers the agent's questions to the user (`item/tool/requestUserInput`), keyed by
    /// question id.
    ///
    /// By default, no answers.
    fn user_input<'a>(
        &'a self,
        request: &'a ToolRequestUserInputParams,
    ) -> ApprovalFuture<'a, ToolRequestUserInputResponse> {
        let _ = request;
        Box::pin(std::future::ready(ToolRequestUserInputResponse::new(
            std::collections::BTreeMap::new(),
        )))
    }

    /// Answers an MCP server's request for user input (`mcpServer/elicitation/request`).
    ///
    /// By default, declined.
    fn elicitation<'a>(
        &'a self,
        request: &'a McpServerElicitationRequestParams,
    ) -> ApprovalFuture<'a, McpServerElicitationRequestResponse> {
        let _ = request;
        Box::pin(std::future::ready(
            McpServerElicitationRequestResponse::new(McpServerElicitationAction::Decline),
        ))
    }

    /// What this handler was explicitly given to answer besides commands, as the operation a
    /// transport that asks only about commands (`codex exec`, through a `PreToolUse` hook)
    /// must refuse rather than never ask: such as `"asking an approval handler about file
    /// changes"`. [`ApprovalHandlers`] with an `on_file_change`, `on_permissions`,
    /// `on_user_input` or `on_elicitation` closure says so.
    ///
    /// By default, `None`: the handler's answers to other requests are defaults that hold
    /// on any transport.
    fn beyond_commands(&self) -> Option<&'static str> {
        None
    }
}

/// A shared handler answers as the handler it points to, so one handler can serve several
/// threads, or be kept by the caller to inspect it later.
impl<T: ApprovalHandler + ?Sized> ApprovalHandler for Arc<T> {
    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        (**self).command_execution(request)
    }

    fn file_change<'a>(
        &'a self,
        request: &'a FileChangeRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        (**self).file_change(request)
    }

    fn permissions<'a>(
        &'a self,
        request: &'a PermissionsRequestApprovalParams,
    ) -> ApprovalFuture<'a, PermissionsRequestApprovalResponse> {
        (**self).permissions(request)
    }

    fn user_input<'a>(
        &'a self,
        request: &'a ToolRequestUserInputParams,
    ) -> ApprovalFuture<'a, ToolRequestUserInputResponse> {
        (**self).user_input(request)
    }

    fn elicitation<'a>(
        &'a self,
        request: &'a McpServerElicitationRequestParams,
    ) -> ApprovalFuture<'a, McpServerElicitationRequestResponse> {
        (**self).elicitation(request)
    }

    fn beyond_commands(&self) -> Option<&'static str> {
        (**self).beyond_commands()
    }
}

/// Refuses everything: declines commands, patches and elicitations, grants no permission,
/// answers no question. The handler of a thread that sets none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlwaysDecline;

impl ApprovalHandler for AlwaysDecline {}

/// Accepts every command and patch, and grants every permission requested (for the turn).
/// Questions get no answer and elicitations are declined: there is nothing to accept.
///
/// Only sensible inside a sandbox you trust, or in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlwaysAccept;

impl ApprovalHandler for AlwaysAccept {
    fn command_execution<'a>(
        &'a self,
        _: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin(std::future::ready(ApprovalDecision::Accept))
    }

    fn file_change<'a>(
        &'a self,
        _: &'a FileChangeRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin(std::future::ready(ApprovalDecision::Accept))
    }

    fn permissions<'a>(
        &'a self,
        request: &'a PermissionsRequestApprovalParams,
    ) -> ApprovalFuture<'a, PermissionsRequestApprovalResponse> {
        Box::pin(std::future::ready(
            ApprovalDecision::Accept.for_permissions(request),
        ))
    }
}

/// Decides commands by their prefix: deny list, then allow list, then a fallback.
///
/// A command is its command line with a `bash -lc '…'` (or `sh -c`, `zsh -lc`) wrapper
/// removed, split into simple commands at `;`, `&&`, `||`, `|` and `&` (or, for a request
/// without a command line, the simple commands codex reports in `commandActions`). Words are split the way a shell does for quotes and
/// backslashes. A prefix matches a simple command when its words are the first words of the
/// command; the first word also matches by file name (`git` matches `/usr/bin/git`).
///
/// - **Deny wins:** if any simple command matches a deny prefix, the answer is
///   [`ApprovalDecision::Decline`].
/// - Otherwise, if *every* simple command matches an allow prefix, the answer is
///   [`ApprovalDecision::Accept`]. A command line this policy cannot read with certainty
///   (redirections, `$(…)`, backquotes, parentheses, unbalanced quotes) is never allowed by
///   the allow list.
/// - Otherwise, the fallback ([`ApprovalDecision::Decline`] unless set).
///
/// File changes get their own fixed decision ([`file_changes`](Self::file_changes)); other
/// requests get the [`ApprovalHandler`] defaults.
#[derive(Debug, Clone)]
#[must_use]
pub struct CommandPrefixPolicy {
    allow: Vec<Vec<String>>,
    deny: Vec<Vec<String>>,
    fallback: ApprovalDecision,
    file_changes: ApprovalDecision,
}

impl Default for CommandPrefixPolicy {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            fallback: ApprovalDecision::Decline,
            file_changes: ApprovalDecision::Decline,
        }
    }
}

impl CommandPrefixPolicy {
    /// An empty policy: every command gets the fallback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows commands starting with these words (`["git", "status"]`). An empty prefix
    /// matches every command.
    ///
    /// By default, nothing is allowed.
    pub fn allow(mut self, prefix: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allow
            .push(prefix.into_iter().map(Into::into).collect());
        self
    }

    /// Declines commands starting with these words; wins over every allow prefix. An empty
    /// prefix matches every command.
    ///
    /// By default, nothing is denied.
    pub fn deny(mut self, prefix: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.deny.push(prefix.into_iter().map(Into::into).collect());
        self
    }

    /// The decision for commands neither list decides.
    ///
    /// By default, [`ApprovalDecision::Decline`].
    pub fn fallback(mut self, decision: ApprovalDecision) -> Self {
        self.fallback = decision;
        self
    }

    /// The decision for every file change (patch) request.
    ///
    /// By default, [`ApprovalDecision::Decline`].
    pub fn file_changes(mut self, decision: ApprovalDecision) -> Self {
        self.file_changes = decision;
        self
    }

    /// The decision for a command approval request.
    #[must_use]
    pub fn decide(&self, request: &CommandExecutionRequestApprovalParams) -> ApprovalDecision {
        let actions: Option<Vec<&str>> = request.command_actions.as_ref().and_then(|actions| {
            actions
                .iter()
                .map(|action| match action {
                    CommandAction::Read(a) => Some(a.command.as_str()),
                    CommandAction::ListFiles(a) => Some(a.command.as_str()),
                    CommandAction::Search(a) => Some(a.command.as_str()),
                    CommandAction::Unclassified(a) => Some(a.command.as_str()),
                    _ => None,
                })
                .collect()
        });
        match (actions, request.command.as_deref()) {
            // The command line itself is the authority when there is one: codex's actions
            // describe what it understood, and the deny list must see everything.
            (_, Some(command)) => self.decide_command(command),
            (Some(actions), None) if !actions.is_empty() => {
                self.decide_script(&actions.join(" && "))
            }
            _ => self.fallback.clone(),
        }
    }

    /// The decision for a command line as codex reports it
    /// (`/bin/bash -lc 'git status'`, or a plain `git status`).
    #[must_use]
    pub fn decide_command(&self, command: &str) -> ApprovalDecision {
        let script = unwrap_shell(command);
        self.decide_script(script.as_deref().unwrap_or(command))
    }

    fn decide_script(&self, script: &str) -> ApprovalDecision {
        let parsed = parse_script(script);
        if parsed
            .commands
            .iter()
            .any(|argv| self.deny.iter().any(|prefix| matches(prefix, argv)))
        {
            return ApprovalDecision::Decline;
        }
        let allowed = parsed.certain
            && !parsed.commands.is_empty()
            && parsed
                .commands
                .iter()
                .all(|argv| self.allow.iter().any(|prefix| matches(prefix, argv)));
        if allowed {
            ApprovalDecision::Accept
        } else {
            self.fallback.clone()
        }
    }
}

impl ApprovalHandler for CommandPrefixPolicy {
    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin(std::future::ready(self.decide(request)))
    }

    fn file_change<'a>(
        &'a self,
        _: &'a FileChangeRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin(std::future::ready(self.file_changes.clone()))
    }
}

/// Whether `prefix` is the start of `argv` (the first word also by file name).
fn matches(prefix: &[String], argv: &[String]) -> bool {
    if prefix.len() > argv.len() {
        return false;
    }
    prefix.iter().zip(argv).enumerate().all(|(i, (p, a))| {
        p == a || (i == 0 && !p.contains('/') && a.rsplit('/').next() == Some(p.as_str()))
    })
}

/// The script of `bash -lc '<script>'` (also `sh`, `zsh`, `-c`, `-lc`), when `command` has that
/// form.
fn unwrap_shell(command: &str) -> Option<String> {
    let parsed = parse_script(command);
    let [argv] = parsed.commands.as_slice() else {
        return None;
    };
    let shell = argv.first()?.rsplit('/').next()?;
    if !matches!(shell, "bash" | "sh" | "zsh" | "dash") {
        return None;
    }
    match argv.as_slice() {
        [_, flag, script] if flag.starts_with('-') && flag.ends_with('c') => Some(script.clone()),
        [_, login, flag, script] if login == "-l" && flag == "-c" => Some(script.clone()),
        _ => None,
    }
}

/// A script split into simple commands.
#[derive(Debug, PartialEq)]
struct Parsed {
    commands: Vec<Vec<String>>,
    /// `false` when the script has constructs this parser does not follow (redirections,
    /// substitutions, subshells, unbalanced quotes): then it must not be allowed.
    certain: bool,
}

/// Splits a shell script into simple commands (at unquoted `;`, `&`, `|`, newlines) and words
/// (quotes and backslashes as a shell reads them).
fn parse_script(script: &str) -> Parsed {
    let mut commands = Vec::new();
    let mut argv: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut certain = true;
    let mut chars = script.chars().peekable();
    let end_word = |argv: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            argv.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '\'' {
                        closed = true;
                        break;
                    }
                    word.push(c);
                }
                certain &= closed;
            }
            '"' => {
                in_word = true;
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            if let Some(next) = chars.next() {
                                word.push(next);
                            }
                        }
                        '$' | '`' => {
                            certain = false;
                            word.push(c);
                        }
                        _ => word.push(c),
                    }
                }
                certain &= closed;
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            ';' | '&' | '|' | '\n' => {
                end_word(&mut argv, &mut word, &mut in_word);
                if !argv.is_empty() {
                    commands.push(std::mem::take(&mut argv));
                }
            }
            '<' | '>' | '`' | '(' | ')' | '{' | '}' => {
                certain = false;
                end_word(&mut argv, &mut word, &mut in_word);
            }
            '$' => {
                // `$VAR` and `$(…)` are expanded by the shell: the words are not what they seem.
                certain = false;
                in_word = true;
                word.push(c);
            }
            c if c.is_whitespace() => end_word(&mut argv, &mut word, &mut in_word),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut argv, &mut word, &mut in_word);
    if !argv.is_empty() {
        commands.push(argv);
    }
    Parsed { commands, certain }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn words(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter()
            .map(|argv| argv.iter().map(|w| (*w).to_owned()).collect())
            .collect()
    }

    #[test]
    fn scripts_split_like_a_shell() {
        let parsed = parse_script(r#"git commit -m "a b" && echo 'c;d' | wc -l; ls\ x"#);
        assert_eq!(
            parsed,
            Parsed {
                commands: words(&[
                    &["git", "commit", "-m", "a b"],
                    &["echo", "c;d"],
                    &["wc", "-l"],
                    &["ls x"],
                ]),
                certain: true,
            }
        );
        assert!(!parse_script("echo hi > out.txt").certain);
        assert!(!parse_script("echo $(whoami)").certain);
        assert!(!parse_script("echo \"$HOME\"").certain);
        assert!(!parse_script("echo 'unbalanced").certain);
        assert_eq!(
            unwrap_shell("/bin/bash -lc 'touch made.txt'").as_deref(),
            Some("touch made.txt")
        );
        assert_eq!(unwrap_shell("sh -c ls").as_deref(), Some("ls"));
        assert_eq!(unwrap_shell("bash -l -c 'ls'").as_deref(), Some("ls"));
        assert_eq!(unwrap_shell("git status"), None);
    }

    fn policy() -> CommandPrefixPolicy {
        CommandPrefixPolicy::new()
            .allow(["git", "status"])
            .allow(["ls"])
            .allow(["cargo"])
            .deny(["cargo", "publish"])
            .deny(["rm"])
    }

    #[test]
    fn allow_list_accepts_only_fully_matched_commands() {
        let p = policy();
        let accept = ApprovalDecision::Accept;
        let decline = ApprovalDecision::Decline;
        for (command, expected) in [
            ("/bin/bash -lc 'git status --short'", &accept),
            ("git status", &accept),
            ("/usr/bin/git status", &accept),
            ("/bin/bash -lc 'ls -la && git status'", &accept),
            ("/bin/bash -lc 'git push'", &decline),
            ("/bin/bash -lc 'ls; touch x'", &decline),
            ("/bin/bash -lc 'ls > listing.txt'", &decline),
            ("/bin/bash -lc 'ls $(pwd)'", &decline),
            ("gitk status", &decline),
        ] {
            assert_eq!(&p.decide_command(command), expected, "{command}");
        }
    }

    #[test]
    fn deny_wins_over_allow_and_fallback() {
        let p = policy().fallback(ApprovalDecision::Accept);
        assert_eq!(
            p.decide_command("/bin/bash -lc 'cargo publish --dry-run'"),
            ApprovalDecision::Decline
        );
        assert_eq!(
            p.decide_command("/bin/bash -lc 'cargo test'"),
            ApprovalDecision::Accept
        );
        assert_eq!(
            p.decide_command("/bin/bash -lc 'ls | rm -rf /'"),
            ApprovalDecision::Decline,
            "deny sees every simple command"
        );
        assert_eq!(
            p.decide_command("/bin/bash -lc 'echo hi > x; rm x'"),
            ApprovalDecision::Decline,
            "deny applies even to scripts the allow list cannot read"
        );
        assert_eq!(
            p.decide_command("/bin/bash -lc 'make'"),
            ApprovalDecision::Accept,
            "unmatched commands get the fallback"
        );
        let everything = CommandPrefixPolicy::new()
            .allow(Vec::<String>::new())
            .deny(["sudo"]);
        assert_eq!(
            everything.decide_command("anything"),
            ApprovalDecision::Accept
        );
        assert_eq!(
            everything.decide_command("sudo ls"),
            ApprovalDecision::Decline
        );
    }

    fn request(params: &serde_json::Value) -> CommandExecutionRequestApprovalParams {
        let mut base = json!({"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1});
        base.as_object_mut()
            .expect("object")
            .extend(params.as_object().expect("object").clone());
        serde_json::from_value(base).expect("approval params")
    }

    #[test]
    fn requests_are_decided_from_their_command_line_or_actions() {
        let p = policy();
        assert_eq!(
            p.decide(&request(&json!({"command": "/bin/bash -lc 'git status'",
                "commandActions": [{"type": "unknown", "command": "git status"}]}))),
            ApprovalDecision::Accept
        );
        assert_eq!(
            p.decide(&request(&json!({"commandActions": [
                {"type": "listFiles", "command": "ls", "path": null},
                {"type": "unknown", "command": "rm -rf x"}]}))),
            ApprovalDecision::Decline
        );
        assert_eq!(p.decide(&request(&json!({}))), ApprovalDecision::Decline);
    }

    #[test]
    fn ready_made_policies() {
        futures::executor::block_on(async {
            let command = request(&json!({"command": "rm -rf /"}));
            let file: FileChangeRequestApprovalParams = serde_json::from_value(
                json!({"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1, "reason": null, "grantRoot": null}),
            )
            .expect("file change params");
            let permissions: PermissionsRequestApprovalParams = serde_json::from_value(json!({
                "threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1, "cwd": "/w",
                "environmentId": null, "reason": null,
                "permissions": {"fileSystem": {"write": ["/w"]}, "network": null}
            }))
            .expect("permission params");
            assert_eq!(
                AlwaysDecline.command_execution(&command).await,
                ApprovalDecision::Decline
            );
            assert_eq!(
                AlwaysDecline.file_change(&file).await,
                ApprovalDecision::Decline
            );
            assert_eq!(
                serde_json::to_value(AlwaysDecline.permissions(&permissions).await).expect("json"),
                json!({"permissions": {}})
            );
            assert_eq!(
                AlwaysAccept.command_execution(&command).await,
                ApprovalDecision::Accept
            );
            assert_eq!(
                AlwaysAccept.file_change(&file).await,
                ApprovalDecision::Accept
            );
            assert_eq!(
                serde_json::to_value(AlwaysAccept.permissions(&permissions).await).expect("json"),
                json!({"permissions": {"fileSystem": {"write": ["/w"]}}})
            );
            let p = CommandPrefixPolicy::new().file_changes(ApprovalDecision::AcceptForSession);
            assert_eq!(
                p.file_change(&file).await,
                ApprovalDecision::AcceptForSession
            );
            assert_eq!(
                p.command_execution(&command).await,
                ApprovalDecision::Decline
            );
        });
    }

    #[test]
    fn decisions_on_the_wire() {
        let amend = ApprovalDecision::AcceptWithExecpolicyAmendment(vec!["touch".into()]);
        assert_eq!(
            serde_json::to_value(amend.for_command()).expect("json"),
            json!({"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["touch"]}})
        );
        assert_eq!(
            serde_json::to_value(amend.for_file_change()).expect("json"),
            json!("accept")
        );
        assert_eq!(
            serde_json::to_value(ApprovalDecision::AcceptForSession.for_command()).expect("json"),
            json!("acceptForSession")
        );
        assert_eq!(
            serde_json::to_value(ApprovalDecision::Cancel.for_file_change()).expect("json"),
            json!("cancel")
        );
    }
}
