use crate::Scratch;
use ocireg_testkit::{http, skopeo_copy, write_oci_layout, Auth, FaultProxy, ImageSpec, Registry};

#[test]
fn cut_blob_download_then_resume_with_range() {
    let scratch = Scratch::new("fault");
    let registry = Registry::start(Auth::None).unwrap();
    let spec = ImageSpec::new(5).layers(1, 300_000);
    let image = write_oci_layout(&scratch.0.join("layout"), &spec).unwrap();
    let dest = format!("docker://{}/demo/big:v1", registry.host());
    skopeo_copy(&image.oci_ref(), &dest, &[]).unwrap();
    let layer = &image.manifests[0].layers[0];
    let blob = image.read_blob(&layer.digest).unwrap();

    let proxy = FaultProxy::start(&registry.url()).unwrap();
    proxy.cut_after(&layer.digest, 100_000, 1);
    let url = format!("{}/v2/demo/big/blobs/{}", proxy.url(), layer.digest);

    // The first download breaks after 100 000 body bytes.
    let first = http::get(&url).unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("Content-Length"),
        Some(blob.len().to_string().as_str())
    );
    assert_eq!(first.body.len(), 100_000);
    assert_eq!(first.body[..], blob[..100_000]);

    // The resumed request is not cut (the rule was for one time).
    let range = format!("bytes={}-", first.body.len());
    let rest = http::request("GET", &url, &[("Range", &range)], b"").unwrap();
    assert_eq!(rest.status, 206);
    assert_eq!([first.body, rest.body].concat(), blob);

    let seen = proxy.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].cut && !seen[1].cut);
    assert_eq!(seen[1].header("Range"), Some(range.as_str()));
}

#[test]
fn host_header_reaches_the_registry_unchanged() {
    let registry = Registry::start(Auth::None).unwrap();
    let proxy = FaultProxy::start(&registry.host()).unwrap();
    let url = format!("{}/v2/demo/up/blobs/uploads/", proxy.url());
    let r = http::request("POST", &url, &[], b"").unwrap();
    assert_eq!(r.status, 202);
    let location = r.header("Location").unwrap();
    assert!(
        location.starts_with(&format!("{}/v2/demo/up/blobs/uploads/", proxy.url())),
        "{location}"
    );
    // Rules that do not match leave responses alone.
    proxy.cut_after("/nothing-like-this", 0, 5);
    let ping = http::get(&format!("{}/v2/", proxy.url())).unwrap();
    assert_eq!(ping.status, 200);
    assert_eq!(ping.text(), "{}");
}

#[test]
fn cut_at_zero_bytes_sends_only_the_head() {
    let registry = Registry::start(Auth::None).unwrap();
    let proxy = FaultProxy::start(&registry.url()).unwrap();
    proxy.cut_after("/v2/", 0, 2);
    for _ in 0..2 {
        let r = http::get(&format!("{}/v2/", proxy.url())).unwrap();
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
    }
    let r = http::get(&format!("{}/v2/", proxy.url())).unwrap();
    assert_eq!(r.text(), "{}");
}
