//! Samskriv: a collaborative editor for Oslo's district action plans.
//!
//! The crate is laid out by concern: `collab` speaks the y-websocket protocol on one connection,
//! `room` owns the live document of one plan, `storage` keeps plans durable, `templates` knows the
//! plan templates, `access` decides what a role may do, `auth` tells who is asking, and `http` wires it all to axum.

pub mod access;
pub mod app;
pub mod auth;
pub mod cli;
pub mod collab;
pub mod comments;
pub mod config;
pub mod demo;
pub mod document;
pub mod export;
pub mod http;
pub mod metrics;
pub mod plan;
pub mod room;
pub mod storage;
pub mod templates;
pub mod version;
pub mod web;
