//! The one error type of the crate: everything that can go wrong before the server answers
//! its first request (reading a snapshot, binding a socket, bad configuration).
//! Failures while serving are HTTP responses, never `Error`s.

use std::path::PathBuf;

/// Why the mock could not be configured or started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The snapshot is not JSON.
    #[error("snapshot is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The snapshot is JSON but not one of the accepted shapes.
    #[error("snapshot has an unsupported shape: {0}")]
    Snapshot(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The listening socket could not be bound or the server thread failed to start.
    #[error("cannot start the mock server: {0}")]
    Start(String),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
}
