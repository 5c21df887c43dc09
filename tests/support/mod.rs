//! What the integration tests and the benches share: a y-websocket protocol client, a launcher
//! for the server binary as a child process, PostgreSQL schemas of their own, and percentiles.
//!
//! Errors are `anyhow` errors, so a bench can report them with context; the tests turn them
//! into failures where they call in (`tests/api/helpers.rs`).
//!
//! The integration tests include all of it (`tests/api/main.rs`); a bench declares only the
//! parts it uses, so nothing here goes unused in any consumer:
//!
//! ```ignore
//! #[path = "../tests/support"]
//! mod support {
//!     pub mod client;
//!     pub mod launcher;
//!     pub mod stats;
//! }
//! ```

pub mod client;
pub mod launcher;
pub mod postgres;
pub mod stats;
