//! The lexical pieces of HTTP header grammar (RFC 9110 §5.6) shared by the
//! header readers next to this file and the `WWW-Authenticate` parser
//! (`auth/challenge.rs`).

/// `tchar`: the characters of a `token`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The end of the `token` starting at `pos` (`pos` itself when there is
/// none).
pub(crate) fn token_end(s: &[u8], pos: usize) -> usize {
    let mut end = pos;
    while s.get(end).is_some_and(|&b| is_tchar(b)) {
        end += 1;
    }
    end
}

/// Skips `OWS` (spaces and tabs) from `pos`.
pub(crate) fn skip_ows(s: &[u8], pos: usize) -> usize {
    let mut end = pos;
    while matches!(s.get(end), Some(b' ' | b'\t')) {
        end += 1;
    }
    end
}

/// Why a `quoted-string` is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuotedError {
    /// No closing `"`; the position is the opening one.
    Unterminated,
    /// A control character (other than tab) or DEL; the position is
    /// that character's.
    BadChar,
}

/// Whether `c` may appear in a quoted string, raw or after a backslash:
/// tab, space, visible ASCII, or any non-ASCII character (`obs-text`).
fn is_quotable(c: char) -> bool {
    c == '\t' || (' '..='~').contains(&c) || !c.is_ascii()
}

/// Reads the `quoted-string` whose opening `"` is at `start`, undoing
/// `\` escapes. Returns the text and the position after the closing `"`.
pub(crate) fn quoted_string(
    s: &str,
    start: usize,
) -> Result<(String, usize), (usize, QuotedError)> {
    debug_assert_eq!(s.as_bytes().get(start), Some(&b'"'));
    let mut out = String::new();
    let body = start + 1;
    let mut chars = s.get(body..).unwrap_or("").char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, body + i + 1)),
            '\\' => match chars.next() {
                Some((_, e)) if is_quotable(e) => out.push(e),
                Some((j, _)) => return Err((body + j, QuotedError::BadChar)),
                None => break,
            },
            c if is_quotable(c) => out.push(c),
            _ => return Err((body + i, QuotedError::BadChar)),
        }
    }
    Err((start, QuotedError::Unterminated))
}

/// Skips a list element that failed to parse: moves to the next `,`
/// that is not inside a quoted string (or to the end).
pub(crate) fn skip_element(s: &[u8], pos: usize) -> usize {
    let mut i = pos;
    let mut quoted = false;
    while let Some(&b) = s.get(i) {
        match (quoted, b) {
            (false, b',') => return i,
            (_, b'"') => quoted = !quoted,
            (true, b'\\') => i += 1,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// A non-empty run of ASCII digits that fits in a `u64` (no sign, no
/// spaces).
pub(crate) fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_string_helper() {
        assert_eq!(
            quoted_string(r#""a\"b\\c" rest"#, 0),
            Ok((r#"a"b\c"#.to_string(), 9))
        );
        assert_eq!(
            quoted_string(r#""abc"#, 0),
            Err((0, QuotedError::Unterminated))
        );
        assert_eq!(
            quoted_string("\"a\u{1}\"", 0),
            Err((2, QuotedError::BadChar))
        );
        assert_eq!(
            quoted_string("\"\\\u{7f}\"", 0),
            Err((2, QuotedError::BadChar))
        );
        assert_eq!(quoted_string("\"é\\ü\"", 0), Ok(("éü".to_string(), 7)));
    }
}
