//! A stderr nobody reads (a stuck log collector, a full pipe) must not stall serving: a
//! child server with the default access log (no tracing subscriber, so lines go to
//! stderr) answers 12,000 requests while its stderr pipe is never read, then reports the
//! lines it dropped once the pipe is read again.

use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use httpserver::{collect_routes, get, App, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHILD_ENV: &str = "HTTPSERVER_STUCK_STDERR_CHILD";

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

#[get("/quit")]
async fn quit(req: Request) -> &'static str {
    req.app().shutdown();
    "bye"
}

/// The server of [`serving_goes_on_while_stderr_is_never_read`], in a child process
/// (run by that test; alone it does nothing).
#[test]
#[ignore = "the child process of serving_goes_on_while_stderr_is_never_read"]
fn stuck_stderr_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("PORT {}", listener.local_addr().expect("addr").port());
        let app = App::new()
            .handle_signals(false)
            .routes(collect_routes![ping, quit]);
        let served = tokio::time::timeout(Duration::from_secs(120), app.serve(listener)).await;
        assert!(matches!(served, Ok(Ok(()))), "{served:?}");
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

const CONNECTIONS: usize = 4;
const REQUESTS_EACH: usize = 3000;

/// `REQUESTS_EACH` requests on one kept-alive connection, each answered within 10 s.
async fn ping_many(port: u16) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut buf = vec![0u8; 4096];
    for i in 0..REQUESTS_EACH {
        stream
            .write_all(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .expect("write");
        let mut got = Vec::new();
        while !got.ends_with(b"pong") {
            let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("request {i} not answered within 10 s"))
                .expect("read");
            assert!(n > 0, "the server closed the connection at request {i}");
            got.extend_from_slice(&buf[..n]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_goes_on_while_stderr_is_never_read() {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["stuck_stderr_child", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child server");
    let stdout = child.stdout.take().expect("child stdout");
    // Held open and not read until the end: the pipe fills and stays full.
    let mut stderr = child.stderr.take().expect("child stderr");
    let mut child = Child(child);
    // Stdout is read to its end (the child's test harness reports there), the port first.
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(port) = line
                .strip_prefix("PORT ")
                .and_then(|p| p.parse::<u16>().ok())
            {
                let _ = port_tx.send(port);
            }
        }
    });
    let port = port_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the child prints its port");

    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(ping_many(port)))
        .collect();
    for client in clients {
        client.await.expect("every request answered");
    }

    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream
        .write_all(b"GET /quit HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    assert!(
        answer.ends_with(b"bye"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );

    // Reading stderr again lets the queued lines through, then the count of the others.
    let log = tokio::task::spawn_blocking(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let status = tokio::task::spawn_blocking(move || child.0.wait())
        .await
        .expect("wait")
        .expect("the child exits");
    let log = log.await.expect("stderr read");
    let tail = &log[log.len().saturating_sub(2000)..];
    assert!(
        status.success(),
        "the child server failed: {status}\n{tail}"
    );
    let dropped: u64 = log
        .lines()
        .filter_map(|line| line.strip_prefix("httpserver: "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<u64>().ok())
        .sum();
    let written = log
        .lines()
        .filter(|l| l.contains("\"GET /ping\" 200"))
        .count() as u64;
    assert!(dropped > 0, "no line was reported dropped:\n{tail}");
    // Every request's line was either written or counted as dropped (the count may also
    // hold the line of the request that stopped the server).
    let requests = (CONNECTIONS * REQUESTS_EACH) as u64;
    assert!(
        written + dropped == requests || written + dropped == requests + 1,
        "written {written}, dropped {dropped} of {requests} lines"
    );
}
