//! The app's open WebSockets, so that a graceful shutdown can wait for them (they no
//! longer belong to any HTTP connection) and cut those still open when the grace period ends.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::race::unless_signalled;
use tokio_util::task::TaskTracker;

#[derive(Clone)]
pub(crate) struct Sockets {
    tracker: TaskTracker,
    cut: CancellationToken,
    max_message_size: Arc<AtomicUsize>,
}

impl Default for Sockets {
    fn default() -> Self {
        Sockets {
            tracker: TaskTracker::new(),
            cut: CancellationToken::new(),
            max_message_size: Arc::new(AtomicUsize::new(crate::config::DEFAULT_MAX_MESSAGE_SIZE)),
        }
    }
}

impl Sockets {
    /// Runs one socket's task until it ends or the sockets are cut.
    pub(crate) fn spawn(&self, socket: impl Future<Output = ()> + Send + 'static) {
        let cut = self.cut.clone();
        self.tracker.spawn(async move {
            let _ = unless_signalled(socket, cut.cancelled()).await;
        });
    }

    /// Resolves once every socket has ended.
    pub(crate) async fn closed(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }

    /// Ends every socket still open, at once.
    pub(crate) async fn cut(&self) {
        self.cut.cancel();
        self.closed().await;
    }

    pub(crate) fn open(&self) -> usize {
        self.tracker.len()
    }

    pub(crate) fn max_message_size(&self) -> usize {
        self.max_message_size.load(Ordering::Relaxed)
    }

    pub(crate) fn set_max_message_size(&self, bytes: usize) {
        self.max_message_size.store(bytes, Ordering::Relaxed);
    }
}
