//! `GET /v2/`: is this a registry that speaks the v2 API, and what does it
//! want for authentication?
//!
//! ```text
//! send GET /v2/ --200--> Done(PingInfo)
//!       |  401: the exchange fetches a token (no scope) and retries
//!       +--other--> Done(Err)
//! ```

use super::exchange::Exchange;
use std::ops::Range;

use super::{fail, Context, Input, Operation, Step, SMALL_BODY_LIMIT};
use crate::auth::Scopes;
use crate::headers::{RateLimit, DOCKER_DISTRIBUTION_API_VERSION};
use crate::registry::Registry;
use crate::requests;

/// What a ping learned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PingInfo {
    /// The registry sent `Docker-Distribution-API-Version: registry/2.0`.
    pub api_version_ok: bool,
    /// Docker Hub's rate-limit headers, when sent.
    pub rate_limit: Option<RateLimit>,
}

/// Checks that a registry answers the v2 API (authenticating if it asks).
#[derive(Debug)]
pub struct Ping {
    ex: Exchange,
}

impl Ping {
    /// A ping of `registry`.
    pub fn new(registry: Registry) -> Ping {
        let req = requests::ping(&registry);
        Ping {
            ex: Exchange::buffered(&registry, Scopes::new(), req, SMALL_BODY_LIMIT),
        }
    }
}

impl Operation for Ping {
    type Output = PingInfo;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<PingInfo> {
        let resp = match self.ex.poll(cx).into_response() {
            Ok(r) => r,
            Err(step) => return step,
        };
        if !resp.status().is_success() {
            return fail(self.ex.status_error(&resp));
        }
        Step::Done(Ok(PingInfo {
            api_version_ok: resp
                .headers()
                .get(DOCKER_DISTRIBUTION_API_VERSION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("registry/2.0")),
            rate_limit: RateLimit::from_headers(resp.headers()),
        }))
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}
