//! Log lines to stderr through a bounded queue and a thread of their own, so that a
//! stderr nobody reads (a stuck log collector, a full pipe) costs dropped lines, never a
//! stalled server: a write to a full pipe blocks, and it would block the worker thread
//! that answers requests.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::Duration;

/// Lines waiting for stderr at most: a few hundred KiB of ordinary lines. Past it, lines are
/// dropped and counted until the reader catches up.
const QUEUE_LINES: usize = 4096;

enum Entry {
    Line(Vec<u8>),
    /// Answered once every line queued before it has been written.
    Flush(SyncSender<()>),
}

struct Sink {
    queue: SyncSender<Entry>,
    dropped: AtomicU64,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// The queue, and its writer thread started on first use. `None` if the thread cannot
/// be started: then lines are written in place, as before there was a queue.
fn sink() -> Option<&'static Sink> {
    if let Some(sink) = SINK.get() {
        return Some(sink);
    }
    let (queue, lines) = mpsc::sync_channel(QUEUE_LINES);
    let started = std::thread::Builder::new()
        .name("httpserver-stderr".to_owned())
        .spawn(move || write_lines(lines));
    if started.is_err() {
        return None;
    }
    // Two threads may race here; the loser's writer ends when its queue is dropped.
    Some(SINK.get_or_init(|| Sink {
        queue,
        dropped: AtomicU64::new(0),
    }))
}

/// The writer thread: each line to stderr as it comes (blocking here only), then a count
/// of the lines dropped meanwhile, once stderr takes lines again.
fn write_lines(lines: Receiver<Entry>) {
    let stderr = std::io::stderr();
    for entry in lines {
        match entry {
            Entry::Line(line) => {
                // A closed stderr loses the line; there is nowhere else to say so.
                let _ = stderr.lock().write_all(&line);
            }
            Entry::Flush(done) => {
                let _ = done.send(());
            }
        }
        let dropped = SINK
            .get()
            .map_or(0, |sink| sink.dropped.swap(0, Ordering::Relaxed));
        if dropped > 0 {
            let _ = writeln!(
                stderr.lock(),
                "httpserver: {dropped} log lines dropped: stderr was not being read"
            );
        }
    }
}

/// Queues `line` (which ends with its newline) for stderr; drops and counts it if the
/// queue is full. Never blocks.
pub(crate) fn write(line: Vec<u8>) {
    let Some(sink) = sink() else {
        let _ = std::io::stderr().write_all(&line);
        return;
    };
    match sink.queue.try_send(Entry::Line(line)) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            sink.dropped.fetch_add(1, Ordering::Relaxed);
        }
        Err(TrySendError::Disconnected(Entry::Line(line))) => {
            let _ = std::io::stderr().write_all(&line);
        }
        Err(TrySendError::Disconnected(_)) => {}
    }
}

/// Formats one line for stderr (a newline is added) and queues it.
pub(crate) fn line(args: std::fmt::Arguments<'_>) {
    let mut line = Vec::with_capacity(128);
    let _ = line.write_fmt(args);
    line.push(b'\n');
    write(line);
}

/// Waits, at most `timeout`, for the lines queued so far to reach stderr: at shutdown, so
/// that a process's last lines are not lost with it.
pub(crate) fn flush(timeout: Duration) {
    let Some(sink) = SINK.get() else {
        return;
    };
    let (done, written) = mpsc::sync_channel(1);
    let deadline = std::time::Instant::now() + timeout;
    let mut entry = Entry::Flush(done);
    loop {
        match sink.queue.try_send(entry) {
            Ok(()) => break,
            Err(TrySendError::Full(back)) if std::time::Instant::now() < deadline => {
                entry = back;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    let _ = written.recv_timeout(left);
}

/// Stderr for a `tracing` subscriber's formatter, through the same bounded queue as the
/// framework's own lines: with a stuck stderr, lines are dropped and counted, and serving
/// goes on. A subscriber writing to `std::io::stderr` directly blocks the thread that logs
/// (a worker answering requests) whenever the pipe is full.
///
/// ```
/// // tracing_subscriber::fmt().with_writer(httpserver::NonBlockingStderr::default).init();
/// use std::io::Write;
/// let mut out = httpserver::NonBlockingStderr::default();
/// writeln!(out, "one line, queued").unwrap();
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct NonBlockingStderr;

impl Write for NonBlockingStderr {
    /// Queues `bytes` as one entry (a formatter writes an event in one call); never fails
    /// and never blocks.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        write(bytes.to_vec());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
