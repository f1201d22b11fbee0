//! `WWW-Authenticate` challenges: parsing never panics; what parses prints
//! (Display) in a form that parses back to an equal value; and a second,
//! deliberately simple parser that lives only here agrees with the crate's
//! parser on which values are valid and on what they mean.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocireg_core::auth::challenge::{parse_challenges, Challenge};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_challenges(s);
    if let Err(e) = &parsed {
        assert!(e.position() <= s.len());
        let _ = e.to_string();
    }
    if let Ok(challenges) = &parsed {
        let printed: Vec<String> = challenges.iter().map(ToString::to_string).collect();
        let printed = printed.join(", ");
        let again = parse_challenges(&printed).expect("canonical form parses");
        assert_eq!(&again, challenges, "{printed}");
        for c in challenges {
            assert!(c.params.is_empty() || c.token68.is_none());
            for (name, value) in &c.params {
                assert_eq!(c.param(&name.to_ascii_uppercase()), Some(value.as_str()));
                assert_eq!(*name, name.to_ascii_lowercase());
            }
        }
    }
    let simple = simple::parse(s);
    match (&parsed, &simple) {
        (Ok(a), Some(b)) => {
            let a: Vec<simple::Challenge> = a.iter().map(from_crate).collect();
            assert_eq!(&a, b, "{s:?}");
        }
        (Err(_), None) => {}
        (a, b) => panic!("parsers disagree on {s:?}: crate {a:?}, simple {b:?}"),
    }
});

fn from_crate(c: &Challenge) -> simple::Challenge {
    simple::Challenge {
        scheme: c.scheme.clone(),
        params: c.params.clone(),
        token68: c.token68.clone(),
    }
}

/// A second parser, written to be obviously right rather than fast: a
/// character-by-character lexer (a three-state machine: outside quotes, in
/// quotes, after a backslash), then a split of the lexemes at commas, then
/// a match of each list element against the shapes the grammar allows:
///
/// ```text
/// (empty)                                   skipped
/// name = value                              a parameter of the last challenge
/// scheme                                    a challenge without parameters
/// scheme SP token68                         a challenge with a token68
/// scheme SP name = value                    a challenge and its first parameter
/// ```
mod simple {
    #[derive(Debug, PartialEq, Eq)]
    pub struct Challenge {
        pub scheme: String,
        pub params: Vec<(String, String)>,
        pub token68: Option<String>,
    }

    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Lex {
        Word(String),
        Quoted(String),
        Eq,
        Comma,
        Space,
    }

    fn is_tchar(c: char) -> bool {
        c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
    }

    fn is_token68_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || "-._~+/".contains(c)
    }

    fn is_token(s: &str) -> bool {
        !s.is_empty() && s.chars().all(is_tchar)
    }

    fn quotable(c: char) -> bool {
        c == '\t' || (' '..='~').contains(&c) || !c.is_ascii()
    }

    fn lex(s: &str) -> Option<Vec<Lex>> {
        enum State {
            Outside,
            Quote,
            Escape,
        }
        let mut out = Vec::new();
        let mut word: Option<String> = None;
        let mut quoted = String::new();
        let mut state = State::Outside;
        for c in s.chars() {
            match state {
                State::Outside => {
                    if is_tchar(c) || c == '/' {
                        word.get_or_insert_with(String::new).push(c);
                        continue;
                    }
                    if let Some(w) = word.take() {
                        out.push(Lex::Word(w));
                    }
                    match c {
                        ' ' | '\t' => {
                            if out.last() != Some(&Lex::Space) {
                                out.push(Lex::Space);
                            }
                        }
                        '=' => out.push(Lex::Eq),
                        ',' => out.push(Lex::Comma),
                        '"' => {
                            quoted.clear();
                            state = State::Quote;
                        }
                        _ => return None,
                    }
                }
                State::Quote => match c {
                    '"' => {
                        out.push(Lex::Quoted(std::mem::take(&mut quoted)));
                        state = State::Outside;
                    }
                    '\\' => state = State::Escape,
                    c if quotable(c) => quoted.push(c),
                    _ => return None,
                },
                State::Escape => {
                    if !quotable(c) {
                        return None;
                    }
                    quoted.push(c);
                    state = State::Quote;
                }
            }
        }
        if !matches!(state, State::Outside) {
            return None;
        }
        if let Some(w) = word.take() {
            out.push(Lex::Word(w));
        }
        Some(out)
    }

    /// `name = value`, spaces around `=` allowed (spaces are dropped first;
    /// two words are never adjacent without one, so nothing merges).
    fn param(element: &[Lex]) -> Option<(String, String)> {
        let solid: Vec<&Lex> = element.iter().filter(|l| **l != Lex::Space).collect();
        match solid.as_slice() {
            [Lex::Word(name), Lex::Eq, Lex::Word(value)] if is_token(name) && is_token(value) => {
                Some((name.to_ascii_lowercase(), value.clone()))
            }
            [Lex::Word(name), Lex::Eq, Lex::Quoted(value)] if is_token(name) => {
                Some((name.to_ascii_lowercase(), value.clone()))
            }
            _ => None,
        }
    }

    /// `token68` with nothing else: a word of token68 characters, then `=`s.
    fn token68(element: &[Lex]) -> Option<String> {
        let (Lex::Word(w), equals) = element.split_first()? else {
            return None;
        };
        if !w.chars().all(is_token68_char) || !equals.iter().all(|l| *l == Lex::Eq) {
            return None;
        }
        Some(format!("{w}{}", "=".repeat(equals.len())))
    }

    fn add(challenge: &mut Challenge, (name, value): (String, String)) -> Option<()> {
        if challenge.token68.is_some() || challenge.params.iter().any(|(n, _)| *n == name) {
            return None;
        }
        challenge.params.push((name, value));
        Some(())
    }

    pub fn parse(s: &str) -> Option<Vec<Challenge>> {
        let lexemes = lex(s)?;
        let mut out: Vec<Challenge> = Vec::new();
        for mut element in lexemes.split(|l| *l == Lex::Comma) {
            while element.first() == Some(&Lex::Space) {
                element = &element[1..];
            }
            while element.last() == Some(&Lex::Space) {
                element = &element[..element.len() - 1];
            }
            if element.is_empty() {
                continue;
            }
            if let Some(p) = param(element) {
                add(out.last_mut()?, p)?;
                continue;
            }
            let (Lex::Word(scheme), rest) = element.split_first()? else {
                return None;
            };
            if !is_token(scheme) {
                return None;
            }
            let mut challenge = Challenge {
                scheme: scheme.clone(),
                params: Vec::new(),
                token68: None,
            };
            match rest {
                [] => {}
                [Lex::Space, rest @ ..] => {
                    if let Some(t) = token68(rest) {
                        challenge.token68 = Some(t);
                    } else {
                        add(&mut challenge, param(rest)?)?;
                    }
                }
                _ => return None,
            }
            out.push(challenge);
        }
        Some(out)
    }
}
