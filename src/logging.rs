//! The server's log on standard output, written in batches.
//!
//! Every request logs a line. Written to standard output one by one, as
//! `tracing_subscriber`'s default writer does, each line is a `write` system
//! call (standard output is line-buffered) and a lock on standard output:
//! 4 % of the server's samples under random reads at 100,000 articles
//! (`perf`, 2 cores). Here lines gather in a buffer that goes out in one
//! `write` when it holds [`FLUSH_AT`] bytes, when a warning or an error is
//! logged (it goes out at once, after what came before it), and otherwise
//! within [`EVERY`] of the oldest line, from a thread of its own; what is
//! left is written when the program ends ([`flush`]) or panics. As with
//! nginx's `access_log … buffer=`, a process killed outright (SIGKILL, the
//! OOM killer) loses at most [`EVERY`]'s worth of information lines.

use std::io::Write;
use std::sync::{Mutex, Once, PoisonError, TryLockError};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Buffered bytes that make a batch go out at once.
pub const FLUSH_AT: usize = 64 * 1024;

/// How long a line may wait in the buffer.
pub const EVERY: Duration = Duration::from_millis(100);

/// Lines not written yet.
static BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The writer of [`tracing_subscriber::fmt`] that batches lines.
#[derive(Debug, Clone, Copy)]
pub struct Batched;

impl Batched {
    /// The writer, with its flushing thread (and a panic hook that writes
    /// what is buffered before the panic's message) started once.
    pub fn start() -> Self {
        static STARTED: Once = Once::new();
        STARTED.call_once(|| {
            let spawned = std::thread::Builder::new()
                .name("log-flush".into())
                .spawn(|| loop {
                    std::thread::sleep(EVERY);
                    flush();
                });
            if spawned.is_err() {
                // No thread: every line goes out as it comes (see `Line`).
                NO_THREAD.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Without waiting: a panic on a thread that holds the
                // buffer must not wait for itself.
                match BUFFER.try_lock() {
                    Ok(mut buffer) => write_out(&mut buffer),
                    Err(TryLockError::Poisoned(poisoned)) => write_out(&mut poisoned.into_inner()),
                    Err(TryLockError::WouldBlock) => {}
                }
                previous(info);
            }));
        });
        Batched
    }
}

/// Set when the flushing thread could not start.
static NO_THREAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes out whatever is buffered.
pub fn flush() {
    let mut buffer = BUFFER.lock().unwrap_or_else(PoisonError::into_inner);
    write_out(&mut buffer);
}

/// Writes `buffer` to standard output and empties it. A log that cannot be
/// written (standard output closed) is dropped, as the default writer does.
fn write_out(buffer: &mut Vec<u8>) {
    if buffer.is_empty() {
        return;
    }
    let mut out = destination();
    let _ = out.write_all(buffer).and_then(|()| out.flush());
    buffer.clear();
}

/// Standard output (nothing in unit tests, whose output it would litter).
#[cfg(not(test))]
fn destination() -> impl Write {
    std::io::stdout().lock()
}

#[cfg(test)]
fn destination() -> impl Write {
    std::io::sink()
}

/// Whether an event at `level` is written out at once: warnings and errors
/// (tracing orders levels by verbosity, so these are the least).
fn urgent(level: &Level) -> bool {
    *level <= Level::WARN
}

/// One event's line on its way to the buffer.
#[derive(Debug)]
pub struct Line {
    /// Written out at once, with what is buffered before it.
    urgent: bool,
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = BUFFER.lock().unwrap_or_else(PoisonError::into_inner);
        buffer.extend_from_slice(bytes);
        if self.urgent
            || buffer.len() >= FLUSH_AT
            || NO_THREAD.load(std::sync::atomic::Ordering::Relaxed)
        {
            write_out(&mut buffer);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { urgent: true }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        Line {
            urgent: urgent(meta.level()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_for_a_warning_or_a_full_buffer() {
        // The only test that touches the buffer.
        BUFFER
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let buffered = || {
            BUFFER
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        };
        assert!(Line { urgent: false }.write_all(b"one\n").is_ok());
        assert!(Line { urgent: false }.write_all(b"two\n").is_ok());
        assert_eq!(buffered(), b"one\ntwo\n");
        assert!(Line { urgent: true }.write_all(b"three\n").is_ok());
        assert!(buffered().is_empty(), "a warning takes out what waited");
        assert!(Line { urgent: false }
            .write_all(&[b'x'; FLUSH_AT - 1])
            .is_ok());
        assert_eq!(buffered().len(), FLUSH_AT - 1);
        assert!(Line { urgent: false }.write_all(b"\n").is_ok());
        assert!(buffered().is_empty(), "a full buffer goes out");
        assert!(Line { urgent: false }.write_all(b"four\n").is_ok());
        flush();
        assert!(buffered().is_empty());
        // Started, the flushing thread takes out a line that waits.
        let _ = Batched::start();
        assert!(Line { urgent: false }.write_all(b"five\n").is_ok());
        let waited = std::time::Instant::now();
        while !buffered().is_empty() && waited.elapsed() < 20 * EVERY {
            std::thread::sleep(EVERY / 10);
        }
        assert!(buffered().is_empty(), "the thread wrote the line out");
        assert!(urgent(&Level::ERROR) && urgent(&Level::WARN));
        assert!(!urgent(&Level::INFO) && !urgent(&Level::DEBUG) && !urgent(&Level::TRACE));
    }
}
