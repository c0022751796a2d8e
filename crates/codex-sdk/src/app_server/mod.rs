//! The app-server transport: one `codex app-server` process per [`Codex`](crate::Codex),
//! shared by its threads, mapped onto the same events and items as the exec transport.

mod mapping;
mod turn_state;

pub(crate) use turn_state::TurnState;
