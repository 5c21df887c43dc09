//! Prometheus metrics of the live core, served at `/metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The server's metrics. One per server process (or per test server), shared by rooms and
/// sessions through the room registry.
pub struct Metrics {
    registry: Registry,
    /// Open live connections.
    pub connections: Gauge,
    /// Plans loaded in memory.
    pub loaded_plans: Gauge,
    /// Updates committed to the database (client and server edits).
    pub updates_committed: Counter,
    /// Frames relayed by rooms to their connections (each relay counts once per room).
    pub updates_relayed: Counter,
    /// Time to commit a batch of updates.
    pub commit_seconds: Histogram,
    /// Time from another node's commit to this node's relay of it.
    pub relay_lag_seconds: Histogram,
    /// Updates another node committed that this node relayed.
    pub remote_updates: Counter<u64, AtomicU64>,
    /// Content messages refused from connections that may not edit (never decoded).
    pub refused_updates: Counter,
    /// Awareness states refused: another connection's client, invalid, over a limit or a rate.
    pub refused_awareness: Counter,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("samskriv");
        let connections = Gauge::default();
        let loaded_plans = Gauge::default();
        let updates_committed = Counter::default();
        let updates_relayed = Counter::default();
        // 0.1 ms … ~3 s
        let commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let relay_lag_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let remote_updates = Counter::default();
        let refused_updates = Counter::default();
        let refused_awareness = Counter::default();
        registry.register("connections", "Open live connections", connections.clone());
        registry.register(
            "loaded_plans",
            "Plans loaded in memory",
            loaded_plans.clone(),
        );
        registry.register(
            "updates_committed",
            "Updates committed to the database",
            updates_committed.clone(),
        );
        registry.register(
            "updates_relayed",
            "Update frames relayed to connected clients",
            updates_relayed.clone(),
        );
        registry.register(
            "commit_seconds",
            "Time to commit a batch of updates",
            commit_seconds.clone(),
        );
        registry.register(
            "relay_lag_seconds",
            "Time from another node's commit to this node's relay",
            relay_lag_seconds.clone(),
        );
        registry.register(
            "remote_updates",
            "Updates committed by other nodes and relayed by this one",
            remote_updates.clone(),
        );
        registry.register(
            "refused_updates",
            "Content messages refused from live connections that may not edit",
            refused_updates.clone(),
        );
        registry.register(
            "refused_awareness",
            "Awareness states refused (not the connection's own, invalid, or over a limit)",
            refused_awareness.clone(),
        );
        Metrics {
            registry,
            connections,
            loaded_plans,
            updates_committed,
            updates_relayed,
            commit_seconds,
            relay_lag_seconds,
            remote_updates,
            refused_updates,
            refused_awareness,
        }
    }

    /// The metrics in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric() {
        let metrics = Metrics::new();
        metrics.connections.inc();
        metrics.updates_committed.inc_by(3);
        metrics.commit_seconds.observe(0.002);
        let text = metrics.render();
        for name in [
            "samskriv_connections 1",
            "samskriv_loaded_plans 0",
            "samskriv_updates_committed_total 3",
            "samskriv_updates_relayed_total 0",
            "samskriv_commit_seconds_count 1",
            "samskriv_relay_lag_seconds_count 0",
            "samskriv_remote_updates_total 0",
            "samskriv_refused_updates_total 0",
            "samskriv_refused_awareness_total 0",
        ] {
            assert!(text.contains(name), "{name} missing in:\n{text}");
        }
    }
}
