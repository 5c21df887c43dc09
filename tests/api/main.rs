//! Integration tests: every test starts a real server with a real database and talks to it over
//! real sockets. One test binary, so it links once. The protocol client, the server launcher and
//! the PostgreSQL schemas come from `tests/support/`, which the benches share.

mod access;
mod browser;
mod cli;
mod comments;
mod diff;
mod errors;
mod export;
mod helpers;
mod hostile;
mod live;
mod nodes;
mod oidc;
mod pages;
mod plans;
mod revocation;
mod rollover;
mod rounds;
mod security;
mod settings;
mod storage;
mod structure;
mod suggestions;
#[path = "../support/mod.rs"]
mod support;
