use crate::Scratch;
use ocireg_testkit::{http, skopeo, skopeo_copy, write_oci_layout, Auth, ImageSpec, Registry};
use sha2::Digest as _;

fn digest_of(data: &[u8]) -> String {
    let hex: String = sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Pushes a generated image with skopeo, reads it back with `skopeo
/// inspect`, and checks the bytes are the layout's.
fn push_and_inspect(auth: Auth, name: &str) {
    let scratch = Scratch::new(name);
    let registry = Registry::start(auth).unwrap();
    let image = write_oci_layout(&scratch.0.join("layout"), &ImageSpec::new(1)).unwrap();
    let dest = format!("docker://{}/demo/{name}:v1", registry.host());
    let mut creds = vec![];
    let joined = registry.creds();
    if let Some(c) = &joined {
        creds = vec!["--dest-creds", c.as_str()];
    }
    skopeo_copy(&image.oci_ref(), &dest, &creds).unwrap();

    let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
    if let Some(c) = &joined {
        args.extend(["--creds", c.as_str()]);
    }
    args.push(&dest);
    let raw = skopeo(&args).unwrap();
    assert_eq!(digest_of(raw.as_bytes()), image.root.digest);

    let mut args = vec!["inspect", "--tls-verify=false"];
    if let Some(c) = &joined {
        args.extend(["--creds", c.as_str()]);
    }
    args.push(&dest);
    let info: serde_json::Value = serde_json::from_str(&skopeo(&args).unwrap()).unwrap();
    assert_eq!(info["Architecture"], "amd64");
    assert_eq!(info["Layers"].as_array().unwrap().len(), 2);
}

#[test]
fn skopeo_pushes_to_an_open_registry() {
    push_and_inspect(Auth::None, "open");
}

#[test]
fn skopeo_pushes_with_basic_auth() {
    push_and_inspect(Auth::htpasswd("pusher", "pw"), "basic");
}

#[test]
fn skopeo_pushes_with_token_auth() {
    push_and_inspect(Auth::token(), "token");
}

#[test]
fn multi_platform_index_and_docker_schema2() {
    let scratch = Scratch::new("multi");
    let registry = Registry::start(Auth::None).unwrap();
    let image = write_oci_layout(&scratch.0.join("layout"), &ImageSpec::multi_platform(9)).unwrap();
    let dest = format!("docker://{}/demo/multi:v1", registry.host());
    skopeo_copy(&image.oci_ref(), &dest, &["--all"]).unwrap();
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &dest]).unwrap();
    assert_eq!(digest_of(raw.as_bytes()), image.root.digest);

    // Every layer is served byte for byte.
    for manifest in &image.manifests {
        for layer in &manifest.layers {
            let url = format!("{}/v2/demo/multi/blobs/{}", registry.url(), layer.digest);
            let r = http::get(&url).unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(r.body, image.read_blob(&layer.digest).unwrap());
        }
    }

    let v2s2 = format!("docker://{}/demo/v2s2:v1", registry.host());
    let single = write_oci_layout(&scratch.0.join("single"), &ImageSpec::new(3)).unwrap();
    skopeo_copy(&single.oci_ref(), &v2s2, &["--format", "v2s2"]).unwrap();
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &v2s2]).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
}

#[test]
fn skopeo_errors_carry_stderr() {
    let err = skopeo_copy("oci:/nonexistent/layout:x", "dir:/tmp/never", &[]).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("skopeo copy"), "{message}");
    assert!(message.len() > 40, "no stderr in: {message}");
}
