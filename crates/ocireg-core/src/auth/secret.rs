//! [`Secret`]: a password, token or refresh token that never prints.

use std::fmt;

/// What `Debug` and `Display` print in place of a secret.
pub const PLACEHOLDER: &str = "<redacted>";

/// A password, bearer token or refresh token. `Debug` and `Display` print
/// `<redacted>` whatever the value, so a secret can sit in any struct that
/// derives `Debug`, in any error or log line, without showing. The value
/// is read with [`Secret::expose`], at the one place it goes on the wire.
///
/// ```
/// use ocireg_core::auth::Secret;
///
/// let s = Secret::new("hunter2");
/// assert_eq!(format!("{s} {s:?} {s:#?}"), "<redacted> <redacted> <redacted>");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the request that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::from("s3cret".to_string());
        for shown in [
            format!("{s}"),
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{s:>20}"),
            format!("{:?}", Some(&s)),
            format!("{:?}", vec![s.clone()]),
        ] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains(PLACEHOLDER), "{shown}");
        }
        assert_eq!(s.expose(), "s3cret");
        assert!(!s.is_empty() && Secret::default().is_empty());
    }
}
