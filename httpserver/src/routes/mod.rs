//! What an app answers with: routes, groups of routes, the hooks around them, the error
//! handlers, static file mounts, and what each route tells the API document about itself.

#[cfg(feature = "openapi")]
pub(crate) mod describe;
pub(crate) mod error_handlers;
pub(crate) mod group;
pub(crate) mod hooks;
pub(crate) mod route;
pub(crate) mod static_files;
