//! The builder's limits and timeouts: how much a request may carry, how long each wait
//! may last, and how the server ends (drain, grace). Each has a default suited to most
//! apps; `App::with_env` reads them from the environment too.

use std::time::Duration;

use super::App;

impl App {
    /// The largest request body accepted (default 1 MiB). A larger one is answered 413
    /// as soon as it is known to be too large, without reading the rest.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The most bytes of a [`Multipart`](crate::Multipart) body's preamble and of each
    /// part's header block, up to its blank line (default 8 KiB). Without this bound a
    /// client could make the parser hold the whole body while it looks for the end of a
    /// header block; past it the request gets a 413 naming this setting.
    ///
    /// ```
    /// let app = httpserver::App::new().max_multipart_header_size(16 * 1024);
    /// ```
    pub fn max_multipart_header_size(mut self, bytes: usize) -> Self {
        self.config.multipart.framing.header_size = bytes;
        self
    }

    /// The most parts in one [`Multipart`](crate::Multipart) body (default 1,000); past it
    /// the request gets a 413 naming this setting.
    ///
    /// ```
    /// let app = httpserver::App::new().max_multipart_parts(50);
    /// ```
    pub fn max_multipart_parts(mut self, parts: usize) -> Self {
        self.config.multipart.framing.parts = parts;
        self
    }

    /// The most bytes of a [`Multipart`](crate::Multipart) field that is not a file
    /// (default 1 MiB): form values are read into memory, files are streamed and bounded
    /// by the route's `max_body_size` alone. Past it, reading the field fails with a 413
    /// naming the field and this setting.
    ///
    /// ```
    /// let app = httpserver::App::new().max_form_field_size(64 * 1024);
    /// ```
    pub fn max_form_field_size(mut self, bytes: usize) -> Self {
        self.config.multipart.field_size = bytes;
        self
    }

    /// The shorthand of the timeouts for a request in progress: sets
    /// [`head_timeout`](App::head_timeout), [`body_timeout`](App::body_timeout) and
    /// [`body_total_timeout`](App::body_total_timeout) to `timeout`, and lowers
    /// [`keep_alive_timeout`](App::keep_alive_timeout) to `timeout` if it is longer.
    /// That is what it meant before those settings existed (a client had `timeout` to
    /// send one request's head and buffered body, and an idle connection was closed after
    /// it), so code that calls it keeps its behaviour. Settings called after it win: to
    /// allow slow uploads or to keep idle connections longer behind a load balancer, set
    /// `body_total_timeout` or `keep_alive_timeout` after `read_timeout`, or use the
    /// separate settings instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new()
    ///     .read_timeout(Duration::from_secs(10))
    ///     .body_total_timeout(Duration::from_secs(120));
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.head_timeout = timeout;
        self.config.body_timeout = timeout;
        self.config.body_total_timeout = timeout;
        self.config.keep_alive_timeout = self.config.keep_alive_timeout.min(timeout);
        self
    }

    /// How long a client may take to send a complete request head (request line and
    /// headers); default 30 s. For a connection's first request it counts from the moment
    /// the connection was accepted, so it also bounds the wait for the first byte; for
    /// a later request on a keep-alive connection it counts from the first byte of that
    /// request (the wait before it is [`keep_alive_timeout`](App::keep_alive_timeout)'s).
    /// Past it the connection is closed without a response, as nginx's
    /// `client_header_timeout` and Go's `ReadHeaderTimeout` do. (hyper's own
    /// `header_read_timeout` is not used: it starts when hyper begins to wait for a head,
    /// so it would also cut idle keep-alive connections.)
    ///
    /// The default, hyper's own and the old `read_timeout`, is long enough for a head of
    /// a few KiB over the worst mobile link, and short enough that a client sending a head
    /// byte by byte (slowloris) holds a connection slot for no more than that.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().head_timeout(Duration::from_secs(10));
    /// ```
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.config.head_timeout = timeout;
        self
    }

    /// The longest wait for the next bytes of a request body (default 30 s): a body from
    /// which nothing arrives for this long gets 408 and the connection is closed. It is
    /// the time between two reads, not the time for the whole body, so a slow but steady
    /// upload is fine however long it takes (nginx's `client_body_timeout`). It applies to
    /// buffered bodies and to [`BodyStream`](crate::BodyStream) between chunks.
    ///
    /// The default is the old `read_timeout`: a link that delivers nothing for 30 s has
    /// stalled (TCP retransmits within seconds), and a waiting body holds its connection.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().body_timeout(Duration::from_secs(10));
    /// ```
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_timeout = timeout;
        self
    }

    /// The longest time to receive a whole buffered request body, from the first wait for
    /// it (default 300 s); past it the client gets 408 and the connection is closed. A
    /// buffered body is held in memory until it is complete, up to
    /// [`max_body_size`](App::max_body_size): without a total bound a client sending a
    /// byte just within [`body_timeout`](App::body_timeout) each time could hold that
    /// memory and a connection slot indefinitely. Streamed bodies
    /// ([`BodyStream`](crate::BodyStream)) are not bound by it: the handler decides how
    /// long it reads.
    ///
    /// The default lets the default 1 MiB body arrive at 3.5 KiB/s on average, slower
    /// than a GPRS mobile link; raise it along with `max_body_size` if larger bodies must
    /// be buffered over slow links.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new()
    ///     .max_body_size(16 << 20)
    ///     .body_total_timeout(Duration::from_secs(600));
    /// ```
    pub fn body_total_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_total_timeout = timeout;
        self
    }

    /// How long a response may wait for a client that takes none of it (default 60 s,
    /// nginx's `send_timeout`). A client that stops reading fills the socket's buffers,
    /// and then each write waits: after this long without one byte taken, the server
    /// closes the connection (HTTP/1.1, and an HTTP/2 connection whose socket takes
    /// nothing) or resets the stream (an HTTP/2 stream that the client's flow-control
    /// window holds back), so that such clients can neither hold
    /// [`max_connections`](App::max_connections) slots nor keep their responses in
    /// memory. A slow client that keeps taking bytes is never cut: the timer restarts
    /// with each write that goes through. It applies to WebSocket frames too.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().send_timeout(Duration::from_secs(30));
    /// ```
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = timeout;
        self
    }

    /// How long a keep-alive connection may stay idle, from the end of a response until
    /// the first byte of the next request, before the server closes it quietly (default
    /// 75 s, nginx's `keepalive_timeout`).
    ///
    /// Behind a load balancer or reverse proxy that keeps a pool of connections to the
    /// app, this must be longer than the balancer's own idle timeout (AWS ALB: 60 s; nginx
    /// `keepalive_timeout` in an `upstream` block: 60 s; Google Cloud's: 600 s, so set
    /// about 620 s there): then the balancer is always the one that closes an idle pooled
    /// connection. The other way round, the server may close a connection at the moment
    /// the balancer sends a request on it; the request is lost and the balancer answers
    /// 502. Clients facing the server directly gain little from the long default (browsers
    /// reuse a connection within seconds when they reuse it at all), and idle connections
    /// cost a descriptor, a slot of [`max_connections`](App::max_connections) and about
    /// 30 KiB of memory each; shutdown closes them at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// // Behind an AWS ALB with its default 60 s idle timeout.
    /// let app = httpserver::App::new().keep_alive_timeout(Duration::from_secs(65));
    /// ```
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.config.keep_alive_timeout = timeout;
        self
    }

    /// The largest request head accepted: the request line and all header lines (default
    /// 64 KiB, as large as the biggest cookie jars browsers send, a quarter of hyper's own
    /// 400 KiB buffer). A longer head gets 431 as soon as the limit is passed, without
    /// reading the rest; so does one with more than 100 header lines. Such 431 answers
    /// come from hyper, before the app sees the request: the error handlers do not see them.
    ///
    /// ```
    /// let app = httpserver::App::new().max_head_size(16 * 1024);
    /// ```
    pub fn max_head_size(mut self, bytes: usize) -> Self {
        self.config.max_head_size = bytes;
        self
    }

    /// The most connections served at once (default 10,000). At the cap the server stops
    /// accepting: further clients wait in the kernel's listen backlog (and are accepted as
    /// connections close) instead of each taking a file descriptor. Keep it below the
    /// process's open-file limit (`ulimit -n`), with room for files and other sockets.
    /// Should the limit be reached anyway, accepting pauses and resumes as descriptors
    /// free up; the connections already open are served meanwhile.
    ///
    /// ```
    /// let app = httpserver::App::new().max_connections(512);
    /// ```
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections;
        self
    }

    /// The longest a lingering close keeps reading (and discarding) what a client still
    /// sends after a response that closes the connection before the request was read in
    /// full (a 413, a refused head); default 30 s, nginx's `lingering_time`. Closing at
    /// once would make the kernel reset the connection, and the client could lose the
    /// response: an uploader (a browser, `requests`, `fetch`) reads it only once its upload
    /// is sent, so the server reads on until then. The client's own close ends it sooner.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().linger_time(Duration::from_secs(10));
    /// ```
    pub fn linger_time(mut self, time: Duration) -> Self {
        self.config.linger_time = time;
        self
    }

    /// How long a lingering close waits for the client's next bytes before it closes
    /// (default 5 s, nginx's `lingering_timeout`): a client that has stopped sending has
    /// read its response or never will.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().linger_timeout(Duration::from_secs(2));
    /// ```
    pub fn linger_timeout(mut self, timeout: Duration) -> Self {
        self.config.linger_timeout = timeout;
        self
    }

    /// The most bytes a lingering close reads and discards before it closes anyway
    /// (default: no bound but [`linger_time`](App::linger_time)). A bound in bytes cuts
    /// off a fast uploader before it reads its 413; set one only to cap the bandwidth a
    /// refused upload may use.
    ///
    /// ```
    /// let app = httpserver::App::new().linger_max_bytes(64 * 1024 * 1024);
    /// ```
    pub fn linger_max_bytes(mut self, bytes: u64) -> Self {
        self.config.linger_max_bytes = bytes;
        self
    }

    /// How long the server drains after SIGTERM before its graceful shutdown (default 5 s):
    /// it keeps accepting and answering, adds `Connection: close` to every answer, and
    /// [`AppHandle::is_ready`](crate::AppHandle::is_ready) is false, so that a load balancer takes it out of rotation
    /// without a failed request. Set it to the time your load balancer needs to notice
    /// (its health-check interval times its failure threshold); `Duration::ZERO` skips the
    /// phase. SIGINT and `AppHandle::shutdown` do not drain.
    pub fn drain_period(mut self, period: Duration) -> Self {
        self.config.drain_period = period;
        self
    }

    /// Whether [`run`](App::run) binds with `SO_REUSEPORT` (default `false`), so that a new
    /// process can bind the same port while the old one drains: a restart without a moment
    /// in which nothing listens. Unix only; elsewhere ignored.
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.config.reuse_port = on;
        self
    }

    /// How long a graceful shutdown waits for requests in flight (default 30 s) before
    /// closing their connections.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.config.grace_period = grace;
        self
    }

    /// The largest WebSocket message (and frame) accepted, in bytes (default 16 MiB;
    /// feature `ws`). A larger one closes its socket with 1009 (message too big). A route
    /// may choose its own with
    /// [`WebSocketUpgrade::max_message_size`](crate::ws::WebSocketUpgrade::max_message_size).
    ///
    /// ```
    /// let app = httpserver::App::new().ws_max_message_size(1024 * 1024);
    /// ```
    #[cfg(feature = "ws")]
    pub fn ws_max_message_size(mut self, bytes: usize) -> Self {
        self.config.ws_max_message_size = bytes;
        self
    }
}
