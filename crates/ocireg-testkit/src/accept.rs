//! The accept loop the testkit's own servers share: a free loopback
//! port, one thread per connection, stopped on drop.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A listening socket whose connections go to a handler, each on its own
/// thread. Dropping it stops accepting (connections being served finish
/// on their own).
#[derive(Debug)]
pub(crate) struct AcceptLoop {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl AcceptLoop {
    /// Binds a free port on 127.0.0.1 and hands every connection to
    /// `handle`.
    pub(crate) fn start(
        handle: impl Fn(TcpStream) + Send + Sync + 'static,
    ) -> io::Result<AcceptLoop> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let handle = handle.clone();
                        std::thread::spawn(move || handle(stream));
                    }
                }
            })
        };
        Ok(AcceptLoop {
            port,
            stop,
            thread: Some(thread),
        })
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for AcceptLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
