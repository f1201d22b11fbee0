//! `GET /v2/`: is this a registry that speaks the v2 API, and what does it
//! want for authentication?
//!
//! ```text
//! send GET /v2/ --200--> Done(PingInfo)
//!       |  401: the exchange fetches a token (no scope) and retries
//!       +--other--> Done(Err)
//! ```

use super::exchange::{Exchange, Poll};
use super::{Context, Operation, Response, Step, SMALL_BODY_LIMIT};
use crate::auth::Scopes;
use crate::error::{Error, TransportError};
use crate::headers::RateLimit;
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
            ex: Exchange::new(&registry, Scopes::new(), req, SMALL_BODY_LIMIT, false),
        }
    }
}

impl Operation for Ping {
    type Output = PingInfo;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<PingInfo> {
        match self.ex.poll(cx) {
            Poll::Send(r) => Step::Send(r),
            Poll::Sleep(d) => Step::Sleep(d),
            Poll::Failed(e) => Step::Done(Err(e)),
            Poll::Response(resp) if resp.status().is_success() => Step::Done(Ok(PingInfo {
                api_version_ok: resp
                    .headers()
                    .get("docker-distribution-api-version")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("registry/2.0")),
                rate_limit: RateLimit::from_headers(resp.headers()),
            })),
            Poll::Response(resp) => Step::Done(Err(self.ex.status_error(&resp))),
        }
    }

    fn handle_response(&mut self, cx: &mut Context<'_>, response: Response) {
        self.ex.handle_response(cx, response)
    }

    fn handle_error(&mut self, cx: &mut Context<'_>, error: TransportError) {
        self.ex.handle_error(cx, error)
    }
}

/// Turns an exchange poll into either its final response or the step the
/// operation must return now.
pub(crate) fn forward<T>(poll: Poll) -> Result<Response, Step<T>> {
    match poll {
        Poll::Send(r) => Err(Step::Send(r)),
        Poll::Sleep(d) => Err(Step::Sleep(d)),
        Poll::Failed(e) => Err(Step::Done(Err(e))),
        Poll::Response(r) => Ok(r),
    }
}

/// A `Done(Err)` step.
pub(crate) fn fail<T>(e: Error) -> Step<T> {
    Step::Done(Err(e))
}
