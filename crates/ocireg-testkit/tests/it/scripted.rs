//! The scripted server's misbehaviours, seen from a raw socket.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ocireg_testkit::{http, Fault, Reply, ScriptedServer};

/// Sends `GET path` on a new connection and reads for up to `wait`;
/// returns what came, and whether the server closed the connection.
fn get_raw(server: &ScriptedServer, path: &str, wait: Duration) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(server.host()).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let (mut got, mut buf) = (Vec::new(), [0u8; 65536]);
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    (got, false)
}

fn body_of(raw: &[u8]) -> &[u8] {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    &raw[end..]
}

#[test]
fn no_answer_and_stalls_hold_the_connection() {
    let server = ScriptedServer::start().unwrap();
    server.reply(
        "GET",
        "/never",
        Reply::new(200, b"x".to_vec()).fault(Fault::NoAnswer),
    );
    let stall = Reply::new(200, b"0123456789".to_vec()).fault(Fault::StallAfter(4));
    server.reply("GET", "/stall", stall);

    let (got, closed) = get_raw(&server, "/never", Duration::from_millis(300));
    assert!(got.is_empty() && !closed);

    let (got, closed) = get_raw(&server, "/stall", Duration::from_millis(300));
    assert!(!closed);
    assert!(String::from_utf8_lossy(&got).contains("Content-Length: 10\r\n"));
    assert_eq!(body_of(&got), b"0123");

    let cut = Reply::new(200, b"0123456789".to_vec()).fault(Fault::CutAfter(6));
    server.reply("GET", "/cut", cut);
    let (got, closed) = get_raw(&server, "/cut", Duration::from_secs(5));
    assert!(closed);
    assert!(String::from_utf8_lossy(&got).contains("Content-Length: 10\r\n"));
    assert_eq!(body_of(&got), b"012345");
}

#[test]
fn drip_and_endless_bodies() {
    let server = ScriptedServer::start().unwrap();
    let drip = Reply::new(200, b"abc".to_vec()).fault(Fault::Drip(Duration::from_millis(150)));
    server.reply("GET", "/drip", drip);
    server.reply(
        "GET",
        "/endless",
        Reply::new(200, b"start".to_vec()).fault(Fault::Endless),
    );

    let started = Instant::now();
    let (got, _) = get_raw(&server, "/drip", Duration::from_millis(1000));
    assert_eq!(body_of(&got), b"abc");
    assert!(started.elapsed() >= Duration::from_millis(300));

    let (got, closed) = get_raw(&server, "/endless", Duration::from_millis(300));
    assert!(!closed);
    let head = String::from_utf8_lossy(&got[..got.len().min(200)]).into_owned();
    assert!(!head.contains("Content-Length"), "{head}");
    assert!(body_of(&got).starts_with(b"start"));
    assert!(got.len() > 1 << 20, "{} bytes", got.len());
}

#[test]
fn responders_fallbacks_and_authorizations() {
    let server = ScriptedServer::start().unwrap();
    server.respond("GET", "/echo", |r| {
        let range = r.header("range").unwrap_or("none").to_string();
        Reply::new(200, format!("{} {range}", r.target).into_bytes())
    });
    server.fallback(|r| Reply::new(418, r.method.clone().into_bytes()));

    let url = format!("{}/echo?x=1", server.url());
    let r = http::request("GET", &url, &[("Range", "bytes=5-")], b"").unwrap();
    assert_eq!(r.text(), "/echo?x=1 bytes=5-");
    let r = http::request("GET", &url, &[("Authorization", "Basic a")], b"").unwrap();
    assert_eq!(r.text(), "/echo?x=1 none");
    let other = format!("{}/other", server.url());
    let r = http::request("DELETE", &other, &[("Authorization", "Bearer b")], b"").unwrap();
    assert_eq!((r.status, r.text().as_str()), (418, "DELETE"));
    http::request("GET", &other, &[("Authorization", "Basic a")], b"").unwrap();
    assert_eq!(server.authorizations(), ["Basic a", "Bearer b"]);

    let r = http::get(&format!("{}/redirect", server.url()));
    assert_eq!(r.unwrap().status, 418);
    let redirect = Reply::redirect("/elsewhere");
    assert_eq!(
        (redirect.status, redirect.headers[0].1.as_str()),
        (307, "/elsewhere")
    );
}

#[test]
fn dropping_the_server_releases_held_connections() {
    let server = ScriptedServer::start().unwrap();
    server.reply(
        "GET",
        "/never",
        Reply::new(200, Vec::new()).fault(Fault::NoAnswer),
    );
    let mut s = TcpStream::connect(server.host()).unwrap();
    write!(s, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(server);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).unwrap(), 0, "the connection was closed");
}
