//! A server that pretends to be eom-server and answers what a test tells it to: answers far
//! too large, absurd `Retry-After` values. The client must survive each without hanging, without
//! holding the answer in memory, and without marking anything delivered.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the fake server answers to every request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// 200 with the eom version header and a body of this many bytes of JSON-looking text,
    /// declared in `Content-Length` or (when `declared` is false) ended by closing.
    Huge { bytes: u64, declared: bool },
    /// 503 with the eom version header and `Retry-After: secs`.
    RetryAfter(u64),
}

pub struct FakeServer {
    addr: SocketAddr,
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    pub fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let written = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s) = (written.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let w = w.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, answer, &w);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            addr,
            written,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The most body bytes the server managed to write on one connection before the client
    /// hung up (the client may try more than once).
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, answer: Answer, written: &AtomicU64) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    // Read the request head (and whatever body came with it); its content does not matter.
    let mut buf = [0u8; 64 * 1024];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        seen.extend_from_slice(&buf[..n]);
    }
    match answer {
        Answer::RetryAfter(secs) => {
            let body = r#"{"error":"overloaded","message":"busy","hint":null,"retryable":true}"#;
            write!(
                stream,
                "HTTP/1.1 503 Service Unavailable\r\nEom-Version: fake\r\nRetry-After: {secs}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
        }
        Answer::Huge { bytes, declared } => {
            let length = if declared {
                format!("Content-Length: {bytes}\r\n")
            } else {
                String::new()
            };
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nEom-Version: fake\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n"
            )?;
            let chunk = vec![b' '; 256 * 1024];
            let mut left = bytes;
            let mut sent = 0u64;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                stream.write_all(&chunk[..n])?;
                sent += n as u64;
                written.fetch_max(sent, Ordering::SeqCst);
                left -= n as u64;
            }
        }
    }
    stream.flush()
}
