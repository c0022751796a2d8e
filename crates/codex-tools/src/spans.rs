//! The `tracing` spans and metric events of approvals and hooks. Names follow
//! `codex_agent_telemetry::semconv` (this crate does not depend on it: siblings do not depend
//! on each other, and the SDK's tests check the names against those constants); the
//! telemetry crate's layer turns them into OpenTelemetry spans and metrics.

use codex_agent_protocol::app_server::{
    McpServerElicitationAction, McpServerElicitationRequestResponse, PermissionGrantScope,
    PermissionsRequestApprovalResponse, ToolRequestUserInputResponse,
};
use tracing::Span;
use tracing::field::Empty;

use crate::approval::ApprovalDecision;

/// A span `approval {kind}` (`command_execution`, `file_change`, `permissions`, `user_input`,
/// `elicitation`) for the request about item `item_id` (empty: none), a child of the current
/// span. Its decision is recorded by [`decided`] or [`answered`].
pub(crate) fn approval(kind: &'static str, item_id: &str) -> Span {
    tracing::info_span!(
        "approval",
        "otel.name" = format!("approval {kind}"),
        "otel.kind" = "internal",
        "codex.approval.kind" = kind,
        "gen_ai.tool.call.id" = (!item_id.is_empty()).then_some(item_id),
        "codex.approval.decision" = Empty,
    )
}

/// Records `decision` on the approval's span and counts it (`codex.approvals`, by kind and
/// decision).
pub(crate) fn decided(span: &Span, kind: &'static str, decision: &ApprovalDecision) {
    answered(span, kind, decision_name(decision));
}

/// Records `decision` (as `codex.approval.decision` spells it) on the request's span and
/// counts it (`codex.approvals`, by kind and decision).
pub(crate) fn answered(span: &Span, kind: &'static str, decision: &'static str) {
    span.record("codex.approval.decision", decision);
    tracing::info!(
        monotonic_counter.codex.approvals = 1_u64,
        "codex.approval.kind" = kind,
        "codex.approval.decision" = decision,
    );
}

/// The decision as the `codex.approval.decision` attribute spells it.
fn decision_name(decision: &ApprovalDecision) -> &'static str {
    match decision {
        ApprovalDecision::Accept => "accept",
        ApprovalDecision::AcceptForSession => "accept_for_session",
        ApprovalDecision::AcceptWithExecpolicyAmendment(_) => "accept_with_execpolicy_amendment",
        ApprovalDecision::Decline => "decline",
        ApprovalDecision::Cancel => "cancel",
    }
}

/// The decision of a permissions answer: `decline` when it grants nothing,
/// `accept_for_session` when it grants for the session, else `accept`.
pub(crate) fn permissions_decision(answer: &PermissionsRequestApprovalResponse) -> &'static str {
    let granted = &answer.permissions;
    if granted.file_system.is_none() && granted.network.is_none() && granted.extra.is_empty() {
        "decline"
    } else if answer.scope == Some(PermissionGrantScope::Session) {
        "accept_for_session"
    } else {
        "accept"
    }
}

/// The decision of an answer to the agent's questions: `decline` when it answers none, else
/// `accept`.
pub(crate) fn user_input_decision(answer: &ToolRequestUserInputResponse) -> &'static str {
    if answer.answers.is_empty() {
        "decline"
    } else {
        "accept"
    }
}

/// The decision of an elicitation answer: its action (`unknown` for an action this crate
/// does not know).
pub(crate) fn elicitation_decision(answer: &McpServerElicitationRequestResponse) -> &'static str {
    match answer.action {
        McpServerElicitationAction::Accept => "accept",
        McpServerElicitationAction::Decline => "decline",
        McpServerElicitationAction::Cancel => "cancel",
        _ => "unknown",
    }
}

/// A span `hook {event}` (codex's event name, such as `PreToolUse`) under `parent`, for the
/// tool `tool` when the event has one. Its outcome is recorded by [`hook_ran`].
///
/// The parent is entered rather than named (`parent:`): a span made under another subscriber,
/// or none, has an id that means nothing to the current one (`tracing-subscriber`'s registry
/// panics on it).
pub(crate) fn hook(parent: &Span, event: &str, tool: Option<&str>) -> Span {
    parent.in_scope(|| {
        tracing::info_span!(
            "hook",
            "otel.name" = format!("hook {event}"),
            "otel.kind" = "internal",
            "codex.hook.event" = event,
            "gen_ai.tool.name" = tool.filter(|t| !t.is_empty()),
            "codex.hook.outcome" = Empty,
        )
    })
}

/// Records the hook's outcome (`allow`, `deny`, `proceed`, `add_context`, `block`) and
/// counts it (`codex.hooks`, by event and outcome).
pub(crate) fn hook_ran(span: &Span, event: &str, outcome: &'static str) {
    span.record("codex.hook.outcome", outcome);
    tracing::info!(
        monotonic_counter.codex.hooks = 1_u64,
        "codex.hook.event" = event,
        "codex.hook.outcome" = outcome,
    );
}
