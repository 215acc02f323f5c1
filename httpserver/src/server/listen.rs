//! The listening socket of `App::run`: inherited from the service manager, or bound here,
//! with `SO_REUSEPORT` when asked.

use std::net::{SocketAddr, TcpListener};

/// The first socket of the sd_listen_fds protocol (`SD_LISTEN_FDS_START`).
#[cfg(unix)]
const FIRST_INHERITED_FD: i32 = 3;

/// The listening socket the service manager passed (`LISTEN_PID` is this process and
/// `LISTEN_FDS` is at least 1), if any. The variables are removed, so that a child process
/// does not take the socket for its own.
#[cfg(unix)]
pub(crate) fn inherited() -> std::io::Result<Option<TcpListener>> {
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| pid == std::process::id());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if !for_us || count == 0 {
        return Ok(None);
    }
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    use std::os::fd::{BorrowedFd, FromRawFd};
    // Look before taking ownership: a descriptor that is not an open socket (a misconfigured
    // unit) is an error, and must not be closed as if it were ours.
    // SAFETY: only borrowed for the duration of the check; a closed descriptor makes the
    // calls below fail with EBADF rather than touch anything.
    let borrowed = unsafe { BorrowedFd::borrow_raw(FIRST_INHERITED_FD) };
    let socket = socket2::SockRef::from(&borrowed);
    let is_tcp_listener = socket.local_addr().is_ok()
        && socket.r#type().is_ok_and(|t| t == socket2::Type::STREAM)
        && socket.is_listener().unwrap_or(false);
    if !is_tcp_listener {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "LISTEN_FDS is set for this process, but descriptor 3 is not a listening TCP socket",
        ));
    }
    // SAFETY: by the sd_listen_fds protocol, checked above (LISTEN_PID names this process),
    // descriptor 3 is the listening socket the service manager passed to this process, which
    // nothing else in it owns; it is taken once, since the variables are now gone.
    Ok(Some(unsafe {
        TcpListener::from_raw_fd(FIRST_INHERITED_FD)
    }))
}

#[cfg(not(unix))]
pub(crate) fn inherited() -> std::io::Result<Option<TcpListener>> {
    Ok(None)
}

/// Binds `addr` (the first address it resolves to that binds), with `SO_REUSEPORT` if
/// asked.
pub(crate) fn bind(addrs: &[SocketAddr], reuse_port: bool) -> std::io::Result<TcpListener> {
    if !reuse_port {
        return TcpListener::bind(addrs);
    }
    let mut last_error = None;
    for &addr in addrs {
        match bind_reusing(addr) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to bind")
    }))
}

fn bind_reusing(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}
