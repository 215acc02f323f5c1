//! A busy future raced against a signal that fires once, polling the signal only when it
//! has woken: `tokio::select!` polls every branch on every wake-up, and a WebSocket's task
//! wakes once per message while its shutdown signal fires once in its life.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

pin_project_lite::pin_project! {
    /// Resolves with `main`'s output, or with `None` if `signal` resolves first.
    pub(crate) struct UnlessSignalled<M, S> {
        #[pin]
        main: M,
        #[pin]
        signal: S,
        wake: Arc<SignalWake>,
        signal_waker: Waker,
    }
}

/// The waker `signal` is polled with: it marks the signal for polling, then wakes the task.
struct SignalWake {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for SignalWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// Runs `main` until it is done, unless `signal` is done first. `main` is polled first on
/// every wake-up; `signal` on the first poll and whenever it has woken since.
pub(crate) fn unless_signalled<M: Future, S: Future>(main: M, signal: S) -> UnlessSignalled<M, S> {
    let wake = Arc::new(SignalWake {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let signal_waker = Waker::from(Arc::clone(&wake));
    UnlessSignalled {
        main,
        signal,
        wake,
        signal_waker,
    }
}

impl<M: Future, S: Future> Future for UnlessSignalled<M, S> {
    type Output = Option<M::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.main.poll(cx) {
            return Poll::Ready(Some(out));
        }
        // Registered before `woken` is read: a wake from here on reaches this task.
        this.wake.task.register(cx.waker());
        if this.wake.woken.swap(false, Ordering::AcqRel) {
            let mut signal_cx = Context::from_waker(this.signal_waker);
            if this.signal.poll(&mut signal_cx).is_ready() {
                return Poll::Ready(None);
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::unless_signalled;
    use std::time::Duration;

    #[tokio::test]
    async fn main_done_first_gives_its_output() {
        let raced = unless_signalled(async { 7 }, std::future::pending::<()>());
        assert_eq!(raced.await, Some(7));
    }

    #[tokio::test]
    async fn a_signal_that_fires_later_ends_a_main_that_never_does() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send(());
        });
        let raced = unless_signalled(std::future::pending::<u8>(), rx);
        let ended = tokio::time::timeout(Duration::from_secs(5), raced).await;
        assert_eq!(ended.ok(), Some(None));
    }

    #[tokio::test]
    async fn the_signal_is_seen_while_main_keeps_waking() {
        // `main` wakes itself over and over without finishing; the signal must still win.
        let busy = async {
            loop {
                tokio::task::yield_now().await;
            }
        };
        let signal = tokio::time::sleep(Duration::from_millis(20));
        let ended = tokio::time::timeout(Duration::from_secs(5), unless_signalled(busy, signal));
        assert_eq!(ended.await.ok(), Some(None::<()>));
    }

    #[tokio::test]
    async fn main_wins_over_a_signal_already_fired_when_both_are_ready() {
        let raced = unless_signalled(async { "main" }, async {});
        assert_eq!(raced.await, Some("main"));
    }
}
