//! [`Repository`]: a repository path that follows the reference grammar.

use std::fmt;
use std::str::FromStr;

use super::{grammar, ReferenceError, ReferenceErrorKind, PATH_MAX_LEN};

/// A repository path within a registry (`library/ubuntu`, `team/app`),
/// valid by the reference grammar: lowercase path components of
/// `[a-z0-9]` runs joined by `.`, `_`, `__` or dashes, separated by `/`,
/// at most 255 bytes. Every operation takes one, so a string from a
/// command line or a web page (`a/../../b`, `x?y`, `App`) is refused
/// before any request is built from it.
///
/// ```
/// use ocireg_core::reference::{Repository, ReferenceErrorKind};
///
/// let repo: Repository = "team/app".parse().unwrap();
/// assert_eq!(repo.as_str(), "team/app");
/// assert!("a/../../b".parse::<Repository>().is_err());
/// assert!("x?y".parse::<Repository>().is_err());
/// let upper = "Team/app".parse::<Repository>().unwrap_err();
/// assert_eq!(upper.kind(), ReferenceErrorKind::NameNotLowercase);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Repository(String);

impl Repository {
    /// Checks `path` against the grammar.
    pub fn new(path: &str) -> Result<Repository, ReferenceError> {
        if path.is_empty() {
            return Err(ReferenceError::new(ReferenceErrorKind::NameEmpty));
        }
        if path.len() > PATH_MAX_LEN {
            return Err(ReferenceError::new(ReferenceErrorKind::NameTooLong));
        }
        match grammar::path_end(path) {
            Ok(()) => Ok(Repository(path.to_string())),
            Err(at) => {
                let kind = if grammar::path_end(&path.to_ascii_lowercase()).is_ok() {
                    ReferenceErrorKind::NameNotLowercase
                } else {
                    ReferenceErrorKind::InvalidFormat
                };
                Err(ReferenceError::at(kind, at))
            }
        }
    }

    /// A path the grammar already accepted (a parsed reference's).
    pub(crate) fn trusted(path: &str) -> Repository {
        Repository(path.to_string())
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Repository {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Repository::new(s)
    }
}

impl AsRef<str> for Repository {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Repository {
    type Error = ReferenceError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Repository::new(s)
    }
}

impl serde::Serialize for Repository {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Repository {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Repository::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_decides() {
        for ok in ["a", "library/ubuntu", "a.b/c__d/e--f", "0/1/2", "a-b_c"] {
            assert_eq!(Repository::new(ok).unwrap().as_str(), ok, "{ok}");
        }
        for bad in [
            "", "/a", "a/", "a//b", "a/../b", "../a", "a/./b", "x?y", "a#b", "a b", "a:b", "a@b",
            "-a", "a-", "a_", "a___b", "%2e%2e", "é",
        ] {
            assert!(Repository::new(bad).is_err(), "{bad:?} was accepted");
        }
        let long = "a".repeat(256);
        assert_eq!(
            Repository::new(&long).unwrap_err().kind(),
            ReferenceErrorKind::NameTooLong
        );
        assert_eq!(
            Repository::new("").unwrap_err().kind(),
            ReferenceErrorKind::NameEmpty
        );
    }

    #[test]
    fn errors_point_at_the_bad_byte() {
        let e = Repository::new("team/a?b").unwrap_err();
        assert_eq!(e.kind(), ReferenceErrorKind::InvalidFormat);
        assert_eq!(e.position(), Some(6));
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let r: Repository = serde_json::from_str("\"team/app\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"team/app\"");
        assert!(serde_json::from_str::<Repository>("\"../x\"").is_err());
    }
}
