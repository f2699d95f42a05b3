//! A fault-injecting HTTP proxy for tests: it sits between `eom` and `eom-server` on loopback
//! and, request by request, passes traffic through or breaks it the ways real networks do.
//!
//! Each request is forwarded on a fresh upstream connection with `Connection: close`, so one
//! client connection carries one request and a fault decided per connection is a fault per
//! request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and return the answer.
    Pass,
    /// Close the connection as soon as it is accepted.
    Refuse,
    /// Forward it (the server commits), then close without answering.
    CutBeforeAnswer,
    /// Forward it, return half of the answer, then close.
    CutMidAnswer,
    /// Wait, then forward normally.
    Delay(Duration),
    /// Answer 200 with a Wi-Fi login page, never reaching the server.
    CaptivePortal,
    /// Keep the request until [`FaultProxy::release`], then forward it normally.
    Hold,
    /// Forward it and return the server's real answer without its `Eom-Version` header.
    StripVersion,
    /// Forward it and return the server's real answer with the last push result removed.
    DropLastResult,
    /// Forward it and return the server's real answer with every push result naming another
    /// checklist id (as a confused or malicious middlebox might).
    ForgeIds,
}

/// How faults are chosen.
#[derive(Debug, Clone, Copy)]
pub enum Plan {
    Always(Fault),
    /// With probability `rate`, one of the five faults (the delay lasting `delay`);
    /// otherwise pass. Seeded, so a run's sequence of choices is repeatable.
    Random {
        rate: f64,
        seed: u64,
        delay: Duration,
    },
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub connections: usize,
    pub faults: usize,
    /// Bytes of every request that fully arrived (head and body).
    pub request_bytes: usize,
}

struct Shared {
    upstream: SocketAddr,
    plan: Mutex<Plan>,
    rng: Mutex<StdRng>,
    connections: AtomicUsize,
    faults: AtomicUsize,
    request_bytes: AtomicUsize,
    arrivals: Mutex<Vec<mpsc::Sender<()>>>,
    released: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    fn choose(&self) -> Fault {
        let plan = *self.plan.lock().unwrap_or_else(|p| p.into_inner());
        let fault = match plan {
            Plan::Always(f) => f,
            Plan::Random { rate, delay, .. } => {
                let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                if rng.random_bool(rate.clamp(0.0, 1.0)) {
                    match rng.random_range(0..5) {
                        0 => Fault::Refuse,
                        1 => Fault::CutBeforeAnswer,
                        2 => Fault::CutMidAnswer,
                        3 => Fault::Delay(delay),
                        _ => Fault::CaptivePortal,
                    }
                } else {
                    Fault::Pass
                }
            }
        };
        if !matches!(fault, Fault::Pass | Fault::Delay(_) | Fault::Hold) {
            self.faults.fetch_add(1, Ordering::SeqCst);
        }
        fault
    }

    fn announce_arrival(&self) {
        let mut listeners = self.arrivals.lock().unwrap_or_else(|p| p.into_inner());
        listeners.retain(|tx| tx.send(()).is_ok());
    }
}

pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`.
    pub fn start(upstream: SocketAddr, plan: Plan) -> Self {
        let seed = match plan {
            Plan::Random { seed, .. } => seed,
            Plan::Always(_) => 0,
        };
        let shared = Arc::new(Shared {
            upstream,
            plan: Mutex::new(plan),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            connections: AtomicUsize::new(0),
            faults: AtomicUsize::new(0),
            request_bytes: AtomicUsize::new(0),
            arrivals: Mutex::new(Vec::new()),
            released: tokio::sync::watch::Sender::new(false),
        });
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("local address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let for_thread = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                tokio::select! {
                    () = accept_loop(listener, for_thread) => {}
                    _ = stopped => {}
                }
            });
        });
        Self {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_plan(&self, plan: Plan) {
        *self.shared.plan.lock().unwrap_or_else(|p| p.into_inner()) = plan;
    }

    pub fn stats(&self) -> Stats {
        Stats {
            connections: self.shared.connections.load(Ordering::SeqCst),
            faults: self.shared.faults.load(Ordering::SeqCst),
            request_bytes: self.shared.request_bytes.load(Ordering::SeqCst),
        }
    }

    /// Lets every held request (and any later one) through.
    pub fn release(&self) {
        self.shared.released.send_replace(true);
    }

    /// A channel that receives one message each time a request has fully arrived at the
    /// proxy, before it is delayed, forwarded or broken.
    pub fn arrivals(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        self.shared
            .arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        rx
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = handle(client, &shared).await;
        });
    }
}

const PORTAL_PAGE: &str = "<!doctype html><html><head><title>Hotel Wi-Fi</title></head>\
<body><h1>Welcome!</h1><form>Room number <input name=room><button>Connect</button></form></body></html>";

async fn handle(mut client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let fault = shared.choose();
    if fault == Fault::Refuse {
        return Ok(());
    }
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    shared
        .request_bytes
        .fetch_add(request.len(), Ordering::SeqCst);
    shared.announce_arrival();
    match fault {
        Fault::CaptivePortal => {
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PORTAL_PAGE}",
                PORTAL_PAGE.len()
            );
            client.write_all(answer.as_bytes()).await?;
            return client.shutdown().await;
        }
        Fault::Delay(d) => tokio::time::sleep(d).await,
        Fault::Hold => {
            let mut released = shared.released.subscribe();
            // An error means the proxy is shutting down: forward anyway.
            let _ = released.wait_for(|r| *r).await;
        }
        _ => {}
    }
    // Upstream down (server killed): the client sees its connection closed.
    let mut upstream = TcpStream::connect(shared.upstream).await?;
    upstream.write_all(&request).await?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).await?;
    if matches!(
        fault,
        Fault::StripVersion | Fault::DropLastResult | Fault::ForgeIds
    ) {
        answer = tamper(&answer, fault);
    }
    match fault {
        Fault::CutBeforeAnswer => Ok(()),
        Fault::CutMidAnswer => {
            client.write_all(&answer[..answer.len() / 2]).await?;
            Ok(())
        }
        _ => {
            client.write_all(&answer).await?;
            client.shutdown().await
        }
    }
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body) and rewrites it to ask the
/// upstream to close the connection after answering.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos + 4;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    lines.push("Connection: close");
    let mut request = format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes();
    request.extend_from_slice(&buf[head_end..head_end + length]);
    Ok(Some(request))
}

/// Rewrites a genuine answer the way a meddling middlebox might: without the version header,
/// or with one push result fewer (the JSON body re-encoded, `Content-Length` fixed).
fn tamper(answer: &[u8], fault: Fault) -> Vec<u8> {
    let Some(head_end) = find(answer, b"\r\n\r\n") else {
        return answer.to_vec();
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
    let mut body = answer[head_end + 4..].to_vec();
    if matches!(fault, Fault::DropLastResult | Fault::ForgeIds)
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(results) = json
            .get_mut("results")
            .and_then(serde_json::Value::as_array_mut)
    {
        if fault == Fault::DropLastResult {
            results.pop();
        } else {
            for result in results.iter_mut() {
                result["id"] = serde_json::Value::from(uuid::Uuid::now_v7().to_string());
            }
        }
        body = json.to_string().into_bytes();
    }
    let lines: Vec<String> = head
        .split("\r\n")
        .filter(|l| {
            !(fault == Fault::StripVersion
                && l.split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("eom-version")))
        })
        .map(|l| match l.split_once(':') {
            Some((k, _)) if k.trim().eq_ignore_ascii_case("content-length") => {
                format!("content-length: {}", body.len())
            }
            _ => l.to_owned(),
        })
        .collect();
    let mut out = format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes();
    out.extend_from_slice(&body);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
