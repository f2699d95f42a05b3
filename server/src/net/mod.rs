//! The listening socket: accepts connections, optionally over TLS, and serves each with hyper.
//!
//! Invariant: an attacker who opens connections and sends nothing (or a byte now and then)
//! cannot keep the server from answering. Three things hold that:
//!
//! - every connection must deliver a request's headers within [`Limits::header_timeout`],
//!   and an idle keep-alive connection is closed after the same time (hyper's header-read
//!   timer runs from the moment it waits for a request);
//! - the number of open connections is capped below the process's open-file limit (raised to
//!   the hard limit at start), so `accept` never fails with "Too many open files" and the
//!   database can always open its files;
//! - at the cap, a new connection is not refused: the connection that has been quiet the
//!   longest and is not handling a request is closed to make room. A flood of idle sockets
//!   thus churns through itself, while a real client's request gets in and is answered.

mod tls;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

pub use tls::{TlsError, load_tls};

/// Files the process keeps for itself (database, WAL, logs, PostgreSQL pool) below the
/// open-file limit.
const RESERVED_FILES: u64 = 128;

/// How the listener protects itself.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest wait for a request's headers, and longest idle time between requests.
    pub header_timeout: Duration,
    /// Most connections open at once (lowered to fit the open-file limit).
    pub max_connections: usize,
    /// Longest a TLS handshake may take.
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(20),
            max_connections: 10_000,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Raises the soft open-file limit to the hard one and returns the connection cap that
/// fits under it.
pub fn connection_cap(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            1024
        }
    };
    let fits = usize::try_from(limit.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
    let cap = wanted.min(fits).max(1);
    tracing::info!(
        open_file_limit = limit,
        max_connections = cap,
        "connection cap"
    );
    cap
}

/// What the accept loop knows of one open connection.
struct Tracked {
    /// Milliseconds since the listener started, at the last byte read or written.
    last_active: AtomicU64,
    /// Requests being handled (from headers read to response headers written).
    in_flight: AtomicUsize,
    /// Chosen to make room; its task closes it as soon as it runs.
    evicted: AtomicBool,
    evict: Notify,
}

#[derive(Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Tracked>>>,
    /// Signalled whenever a connection has closed (its socket dropped).
    closed: Notify,
}

/// Evicted connections still waiting for their task to close them, beyond which the accept
/// loop waits: their files stay open until then, and a flood accepted faster than they close
/// would run the process out of files.
const CLOSING_SLACK: usize = 32;

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Tracked>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, now: u64) -> (u64, Arc<Tracked>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let tracked = Arc::new(Tracked {
            last_active: AtomicU64::new(now),
            in_flight: AtomicUsize::new(0),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.lock().insert(id, tracked.clone());
        (id, tracked)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
        self.closed.notify_one();
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// At the cap: closes the quietest idle connection. False when every open connection
    /// is handling a request, so the newcomer must be turned away.
    fn make_room(&self, cap: usize) -> bool {
        let open = self.lock();
        if open.len() < cap {
            return true;
        }
        let victim = open
            .values()
            .filter(|t| {
                t.in_flight.load(Ordering::Relaxed) == 0 && !t.evicted.load(Ordering::Relaxed)
            })
            .min_by_key(|t| t.last_active.load(Ordering::Relaxed));
        match victim {
            Some(t) => {
                t.evicted.store(true, Ordering::Relaxed);
                t.evict.notify_one();
                metrics::counter!("eom_connections_evicted_total").increment(1);
                true
            }
            None => false,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish
/// (for at most 30 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let started = Instant::now();
    let registry = Arc::new(Registry::default());
    let graceful = GracefulShutdown::new();
    let cap = connection_cap(limits.max_connections);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        // Every connection past the cap has been told to close; until enough have, accepting
        // more would only open files faster than they are freed.
        while registry.len() >= cap + CLOSING_SLACK {
            tokio::select! {
                () = registry.closed.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of files or a connection reset before accept: wait a little rather
                    // than spin; the cap makes the first unlikely.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if !registry.make_room(cap) {
            // Every connection is busy with a request: a real overload, not idle sockets.
            metrics::counter!("eom_connections_refused_total").increment(1);
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let now = elapsed_ms(started);
        let (id, tracked) = registry.add(now);
        metrics::gauge!("eom_connections_open").increment(1.0);
        let registry = registry.clone();
        let watcher = graceful.watcher();
        let builder = builder.clone();
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let io = Activity {
                inner: stream,
                tracked: tracked.clone(),
                started,
            };
            let evicted = tracked.clone();
            let serve = async move {
                match tls {
                    None => serve_connection(io, &builder, app, remote, tracked, watcher).await,
                    Some(acceptor) => {
                        let handshake =
                            tokio::time::timeout(limits.handshake_timeout, acceptor.accept(io));
                        match handshake.await {
                            Ok(Ok(io)) => {
                                serve_connection(io, &builder, app, remote, tracked, watcher).await;
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(%remote, error = %e, "TLS handshake failed")
                            }
                            Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                        }
                    }
                }
            };
            tokio::select! {
                () = serve => {},
                () = evicted.evict.notified() => {
                    tracing::debug!(%remote, "closed a quiet connection to make room");
                },
            }
            registry.remove(id);
            metrics::gauge!("eom_connections_open").decrement(1.0);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still open after 30 s; closing them");
    }
}

async fn serve_connection<I>(
    io: I,
    builder: &hyper::server::conn::http1::Builder,
    app: Router,
    remote: SocketAddr,
    tracked: Arc<Tracked>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        let busy = Busy::new(tracked.clone());
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(axum::body::Body::new)).await;
            drop(busy);
            response
        }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%remote, error = %e, "connection ended with an error");
    }
}

/// Marks a request in flight for as long as it lives.
struct Busy(Arc<Tracked>);

impl Busy {
    fn new(tracked: Arc<Tracked>) -> Self {
        tracked.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(tracked)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A stream that notes the time of its last read or write.
struct Activity<S> {
    inner: S,
    tracked: Arc<Tracked>,
    started: Instant,
}

impl<S> Activity<S> {
    fn touch(&self) {
        self.tracked
            .last_active
            .store(elapsed_ms(self.started), Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Activity<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Activity<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_quietest_idle_connection_makes_room() {
        let registry = Registry::default();
        let (_, old) = registry.add(10);
        let (_, busy) = registry.add(1);
        busy.in_flight.fetch_add(1, Ordering::Relaxed);
        let (_, fresh) = registry.add(50);
        assert!(registry.make_room(10), "below the cap nothing is closed");
        assert!(registry.make_room(3));
        // The busy one is older but handling a request: the quiet idle one goes.
        let evicted = |t: &Arc<Tracked>| t.evicted.load(Ordering::Relaxed);
        assert!(evicted(&old));
        assert!(!evicted(&busy));
        assert!(!evicted(&fresh));
        // The next newcomer takes the next quietest, not the one already on its way out.
        assert!(registry.make_room(3));
        assert!(evicted(&fresh));
        assert!(!evicted(&busy));
    }

    #[test]
    fn a_newcomer_is_turned_away_only_when_every_connection_is_busy() {
        let registry = Registry::default();
        for _ in 0..2 {
            let (_, t) = registry.add(0);
            t.in_flight.fetch_add(1, Ordering::Relaxed);
        }
        assert!(!registry.make_room(2));
        assert!(registry.make_room(3));
    }
}
