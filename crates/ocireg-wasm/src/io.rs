//! Where pulled bytes go ([`Sink`]) and where pushed bytes come from
//! ([`BlobSource`]).
//!
//! Both keep blob bytes in JavaScript memory where they can: a wasm
//! module's linear memory only ever grows, so a 200 MB layer copied into it
//! would stay allocated for the life of the page. Bytes cross into wasm only
//! a chunk at a time, to be hashed.

use js_sys::Uint8Array;
use ocireg_core::ops::{TransportError, TransportErrorKind};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Receives the verified-so-far bytes of a blob download, in order.
///
/// Each chunk comes twice: as a Rust slice (already copied into wasm memory
/// for hashing) and as a JavaScript view of the same bytes; take whichever
/// is cheaper to keep. A pull reports success only after the last chunk
/// matched the digest: a sink must not treat its bytes as good before.
pub trait Sink {
    /// The next bytes of the blob.
    fn write(&mut self, bytes: &[u8], js: &Uint8Array);
}

impl Sink for Vec<u8> {
    fn write(&mut self, bytes: &[u8], _js: &Uint8Array) {
        self.extend_from_slice(bytes);
    }
}

/// A sink that keeps the chunks in JavaScript memory and joins them into
/// one `Uint8Array` at the end.
#[derive(Debug, Default)]
pub struct JsChunks {
    chunks: Vec<Uint8Array>,
    len: u32,
}

impl JsChunks {
    /// An empty sink.
    pub fn new() -> JsChunks {
        JsChunks::default()
    }

    /// Bytes received so far.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether nothing was received.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All the bytes, in one array.
    pub fn into_uint8array(self) -> Uint8Array {
        if let [only] = self.chunks.as_slice() {
            return only.clone();
        }
        let out = Uint8Array::new_with_length(self.len);
        let mut at = 0;
        for chunk in &self.chunks {
            out.set(chunk, at);
            at = at.saturating_add(chunk.length());
        }
        out
    }
}

impl Sink for JsChunks {
    fn write(&mut self, _bytes: &[u8], js: &Uint8Array) {
        if js.length() > 0 {
            self.len = self.len.saturating_add(js.length());
            self.chunks.push(js.clone());
        }
    }
}

/// The bytes of a blob being pushed: a `Uint8Array` or a `Blob` (a `File`
/// the user picked is one). Any range can be read again, so an interrupted
/// chunked upload can resume.
#[derive(Clone, Debug)]
pub enum BlobSource {
    /// Bytes in JavaScript memory.
    Bytes(Uint8Array),
    /// A `Blob` or `File`, read a range at a time.
    Blob(web_sys::Blob),
}

impl From<Vec<u8>> for BlobSource {
    fn from(bytes: Vec<u8>) -> BlobSource {
        BlobSource::Bytes(Uint8Array::from(bytes.as_slice()))
    }
}

impl From<&[u8]> for BlobSource {
    fn from(bytes: &[u8]) -> BlobSource {
        BlobSource::Bytes(Uint8Array::from(bytes))
    }
}

impl From<Uint8Array> for BlobSource {
    fn from(bytes: Uint8Array) -> BlobSource {
        BlobSource::Bytes(bytes)
    }
}

impl From<web_sys::Blob> for BlobSource {
    fn from(blob: web_sys::Blob) -> BlobSource {
        BlobSource::Blob(blob)
    }
}

/// Bytes copied into wasm memory at a time (hashing a source).
pub(crate) const HASH_PIECE: u32 = 1 << 20;

impl BlobSource {
    /// The size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            BlobSource::Bytes(b) => u64::from(b.length()),
            BlobSource::Blob(b) => b.size() as u64,
        }
    }

    /// Whether the source is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes from `offset`: `len` of them, or the rest when `None`.
    pub(crate) async fn read(
        &self,
        offset: u64,
        len: Option<u64>,
    ) -> Result<Uint8Array, TransportError> {
        let total = self.len();
        let start = offset.min(total);
        let end = len.map_or(total, |l| start.saturating_add(l).min(total));
        match self {
            BlobSource::Bytes(b) => Ok(b.subarray(start as u32, end as u32)),
            BlobSource::Blob(b) => {
                let part = b
                    .slice_with_f64_and_f64(start as f64, end as f64)
                    .map_err(source_error)?;
                let buffer = JsFuture::from(part.array_buffer())
                    .await
                    .map_err(source_error)?;
                Ok(Uint8Array::new(&buffer))
            }
        }
    }

    /// Calls `f` with the whole source, a piece at a time (for hashing).
    pub(crate) async fn for_each_piece(
        &self,
        mut f: impl FnMut(&[u8]),
    ) -> Result<(), TransportError> {
        let total = self.len();
        let mut buf = Vec::new();
        // A Blob is read in bigger slices (fewer promises), then copied
        // into wasm a piece at a time like bytes.
        let slice = 16 * u64::from(HASH_PIECE);
        let mut at = 0;
        while at < total {
            let part = self.read(at, Some(slice)).await?;
            each_piece(&part, &mut buf, &mut f);
            at = at.saturating_add(u64::from(part.length()).max(1));
        }
        Ok(())
    }
}

/// Copies `array` into wasm a piece at a time and calls `f` on each.
pub(crate) fn each_piece(array: &Uint8Array, buf: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    let len = array.length();
    let mut at = 0;
    while at < len {
        let end = at.saturating_add(HASH_PIECE).min(len);
        buf.resize((end - at) as usize, 0);
        array.subarray(at, end).copy_to(buf);
        f(buf);
        at = end;
    }
}

fn source_error(e: wasm_bindgen::JsValue) -> TransportError {
    TransportError::new(TransportErrorKind::Source, js_message(&e))
}

/// A readable description of a thrown JavaScript value.
pub(crate) fn js_message(e: &wasm_bindgen::JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let mut msg = String::from(err.message());
        // Node's fetch says "fetch failed" and puts the reason in `cause`.
        if let Ok(cause) = js_sys::Reflect::get(err, &"cause".into()) {
            if !cause.is_undefined() && !cause.is_null() {
                msg.push_str(": ");
                msg.push_str(&js_message(&cause));
            }
        }
        return msg;
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}
