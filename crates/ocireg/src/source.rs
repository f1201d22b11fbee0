//! Where pushed blob bytes come from. A source hands out the bytes of a
//! range as a stream, so a blob is never held in memory (except a
//! [`BytesSource`], which already is).

use std::io;
use std::path::PathBuf;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{stream, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

/// A stream of blob bytes.
pub type ByteStream<'a> = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'a>>;

/// Bytes per read from files and readers.
const READ_SIZE: usize = 256 << 10;

/// The bytes of a blob being pushed.
pub trait BlobSource: Send {
    /// The bytes from `offset`: `len` of them, or all the rest when
    /// `len` is `None`.
    fn read_at(&mut self, offset: u64, len: Option<u64>) -> ByteStream<'_>;
}

/// A blob in memory.
#[derive(Clone, Debug)]
pub struct BytesSource(pub Bytes);

impl BlobSource for BytesSource {
    fn read_at(&mut self, offset: u64, len: Option<u64>) -> ByteStream<'_> {
        let start = (offset as usize).min(self.0.len());
        let end = len.map_or(self.0.len(), |l| (start + l as usize).min(self.0.len()));
        let part = self.0.slice(start..end);
        let chunks: Vec<io::Result<Bytes>> = (0..part.len())
            .step_by(READ_SIZE)
            .map(|i| Ok(part.slice(i..(i + READ_SIZE).min(part.len()))))
            .collect();
        Box::pin(stream::iter(chunks))
    }
}

/// A blob in a file, read from disk for each request (so any range can be
/// sent again after an interruption).
#[derive(Clone, Debug)]
pub struct FileSource(pub PathBuf);

impl BlobSource for FileSource {
    fn read_at(&mut self, offset: u64, len: Option<u64>) -> ByteStream<'_> {
        let path = self.0.clone();
        let opened = async move {
            let mut file = tokio::fs::File::open(&path).await?;
            file.seek(io::SeekFrom::Start(offset)).await?;
            Ok::<_, io::Error>(file)
        };
        Box::pin(
            stream::once(opened)
                .map(move |file| match file {
                    Ok(file) => read_stream(file, len),
                    Err(e) => Box::pin(stream::once(async { Err(e) })) as ByteStream<'static>,
                })
                .flatten(),
        )
    }
}

/// A blob read once, in order, from any reader (a pipe, a socket, another
/// download). Ranges must follow each other: a range that starts before
/// what was already read cannot be served.
pub struct ReaderSource<R> {
    reader: R,
    position: u64,
}

impl<R> ReaderSource<R> {
    /// A source over `reader`, positioned at the blob's first byte.
    pub fn new(reader: R) -> Self {
        ReaderSource {
            reader,
            position: 0,
        }
    }
}

impl<R: AsyncRead + Unpin + Send> BlobSource for ReaderSource<R> {
    fn read_at(&mut self, offset: u64, len: Option<u64>) -> ByteStream<'_> {
        if offset != self.position {
            let msg = format!(
                "this source reads once, in order: asked for byte {offset}, at {}",
                self.position
            );
            return Box::pin(stream::once(async move {
                Err(io::Error::new(io::ErrorKind::Unsupported, msg))
            }));
        }
        let ReaderSource { reader, position } = self;
        Box::pin(read_stream(reader, len).inspect(move |chunk| {
            if let Ok(c) = chunk {
                *position = position.saturating_add(c.len() as u64);
            }
        }))
    }
}

/// `len` bytes (or all the rest) of `reader`, in chunks of up to
/// `READ_SIZE`, read into one reused buffer (no zero-filling per read).
fn read_stream<'a, R: AsyncRead + Unpin + Send + 'a>(
    reader: R,
    len: Option<u64>,
) -> ByteStream<'a> {
    let state = (reader, len, BytesMut::new());
    Box::pin(stream::unfold(
        state,
        |(mut reader, remaining, mut buf)| async move {
            let want = remaining.map_or(READ_SIZE, |r| (r as usize).min(READ_SIZE));
            if want == 0 {
                return None;
            }
            buf.reserve(want);
            let mut limited = (&mut reader).take(want as u64);
            match limited.read_buf(&mut buf).await {
                Ok(0) => remaining.filter(|&r| r > 0).map(|r| {
                    let e = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the source ended {r} bytes early"),
                    );
                    (Err(e), (reader, Some(0), buf))
                }),
                Ok(n) => {
                    let chunk = buf.split().freeze();
                    Some((Ok(chunk), (reader, remaining.map(|r| r - n as u64), buf)))
                }
                Err(e) => Some((Err(e), (reader, Some(0), buf))),
            }
        },
    ))
}
