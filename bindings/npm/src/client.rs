//! `RegistryClient`: the JavaScript face of [`ocireg_wasm::Client`].
//! Every method returns a promise of plain objects; errors are
//! `OciregError`s (see `errors.rs`).

use std::cell::Cell;

use js_sys::{Function, Promise, Uint8Array};
use ocireg_core::manifest::RawManifest;
use ocireg_core::Repository;
use ocireg_wasm::{
    BlobSource, Client, Credentials, Digest, Error, Items, JsChunks, Listing, Platform,
    PushOptions, PushOutcome, Resolved,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::{bytes, to_js, Options};
use crate::errors::{self, invalid};
use crate::list::iterator;
use crate::task::{check_poisoned, spawn};

/// A client for one registry (see the package README).
#[wasm_bindgen]
pub struct RegistryClient {
    inner: Client,
    url: String,
}

fn js(e: Error) -> JsValue {
    errors::to_js(&e)
}

/// A repository path, checked against the reference grammar before any
/// request is built from it (`a/../b`, `x?y` and `App` are refused).
fn repo(s: &str) -> Result<Repository, JsValue> {
    s.parse::<Repository>()
        .map_err(|e| invalid(format!("repository {s:?}: {e}")))
}

fn digest(s: &str) -> Result<Digest, JsValue> {
    Digest::parse(s).map_err(|e| invalid(format!("digest {s:?}: {e}")))
}

/// The image manifest of `reference` for `platform` (`"os/arch[/variant]"`,
/// default the core's `Platform::default_choice()`, `linux/amd64` in
/// wasm), through the index if there is one.
async fn resolve(
    c: &Client,
    repository: &Repository,
    reference: &str,
    platform: Option<String>,
) -> Result<Resolved, JsValue> {
    let wanted = match platform {
        None => Platform::default_choice(),
        Some(s) => s
            .parse::<Platform>()
            .map_err(|e| invalid(format!("platform {s:?}: {e}")))?,
    };
    c.resolve(repository, reference, &wanted).await.map_err(js)
}

fn outcome_name(o: PushOutcome) -> &'static str {
    match o {
        PushOutcome::Exists => "exists",
        PushOutcome::Mounted => "mounted",
        PushOutcome::NotMounted => "notMounted",
        _ => "uploaded",
    }
}

/// A manifest as JavaScript gets it.
fn manifest_js(raw: &RawManifest) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ManifestJs<'a> {
        digest: String,
        media_type: &'a str,
        size: usize,
        text: String,
    }
    let text = String::from_utf8_lossy(raw.bytes()).into_owned();
    let out = to_js(&ManifestJs {
        digest: raw.digest().to_string(),
        media_type: raw.media_type(),
        size: raw.bytes().len(),
        text: text.clone(),
    })?;
    js_sys::Reflect::set(&out, &"manifest".into(), &js_sys::JSON::parse(&text)?)?;
    Ok(out)
}

/// A progress callback `(done, total)` fed with byte counts.
fn progress(f: Option<Function>, total: Option<f64>) -> Option<impl Fn(u64)> {
    let f = f?;
    let done = Cell::new(0u64);
    let total = total.map_or(JsValue::UNDEFINED, JsValue::from);
    Some(move |n: u64| {
        done.set(done.get().saturating_add(n));
        // A throwing callback must not break the transfer.
        let _ = f.call2(&JsValue::UNDEFINED, &(done.get() as f64).into(), &total);
    })
}

#[wasm_bindgen(js_class = RegistryClient)]
impl RegistryClient {
    /// `new RegistryClient({ url, username?, password?, token? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<RegistryClient, JsValue> {
        check_poisoned()?;
        let o = Options::new(&options, "options")?;
        let url = o
            .string("url")?
            .ok_or_else(|| invalid("options.url is required"))?;
        let credentials = match (
            o.string("username")?,
            o.string("password")?,
            o.string("token")?,
        ) {
            (_, _, Some(token)) => Credentials::bearer(token),
            (Some(user), Some(password), None) => Credentials::basic(user, password),
            (None, None, None) => Credentials::Anonymous,
            _ => return Err(invalid("options.username and options.password go together")),
        };
        let mut builder = Client::builder(url.clone()).credentials(credentials);
        if let Some(n) = o.number("chunkSize")? {
            builder = builder.chunk_size(n as u64);
        }
        if let Some(n) = o.number("maxConcurrency")? {
            builder = builder.max_parallel(n as usize);
        }
        if let Some(ms) = o.number("stallTimeoutMs")? {
            builder = builder.stall_timeout(std::time::Duration::from_millis(ms as u64));
        }
        let inner = builder.build().map_err(js)?;
        Ok(RegistryClient { inner, url })
    }

    /// The registry URL the client was made with.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `ping(): Promise<PingResult>`.
    #[wasm_bindgen(unchecked_return_type = "Promise<PingResult>")]
    pub fn ping(&self) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let info = c.ping().await.map_err(js)?;
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct PingJs {
                api_version_ok: bool,
            }
            to_js(&PingJs {
                api_version_ok: info.api_version_ok,
            })
        })
    }

    /// `repositories(options?): AsyncIterableIterator<string>`.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<string>")]
    pub fn repositories(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        check_poisoned()?;
        let n = page_size(&options.unwrap_or(JsValue::UNDEFINED))?;
        Ok(iterator(self.inner.clone(), Listing::Catalog, n))
    }

    /// `tags(repository, options?): AsyncIterableIterator<string>`.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<string>")]
    pub fn tags(
        &self,
        repository: String,
        #[wasm_bindgen(unchecked_optional_param_type = "ListOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        check_poisoned()?;
        let n = page_size(&options.unwrap_or(JsValue::UNDEFINED))?;
        Ok(iterator(
            self.inner.clone(),
            Listing::tags(repo(&repository)?),
            n,
        ))
    }

    /// `listRepositories(): Promise<string[]>`.
    #[wasm_bindgen(js_name = listRepositories, unchecked_return_type = "Promise<string[]>")]
    pub fn list_repositories(&self) -> Promise {
        let c = self.inner.clone();
        spawn(async move { to_js(&c.catalog().await.map_err(js)?) })
    }

    /// `listTags(repository): Promise<string[]>`.
    #[wasm_bindgen(js_name = listTags, unchecked_return_type = "Promise<string[]>")]
    pub fn list_tags(&self, repository: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move { to_js(&c.tags(&repo(&repository)?).await.map_err(js)?) })
    }

    /// `catalogPage(options?): Promise<Page>`.
    #[wasm_bindgen(js_name = catalogPage, unchecked_return_type = "Promise<Page>")]
    pub fn catalog_page(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "PageOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.page(None, options.unwrap_or(JsValue::UNDEFINED))
    }

    /// `tagsPage(repository, options?): Promise<Page>`.
    #[wasm_bindgen(js_name = tagsPage, unchecked_return_type = "Promise<Page>")]
    pub fn tags_page(
        &self,
        repository: String,
        #[wasm_bindgen(unchecked_optional_param_type = "PageOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.page(Some(repository), options.unwrap_or(JsValue::UNDEFINED))
    }

    fn page(&self, repository: Option<String>, options: JsValue) -> Promise {
        let c = self.inner.clone();
        let parsed = (|| {
            let o = Options::new(&options, "options")?;
            let next = o
                .string("next")?
                .map(|s| c.registry().base_url().join(&s))
                .transpose()
                .map_err(|e| invalid(format!("options.next: {e}")))?;
            Ok::<_, JsValue>((page_size(&options)?, next))
        })();
        spawn(async move {
            let (n, next) = parsed?;
            let page = match &repository {
                None => c.catalog_page(n, next.as_ref()).await,
                Some(r) => c.tags_page(&repo(r)?, n, next.as_ref()).await,
            }
            .map_err(js)?;
            #[derive(Serialize)]
            struct PageJs {
                items: Items,
                next: Option<String>,
            }
            to_js(&PageJs {
                items: page.items,
                next: page.next.map(|u| u.to_string()),
            })
        })
    }

    /// `getManifest(repository, reference): Promise<Manifest>`.
    #[wasm_bindgen(js_name = getManifest, unchecked_return_type = "Promise<Manifest>")]
    pub fn get_manifest(&self, repository: String, reference: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let fetched = c
                .get_manifest(&repo(&repository)?, &reference)
                .await
                .map_err(js)?;
            manifest_js(&fetched.manifest)
        })
    }

    /// `headManifest(repository, reference): Promise<ManifestHead>`.
    #[wasm_bindgen(js_name = headManifest, unchecked_return_type = "Promise<ManifestHead>")]
    pub fn head_manifest(&self, repository: String, reference: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let head = c
                .head_manifest(&repo(&repository)?, &reference)
                .await
                .map_err(js)?;
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct HeadJs {
                digest: String,
                media_type: Option<String>,
                size: Option<u64>,
            }
            to_js(&HeadJs {
                digest: head.digest.to_string(),
                media_type: head.media_type,
                size: head.size,
            })
        })
    }

    /// `resolve(repository, reference, platform?): Promise<ResolvedManifest>`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ResolvedManifest>")]
    pub fn resolve(
        &self,
        repository: String,
        reference: String,
        platform: Option<String>,
    ) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let resolved = self::resolve(&c, &repo(&repository)?, &reference, platform).await?;
            let out = manifest_js(&resolved.manifest)?;
            if let Some(index) = &resolved.index {
                js_sys::Reflect::set(
                    &out,
                    &"indexDigest".into(),
                    &index.digest().to_string().into(),
                )?;
            }
            if let Some(p) = resolved
                .descriptor
                .as_ref()
                .and_then(|d| d.platform.as_ref())
            {
                js_sys::Reflect::set(&out, &"platform".into(), &p.to_string().into())?;
            }
            Ok(out)
        })
    }

    /// `imageConfig(repository, reference, platform?): Promise<object>`:
    /// the image configuration for a platform, as the registry stores it
    /// (a config declaring more than 8 MiB is refused, code
    /// `TOO_LARGE`).
    #[wasm_bindgen(js_name = imageConfig, unchecked_return_type = "Promise<any>")]
    pub fn image_config(
        &self,
        repository: String,
        reference: String,
        platform: Option<String>,
    ) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let resolved = self::resolve(&c, &repo(&repository)?, &reference, platform).await?;
            let config = resolved
                .manifest
                .manifest()
                .config()
                .cloned()
                .ok_or_else(|| invalid("this manifest has no config"))?;
            let bytes = c
                .get_config_bytes(&repo(&repository)?, &config)
                .await
                .map_err(js)?;
            // Verified bytes, handed over as they are: a config that is
            // not UTF-8 JSON is refused with a code, not patched.
            let not_json =
                || errors::error_with_code("PROTOCOL_ERROR", "the image config is not UTF-8 JSON");
            let text = std::str::from_utf8(&bytes).map_err(|_| not_json())?;
            js_sys::JSON::parse(text).map_err(|_| not_json())
        })
    }

    /// `putManifest(repository, reference, manifest, mediaType?): Promise<PutResult>`.
    #[wasm_bindgen(js_name = putManifest, unchecked_return_type = "Promise<PutResult>")]
    pub fn put_manifest(
        &self,
        repository: String,
        reference: String,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | object")] manifest: JsValue,
        #[wasm_bindgen(js_name = mediaType)] media_type: Option<String>,
    ) -> Promise {
        let c = self.inner.clone();
        let body = if manifest.is_object()
            && !manifest.is_instance_of::<Uint8Array>()
            && !js_sys::ArrayBuffer::is_view(&manifest)
            && !manifest.is_instance_of::<js_sys::ArrayBuffer>()
        {
            js_sys::JSON::stringify(&manifest)
                .map(|s| String::from(s).into_bytes())
                .map_err(|_| invalid("manifest cannot be written as JSON"))
        } else {
            bytes(&manifest, "manifest")
        };
        spawn(async move {
            let put = c
                .put_manifest_bytes(
                    &repo(&repository)?,
                    &reference,
                    body?,
                    media_type.as_deref(),
                )
                .await
                .map_err(js)?;
            #[derive(Serialize)]
            struct PutJs {
                digest: String,
                location: Option<String>,
            }
            to_js(&PutJs {
                digest: put.digest.to_string(),
                location: put.location.map(|u| u.to_string()),
            })
        })
    }

    /// `deleteManifest(repository, reference): Promise<string>` (the
    /// digest deleted).
    #[wasm_bindgen(js_name = deleteManifest, unchecked_return_type = "Promise<string>")]
    pub fn delete_manifest(&self, repository: String, reference: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let d = c
                .delete_manifest(&repo(&repository)?, &reference)
                .await
                .map_err(js)?;
            Ok(d.to_string().into())
        })
    }

    /// `headBlob(repository, digest): Promise<number | null>`.
    #[wasm_bindgen(js_name = headBlob, unchecked_return_type = "Promise<number | null>")]
    pub fn head_blob(&self, repository: String, digest: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let d = self::digest(&digest)?;
            let size = c.head_blob(&repo(&repository)?, &d).await.map_err(js)?;
            Ok(size.map_or(JsValue::NULL, |s| (s as f64).into()))
        })
    }

    /// `pullBlob(repository, digest, options?): Promise<Uint8Array>`,
    /// streamed and verified.
    #[wasm_bindgen(js_name = pullBlob, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn pull_blob(
        &self,
        repository: String,
        digest: String,
        #[wasm_bindgen(unchecked_optional_param_type = "PullOptions")] options: Option<JsValue>,
    ) -> Promise {
        let c = self.inner.clone();
        let parsed = (|| {
            let o = Options::new(&options.unwrap_or(JsValue::UNDEFINED), "options")?;
            Ok::<_, JsValue>((o.number("size")?, o.function("onProgress")?))
        })();
        spawn(async move {
            let (size, on_progress) = parsed?;
            let d = self::digest(&digest)?;
            let report = progress(on_progress, size);
            let mut sink = JsChunks::new();
            c.pull_blob(
                &repo(&repository)?,
                &d,
                size.map(|s| s as u64),
                &mut sink,
                report.as_ref().map(|p| p as &dyn Fn(u64)),
            )
            .await
            .map_err(js)?;
            Ok(sink.into_uint8array().into())
        })
    }

    /// `pushBlob(repository, data, options?): Promise<PushResult>`.
    #[wasm_bindgen(js_name = pushBlob, unchecked_return_type = "Promise<PushResult>")]
    pub fn push_blob(
        &self,
        repository: String,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Blob | string")] data: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PushOptions")] options: Option<JsValue>,
    ) -> Promise {
        let c = self.inner.clone();
        let parsed = (|| {
            let source = if data.is_instance_of::<web_sys::Blob>() {
                BlobSource::Blob(data.clone().unchecked_into())
            } else if data.is_instance_of::<Uint8Array>() {
                BlobSource::Bytes(data.clone().unchecked_into())
            } else {
                BlobSource::from(bytes(&data, "data")?)
            };
            let o = Options::new(&options.unwrap_or(JsValue::UNDEFINED), "options")?;
            let mut push = PushOptions::new();
            if let Some(d) = o.string("digest")? {
                push = push.digest(digest(&d)?);
            }
            if let Some(from) = o.string("mountFrom")? {
                push = push.mount_from(repo(&from)?);
            }
            if let Some(n) = o.number("chunkSize")? {
                push = push.chunk_size(n as u64);
            }
            Ok::<_, JsValue>((source, push, o.function("onProgress")?))
        })();
        spawn(async move {
            let (source, push, on_progress) = parsed?;
            let report = progress(on_progress, Some(source.len() as f64));
            let (d, outcome) = c
                .push_blob(
                    &repo(&repository)?,
                    &source,
                    &push,
                    report.as_ref().map(|p| p as &dyn Fn(u64)),
                )
                .await
                .map_err(js)?;
            #[derive(Serialize)]
            struct PushJs {
                digest: String,
                size: u64,
                outcome: &'static str,
            }
            to_js(&PushJs {
                digest: d.to_string(),
                size: source.len(),
                outcome: outcome_name(outcome),
            })
        })
    }

    /// `mountBlob(repository, digest, from): Promise<"mounted" | "exists" | "notMounted">`.
    #[wasm_bindgen(js_name = mountBlob, unchecked_return_type = "Promise<PushOutcome>")]
    pub fn mount_blob(&self, repository: String, digest: String, from: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let d = self::digest(&digest)?;
            let outcome = c
                .mount_blob(&repo(&repository)?, &d, &repo(&from)?)
                .await
                .map_err(js)?;
            Ok(outcome_name(outcome).into())
        })
    }

    /// `deleteBlob(repository, digest): Promise<void>`.
    #[wasm_bindgen(js_name = deleteBlob, unchecked_return_type = "Promise<void>")]
    pub fn delete_blob(&self, repository: String, digest: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            let d = self::digest(&digest)?;
            c.delete_blob(&repo(&repository)?, &d).await.map_err(js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `referrers(repository, reference, options?): Promise<Descriptor[]>`:
    /// the referrers of the manifest a tag (resolved first) or digest
    /// names.
    #[wasm_bindgen(unchecked_return_type = "Promise<Descriptor[]>")]
    pub fn referrers(
        &self,
        repository: String,
        reference: String,
        #[wasm_bindgen(unchecked_optional_param_type = "ReferrersOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let c = self.inner.clone();
        let artifact_type = Options::new(&options.unwrap_or(JsValue::UNDEFINED), "options")
            .and_then(|o| o.string("artifactType"));
        spawn(async move {
            let artifact_type = artifact_type?;
            let index = c
                .referrers(&repo(&repository)?, &reference, artifact_type.as_deref())
                .await
                .map_err(js)?;
            to_js(&index.manifests)
        })
    }

    /// `summary(repository, reference): Promise<ImageSummary>`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ImageSummary>")]
    pub fn summary(&self, repository: String, reference: String) -> Promise {
        let c = self.inner.clone();
        spawn(async move {
            to_js(
                &c.summary(&repo(&repository)?, &reference)
                    .await
                    .map_err(js)?,
            )
        })
    }
}

fn page_size(options: &JsValue) -> Result<Option<u32>, JsValue> {
    let o = Options::new(options, "options")?;
    o.number("pageSize")?
        .map(|n| {
            if (1.0..=f64::from(u32::MAX)).contains(&n) {
                Ok(n as u32)
            } else {
                Err(invalid("options.pageSize must be at least 1"))
            }
        })
        .transpose()
}
