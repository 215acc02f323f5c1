//! What an app answers with: routes, groups of routes, the hooks around them, the error
//! handlers, and static file mounts.

pub(crate) mod error_handlers;
pub(crate) mod group;
pub(crate) mod hooks;
pub(crate) mod route;
pub(crate) mod static_files;
