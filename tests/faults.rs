//! Faults over real sockets: clients that leave mid-request, mid-response or mid-stream,
//! a stream producer that panics, and a process out of file descriptors. (Panics in
//! hooks and error handlers: tests/middleware.rs; a client leaving an event stream or a
//! streamed download: tests/streaming.rs.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use httpserver::{collect_routes, get, post, App, Request, State, StreamingResponse};
use httpserver_suite::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// What the handlers report: how many started, finished, or were dropped unfinished.
#[derive(Default)]
struct Probe {
    started: AtomicUsize,
    finished: AtomicUsize,
    dropped: AtomicUsize,
    started_signal: Notify,
    dropped_signal: Notify,
}

/// Counts a handler's future dropped before it finished.
struct DropGuard(Arc<Probe>, bool);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.1 {
            self.0.dropped.fetch_add(1, Ordering::SeqCst);
            self.0.dropped_signal.notify_one();
        }
    }
}

#[post("/upload")]
async fn upload(probe: State<Arc<Probe>>, req: Request) -> String {
    probe.started.fetch_add(1, Ordering::SeqCst);
    req.body().len().to_string()
}

#[get("/slow")]
async fn slow(probe: State<Arc<Probe>>) -> &'static str {
    let mut guard = DropGuard(Arc::clone(&probe), false);
    probe.started.fetch_add(1, Ordering::SeqCst);
    probe.started_signal.notify_one();
    tokio::time::sleep(Duration::from_secs(30)).await;
    probe.finished.fetch_add(1, Ordering::SeqCst);
    guard.1 = true;
    "done"
}

#[get("/slow-sync")]
fn slow_sync(probe: State<Arc<Probe>>) -> String {
    probe.started.fetch_add(1, Ordering::SeqCst);
    probe.started_signal.notify_one();
    std::thread::sleep(Duration::from_millis(300));
    probe.finished.fetch_add(1, Ordering::SeqCst);
    "x".repeat(100_000)
}

#[get("/panicking-stream")]
async fn panicking_stream() -> StreamingResponse {
    // A pause before each chunk, so that those before the panic go out on their own.
    let chunks = futures_util::stream::iter(0..3).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if i == 2 {
            panic!("intentional: the producer fails mid-stream");
        }
        format!("chunk {i}\n")
    });
    StreamingResponse::new(chunks)
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

use futures_util::StreamExt;

async fn start() -> (TestServer, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let app = App::new()
        .state(Arc::clone(&probe))
        .read_timeout(Duration::from_secs(2))
        .routes(collect_routes![
            upload,
            slow,
            slow_sync,
            panicking_stream,
            ping
        ]);
    (TestServer::start(app).await, probe)
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within 5 s"))
}

async fn serves_on(server: &TestServer) {
    let res = server.get("/ping").await;
    res.assert_status(200);
    assert_eq!(res.text(), "pong");
}

#[tokio::test]
async fn a_client_that_leaves_mid_request_never_reaches_the_handler() {
    let (server, probe) = start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nonly this")
        .await
        .expect("write");
    drop(stream);
    tokio::time::sleep(Duration::from_millis(200)).await;
    serves_on(&server).await;
    assert_eq!(probe.started.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_client_that_leaves_mid_response_drops_the_handler() {
    let (server, probe) = start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    within("the handler start", probe.started_signal.notified()).await;
    drop(stream);
    within("the handler's drop", probe.dropped_signal.notified()).await;
    assert_eq!(probe.dropped.load(Ordering::SeqCst), 1);
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);
    serves_on(&server).await;
}

#[tokio::test]
async fn a_sync_handler_whose_client_left_finishes_and_its_result_is_discarded() {
    let (server, probe) = start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /slow-sync HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    within("the handler start", probe.started_signal.notified()).await;
    drop(stream);
    // The blocking thread cannot be stopped; it finishes, and nothing is sent anywhere.
    within("the sync handler's end", async {
        while probe.finished.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    serves_on(&server).await;
    server.stop().await.expect("the server stops cleanly");
}

#[tokio::test]
async fn a_panicking_stream_producer_cuts_its_response_and_the_server_serves_on() {
    let (server, _probe) = start().await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /panicking-stream HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    let mut wire = Vec::new();
    within("the cut", async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => wire.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&wire);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text:?}");
    assert!(text.contains("chunk 1\n"), "{text:?}");
    // Cut: no last chunk, so the client cannot take the response for complete.
    assert!(!text.ends_with("0\r\n\r\n"), "{text:?}");
    serves_on(&server).await;
    server.stop().await.expect("the server stops cleanly");
}

// ---------------------------------------------------------------------------------------
// Out of file descriptors: a child process serves with a low RLIMIT_NOFILE
// ---------------------------------------------------------------------------------------

const CHILD_ENV: &str = "HTTPSERVER_EMFILE_CHILD";

/// Room for this many accepted connections above the descriptors open at start.
const FREE_DESCRIPTORS: u64 = 8;

/// The server of [`accepting_pauses_while_descriptors_run_out_and_resumes`], in a child
/// process (run by that test; alone it does nothing).
#[test]
#[ignore = "the child process of accepting_pauses_while_descriptors_run_out_and_resumes"]
fn emfile_child_server() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let open = std::fs::read_dir("/proc/self/fd").map_or(64, |d| d.count() as u64);
        let limit = libc::rlimit {
            rlim_cur: open + FREE_DESCRIPTORS,
            rlim_max: open + FREE_DESCRIPTORS,
        };
        // SAFETY: setrlimit reads the struct it is given and nothing else.
        let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
        assert_eq!(set, 0, "setrlimit");
        println!("PORT {port}");
        let app = App::new()
            .handle_signals(false)
            .routes(collect_routes![ping]);
        let _ = tokio::time::timeout(Duration::from_secs(60), app.serve(listener)).await;
    });
}

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child_server() -> (Child, u16) {
    use std::io::BufRead;
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args(["emfile_child_server", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the child server");
    let stdout = child.stdout.take().expect("child stdout");
    let child = Child(child);
    let port = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("PORT ").and_then(|p| p.parse().ok()))
        .expect("the child prints its port");
    (child, port)
}

const PING: &[u8] = b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";

/// Whether a response to `/ping` comes on `stream` within `wait`.
async fn answered(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !got.ends_with(b"pong") {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn accepting_pauses_while_descriptors_run_out_and_resumes() {
    let (_child, port) = spawn_child_server();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    // Twice as many clients as the child has descriptors for.
    let mut clients = Vec::new();
    for _ in 0..2 * FREE_DESCRIPTORS {
        let mut stream = TcpStream::connect(addr)
            .await
            .expect("the backlog takes it");
        stream.write_all(PING).await.expect("write");
        clients.push(stream);
    }
    let mut served = Vec::new();
    let mut waiting = Vec::new();
    for mut stream in clients {
        if answered(&mut stream, Duration::from_millis(500)).await {
            served.push(stream);
        } else {
            waiting.push(stream);
        }
    }
    assert!(!served.is_empty(), "no connection was served");
    assert!(
        !waiting.is_empty(),
        "the descriptor limit was never reached"
    );
    // Those already connected are still served while accepting fails.
    for stream in &mut served {
        stream.write_all(PING).await.expect("write");
        assert!(answered(stream, Duration::from_secs(5)).await);
    }
    // Descriptors free up: the waiting clients are accepted and answered.
    drop(served);
    for stream in &mut waiting {
        assert!(
            answered(stream, Duration::from_secs(10)).await,
            "a waiting client was not served after descriptors freed up"
        );
    }
}
