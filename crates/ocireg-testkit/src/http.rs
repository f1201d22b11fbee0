//! A tiny blocking HTTP/1.1 client (plain `http://` only), and the bits of
//! HTTP parsing the token server and the fault proxy share.
//!
//! Every request is sent with `Connection: close` and the response is read
//! to the end of the stream (chunked bodies are decoded), so what comes back
//! is exactly what the server sent. Meant for looking at raw responses in
//! tests, not for speed.
//!
//! ```no_run
//! let r = ocireg_testkit::http::request(
//!     "GET",
//!     "http://127.0.0.1:5000/v2/",
//!     &[("Authorization", &ocireg_testkit::http::basic_auth("u", "p"))],
//!     b"",
//! )?;
//! println!("{} {:?}", r.status, r.header("www-authenticate"));
//! # Ok::<(), std::io::Error>(())
//! ```

use base64::Engine as _;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response: status, headers in order, and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> io::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            invalid(format!(
                "response body is not JSON ({e}): {}",
                self.text().chars().take(300).collect::<String>()
            ))
        })
    }
}

/// `GET url` with no extra headers.
pub fn get(url: &str) -> io::Result<Response> {
    request("GET", url, &[], b"")
}

/// The value of an `Authorization` header for Basic credentials.
pub fn basic_auth(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Sends one request to an `http://host:port/path?query` URL and reads the
/// whole response. `Host`, `Connection: close` and (for a body or a
/// POST/PUT/PATCH) `Content-Length` are added.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Response> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid(format!("only http:// URLs are supported: {url}")))?;
    let (authority, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let end = find_head_end(&raw)
        .ok_or_else(|| invalid(format!("incomplete response head from {url}")))?;
    let head = Head::parse(&raw[..end])
        .ok_or_else(|| invalid(format!("malformed response head from {url}")))?;
    let status = head.parts[1]
        .parse()
        .map_err(|_| invalid(format!("bad status line from {url}")))?;
    let mut body = raw[end..].to_vec();
    if head
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body)?;
    }
    Ok(Response {
        status,
        headers: head.headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("truncated chunked body"))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(invalid("truncated chunked body"));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Where the head ends (just after the blank line), if it is complete.
pub(crate) fn find_head_end(data: &[u8]) -> Option<usize> {
    data.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// Reads from `stream` into `buf` until a complete head is buffered; returns
/// its length, or `None` if the stream ended first. Bytes after the head stay
/// in `buf`.
pub(crate) fn read_head(stream: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find_head_end(buf) {
            return Ok(Some(end));
        }
        if buf.len() > 64 * 1024 {
            return Err(invalid("HTTP head longer than 64 KiB"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A parsed request or response head.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    /// The start line split in three: method, target, version or version,
    /// status, reason.
    pub(crate) parts: [String; 3],
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    pub(crate) fn parse(raw: &[u8]) -> Option<Head> {
        let text = std::str::from_utf8(raw).ok()?;
        let mut lines = text.split("\r\n");
        let mut start = lines.next()?.splitn(3, ' ');
        let parts = [
            start.next()?.to_string(),
            start.next()?.to_string(),
            start.next().unwrap_or("").to_string(),
        ];
        let headers = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        Some(Head { parts, headers })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs (also query strings).
pub(crate) fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(
            parse_form("scope=repository%3Aa%2Fb%3Apull%2Cpush&x=a+b&y=%zz&z=%4"),
            vec![
                ("scope".into(), "repository:a/b:pull,push".into()),
                ("x".into(), "a b".into()),
                ("y".into(), "%zz".into()),
                ("z".into(), "%4".into()),
            ]
        );
    }

    #[test]
    fn chunked_decoding() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"5\r\nab").is_err());
    }
}
