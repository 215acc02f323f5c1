//! One request through the frozen app, top to bottom: the app as it serves (`core`), the
//! tower layers around it (`stack`, `layer`), the dispatch of a request to its route,
//! hooks and error handlers (`dispatch`), and its access-log line.

pub(crate) mod access_log;
pub(crate) mod core;
pub(crate) mod csrf;
pub(crate) mod dispatch;
pub mod layer;
pub(crate) mod stack;
