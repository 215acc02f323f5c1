//! Settings a platform assigns through the environment: the address (`PORT`, `HOST`, as
//! Heroku, Cloud Run, Render or Fly set them) and the common limits, read in one place.

use std::time::Duration;

use crate::app::App;

/// The variables [`App::with_env`] reads, with what each sets.
pub const ENV_VARIABLES: &[(&str, &str)] = &[
    ("HTTPSERVER_MAX_BODY_SIZE", "max_body_size, in bytes"),
    ("HTTPSERVER_MAX_HEAD_SIZE", "max_head_size, in bytes"),
    ("HTTPSERVER_MAX_CONNECTIONS", "max_connections"),
    (
        "HTTPSERVER_READ_TIMEOUT",
        "read_timeout, in seconds (applied before the four below, which override it)",
    ),
    ("HTTPSERVER_HEAD_TIMEOUT", "head_timeout, in seconds"),
    ("HTTPSERVER_BODY_TIMEOUT", "body_timeout, in seconds"),
    (
        "HTTPSERVER_BODY_TOTAL_TIMEOUT",
        "body_total_timeout, in seconds",
    ),
    (
        "HTTPSERVER_KEEP_ALIVE_TIMEOUT",
        "keep_alive_timeout, in seconds",
    ),
    ("HTTPSERVER_SEND_TIMEOUT", "send_timeout, in seconds"),
    ("HTTPSERVER_GRACE_PERIOD", "grace_period, in seconds"),
    ("HTTPSERVER_DRAIN_PERIOD", "drain_period, in seconds"),
    (
        "HTTPSERVER_REUSE_PORT",
        "reuse_port: 0/false/off or 1/true/on",
    ),
    (
        "HTTPSERVER_TRUSTED_PROXIES",
        "trusted_proxies, comma-separated networks",
    ),
    (
        "HTTPSERVER_ACCESS_LOG",
        "access_log: 0/false/off or 1/true/on",
    ),
    (
        "HTTPSERVER_TLS_CERT",
        "with HTTPSERVER_TLS_KEY: tls from these PEM files (feature tls)",
    ),
    (
        "HTTPSERVER_TLS_KEY",
        "with HTTPSERVER_TLS_CERT: the private key's PEM file (feature tls)",
    ),
];

impl App {
    /// Applies the limits a deployment sets in the environment (see [`ENV_VARIABLES`]):
    /// `HTTPSERVER_MAX_BODY_SIZE=10485760`, `HTTPSERVER_BODY_TIMEOUT=60`, .. A variable
    /// that is set but does not parse is an error naming it, never silently ignored; unset
    /// ones leave the app as it is. Call it after the code's own settings so that the
    /// environment wins.
    ///
    /// ```
    /// # fn main() -> Result<(), String> {
    /// let app = httpserver::App::new().max_body_size(1 << 20).with_env()?;
    /// # Ok(()) }
    /// ```
    pub fn with_env(self) -> Result<App, String> {
        self.with_vars(|name| std::env::var(name).ok())
    }

    fn with_vars(mut self, var: impl Fn(&str) -> Option<String>) -> Result<App, String> {
        let number = |name: &str| -> Result<Option<u64>, String> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("{name}={v:?} is not a whole number"))
                })
                .transpose()
        };
        let switch = |name: &str| -> Result<Option<bool>, String> {
            var(name)
                .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "on" | "yes" => Ok(true),
                    "0" | "false" | "off" | "no" => Ok(false),
                    _ => Err(format!("{name}={v:?} is not on or off")),
                })
                .transpose()
        };
        let size = |name: &str| -> Result<Option<usize>, String> {
            number(name)?
                .map(|n| usize::try_from(n).map_err(|_| format!("{name} is too large")))
                .transpose()
        };
        if let Some(n) = size("HTTPSERVER_MAX_BODY_SIZE")? {
            self = self.max_body_size(n);
        }
        if let Some(n) = size("HTTPSERVER_MAX_HEAD_SIZE")? {
            self = self.max_head_size(n);
        }
        if let Some(n) = size("HTTPSERVER_MAX_CONNECTIONS")? {
            self = self.max_connections(n);
        }
        if let Some(s) = number("HTTPSERVER_READ_TIMEOUT")? {
            self = self.read_timeout(Duration::from_secs(s));
        }
        // After the shorthand, so that each specific setting overrides it.
        if let Some(s) = number("HTTPSERVER_HEAD_TIMEOUT")? {
            self = self.head_timeout(Duration::from_secs(s));
        }
        if let Some(s) = number("HTTPSERVER_BODY_TIMEOUT")? {
            self = self.body_timeout(Duration::from_secs(s));
        }
        if let Some(s) = number("HTTPSERVER_BODY_TOTAL_TIMEOUT")? {
            self = self.body_total_timeout(Duration::from_secs(s));
        }
        if let Some(s) = number("HTTPSERVER_KEEP_ALIVE_TIMEOUT")? {
            self = self.keep_alive_timeout(Duration::from_secs(s));
        }
        if let Some(s) = number("HTTPSERVER_SEND_TIMEOUT")? {
            self = self.send_timeout(Duration::from_secs(s));
        }
        if let Some(s) = number("HTTPSERVER_GRACE_PERIOD")? {
            self = self.grace_period(Duration::from_secs(s));
        }
        if let Some(s) = number("HTTPSERVER_DRAIN_PERIOD")? {
            self = self.drain_period(Duration::from_secs(s));
        }
        if let Some(on) = switch("HTTPSERVER_REUSE_PORT")? {
            self = self.reuse_port(on);
        }
        if let Some(list) = var("HTTPSERVER_TRUSTED_PROXIES") {
            self = self.trusted_proxies(list.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
        if let Some(on) = switch("HTTPSERVER_ACCESS_LOG")? {
            self = self.access_log(on);
        }
        match (var("HTTPSERVER_TLS_CERT"), var("HTTPSERVER_TLS_KEY")) {
            (None, None) => {}
            #[cfg(feature = "tls")]
            (Some(cert), Some(key)) => {
                let tls =
                    crate::tls::TlsConfig::from_pem_files(cert, key).map_err(|e| e.to_string())?;
                self = self.tls(tls);
            }
            #[cfg(not(feature = "tls"))]
            (Some(_), Some(_)) => {
                return Err("HTTPSERVER_TLS_CERT is set, but this build has no TLS: \
                            enable the `tls` feature of httpserver"
                    .to_owned())
            }
            (Some(_), None) => {
                return Err("HTTPSERVER_TLS_CERT is set without HTTPSERVER_TLS_KEY".to_owned())
            }
            (None, Some(_)) => {
                return Err("HTTPSERVER_TLS_KEY is set without HTTPSERVER_TLS_CERT".to_owned())
            }
        }
        Ok(self)
    }
}

/// The address to listen on, as a platform assigns it: with `PORT` set, `HOST:PORT`, where
/// `HOST` defaults to `0.0.0.0` (every interface: a platform that sets `PORT` routes to it
/// from outside, so `PORT` alone listens on all interfaces); without `PORT`,
/// `default_addr` (and `HOST` is not read). A `PORT` that is not a port number is an
/// error. An IPv6 `HOST` is bracketed (`[::]:8080`).
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     let addr = httpserver::listen_addr("127.0.0.1:8000").map_err(std::io::Error::other)?;
///     httpserver::App::new().run(addr)
/// }
/// ```
pub fn listen_addr(default_addr: &str) -> Result<String, String> {
    listen_addr_from(default_addr, |name| std::env::var(name).ok())
}

fn listen_addr_from(
    default_addr: &str,
    var: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let Some(port) = var("PORT") else {
        return Ok(default_addr.to_owned());
    };
    let port: u16 = port
        .trim()
        .parse()
        .map_err(|_| format!("PORT={port:?} is not a port number"))?;
    // A platform that sets PORT routes to it from outside: listen on every interface,
    // unless HOST says otherwise.
    let host = var("HOST").unwrap_or_else(|| "0.0.0.0".to_owned());
    Ok(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_address_comes_from_port_and_host() {
        assert_eq!(
            listen_addr_from("127.0.0.1:8000", vars(&[])).unwrap(),
            "127.0.0.1:8000"
        );
        assert_eq!(
            listen_addr_from("127.0.0.1:8000", vars(&[("PORT", "8080")])).unwrap(),
            "0.0.0.0:8080"
        );
        assert_eq!(
            listen_addr_from("x", vars(&[("PORT", "80"), ("HOST", "::1")])).unwrap(),
            "[::1]:80"
        );
        let err = listen_addr_from("x", vars(&[("PORT", "eighty")])).unwrap_err();
        assert_eq!(err, "PORT=\"eighty\" is not a port number");
        assert!(listen_addr_from("x", vars(&[("PORT", "70000")])).is_err());
    }

    #[test]
    fn each_timeout_overrides_the_read_timeout_shorthand() {
        let app = App::new()
            .with_vars(vars(&[
                ("HTTPSERVER_READ_TIMEOUT", "10"),
                ("HTTPSERVER_HEAD_TIMEOUT", "5"),
                ("HTTPSERVER_BODY_TIMEOUT", "20"),
                ("HTTPSERVER_BODY_TOTAL_TIMEOUT", "600"),
            ]))
            .unwrap();
        let config = app.into_core().unwrap().config.clone();
        assert_eq!(config.head_timeout, Duration::from_secs(5));
        assert_eq!(config.body_timeout, Duration::from_secs(20));
        assert_eq!(config.body_total_timeout, Duration::from_secs(600));
        // The shorthand lowers the idle wait, as it did before the split.
        assert_eq!(config.keep_alive_timeout, Duration::from_secs(10));

        let app = App::new()
            .with_vars(vars(&[
                ("HTTPSERVER_READ_TIMEOUT", "10"),
                ("HTTPSERVER_KEEP_ALIVE_TIMEOUT", "65"),
            ]))
            .unwrap();
        let config = app.into_core().unwrap().config.clone();
        assert_eq!(config.keep_alive_timeout, Duration::from_secs(65));

        let config = App::new().into_core().unwrap().config.clone();
        assert_eq!(config.head_timeout, Duration::from_secs(30));
        assert_eq!(config.body_timeout, Duration::from_secs(30));
        assert_eq!(config.body_total_timeout, Duration::from_secs(300));
        assert_eq!(config.keep_alive_timeout, Duration::from_secs(75));
        assert_eq!(config.send_timeout, Duration::from_secs(60));
    }

    #[test]
    fn limits_come_from_the_environment_and_bad_values_are_errors() {
        let app = App::new()
            .with_vars(vars(&[
                ("HTTPSERVER_MAX_BODY_SIZE", "2048"),
                ("HTTPSERVER_READ_TIMEOUT", "7"),
                ("HTTPSERVER_KEEP_ALIVE_TIMEOUT", "61"),
                ("HTTPSERVER_SEND_TIMEOUT", "15"),
                ("HTTPSERVER_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
                ("HTTPSERVER_ACCESS_LOG", "off"),
            ]))
            .unwrap();
        let core = app.into_core().unwrap();
        assert_eq!(core.config.max_body_size, 2048);
        assert_eq!(core.config.head_timeout, Duration::from_secs(7));
        assert_eq!(core.config.body_timeout, Duration::from_secs(7));
        assert_eq!(core.config.body_total_timeout, Duration::from_secs(7));
        assert_eq!(core.config.keep_alive_timeout, Duration::from_secs(61));
        assert_eq!(core.config.send_timeout, Duration::from_secs(15));
        assert!(!core.config.access_log);

        let err = App::new()
            .with_vars(vars(&[("HTTPSERVER_READ_TIMEOUT", "30s")]))
            .err()
            .unwrap();
        assert_eq!(err, "HTTPSERVER_READ_TIMEOUT=\"30s\" is not a whole number");
        let err = App::new()
            .with_vars(vars(&[("HTTPSERVER_ACCESS_LOG", "maybe")]))
            .err()
            .unwrap();
        assert!(err.contains("HTTPSERVER_ACCESS_LOG"), "{err}");
        let bad_proxy = App::new()
            .with_vars(vars(&[("HTTPSERVER_TRUSTED_PROXIES", "lb.internal")]))
            .unwrap();
        assert!(bad_proxy.into_core().is_err());
    }

    #[test]
    fn restarts_and_tls_come_from_the_environment() {
        let app = App::new()
            .with_vars(vars(&[
                ("HTTPSERVER_DRAIN_PERIOD", "12"),
                ("HTTPSERVER_REUSE_PORT", "on"),
            ]))
            .unwrap();
        let config = app.into_core().unwrap().config.clone();
        assert_eq!(config.drain_period, Duration::from_secs(12));
        assert!(config.reuse_port);
        let err = App::new()
            .with_vars(vars(&[("HTTPSERVER_REUSE_PORT", "sometimes")]))
            .err()
            .unwrap();
        assert_eq!(err, "HTTPSERVER_REUSE_PORT=\"sometimes\" is not on or off");
        let err = App::new()
            .with_vars(vars(&[("HTTPSERVER_TLS_CERT", "cert.pem")]))
            .err()
            .unwrap();
        assert_eq!(err, "HTTPSERVER_TLS_CERT is set without HTTPSERVER_TLS_KEY");
        let err = App::new()
            .with_vars(vars(&[
                ("HTTPSERVER_TLS_CERT", "/nonexistent/cert.pem"),
                ("HTTPSERVER_TLS_KEY", "/nonexistent/key.pem"),
            ]))
            .err()
            .unwrap();
        if cfg!(feature = "tls") {
            assert!(
                err.contains("cannot read the TLS certificate file /nonexistent/cert.pem"),
                "{err}"
            );
        } else {
            assert!(err.contains("enable the `tls` feature"), "{err}");
        }
    }
}
