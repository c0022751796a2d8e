//! The app-server calls about a thread's goal, its history seeding and the account's rate
//! limits, kept apart from the core calls of [`AppServer`].

use codex_agent_protocol::app_server::{
    GetAccountRateLimitsParams, GetAccountRateLimitsResponse, ThreadGoalClearParams,
    ThreadGoalClearResponse, ThreadGoalGetParams, ThreadGoalGetResponse, ThreadGoalSetParams,
    ThreadGoalSetResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::{AppServer, parse_result};
use crate::Error;

impl AppServer {
    async fn typed_call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, Error> {
        let params = serde_json::to_value(params).expect("wire params serialize to JSON");
        let result = self.request(method, Some(params)).await?;
        parse_result(method, result)
    }

    /// `thread/goal/set`: creates or changes the goal of a loaded thread. `thread/goal/updated`
    /// follows.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the goal may still be set.
    pub async fn thread_goal_set(
        &self,
        params: ThreadGoalSetParams,
    ) -> Result<ThreadGoalSetResponse, Error> {
        self.typed_call("thread/goal/set", &params).await
    }

    /// `thread/goal/get`: the goal of a thread, if it has one.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    pub async fn thread_goal_get(
        &self,
        params: ThreadGoalGetParams,
    ) -> Result<ThreadGoalGetResponse, Error> {
        self.typed_call("thread/goal/get", &params).await
    }

    /// `thread/goal/clear`: removes the goal of a thread. `thread/goal/cleared` follows when
    /// there was one.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the goal may still be cleared.
    pub async fn thread_goal_clear(
        &self,
        params: ThreadGoalClearParams,
    ) -> Result<ThreadGoalClearResponse, Error> {
        self.typed_call("thread/goal/clear", &params).await
    }

    /// `thread/inject_items`: appends raw Responses API items (`{"type":"message",…}`) to
    /// the model-visible history of a loaded thread, without running a turn.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the items may still be appended.
    pub async fn thread_inject_items(
        &self,
        thread_id: impl Into<String>,
        items: Vec<Value>,
    ) -> Result<(), Error> {
        let params = serde_json::json!({ "threadId": thread_id.into(), "items": items });
        self.request("thread/inject_items", Some(params)).await?;
        Ok(())
    }

    /// `account/rateLimits/read`: the account's usage against its rate limits.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`]; codex answers with an error when no account is
    /// logged in.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    pub async fn account_rate_limits_read(
        &self,
        params: GetAccountRateLimitsParams,
    ) -> Result<GetAccountRateLimitsResponse, Error> {
        self.typed_call("account/rateLimits/read", &params).await
    }
}
