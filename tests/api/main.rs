//! Integration tests: every test starts a real server with a real database and talks to it over
//! real sockets. One test binary, so it links once.

mod access;
mod browser;
mod cli;
mod comments;
mod errors;
mod export;
mod helpers;
mod hostile;
mod live;
mod nodes;
mod plans;
mod storage;
