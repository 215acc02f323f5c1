//! Opens N keep-alive connections to a server, and samples the server's resident set
//! (VmRSS) three times: before, after one small GET on each connection, and after one
//! 512 KiB GET on each; all connections stay open throughout. Prints one line of figures.
//!
//! Usage: client <port> <server pid> [connections (200)]

use std::time::Duration;

use httpserver_conn_memory::BIG;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS".to_owned())
}

/// Sends a GET for `path` and reads the whole response (Content-Length framed); returns
/// the body length.
async fn get(conn: &mut TcpStream, path: &str) -> Result<usize, String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    conn.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let (head_end, len) = loop {
        let n = conn.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed before the head".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("no content-length")?;
            break (i + 4, len);
        }
    };
    let mut have = buf.len() - head_end;
    while have < len {
        let n = conn.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed inside the body".into());
        }
        have += n;
    }
    Ok(len)
}

async fn settle_and_sample(pid: u32) -> Result<u64, String> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    rss_kib(pid)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).ok_or("port")?;
    let pid: u32 = args.next().and_then(|a| a.parse().ok()).ok_or("pid")?;
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);

    // Warm the server up on a connection that then closes: runtime, router, first
    // allocations of each route.
    {
        let mut warm = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        get(&mut warm, "/small").await?;
        get(&mut warm, "/big").await?;
    }
    let before = settle_and_sample(pid).await?;

    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let mut conn = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        get(&mut conn, "/small").await?;
        conns.push(conn);
    }
    let after_small = settle_and_sample(pid).await?;

    for conn in &mut conns {
        let len = get(conn, "/big").await?;
        if len != BIG {
            return Err(format!("/big answered {len} bytes"));
        }
    }
    let after_big = settle_and_sample(pid).await?;

    let per = |a: u64, b: u64| (a as f64 - b as f64) / n as f64;
    println!(
        "connections={n} rss_before_kib={before} rss_after_small_kib={after_small} \
         rss_after_big_kib={after_big} per_conn_idle_kib={:.1} per_conn_after_big_kib={:.1} \
         per_conn_total_kib={:.1}",
        per(after_small, before),
        per(after_big, after_small),
        per(after_big, before)
    );
    drop(conns);
    Ok(())
}
