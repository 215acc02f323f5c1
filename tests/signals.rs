//! SIGTERM and SIGINT stop a real server process gracefully: the request in flight gets
//! its whole response, then the process exits with status 0.
//!
//! The process is `graceful-demo` (tests/support/graceful_demo.rs), which serves with
//! `App::run` and signal handling on, as a user's `main` does.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `graceful-demo`; killed on drop if it is still running.
struct Demo {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    /// Everything the demo wrote to stderr so far (also echoed to the test's stderr).
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Demo {
    /// Starts the demo and waits until it answers on its port. Retries with a new process
    /// if the port it picked was taken before it could bind it.
    fn start() -> Demo {
        Demo::start_with(&[])
    }

    /// Starts the demo with these environment variables (see graceful_demo.rs).
    fn start_with(env: &[(&str, &str)]) -> Demo {
        for _ in 0..5 {
            if let Some(demo) = Demo::try_start(env) {
                return demo;
            }
        }
        panic!("graceful-demo did not start");
    }

    fn try_start(env: &[(&str, &str)]) -> Option<Demo> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_graceful-demo"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn graceful-demo");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let collected = std::sync::Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                eprintln!("graceful-demo: {line}");
                let mut all = collected.lock().unwrap_or_else(|p| p.into_inner());
                all.push_str(&line);
                all.push('\n');
            }
        });
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut demo = Demo {
            child,
            port: 0,
            lines,
            stderr,
        };
        let first = demo.expect_line_starting("port ", Duration::from_secs(10));
        demo.port = first["port ".len()..]
            .trim()
            .parse()
            .expect("a port number");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(response) = demo.try_get("/ping") {
                assert!(response.ends_with("pong"), "not our server: {response:?}");
                return Some(demo);
            }
            if let Ok(Some(status)) = demo.child.try_wait() {
                assert_eq!(status.code(), Some(3), "graceful-demo failed to start");
                return None; // the port was taken: try again
            }
            assert!(Instant::now() < deadline, "graceful-demo never answered");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line of the demo's stdout that starts with `prefix`.
    fn expect_line_starting(&self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => continue,
                Err(e) => panic!("no line starting with {prefix:?} from graceful-demo: {e}"),
            }
        }
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(stream)
    }

    /// One GET with `Connection: close`; `None` if the server cannot be reached.
    fn try_get(&self, path: &str) -> Option<String> {
        let mut stream = self.connect().ok()?;
        send_get(&mut stream, path);
        read_all(&mut stream).ok()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "graceful-demo did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn send_get(stream: &mut TcpStream, path: &str) {
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .expect("write request");
}

fn read_all(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Starts a slow request, sends `signal` while it is in flight, and checks that the
/// response arrives whole and that the process exits 0.
fn graceful_stop_on(signal: &str) {
    let mut demo = Demo::start();
    let mut in_flight = demo.connect().expect("connect");
    send_get(&mut in_flight, "/slow");
    demo.expect_line_starting("slow started", Duration::from_secs(5));

    let signalled = Instant::now();
    demo.signal(signal);

    let response = read_all(&mut in_flight).expect("the in-flight response arrives");
    assert!(
        response.starts_with("HTTP/1.1 200 OK\r\n"),
        "in-flight request after SIG{signal}: {response:?}"
    );
    assert!(
        response.ends_with("\r\n\r\nslow done"),
        "whole body: {response:?}"
    );

    let status = demo.wait_for_exit(Duration::from_secs(5));
    assert!(
        status.success(),
        "graceful-demo exits 0 after SIG{signal}, got {status:?}"
    );
    demo.expect_line_starting("stopped", Duration::from_secs(1));
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "stopped promptly: {:?}",
        signalled.elapsed()
    );
    assert!(demo.connect().is_err(), "nothing listens any more");
}

#[test]
fn sigterm_stops_gracefully() {
    graceful_stop_on("TERM");
}

#[test]
fn sigint_stops_gracefully() {
    graceful_stop_on("INT");
}

#[test]
fn sigterm_when_idle_exits_at_once() {
    let mut demo = Demo::start();
    // An idle keep-alive connection must not hold the process up.
    let mut idle = demo.connect().expect("connect");
    write!(idle, "GET /ping HTTP/1.1\r\nHost: test\r\n\r\n").expect("write");
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).expect("a response");
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("pong"));

    let signalled = Instant::now();
    demo.signal("TERM");
    let status = demo.wait_for_exit(Duration::from_secs(5));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(2),
        "an idle connection delayed the exit: {:?}",
        signalled.elapsed()
    );
}

/// An app without a tracing subscriber still shows a failing handler's error, with its
/// causes, a handler's panic and one line per request on stderr, as Flask's development server prints a
/// traceback; the server answers 500 and serves on.
#[test]
fn handler_errors_and_panics_reach_stderr_without_a_subscriber() {
    let mut demo = Demo::start();
    let fail = demo.try_get("/fail").expect("an answer");
    assert!(fail.starts_with("HTTP/1.1 500"), "{fail}");
    assert!(
        !fail.contains("database"),
        "no details to the client: {fail}"
    );
    let boom = demo.try_get("/boom").expect("an answer");
    assert!(boom.starts_with("HTTP/1.1 500"), "{boom}");
    assert!(demo
        .try_get("/ping")
        .expect("still serving")
        .ends_with("pong"));
    demo.signal("TERM");
    assert!(demo.wait_for_exit(Duration::from_secs(10)).success());
    // The reader thread may still be copying the last lines.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stderr = demo
            .stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let complete = stderr
            .contains("error: handler `fail` failed: the database is down: connection refused")
            && stderr.contains("error: handler `boom` panicked: boom at the handler")
            // And one access line per request, as Flask's development server prints.
            && stderr.contains("\"GET /ping\" 200 4 ")
            && stderr.contains("\"GET /fail\" 500 ");
        if complete {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "missing error lines on stderr:\n{stderr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One GET on a fresh connection: the status code and whether the server closes after it.
fn status_and_close(port: u16, path: &str) -> Option<(u16, bool)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    // Keep-alive asked for: a `Connection: close` in the answer is the server's choice.
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").ok()?;
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).ok()?;
    let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.contains("connection: close")))
}

/// SIGTERM starts the drain phase: the server still accepts and answers, closes each
/// connection after its answer and reports itself not ready; then it stops.
#[test]
fn sigterm_drains_before_the_graceful_shutdown() {
    let mut demo = Demo::start_with(&[("DEMO_DRAIN_MS", "1500")]);
    assert_eq!(status_and_close(demo.port, "/ready"), Some((200, false)));
    demo.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    while status_and_close(demo.port, "/ready") != Some((503, true)) {
        assert!(Instant::now() < deadline, "never reported draining");
        std::thread::sleep(Duration::from_millis(10));
    }
    // New connections are still accepted and answered, each closed after its answer.
    for _ in 0..5 {
        assert_eq!(status_and_close(demo.port, "/ping"), Some((200, true)));
    }
    assert!(
        demo.child.try_wait().expect("try_wait").is_none(),
        "still serving"
    );
    let status = demo.wait_for_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

/// With `reuse_port`, a second process binds the port the first still serves, and while the
/// first drains and stops, every request is answered by one or the other. A connection the
/// kernel queued on the old socket at the instant it closes is reset (SO_REUSEPORT cannot
/// hand it over), so the client retries once on a connection error, as a load balancer
/// does (nginx's `proxy_next_upstream error`).
#[test]
fn a_restart_with_reuse_port_loses_no_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
        .to_string();
    let env = [
        ("DEMO_PORT", port.as_str()),
        ("DEMO_REUSE_PORT", "1"),
        ("DEMO_DRAIN_MS", "500"),
    ];
    let mut old = Demo::start_with(&env);
    let new = Demo::start_with(&env);
    assert_eq!(new.port, old.port);
    old.signal("TERM");
    let until = Instant::now() + Duration::from_millis(1500);
    let mut answered = 0;
    while Instant::now() < until {
        let answer =
            status_and_close(old.port, "/ping").or_else(|| status_and_close(old.port, "/ping"));
        match answer {
            Some((200, _)) => answered += 1,
            other => panic!("a request failed during the restart, retried once: {other:?}"),
        }
    }
    assert!(old.wait_for_exit(Duration::from_secs(10)).success());
    assert!(answered > 10, "{answered} requests");
    assert_eq!(
        status_and_close(new.port, "/ping").map(|(s, _)| s),
        Some(200)
    );
}

/// A listening socket handed over as systemd does (descriptor 3, `LISTEN_FDS=1`,
/// `LISTEN_PID` the server's pid) is served instead of the address given to `run`.
#[test]
fn a_socket_from_the_service_manager_is_served() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let fd = listener.as_raw_fd();
    let mut command = Command::new("sh");
    // `$$` in `sh -c` is the shell's pid, which `exec` hands to the demo.
    command
        .args([
            "-c",
            "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\"",
            env!("CARGO_BIN_EXE_graceful-demo"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    // SAFETY: between fork and exec only dup2 or fcntl, async-signal-safe, run; they put
    // the listening socket at descriptor 3 (without close-on-exec) as a service manager does.
    unsafe {
        command.pre_exec(move || {
            // At 3 already: only clear close-on-exec; elsewhere: copy it to 3 (the copy
            // does not inherit close-on-exec).
            let failed = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0) == -1
            } else {
                libc::dup2(fd, 3) == -1
            };
            if failed {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("spawn the demo with a socket");
    drop(listener); // the child holds its own copy
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = loop {
        if let Some(answer) = status_and_close(port, "/ping") {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "the inherited socket was never served"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(answer.0, 200);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
}
