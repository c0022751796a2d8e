//! [`ThreadUsage`], a thread's running totals, and [`Budget`], its limits.

use codex_agent_protocol::exec::Usage;

/// The usage of a thread so far: its finished turns and their tokens and cost.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ThreadUsage {
    /// Turns that ended (completed, failed or stopped).
    pub turns: u64,
    /// The tokens of those turns, summed.
    pub usage: Usage,
    /// Their estimated cost in USD; `None` when a turn's model has no price.
    pub cost_usd: Option<f64>,
}

impl ThreadUsage {
    /// Input plus output tokens (cached input and reasoning output are part of those).
    #[must_use]
    pub fn total_tokens(&self) -> u64 {
        self.usage.input_tokens + self.usage.output_tokens
    }

    /// These totals with one more turn's `usage` and `cost` added (`cost` is `None` when
    /// unpriced, which makes the total unknown).
    #[must_use]
    pub fn plus(&self, usage: &Usage, cost: Option<f64>) -> Self {
        let mut sum = self.usage.clone();
        sum.input_tokens += usage.input_tokens;
        sum.cached_input_tokens += usage.cached_input_tokens;
        sum.cache_write_input_tokens += usage.cache_write_input_tokens;
        sum.output_tokens += usage.output_tokens;
        sum.reasoning_output_tokens += usage.reasoning_output_tokens;
        if usage.model_context_window.is_some() {
            sum.model_context_window = usage.model_context_window;
        }
        Self {
            turns: self.turns,
            usage: sum,
            cost_usd: self.cost_usd.zip(cost).map(|(a, b)| a + b),
        }
    }
}

/// Limits on a thread: turns, tokens, USD. Set on a thread with
/// `ThreadOptions::budget` of codex-agent-sdk.
///
/// A turn that crosses a limit is ended when the crossing is seen: mid-turn on the
/// app-server transport, which reports usage after each model call (the turn is interrupted);
/// on the exec transport usage arrives only with `turn.completed`, so that turn completes and
/// the limit stops the next one. A turn is never started once a limit is reached.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
#[must_use]
#[expect(
    clippy::struct_field_names,
    reason = "the fields are the builder's setters, named as they read"
)]
pub struct Budget {
    max_turns: Option<u64>,
    max_tokens: Option<u64>,
    max_usd: Option<f64>,
}

/// Which limit of a [`Budget`] was reached.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum BudgetLimit {
    /// The number of turns.
    Turns(u64),
    /// Input plus output tokens.
    Tokens(u64),
    /// The estimated cost in USD.
    Usd(f64),
}

impl std::fmt::Display for BudgetLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Turns(n) => write!(f, "{n} turns"),
            Self::Tokens(n) => write!(f, "{n} tokens"),
            Self::Usd(usd) => write!(f, "{usd} USD"),
        }
    }
}

/// A thread's [`Budget`] is used up: the limit, and the usage that reached it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the thread's budget of {limit} is used up")]
#[non_exhaustive]
pub struct BudgetExceeded {
    /// The limit reached.
    pub limit: BudgetLimit,
    /// The thread's usage when it was reached (the crossing turn's usage so far included).
    pub usage: ThreadUsage,
}

impl Budget {
    /// No limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many turns; the next one is refused.
    ///
    /// By default, no limit.
    pub fn max_turns(mut self, turns: u64) -> Self {
        self.max_turns = Some(turns);
        self
    }

    /// At most this many input plus output tokens over the thread.
    ///
    /// By default, no limit.
    pub fn max_tokens(mut self, tokens: u64) -> Self {
        self.max_tokens = Some(tokens);
        self
    }

    /// At most this estimated cost in USD over the thread (priced with the telemetry's
    /// [`PricingTable`](crate::PricingTable); a thread whose model has no price is refused).
    ///
    /// By default, no limit.
    pub fn max_usd(mut self, usd: f64) -> Self {
        self.max_usd = Some(usd);
        self
    }

    /// Whether a USD limit is set.
    #[must_use]
    pub fn limits_cost(&self) -> bool {
        self.max_usd.is_some()
    }

    /// Whether a new turn may start after `usage`: every limit must still have room.
    ///
    /// # Errors
    ///
    /// [`BudgetExceeded`] naming the first limit reached.
    pub fn check_start(&self, usage: &ThreadUsage) -> Result<(), BudgetExceeded> {
        let reached = if self.max_turns.is_some_and(|max| usage.turns >= max) {
            self.max_turns.map(BudgetLimit::Turns)
        } else if self
            .max_tokens
            .is_some_and(|max| usage.total_tokens() >= max)
        {
            self.max_tokens.map(BudgetLimit::Tokens)
        } else if self
            .max_usd
            .is_some_and(|max| usage.cost_usd.is_some_and(|cost| cost >= max))
        {
            self.max_usd.map(BudgetLimit::Usd)
        } else {
            None
        };
        exceeded(reached, usage)
    }

    /// Whether a running turn may go on with `usage` (the thread's, this turn's usage so far
    /// included): tokens and cost must not exceed their limits.
    ///
    /// # Errors
    ///
    /// [`BudgetExceeded`] naming the first limit exceeded.
    pub fn check_running(&self, usage: &ThreadUsage) -> Result<(), BudgetExceeded> {
        let reached = if self
            .max_tokens
            .is_some_and(|max| usage.total_tokens() > max)
        {
            self.max_tokens.map(BudgetLimit::Tokens)
        } else if self
            .max_usd
            .is_some_and(|max| usage.cost_usd.is_some_and(|cost| cost > max))
        {
            self.max_usd.map(BudgetLimit::Usd)
        } else {
            None
        };
        exceeded(reached, usage)
    }
}

fn exceeded(reached: Option<BudgetLimit>, usage: &ThreadUsage) -> Result<(), BudgetExceeded> {
    match reached {
        Some(limit) => Err(BudgetExceeded {
            limit,
            usage: usage.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(turns: u64, tokens: u64, cost: Option<f64>) -> ThreadUsage {
        let mut usage = Usage::default();
        usage.input_tokens = tokens;
        ThreadUsage {
            turns,
            usage,
            cost_usd: cost,
        }
    }

    #[test]
    fn limits_apply_at_start_and_while_running() {
        let budget = Budget::new().max_turns(2).max_tokens(100).max_usd(0.5);
        // (usage, may start, may go on)
        let cases = [
            (used(0, 0, Some(0.0)), None, None),
            (used(1, 99, Some(0.49)), None, None),
            (used(2, 0, Some(0.0)), Some(BudgetLimit::Turns(2)), None),
            (
                used(1, 100, Some(0.0)),
                Some(BudgetLimit::Tokens(100)),
                None,
            ),
            (
                used(1, 101, Some(0.0)),
                Some(BudgetLimit::Tokens(100)),
                Some(BudgetLimit::Tokens(100)),
            ),
            (used(1, 0, Some(0.5)), Some(BudgetLimit::Usd(0.5)), None),
            (
                used(1, 0, Some(0.51)),
                Some(BudgetLimit::Usd(0.5)),
                Some(BudgetLimit::Usd(0.5)),
            ),
            (used(1, 0, None), None, None),
        ];
        for (usage, start, running) in cases {
            let got = (
                budget.check_start(&usage).err().map(|e| e.limit),
                budget.check_running(&usage).err().map(|e| e.limit),
            );
            assert_eq!(got, (start, running), "{usage:?}");
        }
        assert_eq!(Budget::new().check_start(&used(99, 99, None)), Ok(()));
    }

    #[test]
    fn totals_add_up_and_an_unpriced_turn_makes_cost_unknown() {
        let mut turn = Usage::default();
        turn.input_tokens = 10;
        turn.output_tokens = 5;
        let sum = used(1, 1, Some(0.25)).plus(&turn, Some(0.5));
        assert_eq!((sum.total_tokens(), sum.cost_usd), (16, Some(0.75)));
        assert_eq!(sum.plus(&turn, None).cost_usd, None);
        let error = Budget::new()
            .max_turns(1)
            .check_start(&sum)
            .expect_err("1 turn");
        assert_eq!(
            error.to_string(),
            "the thread's budget of 1 turns is used up"
        );
    }
}
