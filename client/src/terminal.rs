//! What `eom` prints to the terminal. Text that came from the server (messages, comments,
//! station names) could carry control characters that rewrite the screen or the window title,
//! so everything printed passes through [`Safe`], which drops control characters other than
//! line breaks and tabs.

use std::io::{self, Write};

/// `text` without control characters other than `\n` and `\t`.
pub fn strip_controls(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// A writer that drops control characters on the way to the terminal.
pub struct Safe<W: Write>(pub W);

impl<W: Write> Write for Safe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text)
                if text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t') =>
            {
                self.0.write_all(strip_controls(text).as_bytes())?;
            }
            _ => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Whether `error` comes from writing to a pipe whose reader went away (`eom list | head`):
/// not a failure worth a message.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut out = Safe(Vec::new());
        write!(out, "ok\x1b]0;pwned\x07 line\r\n\u{9b}2Jnext\tcol\n").expect("write");
        assert_eq!(
            String::from_utf8(out.0).expect("utf-8"),
            "ok]0;pwned line\n2Jnext\tcol\n"
        );
    }
}
