//! Every piece of the testkit against the real programs.
//!
//! One test binary (faster to build and link than one per file).

mod cors;
mod fault;
mod registry;
mod scripted;
mod skopeo;
mod token;

use ocireg_testkit::http::{self, Response};
use std::path::PathBuf;

/// A scratch directory for a test, removed at the end of the test.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("ocireg-testkit-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `GET url` with a bearer token.
pub fn get_with_token(url: &str, token: &str) -> Response {
    let auth = format!("Bearer {token}");
    http::request("GET", url, &[("Authorization", &auth)], b"").unwrap()
}

/// The token from a token-server JSON response.
pub fn token_of(response: &Response) -> String {
    assert_eq!(response.status, 200, "token request: {}", response.text());
    response.json().unwrap()["token"]
        .as_str()
        .expect("token field")
        .to_string()
}
