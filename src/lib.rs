//! Samskriv: a collaborative editor for Oslo's district action plans.
//!
//! The crate is laid out in layers that point down only (README, «Layout»): the surfaces (`http`
//! for the JSON API and who is asking, `web` for pages, `collab` for the live endpoint, `cli`) call
//! the `service` layer; services use the live `room`s (over the `sync` codec), the model
//! (`document`, `export`, `templates`, `comments`) and `storage`; everything may use the ground
//! (`access`, `plan`, `config`, `time`, `links`, `secret`, `metrics`).

pub mod access;
pub mod app;
pub mod cli;
pub mod collab;
pub mod comments;
pub mod config;
pub mod demo;
pub mod document;
pub mod export;
pub mod http;
pub mod links;
pub mod metrics;
pub mod plan;
pub mod room;
pub mod secret;
pub mod service;
pub mod storage;
pub mod suggestions;
pub mod sync;
pub mod templates;
pub mod time;
pub mod version;
pub mod web;
