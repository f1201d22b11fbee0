//! One builder per endpoint of the OCI Distribution API v1.1 and Docker
//! Registry HTTP API v2. Each returns an `http::Request` with the method,
//! URL, and the headers the endpoint needs (`Accept`, `Content-Type`,
//! `Range`, `Content-Range`); credentials are added later by the exchange
//! layer, which knows the scopes and the token cache.
//!
//! ```
//! use ocireg_core::registry::{Registry, Scheme};
//! use ocireg_core::requests;
//!
//! let reg = Registry::new(Scheme::Https, "ghcr.io").unwrap();
//! let req = requests::get_manifest(&reg, &"o/app".parse().unwrap(), "v1");
//! assert_eq!(req.method(), "GET");
//! assert_eq!(req.uri(), "https://ghcr.io/v2/o/app/manifests/v1");
//! assert!(req.headers()["accept"].to_str().unwrap().contains("application/vnd.oci.image.index.v1+json"));
//! ```

use http::header::{ACCEPT, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use http::{HeaderValue, Method};
use url::Url;

use crate::auth::scope::Scopes;
use crate::digest::Digest;
use crate::manifest::media_type;
use crate::ops::RequestBody;
use crate::reference::Repository;
use crate::registry::Registry;

/// The `Accept` header for manifest requests: every manifest and index
/// type this crate reads. Registries answer 404 for an OCI manifest when
/// its type is not accepted, so the list is always sent whole.
pub fn manifest_accept() -> String {
    [
        media_type::OCI_INDEX,
        media_type::OCI_MANIFEST,
        media_type::DOCKER_MANIFEST_LIST,
        media_type::DOCKER_MANIFEST,
        media_type::DOCKER_SCHEMA1_SIGNED,
        media_type::DOCKER_SCHEMA1,
    ]
    .join(", ")
}

fn url(registry: &Registry, path: &str, query: &[(&str, &str)]) -> Url {
    let mut u = registry.base_url();
    u.set_path(path);
    if !query.is_empty() {
        let mut q = u.query_pairs_mut();
        for (k, v) in query {
            q.append_pair(k, v);
        }
    }
    u
}

/// A request to `url`. The URL travels with the request as an extension
/// (an [`Url`]), which is what the exchange layer and the transports send
/// to: `http::Uri` refuses some URLs a hostile `Link` or `Location` can
/// name (over 64 KiB), so the `uri` is set only when it can hold the URL.
pub(crate) fn build(
    method: Method,
    url: &Url,
    headers: &[(http::HeaderName, String)],
    body: RequestBody,
) -> http::Request<RequestBody> {
    let mut req = http::Request::new(body);
    *req.method_mut() = method;
    if let Ok(uri) = url.as_str().parse() {
        *req.uri_mut() = uri;
    }
    req.extensions_mut().insert(url.clone());
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            req.headers_mut().append(name.clone(), v);
        }
    }
    req
}

/// The URL a request is for: the one a builder of this module recorded,
/// else its `uri` read as an absolute URL.
pub(crate) fn url_of<B>(req: &http::Request<B>) -> Result<Url, url::ParseError> {
    match req.extensions().get::<Url>() {
        Some(url) => Ok(url.clone()),
        None => Url::parse(&req.uri().to_string()),
    }
}

fn get(url: &Url) -> http::Request<RequestBody> {
    build(Method::GET, url, &[], RequestBody::Empty)
}

/// `GET /v2/`: is this a registry, and may we talk to it?
pub fn ping(registry: &Registry) -> http::Request<RequestBody> {
    get(&url(registry, "/v2/", &[]))
}

/// `GET /v2/_catalog?n=&last=`.
pub fn catalog(
    registry: &Registry,
    n: Option<u32>,
    last: Option<&str>,
) -> http::Request<RequestBody> {
    get(&catalog_url(registry, n, last))
}

/// The URL of [`catalog`].
pub(crate) fn catalog_url(registry: &Registry, n: Option<u32>, last: Option<&str>) -> Url {
    list_url(registry, "/v2/_catalog", n, last)
}

/// `GET /v2/<name>/tags/list?n=&last=`.
pub fn tags(
    registry: &Registry,
    repository: &Repository,
    n: Option<u32>,
    last: Option<&str>,
) -> http::Request<RequestBody> {
    get(&tags_url(registry, repository, n, last))
}

/// The URL of [`tags`].
pub(crate) fn tags_url(
    registry: &Registry,
    repository: &Repository,
    n: Option<u32>,
    last: Option<&str>,
) -> Url {
    list_url(registry, &format!("/v2/{repository}/tags/list"), n, last)
}

fn list_url(registry: &Registry, path: &str, n: Option<u32>, last: Option<&str>) -> Url {
    let n = n.map(|n| n.to_string());
    let mut q: Vec<(&str, &str)> = Vec::new();
    if let Some(n) = &n {
        q.push(("n", n));
    }
    if let Some(last) = last {
        q.push(("last", last));
    }
    url(registry, path, &q)
}

fn manifest_url(registry: &Registry, repository: &Repository, reference: &str) -> Url {
    url(
        registry,
        &format!("/v2/{repository}/manifests/{reference}"),
        &[],
    )
}

/// `GET /v2/<name>/manifests/<tag or digest>` with the full `Accept` list.
pub fn get_manifest(
    registry: &Registry,
    repository: &Repository,
    reference: &str,
) -> http::Request<RequestBody> {
    build(
        Method::GET,
        &manifest_url(registry, repository, reference),
        &[(ACCEPT, manifest_accept())],
        RequestBody::Empty,
    )
}

/// `HEAD /v2/<name>/manifests/<tag or digest>` with the full `Accept`
/// list: digest, type and size without the body (and, on Docker Hub,
/// without counting as a pull).
pub fn head_manifest(
    registry: &Registry,
    repository: &Repository,
    reference: &str,
) -> http::Request<RequestBody> {
    build(
        Method::HEAD,
        &manifest_url(registry, repository, reference),
        &[(ACCEPT, manifest_accept())],
        RequestBody::Empty,
    )
}

/// `PUT /v2/<name>/manifests/<tag or digest>` with its media type.
pub fn put_manifest(
    registry: &Registry,
    repository: &Repository,
    reference: &str,
    media_type: &str,
    body: Vec<u8>,
) -> http::Request<RequestBody> {
    build(
        Method::PUT,
        &manifest_url(registry, repository, reference),
        &[(CONTENT_TYPE, media_type.to_string())],
        RequestBody::Bytes(body),
    )
}

/// `DELETE /v2/<name>/manifests/<digest>` (registries refuse tags here).
pub fn delete_manifest(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
) -> http::Request<RequestBody> {
    build(
        Method::DELETE,
        &manifest_url(registry, repository, &digest.to_string()),
        &[],
        RequestBody::Empty,
    )
}

fn blob_url(registry: &Registry, repository: &Repository, digest: &Digest) -> Url {
    url(registry, &format!("/v2/{repository}/blobs/{digest}"), &[])
}

/// `GET /v2/<name>/blobs/<digest>`, from byte `offset` on when it is not 0.
pub fn get_blob(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
    offset: u64,
) -> http::Request<RequestBody> {
    let mut headers = Vec::new();
    if offset > 0 {
        headers.push((RANGE, format!("bytes={offset}-")));
    }
    build(
        Method::GET,
        &blob_url(registry, repository, digest),
        &headers,
        RequestBody::Empty,
    )
}

/// `HEAD /v2/<name>/blobs/<digest>`: does the registry have it?
pub fn head_blob(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
) -> http::Request<RequestBody> {
    build(
        Method::HEAD,
        &blob_url(registry, repository, digest),
        &[],
        RequestBody::Empty,
    )
}

/// `DELETE /v2/<name>/blobs/<digest>`.
pub fn delete_blob(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
) -> http::Request<RequestBody> {
    build(
        Method::DELETE,
        &blob_url(registry, repository, digest),
        &[],
        RequestBody::Empty,
    )
}

fn uploads_url(registry: &Registry, repository: &Repository, query: &[(&str, &str)]) -> Url {
    url(registry, &format!("/v2/{repository}/blobs/uploads/"), query)
}

/// `POST /v2/<name>/blobs/uploads/`: open an upload session.
pub fn start_upload(registry: &Registry, repository: &Repository) -> http::Request<RequestBody> {
    build(
        Method::POST,
        &uploads_url(registry, repository, &[]),
        &[],
        RequestBody::Empty,
    )
}

/// `POST /v2/<name>/blobs/uploads/?digest=<d>` with the whole blob: a
/// single-request upload. Registry 2.8.2 ignores the body (it answers 202
/// with a session), so callers must be ready to continue the upload.
pub fn post_monolithic(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
    size: u64,
) -> http::Request<RequestBody> {
    let d = digest.to_string();
    build(
        Method::POST,
        &uploads_url(registry, repository, &[("digest", &d)]),
        &[(CONTENT_TYPE, "application/octet-stream".to_string())],
        RequestBody::Blob {
            offset: 0,
            len: Some(size),
        },
    )
}

/// `POST /v2/<name>/blobs/uploads/?mount=<d>&from=<repo>`: mount a blob
/// from another repository of the same registry (201), or, when `from` is
/// `None`, let the registry find it in any repository (OCI 1.1).
pub fn mount_blob(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
    from: Option<&Repository>,
) -> http::Request<RequestBody> {
    let d = digest.to_string();
    let mut q = vec![("mount", d.as_str())];
    if let Some(from) = from {
        q.push(("from", from.as_str()));
    }
    build(
        Method::POST,
        &uploads_url(registry, repository, &q),
        &[],
        RequestBody::Empty,
    )
}

/// `PATCH <location>` with bytes `offset..offset+len` of the blob
/// (`Content-Range: <first>-<last>`); `len: None` streams the rest of the
/// source without a range (a "streamed" upload).
pub fn patch_upload(location: &Url, offset: u64, len: Option<u64>) -> http::Request<RequestBody> {
    let mut headers = vec![(CONTENT_TYPE, "application/octet-stream".to_string())];
    if let Some(len) = len.filter(|&l| l > 0) {
        headers.push((CONTENT_RANGE, format!("{}-{}", offset, offset + len - 1)));
    }
    build(
        Method::PATCH,
        location,
        &headers,
        RequestBody::Blob { offset, len },
    )
}

/// `GET <location>`: how much of an upload the registry has (its `Range`).
pub fn upload_status(location: &Url) -> http::Request<RequestBody> {
    get(location)
}

/// `DELETE <location>`: abandon an upload.
pub fn cancel_upload(location: &Url) -> http::Request<RequestBody> {
    build(Method::DELETE, location, &[], RequestBody::Empty)
}

/// `PUT <location>&digest=<d>`: finish an upload, with the remaining
/// bytes (`body`) or none.
pub fn finish_upload(
    location: &Url,
    digest: &Digest,
    body: RequestBody,
) -> http::Request<RequestBody> {
    let mut u = location.clone();
    u.query_pairs_mut()
        .append_pair("digest", &digest.to_string());
    let headers = match body {
        RequestBody::Empty => vec![],
        _ => vec![(CONTENT_TYPE, "application/octet-stream".to_string())],
    };
    build(Method::PUT, &u, &headers, body)
}

/// `GET /v2/<name>/referrers/<digest>[?artifactType=]` (OCI 1.1).
pub fn referrers(
    registry: &Registry,
    repository: &Repository,
    digest: &Digest,
    artifact_type: Option<&str>,
) -> http::Request<RequestBody> {
    let mut q = Vec::new();
    if let Some(t) = artifact_type {
        q.push(("artifactType", t));
    }
    build(
        Method::GET,
        &url(
            registry,
            &format!("/v2/{repository}/referrers/{digest}"),
            &q,
        ),
        &[(ACCEPT, media_type::OCI_INDEX.to_string())],
        RequestBody::Empty,
    )
}

/// The tag under which registries without the referrers API keep the
/// referrers index of `digest` (`sha256-<hex>`).
pub fn referrers_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.hex())
}

/// `GET <realm>?service=&scope=...`: a token, anonymous or with the Basic
/// credentials the exchange layer adds.
pub fn token_get(
    realm: &Url,
    service: Option<&str>,
    scopes: &Scopes,
    account: Option<&str>,
) -> http::Request<RequestBody> {
    let mut u = realm.clone();
    {
        let mut q = u.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        for scope in scopes.iter() {
            q.append_pair("scope", &scope.to_string());
        }
        if let Some(a) = account {
            q.append_pair("account", a);
        }
    }
    get(&u)
}

/// `POST <realm>` with an OAuth2 form exchanging a refresh (identity)
/// token for an access token.
pub fn token_refresh(
    realm: &Url,
    service: Option<&str>,
    scopes: &Scopes,
    refresh_token: &str,
) -> http::Request<RequestBody> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "refresh_token");
    if let Some(s) = service {
        form.append_pair("service", s);
    }
    form.append_pair("client_id", "ocireg");
    if !scopes.is_empty() {
        form.append_pair("scope", &scopes.to_string());
    }
    form.append_pair("refresh_token", refresh_token);
    build(
        Method::POST,
        realm,
        &[(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded".to_string(),
        )],
        RequestBody::Bytes(form.finish().into_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::scope::Scope;
    use crate::registry::Scheme;

    fn reg() -> Registry {
        Registry::new(Scheme::Http, "localhost:5000").unwrap()
    }

    #[test]
    fn list_urls_encode_last() {
        let r = catalog(&reg(), Some(2), Some("a/b c"));
        assert_eq!(
            r.uri(),
            "http://localhost:5000/v2/_catalog?n=2&last=a%2Fb+c"
        );
        let r = tags(&reg(), &"team/app".parse().unwrap(), None, None);
        assert_eq!(r.uri(), "http://localhost:5000/v2/team/app/tags/list");
    }

    #[test]
    fn blob_and_upload_requests() {
        let d = Digest::sha256(b"x");
        let r = get_blob(&reg(), &"a".parse().unwrap(), &d, 10);
        assert_eq!(r.headers()["range"], "bytes=10-");
        assert_eq!(
            get_blob(&reg(), &"a".parse().unwrap(), &d, 0)
                .headers()
                .get("range"),
            None
        );
        let m = mount_blob(
            &reg(),
            &"a".parse().unwrap(),
            &d,
            Some(&"b/c".parse().unwrap()),
        );
        assert_eq!(
            m.uri().query(),
            Some(format!("mount={}&from=b%2Fc", d.to_string().replace(':', "%3A")).as_str())
        );
        let loc = Url::parse("http://localhost:5000/v2/a/blobs/uploads/u?_state=s").unwrap();
        let p = patch_upload(&loc, 100, Some(50));
        assert_eq!(p.headers()["content-range"], "100-149");
        assert_eq!(
            p.body(),
            &RequestBody::Blob {
                offset: 100,
                len: Some(50)
            }
        );
        let f = finish_upload(&loc, &d, RequestBody::Empty);
        assert!(f
            .uri()
            .to_string()
            .starts_with("http://localhost:5000/v2/a/blobs/uploads/u?_state=s&digest=sha256%3A"));
        assert_eq!(referrers_tag(&d), format!("sha256-{}", d.hex()));
    }

    #[test]
    fn token_requests() {
        let realm = Url::parse("https://auth.example.com/token").unwrap();
        let scopes: Scopes = [Scope::pull("a"), Scope::push("b")].into_iter().collect();
        let g = token_get(&realm, Some("reg"), &scopes, Some("alice"));
        assert_eq!(
            g.uri(),
            "https://auth.example.com/token?service=reg&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush&account=alice"
        );
        let p = token_refresh(&realm, Some("reg"), &scopes, "rt");
        let RequestBody::Bytes(body) = p.body() else {
            panic!()
        };
        assert_eq!(
            String::from_utf8_lossy(body),
            "grant_type=refresh_token&service=reg&client_id=ocireg&scope=repository%3Aa%3Apull+repository%3Ab%3Apull%2Cpush&refresh_token=rt"
        );
    }
}
