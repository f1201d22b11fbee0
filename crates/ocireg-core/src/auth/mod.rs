//! Registry authentication: the `WWW-Authenticate` challenge, scopes,
//! credentials, token requests and responses, and the [`Session`] that
//! caches tokens for all operations.
//!
//! The flow itself (send, read the challenge, fetch a token, retry once)
//! is run by every operation through the exchange layer in
//! [`crate::ops`]; this module holds its pieces. Passwords, tokens and
//! refresh tokens are [`Secret`]s everywhere they are kept.
pub mod challenge;
pub mod credentials;
pub mod scope;
pub mod secret;
pub mod session;
pub mod token;

pub use credentials::Credentials;
pub use scope::{Scope, Scopes};
pub use secret::Secret;
pub use session::Session;
