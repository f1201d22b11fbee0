//! Manifest samples shaped like what Docker Hub, ghcr.io, `registry` 2.8
//! and skopeo serve, written by hand.

use super::*;
use crate::platform::Platform;

/// A BuildKit multi-platform OCI index as Docker Hub serves it, with an
/// attestation manifest per platform.
const OCI_INDEX_WITH_ATTESTATIONS: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9",
      "size": 1022,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
      "size": 1022,
      "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35",
      "size": 839,
      "annotations": {
        "vnd.docker.reference.digest": "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce",
      "size": 839,
      "annotations": {
        "vnd.docker.reference.digest": "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    }
  ],
  "annotations": {"org.opencontainers.image.created": "2024-05-01T10:00:00Z"}
}"#;

/// A Docker manifest list as `docker manifest push` writes it (three-space
/// indent), with the legacy `features` field and a Windows entry.
const DOCKER_LIST: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
         "platform": {"architecture": "amd64", "os": "linux"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d",
         "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 1164,
         "digest": "sha256:e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683",
         "platform": {
            "architecture": "amd64",
            "os": "windows",
            "os.version": "10.0.17763.5329",
            "features": ["sse4"]
         }
      }
   ]
}"#;

/// A Docker schema 2 manifest as `docker push` writes it, with a foreign
/// Windows base layer.
const DOCKER_V2: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1469,
      "digest": "sha256:7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da49081b2451"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 1654613376,
         "digest": "sha256:2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3",
         "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3"]
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2818413,
         "digest": "sha256:19581e27de7ced00ff1ce50b2047e7a567c76b1cbaebabe5ef03f7c3017bb5b7"
      }
   ]
}"#;

/// A signed schema 1 manifest as `registry` 2.x serves it.
const SCHEMA1_SIGNED: &str = r##"{
   "schemaVersion": 1,
   "name": "library/hello-world",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"},
      {"blobSum": "sha256:4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5"}
   ],
   "history": [
      {"v1Compatibility": "{\"id\":\"e45a5af57b00862e5ef5782a9925979a02ba2b12dff832fd0991335f4a11e5c5\",\"parent\":\"31cbccb51277105ba3ae35ce33c22b69c9e3f1002e76e4c736a2e8ebff9d7b5d\",\"created\":\"2014-12-31T22:23:56.943403668Z\",\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) CMD [/hello]\"]},\"throwaway\":true}"},
      {"v1Compatibility": "{\"id\":\"31cbccb51277105ba3ae35ce33c22b69c9e3f1002e76e4c736a2e8ebff9d7b5d\",\"created\":\"2014-12-31T22:23:56.190797792Z\",\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) COPY file:4abd3bff60458ca3b079d7b131ce26b2719055a030dfa96ff827da2b7c7038a7 in /\"]}}"}
   ],
   "signatures": [
      {
         "header": {
            "jwk": {
               "crv": "P-256",
               "kid": "OD6I:6DRK:JXEJ:KBM4:255X:NSAA:MUSF:E4VM:ZI6W:CUN2:L4Z6:LSF4",
               "kty": "EC",
               "x": "3gAwX48IQ5oaYQAYSxor6rYYc_6yjuLCjtQ9LUakg4A",
               "y": "t72ge6kIA1XOjqjVoEOiPPAURltJFBMGDSQvEGVB010"
            },
            "alg": "ES256"
         },
         "signature": "XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_IqnKkEKlbD83tD46LKEGi5aIVFg",
         "protected": "eyJmb3JtYXRMZW5ndGgiOjY2MjgsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAxNS0wNC0wOFQxODo1Mjo1OVoifQ"
      }
   ]
}"##;

/// An SBOM artifact as `oras attach` pushes it to ghcr.io: empty config,
/// `artifactType`, `subject`.
const ARTIFACT: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},"layers":[{"mediaType":"application/spdx+json","digest":"sha256:6b51d431df5d7f141cbececcf79edf3dd861c3b4069f0b11661a3eefacbba918","size":9876,"annotations":{"org.opencontainers.image.title":"sbom.spdx.json"}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9","size":1022},"annotations":{"org.opencontainers.image.created":"2024-05-01T10:00:00Z"}}"#;

/// An OCI image manifest as skopeo copies it: no `mediaType` in the body.
const OCI_MANIFEST_NO_MEDIA_TYPE: &str = r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:3fdba35f04dc8c462986c992bcf875546257113072a909c162f7e470e581e278","size":585},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3","size":3623807},{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:19581e27de7ced00ff1ce50b2047e7a567c76b1cbaebabe5ef03f7c3017bb5b7","size":1290}]}"#;

const ALL_SAMPLES: [&str; 6] = [
    OCI_INDEX_WITH_ATTESTATIONS,
    DOCKER_LIST,
    DOCKER_V2,
    SCHEMA1_SIGNED,
    ARTIFACT,
    OCI_MANIFEST_NO_MEDIA_TYPE,
];

fn raw(body: &str, content_type: Option<&str>) -> RawManifest {
    RawManifest::from_bytes(body.as_bytes(), content_type).unwrap()
}

fn parse_err(body: &str, content_type: Option<&str>) -> ManifestError {
    Manifest::parse(body.as_bytes(), content_type).unwrap_err()
}

#[test]
fn reads_a_multi_platform_index_with_attestations() {
    let raw = raw(OCI_INDEX_WITH_ATTESTATIONS, Some(media_type::OCI_INDEX));
    assert_eq!(raw.manifest().kind(), ManifestKind::Index);
    let index = raw.manifest().as_index().unwrap();
    assert_eq!(index.manifests().len(), 4);
    let attestation = &index.manifests()[2];
    assert_eq!(
        attestation.annotation("vnd.docker.reference.type"),
        Some("attestation-manifest")
    );
    assert_eq!(
        attestation.annotation("vnd.docker.reference.digest"),
        Some(index.manifests()[0].digest.to_string().as_str())
    );
    let pick = |s: &str| index.platform_position(&s.parse::<Platform>().unwrap());
    assert_eq!(pick("linux/amd64"), Some(0));
    assert_eq!(pick("linux/arm64"), Some(1));
    assert_eq!(pick("linux/aarch64"), Some(1));
    assert_eq!(pick("linux/arm/v7"), None);
    assert_eq!(pick("unknown/unknown"), Some(2));
    let arm = index
        .select_platform(&"linux/arm64/v8".parse().unwrap())
        .unwrap();
    assert_eq!(arm.size, 1022);
}

#[test]
fn reads_a_docker_manifest_list() {
    let raw = raw(DOCKER_LIST, None);
    assert_eq!(raw.manifest().kind(), ManifestKind::DockerList);
    assert_eq!(raw.media_type(), media_type::DOCKER_MANIFEST_LIST);
    let list = raw.manifest().as_index().unwrap();
    let windows = list.manifests()[2].platform.as_ref().unwrap();
    assert_eq!(windows.os_version.as_deref(), Some("10.0.17763.5329"));
    assert_eq!(windows.features, ["sse4"]);
    let wanted = Platform {
        os_version: Some("10.0.17763.5329".to_string()),
        ..Platform::new("windows", "amd64")
    };
    assert_eq!(list.platform_position(&wanted), Some(2));
    assert_eq!(
        list.platform_position(&"linux/arm/v7".parse().unwrap()),
        Some(1)
    );
}

#[test]
fn reads_a_docker_v2_manifest() {
    let raw = raw(
        DOCKER_V2,
        Some("application/vnd.docker.distribution.manifest.v2+json"),
    );
    let Manifest::DockerV2(m) = raw.manifest() else {
        panic!("{:?}", raw.manifest().kind());
    };
    assert_eq!(m.config().media_type, media_type::DOCKER_CONFIG);
    assert_eq!(m.layers().len(), 2);
    assert!(media_type::is_foreign_layer(&m.layers()[0].media_type));
    assert_eq!(m.layers()[0].urls.len(), 1);
    assert_eq!(m.total_size(), 1469 + 1654613376 + 2818413);
    assert_eq!(raw.manifest().config(), Some(m.config()));
    assert_eq!(raw.manifest().layer_digests()[1], m.layers()[1].digest);
}

/// oci-spec 0.10 reads a Docker schema 2 manifest as an OCI image
/// manifest whose media type is `Other(...)`; nothing says it is Docker's.
#[test]
fn oci_spec_gap_docker_v2_reads_as_oci_manifest() {
    let theirs: oci_spec::image::ImageManifest = serde_json::from_str(DOCKER_V2).unwrap();
    assert_eq!(
        theirs.media_type(),
        &Some(oci_spec::image::MediaType::Other(
            media_type::DOCKER_MANIFEST.to_string()
        ))
    );
    let ours = Manifest::parse(DOCKER_V2.as_bytes(), None).unwrap();
    assert_eq!(ours.kind(), ManifestKind::DockerV2);
    assert!(ours.as_image().is_some());
}

/// oci-spec 0.10 does not check `schemaVersion`.
#[test]
fn oci_spec_gap_schema_version_is_not_checked() {
    let v3 = OCI_MANIFEST_NO_MEDIA_TYPE.replace(r#""schemaVersion":2"#, r#""schemaVersion":3"#);
    assert!(serde_json::from_str::<oci_spec::image::ImageManifest>(&v3).is_ok());
    assert!(serde_json::from_str::<ImageManifest>(&v3).is_err());
    assert!(matches!(
        Manifest::parse(v3.as_bytes(), None),
        Err(ManifestError::SchemaVersion { expected: 2, .. })
    ));
}

#[test]
fn reads_a_signed_schema1_manifest_in_pull_order() {
    let raw = raw(SCHEMA1_SIGNED, Some(media_type::DOCKER_SCHEMA1_SIGNED));
    assert_eq!(raw.media_type(), media_type::DOCKER_SCHEMA1_SIGNED);
    let m = raw.manifest().as_schema1().unwrap();
    assert_eq!(m.name, "library/hello-world");
    assert_eq!(m.tag, "latest");
    assert!(m.is_signed());
    assert_eq!(m.history.len(), 2);
    let layers: Vec<String> = raw
        .manifest()
        .layer_digests()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        layers,
        [
            "sha256:4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5",
            "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
        ]
    );
    assert_eq!(raw.manifest().config(), None);
    assert_eq!(raw.manifest().encode(), Err(ManifestError::Schema1ReadOnly));
}

#[test]
fn schema1_is_sniffed_and_keeps_the_unsigned_type_from_the_header() {
    assert_eq!(
        raw(SCHEMA1_SIGNED, None).media_type(),
        media_type::DOCKER_SCHEMA1_SIGNED
    );
    assert_eq!(
        raw(SCHEMA1_SIGNED, Some(media_type::DOCKER_SCHEMA1)).media_type(),
        media_type::DOCKER_SCHEMA1
    );
    let unsigned =
        r#"{"schemaVersion":1,"name":"a","tag":"b","architecture":"amd64","fsLayers":null}"#;
    let raw = raw(unsigned, None);
    assert_eq!(raw.media_type(), media_type::DOCKER_SCHEMA1);
    assert!(raw.manifest().layer_digests().is_empty());
    assert!(matches!(
        parse_err(
            r#"{"schemaVersion":2,"fsLayers":[]}"#,
            Some(media_type::DOCKER_SCHEMA1)
        ),
        ManifestError::SchemaVersion {
            kind: ManifestKind::Schema1,
            expected: 1,
            ..
        }
    ));
}

#[test]
fn reads_an_artifact_with_subject() {
    let raw = raw(ARTIFACT, Some(media_type::OCI_MANIFEST));
    let m = raw.manifest();
    assert_eq!(m.artifact_type(), Some("application/spdx+json"));
    assert_eq!(m.subject().map(|s| s.size), Some(1022));
    let image = m.as_image().unwrap();
    assert_eq!(image.config().media_type, media_type::OCI_EMPTY);
    assert_eq!(image.config().data.as_deref(), Some("e30="));
    assert_eq!(
        image.annotation("org.opencontainers.image.created"),
        Some("2024-05-01T10:00:00Z")
    );
    assert_eq!(image.layers()[0].media_type, "application/spdx+json");
}

#[test]
fn kind_comes_from_header_then_media_type_then_shape() {
    let kind = |body: &str, ct: Option<&str>| Manifest::parse(body.as_bytes(), ct).unwrap().kind();
    let body = OCI_MANIFEST_NO_MEDIA_TYPE;
    assert_eq!(kind(body, None), ManifestKind::Image);
    assert_eq!(
        kind(body, Some(media_type::DOCKER_MANIFEST)),
        ManifestKind::DockerV2
    );
    assert_eq!(
        kind(
            body,
            Some("Application/VND.Docker.Distribution.Manifest.V2+JSON; charset=utf-8")
        ),
        ManifestKind::DockerV2
    );
    assert_eq!(kind(body, Some("application/json")), ManifestKind::Image);
    assert_eq!(
        kind(body, Some("text/plain; charset=utf-8")),
        ManifestKind::Image
    );
    assert_eq!(
        kind(DOCKER_LIST, Some("application/octet-stream")),
        ManifestKind::DockerList
    );
    let no_type = OCI_INDEX_WITH_ATTESTATIONS.replace(
        r#""mediaType": "application/vnd.oci.image.index.v1+json","#,
        "",
    );
    assert_eq!(kind(&no_type, None), ManifestKind::Index);
    assert_eq!(
        kind(r#"{"schemaVersion":2,"manifests":[]}"#, None),
        ManifestKind::Index
    );
}

#[test]
fn header_and_media_type_must_agree() {
    assert_eq!(
        parse_err(DOCKER_V2, Some(media_type::OCI_MANIFEST)),
        ManifestError::MediaTypeMismatch {
            declared: media_type::OCI_MANIFEST.to_string(),
            found: media_type::DOCKER_MANIFEST.to_string(),
        }
    );
    assert_eq!(
        parse_err(DOCKER_V2, Some(media_type::OCI_MANIFEST)).to_string(),
        "manifest media type mismatch: application/vnd.oci.image.manifest.v1+json declared, \
         application/vnd.docker.distribution.manifest.v2+json in the document"
    );
    // An index served as a manifest fails as a manifest.
    assert!(matches!(
        parse_err(
            r#"{"schemaVersion":2,"manifests":[]}"#,
            Some(media_type::OCI_MANIFEST)
        ),
        ManifestError::Invalid {
            kind: ManifestKind::Image,
            ..
        }
    ));
}

#[test]
fn raw_bytes_and_digest_are_kept_exactly() {
    let odd = format!(
        "\n\t {}  \r\n",
        OCI_MANIFEST_NO_MEDIA_TYPE.replace(",", " ,\n  ")
    );
    let raw = raw(&odd, Some(media_type::OCI_MANIFEST));
    assert_eq!(raw.bytes(), odd.as_bytes());
    assert_eq!(raw.digest(), Digest::sha256(odd.as_bytes()));
    assert_ne!(
        raw.digest(),
        Digest::sha256(OCI_MANIFEST_NO_MEDIA_TYPE.as_bytes())
    );
    assert!(raw.verify(Digest::sha256(odd.as_bytes())).is_ok());
    let sha512 = Digest::compute(Algorithm::Sha512, odd.as_bytes());
    assert!(raw.verify(sha512).is_ok());
    assert!(matches!(
        raw.verify(Digest::sha256(b"other")),
        Err(VerifyError::DigestMismatch { .. })
    ));
    let descriptor = raw.descriptor();
    assert_eq!(descriptor.size, odd.len() as u64);
    assert_eq!(descriptor.digest, raw.digest());
    assert_eq!(descriptor.media_type, media_type::OCI_MANIFEST);
    assert_eq!(raw.clone().into_bytes(), odd.as_bytes());
    let debug = format!("{raw:?}");
    assert!(
        debug.starts_with(
            "RawManifest { media_type: \"application/vnd.oci.image.manifest.v1+json\""
        ),
        "{debug}"
    );
}

#[test]
fn decode_encode_decode_is_stable() {
    for (body, ct) in [
        (OCI_INDEX_WITH_ATTESTATIONS, None),
        (DOCKER_LIST, None),
        (DOCKER_V2, None),
        (ARTIFACT, None),
        (
            OCI_MANIFEST_NO_MEDIA_TYPE,
            Some(media_type::DOCKER_MANIFEST),
        ),
        (OCI_MANIFEST_NO_MEDIA_TYPE, None),
    ] {
        let first = raw(body, ct);
        let encoded = first.manifest().to_raw().unwrap();
        assert_eq!(encoded.media_type(), first.media_type());
        let again = raw(
            std::str::from_utf8(encoded.bytes()).unwrap(),
            Some(encoded.media_type()),
        );
        assert_eq!(again.manifest(), first.manifest(), "{body}");
        assert_eq!(again.digest(), encoded.digest());
        // Encoding is deterministic.
        assert_eq!(again.manifest().encode().unwrap(), encoded.bytes());
    }
    // A compact document already in canonical order encodes to itself.
    assert_eq!(
        raw(ARTIFACT, None).manifest().encode().unwrap(),
        ARTIFACT.as_bytes()
    );
}

#[test]
fn encoding_checks_schema_version_and_media_type() {
    let config = Descriptor::for_bytes(media_type::OCI_EMPTY, b"{}");
    let mut image = ImageManifest::new(media_type::OCI_MANIFEST, config, Vec::new());
    assert!(Manifest::Image(image.clone()).encode().is_ok());
    assert!(matches!(
        Manifest::DockerV2(image.clone()).encode(),
        Err(ManifestError::MediaTypeMismatch { .. })
    ));
    image.media_type = None;
    let raw = Manifest::DockerV2(image.clone()).to_raw().unwrap();
    assert_eq!(raw.media_type(), media_type::DOCKER_MANIFEST);
    image.schema_version = 1;
    assert_eq!(
        Manifest::Image(image).encode().unwrap_err().to_string(),
        "OCI image manifest must have schemaVersion 2, found 1"
    );
    let index = ImageIndex::new(media_type::OCI_INDEX, vec![raw.descriptor()]);
    let raw = RawManifest::encode(&Manifest::Index(index)).unwrap();
    assert_eq!(
        raw.manifest().as_index().unwrap().manifests()[0].media_type,
        media_type::DOCKER_MANIFEST
    );
}

#[test]
fn bad_input_gives_typed_errors() {
    use ManifestError::*;
    assert!(matches!(parse_err("404 page not found", None), Syntax(_)));
    assert!(matches!(parse_err("", None), Syntax(_)));
    assert!(matches!(parse_err("[]", None), Syntax(_)));
    assert!(matches!(parse_err("\"manifest\"", None), Syntax(_)));
    assert!(matches!(
        parse_err("{\"schemaVersion\":2,", None),
        Syntax(_)
    ));
    assert!(matches!(
        parse_err(&format!("{DOCKER_V2} {{}}"), None),
        Syntax(_)
    ));
    assert!(matches!(
        parse_err(
            r#"{"schemaVersion":2,"schemaVersion":2,"manifests":[]}"#,
            None
        ),
        Syntax(_)
    ));
    assert_eq!(parse_err(r#"{"schemaVersion":2}"#, None), UnknownKind);
    assert_eq!(
        parse_err(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#,
            None
        ),
        UnsupportedMediaType("application/vnd.oci.artifact.manifest.v1+json".to_string())
    );
    assert_eq!(
        parse_err(r#"{"schemaVersion":2,"mediaType":7,"manifests":[]}"#, None),
        UnsupportedMediaType("7".to_string())
    );
    let wrong_version = |v: &str| {
        let body = format!(r#"{{"schemaVersion":{v},"manifests":[]}}"#);
        match parse_err(&body, None) {
            SchemaVersion { found, .. } => found,
            e => panic!("{e:?}"),
        }
    };
    assert_eq!(wrong_version("3"), "3");
    assert_eq!(wrong_version("\"2\""), "\"2\"");
    assert_eq!(wrong_version("-2"), "-2");
    assert_eq!(wrong_version("null"), "missing");
    assert_eq!(
        parse_err(r#"{"manifests":[]}"#, None).to_string(),
        "OCI image index must have schemaVersion 2, found missing"
    );
    let negative = DOCKER_V2.replace("\"size\": 2818413", "\"size\": -2818413");
    let e = parse_err(&negative, None);
    assert!(
        matches!(
            e,
            Invalid {
                kind: ManifestKind::DockerV2,
                ..
            }
        ),
        "{e:?}"
    );
    let bad_digest = DOCKER_V2.replace("sha256:19581e27", "sha256:XX581e27");
    let e = parse_err(&bad_digest, None);
    assert!(
        e.to_string()
            .starts_with("invalid Docker schema 2 manifest: invalid checksum digest format"),
        "{e}"
    );
    let no_config = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;
    assert!(matches!(
        parse_err(no_config, None),
        Invalid {
            kind: ManifestKind::Image,
            ..
        }
    ));
}

/// Every prefix of every sample, and every sample with one byte flipped,
/// gives a value or an error: never a panic.
#[test]
fn truncated_and_mangled_samples_never_panic() {
    for sample in ALL_SAMPLES {
        let bytes = sample.as_bytes();
        for end in 0..bytes.len() {
            let _ = RawManifest::from_bytes(&bytes[..end], None);
        }
        for i in (0..bytes.len()).step_by(7) {
            let mut mangled = bytes.to_vec();
            mangled[i] ^= 0x20;
            let _ = RawManifest::from_bytes(mangled, Some(media_type::OCI_INDEX));
        }
    }
    let deep = "[".repeat(10_000);
    assert!(matches!(
        Manifest::parse(format!("{{\"manifests\":{deep}").as_bytes(), None),
        Err(ManifestError::Syntax(_))
    ));
}
