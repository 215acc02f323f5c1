//! Running the app: on a runtime of its own (`run`), in the caller's (`serve`), as a
//! tower service, or in process for tests; each freezes the builder into the app that
//! serves.

use std::any::TypeId;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::App;
use crate::extract::session::SessionKeys;
use crate::pipeline::core::{build_router, check_state, AppCore};
use crate::pipeline::stack::Stack;
use crate::service::AppService;
use crate::testing::TestClient;

impl App {
    /// Serves on `addr` until shut down (by SIGINT, SIGTERM or [`AppHandle::shutdown`](crate::AppHandle::shutdown)),
    /// on a multi-threaded tokio runtime of its own. A listening socket handed over by the
    /// service manager (`LISTEN_FDS`/`LISTEN_PID`, as systemd socket activation and
    /// `systemd-socket-activate` set them) is used instead of binding `addr`. Returns `Ok(())` after a graceful
    /// shutdown; an error if the address cannot be bound or the routes conflict.
    pub fn run(self, addr: impl std::net::ToSocketAddrs) -> std::io::Result<()> {
        // Only the address is generic: the rest is compiled once, here, not in every app.
        let addrs: Vec<std::net::SocketAddr> = addr.to_socket_addrs()?.collect();
        self.run_on(&addrs)
    }

    fn run_on(self, addrs: &[std::net::SocketAddr]) -> std::io::Result<()> {
        if tokio::runtime::Handle::try_current().is_ok() {
            // Starting a runtime inside another one would panic; say what to do instead.
            return Err(std::io::Error::other(
                "App::run starts its own tokio runtime and cannot be called from async code; \
                 use `App::serve(listener).await` there",
            ));
        }
        let listener = match crate::server::listen::inherited()? {
            Some(listener) => listener,
            None => crate::server::listen::bind(addrs, self.config.reuse_port)?,
        };
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move { self.serve(TcpListener::from_std(listener)?).await })
    }

    /// Serves on `listener` in the caller's tokio runtime, exactly as [`run`](App::run) does.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use httpserver::App;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let app = App::new().handle_signals(false);
    /// let handle = app.handle();
    /// let server = tokio::spawn(app.serve(listener));
    /// handle.shutdown();
    /// server.await.expect("server task")?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        crate::server::serve(self.into_stack()?, listener).await
    }

    /// An in-process client that sends requests through this app's whole pipeline
    /// (hooks, routing, extraction, error handlers, limits) without a socket.
    ///
    /// Panics if two routes conflict, as [`serve`](App::serve) would refuse to start.
    ///
    /// ```
    /// use httpserver::{collect_routes, get, App};
    ///
    /// #[get("/users/<int:id>")]
    /// async fn user(id: u32) -> String { format!("user {id}") }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new().routes(collect_routes![user]).test_client();
    /// let res = client.get("/users/5").send().await;
    /// assert_eq!(res.status(), 200);
    /// assert_eq!(res.text(), "user 5");
    /// # });
    /// ```
    pub fn test_client(&self) -> TestClient {
        match self.clone().into_stack() {
            Ok(stack) => TestClient::new(stack),
            Err(e) => panic!("the app cannot start: {e}"),
        }
    }

    /// The app as a [`tower_service::Service`], to run under another hyper server, inside
    /// an axum router, or wrapped in tower-http layers. Fails, as `serve` would, if two
    /// routes conflict.
    pub fn into_service(self) -> std::io::Result<AppService> {
        Ok(AppService::new(self.into_stack()?))
    }

    /// Freezes the app and puts its layers around it.
    fn into_stack(mut self) -> std::io::Result<Stack> {
        let layers = std::mem::take(&mut self.layers);
        Ok(Stack::new(self.into_core()?, &layers))
    }

    /// Freezes the app into what serves requests: the route table and shared state.
    pub(crate) fn into_core(#[allow(unused_mut)] mut self) -> std::io::Result<Arc<AppCore>> {
        let invalid = |msg| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg);
        let mut config = self.config;
        config.trusted_proxies =
            crate::protocol::forwarded::TrustedProxies::parse(&self.trusted_proxies)
                .map_err(invalid)?;
        let mut state = self.state;
        state.insert(
            TypeId::of::<crate::config::MultipartLimits>(),
            Arc::new(config.multipart),
        );
        let sessions = !self.secret_keys.is_empty();
        if sessions {
            let keys = SessionKeys::new(&self.secret_keys, self.session_cookie)
                .map_err(invalid)?
                .with_check(self.session_check);
            state.insert(TypeId::of::<SessionKeys>(), Arc::new(keys));
        }
        #[cfg(feature = "openapi")]
        {
            let served = self.openapi.routes(&self.routes).map_err(invalid)?;
            self.routes.extend(served);
        }
        check_state(&self.routes, &state).map_err(invalid)?;
        #[cfg(feature = "templates")]
        if let Some(templates) = self.templates {
            let engine = crate::templates::TemplateEngine::start(templates, &self.routes)
                .map_err(invalid)?;
            state.insert(
                TypeId::of::<crate::templates::TemplateEngine>(),
                Arc::new(engine),
            );
        }
        let state = Arc::new(state);
        // A handle given out before serving reaches this app's state too; the first app
        // started from it wins there. The requests' own handle is this app's alone, so
        // clones of one app given different state each see their own.
        self.handle.offer_state(&state);
        let handle = self.handle.with_state(state);
        #[cfg(feature = "ws")]
        handle
            .websockets()
            .set_max_message_size(config.ws_max_message_size);
        let router = build_router(self.routes).map_err(invalid)?;
        Ok(Arc::new(AppCore {
            router,
            before: self.before,
            after: self.after,
            errors: self.errors,
            config,
            handle,
            sessions,
        }))
    }
}
