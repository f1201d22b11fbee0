//! Which registry gets which credentials from the command line.
//!
//! `-u/-p` are for a command that talks to one registry. A command with a
//! source and a destination on different registries (`copy`,
//! `retag-into`) refuses them and takes `--src-creds USER:PASS` and
//! `--dest-creds USER:PASS` instead, as skopeo does, so that neither
//! registry ever receives the other's password. A `--src-creds` or
//! `--dest-creds` without `:PASS` is refused (no prompt, no stdin): the
//! environment variables `OCIREG_SRC_CREDS` and `OCIREG_DEST_CREDS` keep
//! a password off the command line.

use std::collections::BTreeMap;
use std::str::FromStr;

use ocireg::ocireg_core::auth::Secret;
use ocireg::Credentials;

/// `USER:PASS` from `--src-creds` or `--dest-creds`: the user name is
/// everything before the first colon, the password everything after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPass {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: Secret,
}

impl FromStr for UserPass {
    type Err = String;

    fn from_str(s: &str) -> Result<UserPass, String> {
        match s.split_once(':') {
            Some(("", _)) => Err("expected USER:PASS, and the user name is empty".into()),
            Some((user, pass)) => Ok(UserPass {
                username: user.to_string(),
                password: Secret::new(pass),
            }),
            None => Err("expected USER:PASS (a password after a colon; \
                 OCIREG_SRC_CREDS and OCIREG_DEST_CREDS keep it off the command line)"
                .into()),
        }
    }
}

impl UserPass {
    /// As Basic credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials::basic(self.username.clone(), self.password.clone())
    }
}

/// The registry hosts (`host[:port]`, Docker Hub as
/// `registry-1.docker.io`) a command reads from and writes to. A command
/// that talks to one registry lists it as a source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts {
    /// Where the command reads.
    pub sources: Vec<String>,
    /// Where the command writes, for commands with a source and a
    /// destination.
    pub destinations: Vec<String>,
}

impl Hosts {
    /// Every distinct host, sorted.
    pub fn all(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .sources
            .iter()
            .chain(&self.destinations)
            .map(String::as_str)
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    fn distinct(list: &[String]) -> Vec<&str> {
        let mut v: Vec<&str> = list.iter().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// The credentials the command line gives.
#[derive(Clone, Debug, Default)]
pub struct Given {
    /// `-u` (with `-p`, `--password-stdin`, or an empty password).
    pub login: Option<Credentials>,
    /// Whether any of `-u`, `-p`, `--password-stdin` (or their
    /// environment variables) was given.
    pub login_given: bool,
    /// `--src-creds`.
    pub src: Option<UserPass>,
    /// `--dest-creds`.
    pub dest: Option<UserPass>,
}

/// Which host gets which credentials; an error says why the command line
/// is refused. Hosts not in the answer use docker's `config.json`.
pub fn assign(given: &Given, hosts: &Hosts) -> Result<BTreeMap<String, Credentials>, String> {
    let mut out = BTreeMap::new();
    if given.login_given {
        if given.src.is_some() || given.dest.is_some() {
            return Err(
                "give either -u/-p or --src-creds/--dest-creds, not both: -u/-p are for a \
                 command that talks to one registry"
                    .into(),
            );
        }
        let all = hosts.all();
        if all.len() > 1 {
            return Err(format!(
                "-u/-p (or OCIREG_USERNAME/OCIREG_PASSWORD) are for one registry, but this \
                 command talks to {}; give each registry its own credentials with \
                 --src-creds USER:PASS and --dest-creds USER:PASS",
                all.join(" and ")
            ));
        }
        if let Some(login) = &given.login {
            for host in all {
                out.insert(host.to_string(), login.clone());
            }
        }
        return Ok(out);
    }
    if let Some(src) = &given.src {
        let sources = Hosts::distinct(&hosts.sources);
        if sources.len() > 1 {
            return Err(format!(
                "--src-creds would go to every source registry ({}); copy from one source \
                 registry at a time",
                sources.join(", ")
            ));
        }
        for host in sources {
            out.insert(host.to_string(), src.credentials());
        }
    }
    if let Some(dest) = &given.dest {
        for host in Hosts::distinct(&hosts.destinations) {
            let creds = dest.credentials();
            match out.get(host) {
                Some(already) if *already != creds => {
                    return Err(format!(
                        "the source and the destination are the same registry ({host}) but \
                         --src-creds and --dest-creds differ; give its credentials once"
                    ))
                }
                _ => {
                    out.insert(host.to_string(), creds);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(sources: &[&str], destinations: &[&str]) -> Hosts {
        Hosts {
            sources: sources.iter().map(|s| s.to_string()).collect(),
            destinations: destinations.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn up(s: &str) -> UserPass {
        s.parse().unwrap()
    }

    #[test]
    fn user_pass_parses_at_the_first_colon() {
        let p = up("alice:pa:ss");
        assert_eq!(p.username, "alice");
        assert_eq!(p.password.expose(), "pa:ss");
        assert_eq!(up("bob:").password.expose(), "");
        let missing = "alice".parse::<UserPass>().unwrap_err();
        assert!(missing.contains("USER:PASS"), "{missing}");
        assert!(":pw".parse::<UserPass>().is_err());
        assert!(!format!("{:?}", up("alice:hunter2")).contains("hunter2"));
    }

    #[test]
    fn login_goes_to_the_one_registry() {
        let given = Given {
            login: Some(Credentials::basic("u", "p")),
            login_given: true,
            ..Given::default()
        };
        let one = assign(&given, &hosts(&["a:1", "a:1"], &["a:1"])).unwrap();
        assert_eq!(one.keys().collect::<Vec<_>>(), ["a:1"]);
        let err = assign(&given, &hosts(&["a:1"], &["b:2"])).unwrap_err();
        assert!(
            err.contains("a:1 and b:2") && err.contains("--src-creds"),
            "{err}"
        );
        // A password alone across two registries is refused too.
        let password_only = Given {
            login_given: true,
            ..Given::default()
        };
        assert!(assign(&password_only, &hosts(&["a:1"], &["b:2"])).is_err());
        let mixed = Given {
            src: Some(up("s:1")),
            ..given
        };
        assert!(assign(&mixed, &hosts(&["a:1"], &["a:1"])).is_err());
    }

    #[test]
    fn src_and_dest_creds_go_to_their_own_registry() {
        let given = Given {
            src: Some(up("alice:src-pass")),
            dest: Some(up("bob:dest-pass")),
            ..Given::default()
        };
        let out = assign(&given, &hosts(&["a:1"], &["b:2"])).unwrap();
        assert_eq!(out["a:1"], Credentials::basic("alice", "src-pass"));
        assert_eq!(out["b:2"], Credentials::basic("bob", "dest-pass"));

        let only_dest = Given {
            dest: Some(up("bob:dest-pass")),
            ..Given::default()
        };
        let out = assign(&only_dest, &hosts(&["a:1"], &["b:2"])).unwrap();
        assert_eq!(out.keys().collect::<Vec<_>>(), ["b:2"]);

        // One registry on both sides: the same credentials, or a refusal.
        let same = Given {
            src: Some(up("alice:pw")),
            dest: Some(up("alice:pw")),
            ..Given::default()
        };
        assert_eq!(assign(&same, &hosts(&["a:1"], &["a:1"])).unwrap().len(), 1);
        let err = assign(&given, &hosts(&["a:1"], &["a:1"])).unwrap_err();
        assert!(err.contains("same registry"), "{err}");

        // Sources on two registries: --src-creds would reach both.
        let err = assign(&given, &hosts(&["a:1", "c:3"], &["b:2"])).unwrap_err();
        assert!(err.contains("a:1, c:3"), "{err}");
    }
}
