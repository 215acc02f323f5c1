//! A WebSocket's byte stream after its handshake: the connection's own stream, taken back
//! out of hyper's `Upgraded`. Registered with `ws::upgrade` when the server starts, since
//! only this side can name the stream types it gave hyper.

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::server::conn_io::ConnIo;
use crate::server::reclaim::Reclaim;
use crate::ws::upgrade::{register_own_stream, BoxIo};

/// Lets upgraded connections run over the server's own streams from now on.
pub(crate) fn register() {
    register_own_stream(own_stream);
}

/// The stream `serve_http1` gave hyper, for each kind of connection; hyper's `Upgraded`
/// back when it is none of them.
fn own_stream(upgraded: Upgraded) -> Result<BoxIo, Upgraded> {
    let upgraded = match take_back::<TcpStream>(upgraded) {
        Ok(stream) => return Ok(stream),
        Err(upgraded) => upgraded,
    };
    #[cfg(feature = "tls")]
    let upgraded = match take_back::<Box<tokio_rustls::server::TlsStream<TcpStream>>>(upgraded) {
        Ok(stream) => return Ok(stream),
        Err(upgraded) => upgraded,
    };
    Err(upgraded)
}

/// The connection's stream, still lent (its connection task frees the connection's slot
/// when the socket drops it), handed over: the bytes hyper read past the handshake put
/// back in front, and no HTTP idle timer left to consult on each read.
fn take_back<S>(upgraded: Upgraded) -> Result<BoxIo, Upgraded>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let parts = upgraded.downcast::<TokioIo<Reclaim<ConnIo<S>>>>()?;
    let mut stream = parts.io.into_inner();
    if let Some(io) = stream.inner_mut() {
        io.hand_over(parts.read_buf);
    }
    Ok(Box::new(stream))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::Empty;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::oneshot;

    use super::*;
    use crate::server::activity::Activity;
    use crate::server::conn_io::Waits;

    /// A client's upgrade request and the bytes it sends in the same write, behind them.
    const UPGRADE: &[u8] =
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\nsent early";

    #[tokio::test]
    async fn the_plain_stream_comes_back_with_the_bytes_read_past_the_handshake() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let client = tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.write_all(UPGRADE).await.expect("write");
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(stream.read_u8().await.expect("the 101's head"));
            }
            stream.write_all(b" and late").await.expect("write");
            (String::from_utf8_lossy(&head).into_owned(), stream)
        });
        let (tcp, _) = listener.accept().await.expect("accept");
        let waits = Waits {
            keep_alive: None,
            head: None,
        };
        let io = ConnIo::new(
            tcp,
            Bytes::new(),
            waits,
            tokio::time::Instant::now(),
            Arc::new(Activity::default()),
            Duration::from_secs(5),
        );
        let (io, _returned) = Reclaim::new(io);
        let (upgrades, upgrade) = oneshot::channel();
        let upgrades = Arc::new(Mutex::new(Some(upgrades)));
        let service = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
            if let Some(tx) = upgrades.lock().expect("lock").take() {
                let _ = tx.send(hyper::upgrade::on(&mut req));
            }
            async {
                http::Response::builder()
                    .status(101)
                    .header("connection", "upgrade")
                    .header("upgrade", "test")
                    .body(Empty::<Bytes>::new())
            }
        });
        let connection = http1::Builder::new()
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        tokio::spawn(connection);

        let upgraded = upgrade.await.expect("a request").await.expect("upgraded");
        let Ok(mut stream) = own_stream(upgraded) else {
            panic!("the server's stream was not taken back");
        };
        let (head, _client) = client.await.expect("client");
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let mut read = [0u8; 19];
        let read_all = stream.read_exact(&mut read);
        tokio::time::timeout(Duration::from_secs(5), read_all)
            .await
            .expect("all the bytes, in time")
            .expect("read");
        assert_eq!(&read, b"sent early and late");
    }
}
