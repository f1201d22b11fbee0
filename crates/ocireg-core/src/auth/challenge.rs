//! The `WWW-Authenticate` challenge (RFC 9110 §11.6.1), which a registry
//! sends with a 401 to say how to authenticate: `Basic realm="..."` for
//! htpasswd, or `Bearer realm="<token endpoint>",service="...",scope="..."`
//! for token auth.
//!
//! ```
//! use ocireg_core::auth::challenge::parse_challenges;
//!
//! let value = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#;
//! let challenges = parse_challenges(value)?;
//! let bearer = &challenges[0];
//! assert!(bearer.is_bearer());
//! assert_eq!(bearer.realm(), Some("https://auth.docker.io/token"));
//! assert_eq!(bearer.service(), Some("registry.docker.io"));
//! assert_eq!(bearer.scope(), Some("repository:library/ubuntu:pull"));
//! # Ok::<(), ocireg_core::auth::challenge::ChallengeError>(())
//! ```
//!
//! # Grammar
//!
//! ```text
//! WWW-Authenticate = #challenge
//! challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param  = token BWS "=" BWS ( token / quoted-string )
//! token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! Challenges and their parameters share one comma-separated list, so a
//! list element that is `token BWS "="` is a parameter of the challenge
//! before it, and any other element starts a new challenge. Empty elements
//! (`,,`) are skipped. The parser reads the value as such a list; one
//! function per production, errors carry the byte position.
//!
//! Deliberate choices where RFC 9110 leaves room:
//! - A parameter after an empty list element belongs to the challenge
//!   before it whatever the spacing (`Bearer, realm="x"` is read like
//!   `Bearer , realm="x"`).
//! - A parameter name repeated within one challenge is an error (the RFC
//!   says each name MUST occur once; taking either copy could be abused).
//! - Tabs are accepted wherever spaces are.
//! - An empty value (or only commas) is zero challenges, not an error: the
//!   caller decides what no challenge means.

use std::fmt;

use thiserror::Error;

use crate::headers::syntax::{quoted_string, skip_ows, token_end, QuotedError};

/// One authentication challenge: a scheme and either parameters or a
/// token68.
///
/// Parameter names are stored lowercased; the scheme is kept as written and
/// compared case-insensitively. `Display` writes a canonical form (every
/// parameter value quoted) that parses back to an equal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The auth scheme as written, such as `Bearer` or `Basic`.
    pub scheme: String,
    /// The parameters in order: lowercased name, unquoted value.
    pub params: Vec<(String, String)>,
    /// The token68 form (`Negotiate abc==`), when the challenge has one
    /// instead of parameters.
    pub token68: Option<String>,
}

impl Challenge {
    /// The value of the parameter `name` (compared case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the scheme is `Bearer` (token auth).
    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }

    /// Whether the scheme is `Basic` (user and password).
    pub fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }

    /// `realm`: for Bearer, the token endpoint's URL; for Basic, a name.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// `service`: the name to send to the token endpoint.
    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// `scope`: the access needed, such as `repository:library/ubuntu:pull`
    /// (possibly several, separated by spaces).
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }

    /// `error`: why a token was refused, such as `insufficient_scope` or
    /// `invalid_token`.
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(token68) = &self.token68 {
            return write!(f, " {token68}");
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            write!(f, "{name}=\"")?;
            for c in value.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// What is wrong with a `WWW-Authenticate` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeErrorKind {
    /// A list element does not start with a token (the auth scheme).
    ExpectedScheme,
    /// A parameter where a challenge must start: at the beginning, or
    /// after a token68 challenge.
    ParamWithoutScheme,
    /// No space between the scheme and what follows it.
    ExpectedSpace,
    /// Neither a token68 nor a parameter name after the scheme.
    ExpectedParam,
    /// A parameter name not followed by `=`.
    ExpectedEquals,
    /// Nothing usable after `=`: a token or a quoted string is needed.
    ExpectedValue,
    /// Something other than `,` or the end after a complete element.
    ExpectedComma,
    /// A quoted string with no closing `"`.
    UnterminatedQuotedString,
    /// A control character inside a quoted string.
    ControlCharacter,
    /// A parameter name given twice in one challenge.
    DuplicateParam,
}

impl ChallengeErrorKind {
    fn message(self) -> &'static str {
        match self {
            ChallengeErrorKind::ExpectedScheme => "expected an auth scheme",
            ChallengeErrorKind::ParamWithoutScheme => {
                "found an auth-param where an auth scheme must start"
            }
            ChallengeErrorKind::ExpectedSpace => "expected a space after the auth scheme",
            ChallengeErrorKind::ExpectedParam => "expected a token68 or an auth-param",
            ChallengeErrorKind::ExpectedEquals => "expected '=' after the parameter name",
            ChallengeErrorKind::ExpectedValue => {
                "expected a token or a quoted string as parameter value"
            }
            ChallengeErrorKind::ExpectedComma => "expected ',' or the end",
            ChallengeErrorKind::UnterminatedQuotedString => "unterminated quoted string",
            ChallengeErrorKind::ControlCharacter => "control character in a quoted string",
            ChallengeErrorKind::DuplicateParam => "parameter given twice in one challenge",
        }
    }
}

/// A `WWW-Authenticate` value that does not parse: what and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("invalid WWW-Authenticate value at byte {position}: {}", kind.message())]
pub struct ChallengeError {
    kind: ChallengeErrorKind,
    position: usize,
}

impl ChallengeError {
    fn new(kind: ChallengeErrorKind, position: usize) -> ChallengeError {
        ChallengeError { kind, position }
    }

    /// What is wrong.
    pub fn kind(&self) -> ChallengeErrorKind {
        self.kind
    }

    /// Byte offset in the value where the problem is.
    pub fn position(&self) -> usize {
        self.position
    }
}

/// Parses one `WWW-Authenticate` header value into its challenges, in
/// order. Several header lines are parsed one by one and concatenated.
///
/// ```
/// use ocireg_core::auth::challenge::parse_challenges;
///
/// let challenges = parse_challenges(r#"Basic realm="x", Bearer realm="y",service="z""#)?;
/// assert_eq!(challenges.len(), 2);
/// assert!(challenges[0].is_basic());
/// assert_eq!(challenges[1].service(), Some("z"));
///
/// let err = parse_challenges(r#"Bearer realm="x" service="y""#).unwrap_err();
/// assert_eq!(err.position(), 17);
/// assert_eq!(err.to_string(), "invalid WWW-Authenticate value at byte 17: expected ',' or the end");
/// # Ok::<(), ocireg_core::auth::challenge::ChallengeError>(())
/// ```
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge>, ChallengeError> {
    let s = value.as_bytes();
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut pos = 0;
    loop {
        pos = skip_ows(s, pos);
        match s.get(pos) {
            None => return Ok(challenges),
            Some(b',') => {
                pos += 1;
                continue;
            }
            Some(_) => {}
        }
        pos = if starts_auth_param(s, pos) {
            match challenges.last_mut() {
                Some(c) if c.token68.is_none() => auth_param(value, pos, c)?,
                _ => {
                    return Err(ChallengeError::new(
                        ChallengeErrorKind::ParamWithoutScheme,
                        pos,
                    ))
                }
            }
        } else {
            let (challenge, end) = challenge(value, pos)?;
            challenges.push(challenge);
            match challenges.last_mut() {
                Some(c) if end.param_follows => auth_param(value, end.pos, c)?,
                _ => end.pos,
            }
        };
        pos = element_end(s, pos)?;
    }
}

/// Where [`challenge`] stopped, and whether an auth-param starts there.
struct ChallengeEnd {
    pos: usize,
    param_follows: bool,
}

/// `auth-scheme [ 1*SP token68 ]`, or the scheme and the spaces before its
/// first auth-param (which the caller reads into the pushed challenge).
fn challenge(value: &str, start: usize) -> Result<(Challenge, ChallengeEnd), ChallengeError> {
    let s = value.as_bytes();
    let scheme_end = token_end(s, start);
    if scheme_end == start {
        return Err(ChallengeError::new(
            ChallengeErrorKind::ExpectedScheme,
            start,
        ));
    }
    let mut challenge = Challenge {
        scheme: value[start..scheme_end].to_string(),
        params: Vec::new(),
        token68: None,
    };
    let after = skip_ows(s, scheme_end);
    let bare = ChallengeEnd {
        pos: after,
        param_follows: false,
    };
    if matches!(s.get(after), None | Some(b',')) {
        return Ok((challenge, bare));
    }
    if after == scheme_end {
        return Err(ChallengeError::new(
            ChallengeErrorKind::ExpectedSpace,
            after,
        ));
    }
    if let Some(end) = token68(s, after) {
        challenge.token68 = Some(value[after..end].to_string());
        let end = ChallengeEnd {
            pos: end,
            param_follows: false,
        };
        return Ok((challenge, end));
    }
    if token_end(s, after) == after {
        return Err(ChallengeError::new(
            ChallengeErrorKind::ExpectedParam,
            after,
        ));
    }
    let end = ChallengeEnd {
        pos: after,
        param_follows: true,
    };
    Ok((challenge, end))
}

/// `token68` at `start`, when it is the whole rest of the list element
/// (followed only by OWS and then `,` or the end). Returns its end.
fn token68(s: &[u8], start: usize) -> Option<usize> {
    let mut end = start;
    while s.get(end).is_some_and(|&b| is_token68_char(b)) {
        end += 1;
    }
    if end == start {
        return None;
    }
    while s.get(end) == Some(&b'=') {
        end += 1;
    }
    matches!(s.get(skip_ows(s, end)), None | Some(b',')).then_some(end)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Whether the list element at `start` is an auth-param (`token BWS "="`)
/// rather than the start of a challenge.
fn starts_auth_param(s: &[u8], start: usize) -> bool {
    let end = token_end(s, start);
    end > start && s.get(skip_ows(s, end)) == Some(&b'=')
}

/// `auth-param = token BWS "=" BWS ( token / quoted-string )`, added to
/// `challenge`. Returns the end.
fn auth_param(
    value: &str,
    start: usize,
    challenge: &mut Challenge,
) -> Result<usize, ChallengeError> {
    let s = value.as_bytes();
    let name_end = token_end(s, start);
    if name_end == start {
        return Err(ChallengeError::new(
            ChallengeErrorKind::ExpectedParam,
            start,
        ));
    }
    let eq = skip_ows(s, name_end);
    if s.get(eq) != Some(&b'=') {
        return Err(ChallengeError::new(ChallengeErrorKind::ExpectedEquals, eq));
    }
    let (param_value, end) = param_value(value, skip_ows(s, eq + 1))?;
    let name = value[start..name_end].to_ascii_lowercase();
    if challenge.params.iter().any(|(n, _)| *n == name) {
        return Err(ChallengeError::new(
            ChallengeErrorKind::DuplicateParam,
            start,
        ));
    }
    challenge.params.push((name, param_value));
    Ok(end)
}

/// `token / quoted-string`.
fn param_value(value: &str, start: usize) -> Result<(String, usize), ChallengeError> {
    let s = value.as_bytes();
    if s.get(start) == Some(&b'"') {
        return quoted_string(value, start).map_err(|(position, e)| {
            let kind = match e {
                QuotedError::Unterminated => ChallengeErrorKind::UnterminatedQuotedString,
                QuotedError::BadChar => ChallengeErrorKind::ControlCharacter,
            };
            ChallengeError::new(kind, position)
        });
    }
    let end = token_end(s, start);
    if end == start {
        return Err(ChallengeError::new(
            ChallengeErrorKind::ExpectedValue,
            start,
        ));
    }
    Ok((value[start..end].to_string(), end))
}

/// After a list element: OWS, then `,` or the end. Returns the position of
/// the `,` (or the end).
fn element_end(s: &[u8], pos: usize) -> Result<usize, ChallengeError> {
    let pos = skip_ows(s, pos);
    match s.get(pos) {
        None | Some(b',') => Ok(pos),
        Some(_) => Err(ChallengeError::new(ChallengeErrorKind::ExpectedComma, pos)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Challenge {
        let mut all = parse_challenges(value).unwrap();
        assert_eq!(all.len(), 1, "{value}");
        all.remove(0)
    }

    fn params(c: &Challenge) -> Vec<(&str, &str)> {
        c.params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    fn err(value: &str) -> (ChallengeErrorKind, usize) {
        let e = parse_challenges(value).unwrap_err();
        (e.kind(), e.position())
    }

    fn round_trips(value: &str) {
        let parsed = parse_challenges(value).unwrap();
        let printed: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        assert_eq!(
            parse_challenges(&printed.join(", ")).unwrap(),
            parsed,
            "{value}"
        );
    }

    #[test]
    fn docker_hub_bearer_challenge() {
        let value = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#;
        let c = one(value);
        assert!(c.is_bearer());
        assert!(!c.is_basic());
        assert_eq!(c.realm(), Some("https://auth.docker.io/token"));
        assert_eq!(c.service(), Some("registry.docker.io"));
        assert_eq!(c.scope(), Some("repository:library/ubuntu:pull"));
        assert_eq!(c.error(), None);
        assert_eq!(c.token68, None);
        assert_eq!(
            c.to_string(),
            r#"Bearer realm="https://auth.docker.io/token", service="registry.docker.io", scope="repository:library/ubuntu:pull""#
        );
        round_trips(value);
    }

    #[test]
    fn registry_2_8_rejected_token_challenges() {
        let c = one(
            r#"Bearer realm="http://127.0.0.1:5001/auth",service="Docker registry",scope="repository:demo/hello:pull,push",error="insufficient_scope""#,
        );
        assert_eq!(c.error(), Some("insufficient_scope"));
        assert_eq!(c.scope(), Some("repository:demo/hello:pull,push"));
        assert_eq!(c.service(), Some("Docker registry"));
        let c = one(
            r#"Bearer realm="http://127.0.0.1:5001/auth",service="Docker registry",error="invalid_token""#,
        );
        assert_eq!(c.error(), Some("invalid_token"));
        assert_eq!(c.scope(), None);
    }

    #[test]
    fn catalog_scope() {
        let c = one(
            r#"Bearer realm="https://r.example/token",service="r.example",scope="registry:catalog:*""#,
        );
        assert_eq!(c.scope(), Some("registry:catalog:*"));
    }

    #[test]
    fn ghcr_challenge() {
        let c = one(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
        );
        assert_eq!(
            params(&c),
            [
                ("realm", "https://ghcr.io/token"),
                ("service", "ghcr.io"),
                ("scope", "repository:user/image:pull"),
            ]
        );
    }

    #[test]
    fn basic_challenge() {
        let c = one(r#"Basic realm="Registry Realm""#);
        assert!(c.is_basic());
        assert_eq!(c.realm(), Some("Registry Realm"));
        assert!(one("basic").is_basic());
        assert!(one("BEARER realm=x").is_bearer());
    }

    #[test]
    fn several_challenges_in_one_value() {
        let all = parse_challenges(r#"Basic realm="x", Bearer realm="y",service="z""#).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].scheme.as_str(), params(&all[0])),
            ("Basic", vec![("realm", "x")])
        );
        assert_eq!(
            (all[1].scheme.as_str(), params(&all[1])),
            ("Bearer", vec![("realm", "y"), ("service", "z")])
        );
        let all = parse_challenges("Negotiate, Basic realm=r, NTLM abc=, Bearer").unwrap();
        let schemes: Vec<_> = all.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Negotiate", "Basic", "NTLM", "Bearer"]);
        assert_eq!(all[2].token68.as_deref(), Some("abc="));
        round_trips(r#"Basic realm="x", Bearer realm="y",service="z""#);
    }

    #[test]
    fn commas_and_spaces_inside_quotes_are_kept() {
        let c = one(
            r#"Bearer realm="https://r.example/token",scope="repository:a:pull repository:b:pull,push""#,
        );
        assert_eq!(c.scope(), Some("repository:a:pull repository:b:pull,push"));
        round_trips(r#"Bearer scope="repository:a:pull repository:b:pull,push", realm=",,""#);
    }

    #[test]
    fn escapes_in_quoted_strings() {
        let c = one(r#"Bearer realm="a \"quoted\" \\ realm\x""#);
        assert_eq!(c.realm(), Some(r#"a "quoted" \ realmx"#));
        assert_eq!(c.to_string(), r#"Bearer realm="a \"quoted\" \\ realmx""#);
        round_trips(r#"Bearer realm="a \"quoted\" \\ realm\x", service="tab	é""#);
    }

    #[test]
    fn token68() {
        let c = one("Negotiate abc==");
        assert_eq!(c.token68.as_deref(), Some("abc=="));
        assert!(c.params.is_empty());
        assert_eq!(c.to_string(), "Negotiate abc==");
        assert_eq!(
            one("Bearer a+b/c-d._~").token68.as_deref(),
            Some("a+b/c-d._~")
        );
        // token68 wins for `name=` with no value, as the grammar says.
        assert_eq!(one("Bearer realm=").token68.as_deref(), Some("realm="));
        round_trips("Negotiate abc==, Basic realm=x");
    }

    #[test]
    fn lenient_spacing_empty_elements_and_case() {
        let c = one(r#" ,Bearer  Realm = "x" ,, SERVICE="y" , "#);
        assert_eq!(params(&c), [("realm", "x"), ("service", "y")]);
        assert_eq!(c.param("Service"), Some("y"));
        assert_eq!(one("Bearer\trealm=x").realm(), Some("x"));
        // A parameter after an empty element still belongs to the challenge.
        assert_eq!(one(r#"Bearer, realm="x""#).realm(), Some("x"));
        assert_eq!(parse_challenges(""), Ok(vec![]));
        assert_eq!(parse_challenges(" , ,"), Ok(vec![]));
        assert_eq!(one(r#"Bearer realm="""#).realm(), Some(""));
    }

    #[test]
    fn garbage_errors_with_positions() {
        use ChallengeErrorKind::*;
        let cases = [
            (r#"realm="x""#, (ParamWithoutScheme, 0)),
            (r#"Bearer realm="x" service="y""#, (ExpectedComma, 17)),
            (r#""Bearer""#, (ExpectedScheme, 0)),
            (r#"Bearer"x""#, (ExpectedSpace, 6)),
            (r#"Bearer/x"#, (ExpectedSpace, 6)),
            (r#"Bearer "x""#, (ExpectedParam, 7)),
            (r#"Bearer realm x"#, (ExpectedEquals, 13)),
            (r#"Bearer realm=x, service=,"#, (ExpectedValue, 24)),
            (r#"Bearer realm="x", service="#, (ExpectedValue, 26)),
            (r#"Bearer realm="x"#, (UnterminatedQuotedString, 13)),
            (r#"Bearer realm="x\"#, (UnterminatedQuotedString, 13)),
            ("Bearer realm=\"a\u{0}\"", (ControlCharacter, 15)),
            ("Bearer realm=\"a\n\"", (ControlCharacter, 15)),
            (r#"Bearer realm="x", REALM="y""#, (DuplicateParam, 18)),
            ("Negotiate abc==, realm=x", (ParamWithoutScheme, 17)),
            ("Negotiate abc==x", (ExpectedValue, 14)),
            ("Bearer realm=x=y", (ExpectedComma, 14)),
            ("Bearer réalm=x", (ExpectedEquals, 8)),
            ("élan", (ExpectedScheme, 0)),
            ("Bearer realm=é", (ExpectedValue, 13)),
            ("Bearer a b c", (ExpectedEquals, 9)),
        ];
        for (value, expected) in cases {
            assert_eq!(err(value), expected, "{value}");
        }
    }

    #[test]
    fn error_messages_are_pinned() {
        let e = parse_challenges(r#"Bearer realm="x"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid WWW-Authenticate value at byte 13: unterminated quoted string"
        );
        let e = parse_challenges(r#"realm="x""#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid WWW-Authenticate value at byte 0: found an auth-param where an auth scheme must start"
        );
    }
}
