//! WebSocket routes (feature `ws`): the handshake byte for byte over a real socket, the
//! in-process test client, a Rust client (tokio-tungstenite) over TCP and over TLS, a first
//! message sent in the handshake's write, size limits,
//! subprotocols, split sockets, layers, and graceful shutdown with sockets open.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use httpserver::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use httpserver::{collect_routes, get, App, Request, Response};
use httpserver_suite::{tls_handshake, TestCertificate, TestServer, IO_TIMEOUT};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;

#[get("/echo")]
async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if matches!(msg, Message::Ping(_) | Message::Pong(_) | Message::Close(_)) {
                continue;
            }
            if socket.send(msg).await.is_err() {
                break;
            }
        }
    })
}

#[get("/proto")]
async fn proto(ws: WebSocketUpgrade) -> Response {
    ws.protocols(["chat", "superchat"])
        .on_upgrade(|mut socket| async move {
            let chosen = socket.protocol().unwrap_or("none").to_owned();
            let _ = socket.send(Message::Text(chosen)).await;
        })
}

#[get("/small")]
async fn small(ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(1024)
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(msg)) = socket.recv().await {
                let _ = socket.send(msg).await;
            }
        })
}

/// Sends a tick from one task while another counts what arrives: the halves of `split`.
#[get("/split")]
async fn split(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|socket| async move {
        let (mut sender, mut receiver) = socket.split();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<usize>();
        let counter = tokio::spawn(async move {
            let mut n = 0;
            while let Some(Ok(Message::Text(_))) = receiver.recv().await {
                n += 1;
                if n == 3 {
                    break;
                }
            }
            let _ = done_tx.send(n);
        });
        for i in 0..3 {
            let _ = sender.send(Message::Text(format!("tick {i}"))).await;
        }
        let n = done_rx.await.unwrap_or(0);
        let _ = sender.send(Message::Text(format!("received {n}"))).await;
        let _ = counter.await;
    })
}

fn app() -> App {
    App::new().routes(collect_routes![echo, proto, small, split])
}

// ---- in process -------------------------------------------------------------------

#[tokio::test]
async fn test_client_echoes_text_and_binary() {
    let client = app().test_client();
    let mut socket = client.websocket("/echo").await.expect("handshake");
    socket.send(Message::Text("héllo".into())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("héllo".into())
    );
    let bytes = bytes::Bytes::from(vec![0u8, 1, 2, 255]);
    socket.send(Message::Binary(bytes.clone())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Binary(bytes)
    );
    let big = "x".repeat(1024 * 1024);
    socket.send(Message::Text(big.clone())).await.unwrap();
    assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Text(big));
}

#[tokio::test]
async fn a_plain_request_to_a_websocket_route_is_426() {
    let res = app().test_client().get("/echo").send().await;
    assert_eq!(res.status(), 426);
    assert_eq!(res.header("upgrade"), Some("websocket"));
}

#[tokio::test]
async fn another_version_is_426_naming_13() {
    let res = app()
        .test_client()
        .get("/echo")
        .header("sec-websocket-version", "8")
        .websocket()
        .await
        .err()
        .expect("refused");
    assert_eq!(res.status(), 426);
    assert_eq!(res.header("sec-websocket-version"), Some("13"));
}

#[tokio::test]
async fn a_malformed_key_is_400() {
    let res = app()
        .test_client()
        .get("/echo")
        .header("sec-websocket-key", "not base64 at all")
        .websocket()
        .await
        .err()
        .expect("refused");
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn the_first_offered_protocol_the_route_speaks_is_chosen() {
    let client = app().test_client();
    let mut socket = client
        .get("/proto")
        .header("sec-websocket-protocol", "v9, superchat, chat")
        .websocket()
        .await
        .expect("handshake");
    assert_eq!(socket.protocol(), Some("superchat"));
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("superchat".into())
    );
    let mut socket = client.websocket("/proto").await.expect("handshake");
    assert_eq!(socket.protocol(), None);
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("none".into())
    );
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let client = app().test_client();
    let mut socket = client.websocket("/small").await.expect("handshake");
    socket.send(Message::Text("fits".into())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("fits".into())
    );
    socket
        .send(Message::Binary(vec![7u8; 2000].into()))
        .await
        .unwrap();
    match socket.recv().await {
        Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => assert_eq!(code, 1009),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
}

#[tokio::test]
async fn the_app_wide_limit_applies_too() {
    let client = app().ws_max_message_size(100).test_client();
    let mut socket = client.websocket("/echo").await.expect("handshake");
    socket.send(Message::Text("y".repeat(101))).await.unwrap();
    match socket.recv().await {
        Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => assert_eq!(code, 1009),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
}

#[tokio::test]
async fn split_halves_work_from_separate_tasks() {
    let client = app().test_client();
    let mut socket = client.websocket("/split").await.expect("handshake");
    for i in 0..3 {
        assert_eq!(
            socket.recv().await.unwrap().unwrap(),
            Message::Text(format!("tick {i}"))
        );
        socket.send(Message::Text(format!("hi {i}"))).await.unwrap();
    }
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("received 3".into())
    );
}

#[tokio::test]
async fn hooks_see_the_handshake_request() {
    async fn tag(_req: Request, mut res: Response) -> Response {
        res.headers_mut().insert("x-seen", "1".parse().unwrap());
        res
    }
    let client = app().after_request(tag).test_client();
    let res = client.get("/echo").send().await;
    assert_eq!(res.header("x-seen"), Some("1"));
    assert!(client.websocket("/echo").await.is_ok());
}

// ---- over TCP ---------------------------------------------------------------------

/// Sends `request` raw and reads the response head (a 101 has no body to wait for).
async fn raw_head(server: &TestServer, request: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    (read_head(&mut stream).await, stream)
}

/// Reads a response head byte by byte, leaving what follows it unread; lowercased.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(IO_TIMEOUT, stream.read(&mut byte))
            .await
            .expect("response in time")
            .unwrap();
        assert_eq!(
            n,
            1,
            "closed before the head: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    String::from_utf8(buf).unwrap().to_ascii_lowercase()
}

fn handshake(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

#[tokio::test]
async fn handshake_on_the_wire_follows_rfc_6455() {
    let server = TestServer::start(app()).await;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let (head, first) = raw_head(&server, &handshake("/echo", key)).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket\r\n"), "{head}");
    assert!(head.contains("connection: upgrade\r\n"), "{head}");
    // RFC 6455 section 1.3's example (lowercased with the rest of the head).
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{head}"
    );

    let offer = format!("{key}Sec-WebSocket-Protocol: chat\r\n");
    let (head, second) = raw_head(&server, &handshake("/proto", &offer)).await;
    assert!(head.contains("sec-websocket-protocol: chat\r\n"), "{head}");

    let (head, _) = raw_head(&server, &handshake("/echo", "")).await;
    assert!(head.starts_with("http/1.1 400"), "missing key: {head}");
    let (head, _) = raw_head(&server, &handshake("/echo", "Sec-WebSocket-Key: abc\r\n")).await;
    assert!(head.starts_with("http/1.1 400"), "malformed key: {head}");
    let wrong_version = "GET /echo HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                         Sec-WebSocket-Version: 7\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    let (head, _) = raw_head(&server, wrong_version).await;
    assert!(head.starts_with("http/1.1 426"), "{head}");
    assert!(head.contains("sec-websocket-version: 13\r\n"), "{head}");
    let plain = server.get("/echo").await;
    assert_eq!(plain.status, 426);
    assert_eq!(plain.header("upgrade"), Some("websocket"));
    // Sockets whose client leaves end at once; shutdown does not wait for them.
    drop((first, second));
    server.stop().await.unwrap();
}

async fn connect(
    server: &TestServer,
    path: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>> {
    let url = format!("ws://{}{path}", server.addr);
    let (socket, res) = tokio::time::timeout(IO_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .expect("handshake in time")
        .expect("handshake");
    assert_eq!(res.status(), 101);
    socket
}

async fn next<S: AsyncRead + AsyncWrite + Unpin>(
    socket: &mut tokio_tungstenite::WebSocketStream<S>,
) -> tungstenite::Message {
    tokio::time::timeout(IO_TIMEOUT, socket.next())
        .await
        .expect("message in time")
        .expect("socket open")
        .expect("message")
}

#[tokio::test]
async fn a_rust_client_over_tcp_echoes_and_gets_pongs() {
    let server = TestServer::start(app()).await;
    let mut socket = connect(&server, "/echo").await;
    socket
        .send(tungstenite::Message::Text("hi".into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::Text("hi".into())
    );
    socket
        .send(tungstenite::Message::Ping(vec![1, 2].into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::Pong(vec![1, 2].into())
    );
    socket.close(None).await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_idle_socket_outlives_the_keep_alive_timeout() {
    let app = app().keep_alive_timeout(Duration::from_millis(100));
    let server = TestServer::start(app).await;
    let mut socket = connect(&server, "/echo").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    socket
        .send(tungstenite::Message::Text("still here".into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::Text("still here".into())
    );
    socket.close(None).await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_sends_1001_and_waits_for_open_sockets() {
    let server = TestServer::start(app().grace_period(Duration::from_secs(10))).await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(connect(&server, "/echo").await);
    }
    let handle = server.handle.clone();
    let stopped = tokio::spawn(server.stop());
    for socket in &mut sockets {
        match next(socket).await {
            tungstenite::Message::Close(Some(frame)) => {
                assert_eq!(u16::from(frame.code), 1001);
            }
            other => panic!("expected Close 1001, got {other:?}"),
        }
    }
    assert!(handle.is_shutting_down());
    // The clients answer the close (tungstenite does as it reads on); then the server returns.
    for socket in &mut sockets {
        while let Ok(Some(_)) = tokio::time::timeout(IO_TIMEOUT, socket.next()).await {}
    }
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .expect("server stopped soon after the sockets closed")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn sockets_that_never_close_are_cut_after_the_grace_period() {
    #[get("/deaf")]
    async fn deaf(ws: WebSocketUpgrade) -> Response {
        ws.on_upgrade(|_socket| async move { std::future::pending::<()>().await })
    }
    let app = App::new()
        .routes(collect_routes![deaf])
        .grace_period(Duration::from_millis(300));
    let server = TestServer::start(app).await;
    let _socket = connect(&server, "/deaf").await;
    let started = std::time::Instant::now();
    server.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn websockets_work_under_layers() {
    use tower_http::compression::CompressionLayer;
    use tower_http::trace::TraceLayer;
    let app = app()
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http());
    let server = TestServer::start(app).await;
    let mut socket = connect(&server, "/echo").await;
    socket
        .send(tungstenite::Message::Text("layered".into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::Text("layered".into())
    );
    socket.close(None).await.unwrap();
    server.stop().await.unwrap();
}

/// Reads one server frame (unmasked, short) off a raw stream: (opcode, payload).
async fn read_frame<S: AsyncRead + Unpin>(stream: &mut S) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tokio::time::timeout(IO_TIMEOUT, stream.read_exact(&mut head))
        .await
        .expect("a frame in time")
        .ok()?;
    let len = (head[1] & 0x7f) as usize;
    assert!(len < 126, "a short frame");
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

#[tokio::test]
async fn protocol_violations_close_with_a_reason_never_a_panic() {
    let server = TestServer::start(app()).await;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    // A client frame without a mask: 1002 (protocol error).
    let (head, mut stream) = raw_head(&server, &handshake("/echo", key)).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    stream.write_all(b"\x81\x02hi").await.unwrap();
    let (opcode, payload) = read_frame(&mut stream).await.expect("a close frame");
    assert_eq!(opcode, 0x8);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1002);
    // Text that is not UTF-8 (masked with zeros): 1007.
    let (_, mut stream) = raw_head(&server, &handshake("/echo", key)).await;
    stream
        .write_all(b"\x81\x82\x00\x00\x00\x00\xff\xfe")
        .await
        .unwrap();
    let (opcode, payload) = read_frame(&mut stream).await.expect("a close frame");
    assert_eq!(opcode, 0x8);
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1007);
    // Garbage: closed, and the server goes on serving.
    let (_, mut stream) = raw_head(&server, &handshake("/echo", key)).await;
    stream.write_all(&[0xff; 64]).await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.read_to_end(&mut rest)).await;
    let mut socket = connect(&server, "/echo").await;
    socket
        .send(tungstenite::Message::Text("fine".into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::Text("fine".into())
    );
    socket.close(None).await.unwrap();
    server.stop().await.unwrap();
}

/// A short text frame as a client sends it: masked (with a key that changes every byte).
fn client_text_frame(text: &str) -> Vec<u8> {
    assert!(text.len() < 126, "a short frame");
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(text.bytes().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    frame
}

/// Sends the handshake and a first message in the same write, as a client may: the server
/// reads both at once, and the message must still reach the socket and be echoed.
async fn echoes_a_message_sent_with_the_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
) {
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let mut bytes = handshake("/echo", key).into_bytes();
    bytes.extend(client_text_frame("sent with the handshake"));
    stream.write_all(&bytes).await.unwrap();
    let head = read_head(&mut stream).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    let frame = read_frame(&mut stream).await.expect("the echo");
    assert_eq!(frame, (0x1, b"sent with the handshake".to_vec()));
    stream
        .write_all(&client_text_frame("and after"))
        .await
        .unwrap();
    let frame = read_frame(&mut stream).await.expect("the echo");
    assert_eq!(frame, (0x1, b"and after".to_vec()));
}

#[tokio::test]
async fn a_message_sent_with_the_handshake_is_not_lost() {
    let server = TestServer::start(app()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    echoes_a_message_sent_with_the_handshake(stream).await;
    server.stop().await.unwrap();
}

/// An HTTPS connection (ALPN `http/1.1`) to a server with a certificate made for the test.
async fn connect_tls(
    server: &TestServer,
    cert: &TestCertificate,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    tls_handshake(tcp, &cert.http1_client).await
}

#[tokio::test]
async fn over_tls_a_message_sent_with_the_handshake_is_not_lost() {
    let cert = TestCertificate::new();
    let server = TestServer::start(app().tls(cert.server.clone())).await;
    echoes_a_message_sent_with_the_handshake(connect_tls(&server, &cert).await).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_rust_client_over_tls_echoes_and_gets_pongs_and_a_close() {
    let cert = TestCertificate::new();
    let server = TestServer::start(app().tls(cert.server.clone())).await;
    let stream = connect_tls(&server, &cert).await;
    let (mut socket, res) = tokio::time::timeout(
        IO_TIMEOUT,
        tokio_tungstenite::client_async("wss://localhost/echo", stream),
    )
    .await
    .expect("handshake in time")
    .expect("handshake");
    assert_eq!(res.status(), 101);
    let message = tungstenite::Message::Text("over TLS".into());
    socket.send(message.clone()).await.unwrap();
    assert_eq!(next(&mut socket).await, message);
    let ping = tungstenite::Message::Ping(vec![7, 8].into());
    socket.send(ping).await.unwrap();
    let pong = tungstenite::Message::Pong(vec![7, 8].into());
    assert_eq!(next(&mut socket).await, pong);
    socket.close(None).await.unwrap();
    // The server answers the close, and then the stream ends.
    loop {
        let read = tokio::time::timeout(IO_TIMEOUT, socket.next()).await;
        match read.expect("the close's answer in time") {
            Some(Ok(tungstenite::Message::Close(_))) => continue,
            Some(Ok(other)) => panic!("after the close: {other:?}"),
            Some(Err(_)) | None => break,
        }
    }
    server.stop().await.unwrap();
}

/// Sends 64 KiB messages until a send fails, then says so through the state's channel.
#[get("/flood")]
async fn flood(
    ws: WebSocketUpgrade,
    failed: httpserver::State<tokio::sync::mpsc::Sender<String>>,
) -> Response {
    let failed = failed.clone();
    ws.on_upgrade(|mut socket| async move {
        loop {
            if let Err(e) = socket
                .send(Message::Binary(vec![b'f'; 64 * 1024].into()))
                .await
            {
                let _ = failed.send(e.to_string()).await;
                return;
            }
        }
    })
}

/// A peer that stops reading stalls its sender only until `send_timeout`: the send then
/// fails and the socket is closed, instead of the handler waiting for ever.
#[tokio::test]
async fn a_peer_that_stops_reading_fails_the_send_after_the_send_timeout() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1);
    let app = App::new()
        .routes(collect_routes![flood])
        .state(tx)
        .send_timeout(Duration::from_millis(300));
    let server = TestServer::start(app).await;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let (head, _stream) = raw_head(&server, &handshake("/flood", key)).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    // `_stream` is kept open and never read.
    let error = tokio::time::timeout(IO_TIMEOUT, rx.recv())
        .await
        .expect("the send fails within the timeout")
        .expect("an error");
    assert!(!error.is_empty());
    server.stop().await.expect("clean stop");
}
