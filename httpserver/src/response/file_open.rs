//! Opening a file to answer with: the checks, the open and, for a small file, its bytes,
//! all in one trip to tokio's blocking pool. Each trip hands work to another thread and
//! back; a static asset used to take six (two canonicalizations, two `stat`s, the open
//! and a read) and now takes one.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;

/// Files up to this size are read with their opening and answered from memory; larger
/// ones are streamed in chunks. Most of a site's assets (scripts, styles, icons) fit.
const READ_WITH_OPEN: u64 = 64 * 1024;

/// A regular file, open.
pub(crate) struct OpenFile {
    pub(crate) file: File,
    /// Its size: what `contents` holds when it was read with the opening.
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
    /// The whole file, when it is no larger than [`READ_WITH_OPEN`].
    pub(crate) contents: Option<Bytes>,
}

/// Why a file is not served.
#[derive(Debug)]
pub(crate) enum NotOpened {
    /// Answered as missing (404), for the reason given (logged at debug).
    Refused(&'static str),
    /// A directory: missing too, to a caller that wanted a file (static mounts look for
    /// its index instead).
    Directory,
    /// What the file system said (403 for a permission, else 404).
    Io(std::io::Error),
}

impl From<std::io::Error> for NotOpened {
    fn from(e: std::io::Error) -> Self {
        NotOpened::Io(e)
    }
}

/// Opens the regular file at `path` and, when small, reads it. Blocking.
pub(crate) fn open_regular(path: &Path) -> Result<OpenFile, NotOpened> {
    // The kind is checked before opening: opening a FIFO would block until a writer came.
    let kind = std::fs::metadata(path)?;
    if kind.is_dir() {
        return Err(NotOpened::Directory);
    }
    if !kind.is_file() {
        return Err(NotOpened::Refused("not a regular file"));
    }
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(NotOpened::Refused("not a regular file"));
    }
    let modified = meta.modified().ok();
    if meta.len() > READ_WITH_OPEN {
        return Ok(OpenFile {
            file,
            len: meta.len(),
            modified,
            contents: None,
        });
    }
    // At most what `stat` said: a file that grows meanwhile is sent as it was announced;
    // one that shrank is announced as read.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file).take(meta.len()).read_to_end(&mut bytes)?;
    Ok(OpenFile {
        file,
        len: bytes.len() as u64,
        modified,
        contents: Some(Bytes::from(bytes)),
    })
}

/// Runs `open` on the blocking pool.
pub(crate) async fn on_blocking_pool<T: Send + 'static>(
    open: impl FnOnce() -> Result<T, NotOpened> + Send + 'static,
) -> Result<T, NotOpened> {
    match tokio::task::spawn_blocking(open).await {
        Ok(result) => result,
        Err(e) => Err(NotOpened::Io(std::io::Error::other(e.to_string()))),
    }
}

/// The canonical `root/rel` if it exists and lies inside the canonical root once every
/// symlink is resolved. Blocking. The root is resolved on each call, not once: a root
/// that is itself a symlink (`current -> releases/42`) may be switched while serving.
pub(crate) fn resolve_inside(root: &Path, rel: &Path) -> Result<PathBuf, NotOpened> {
    let root = match std::fs::canonicalize(root) {
        Ok(root) => root,
        Err(e) => {
            tracing::warn!(root = %root.display(), error = %e, "files directory unavailable");
            return Err(NotOpened::Refused("its directory is unavailable"));
        }
    };
    // Whatever stops the path resolving (absent, or a directory on the way that may not
    // be searched) is a missing file: the client learns nothing of what lies there.
    let full = std::fs::canonicalize(root.join(rel))
        .map_err(|_| NotOpened::Refused("no such path inside its directory"))?;
    if full.starts_with(&root) {
        Ok(full)
    } else {
        Err(NotOpened::Refused("it resolves outside its directory"))
    }
}
