//! The commands of the `ocireg` CLI, as functions the binary and the tests
//! share.
#![forbid(unsafe_code)]

pub mod commands;
pub mod creds;
pub mod progress;
pub mod refcmd;
