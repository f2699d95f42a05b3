//! An SMTP receiver on `127.0.0.1:0` for alert tests: it speaks just enough SMTP (greeting,
//! EHLO, MAIL, RCPT, DATA, QUIT) to take messages from a real client and records each, with
//! its envelope recipients. Plain text on loopback, no authentication.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One message as received.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent (dot-stuffing undone).
    pub data: String,
}

pub struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

fn address(line: &str) -> String {
    line.split_once(':')
        .map(|(_, rest)| {
            rest.trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

fn session(stream: std::net::TcpStream, mails: &Mutex<Vec<Mail>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 eom-test-sink ESMTP\r\n")?;
    let mut mail = Mail::default();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            out.write_all(b"250-eom-test-sink\r\n250 8BITMIME\r\n")?;
        } else if command.starts_with("MAIL FROM") {
            mail = Mail {
                from: address(&line),
                ..Mail::default()
            };
            out.write_all(b"250 OK\r\n")?;
        } else if command.starts_with("RCPT TO") {
            mail.to.push(address(&line));
            out.write_all(b"250 OK\r\n")?;
        } else if command == "DATA" {
            out.write_all(b"354 go on\r\n")?;
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line.trim_end_matches(['\r', '\n']) == "." {
                    break;
                }
                let text = line.strip_prefix('.').unwrap_or(&line);
                mail.data.push_str(text);
            }
            mails
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(std::mem::take(&mut mail));
            out.write_all(b"250 OK queued\r\n")?;
        } else if command == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            // RSET, NOOP and anything else: fine.
            out.write_all(b"250 OK\r\n")?;
        }
    }
}

impl SmtpSink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("address").port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let mails = kept.clone();
                std::thread::spawn(move || {
                    let _ = session(stream, &mails);
                });
            }
        });
        Self { port, mails }
    }

    /// The address to give `--alert-smtp`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits up to `limit` for `count` messages.
    pub fn wait_for(&self, count: usize, limit: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + limit;
        loop {
            let mails = self.mails();
            if mails.len() >= count || Instant::now() >= deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
