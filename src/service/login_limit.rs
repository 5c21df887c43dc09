//! Login rate limiting and the pool of password hashes. Every attempt is counted before its
//! password is checked: after [`MAX_FAILURES`] attempts for one e-mail address within [`WINDOW`]
//! (a successful login clears them), and [`MAX_ATTEMPTS_PER_CLIENT`] for one client address
//! when it is known, further attempts are refused until the oldest leaves the window.
//! Kept in memory per node: with several nodes, an attacker gets that many tries per node, still
//! a handful per quarter hour against argon2id hashes.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// Attempts per e-mail address within [`WINDOW`] (a successful login clears them).
pub const MAX_FAILURES: usize = 5;
/// Attempts per client address within [`WINDOW`], when the client's address is known (behind a
/// configured trusted proxy): one client trying many addresses.
pub const MAX_ATTEMPTS_PER_CLIENT: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys tracked at most, so a flood of made-up addresses cannot grow memory without bound.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// Counts an attempt for `key` before its password is checked; `Err(wait)` when `key` has
    /// made `limit` attempts within the window already. Check and count are one step under one
    /// lock: attempts arriving together cannot all pass the check before any is counted.
    pub fn begin(&self, key: &str, limit: usize) -> Result<(), Duration> {
        let now = Instant::now();
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if attempts.len() >= MAX_TRACKED && !attempts.contains_key(key) {
            attempts.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        let times = attempts.entry(key.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= limit => {
                Err(WINDOW.saturating_sub(now.duration_since(*oldest)))
            }
            _ => {
                times.push_back(now);
                Ok(())
            }
        }
    }

    /// Takes back the latest attempt counted for `key` (the password was right, or it was never
    /// checked).
    pub fn forgive(&self, key: &str) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = attempts.get_mut(key) {
            times.pop_back();
            if times.is_empty() {
                attempts.remove(key);
            }
        }
    }

    /// Forgets every attempt for `key` (a successful login for an address).
    pub fn clear(&self, key: &str) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        attempts.remove(key);
    }
}

/// A bounded pool of password hashes running at once. An argon2id hash takes 19 MiB and a
/// core for a while: without a bound, concurrent logins for made-up addresses grow the server
/// by 19 MiB each. Work beyond the pool waits up to `wait` for a turn, then is refused.
#[derive(Debug)]
pub struct HashPool {
    permits: Arc<Semaphore>,
    size: usize,
    wait: Duration,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl HashPool {
    pub fn new(size: usize, wait: Duration) -> Self {
        let size = size.max(1);
        HashPool {
            permits: Arc::new(Semaphore::new(size)),
            size,
            wait,
            running: Arc::default(),
            peak: Arc::default(),
        }
    }

    /// One hash per core (at most 8), waiting up to 2 s for a turn.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores.min(8), Duration::from_secs(2))
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// The most hashes that ran at once since start.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Runs `work` on a blocking thread once the pool has room: `Ok(None)` when no room came
    /// within the wait.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, tokio::task::JoinError> {
        let acquire = self.permits.clone().acquire_owned();
        let Ok(Ok(permit)) = tokio::time::timeout(self.wait, acquire).await else {
            return Ok(None);
        };
        let (running, peak) = (self.running.clone(), self.peak.clone());
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::Relaxed) + 1;
            peak.fetch_max(now, Ordering::Relaxed);
            let result = work();
            running.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
            result
        })
        .await
        .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_and_clears_on_success() {
        let limiter = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.begin("a@b.no", MAX_FAILURES).is_ok());
        }
        let wait = limiter.begin("a@b.no", MAX_FAILURES).expect_err("limited");
        assert!(wait > Duration::from_secs(14 * 60));
        assert!(
            limiter.begin("c@d.no", MAX_FAILURES).is_ok(),
            "other addresses are not affected"
        );
        limiter.clear("a@b.no");
        assert!(limiter.begin("a@b.no", MAX_FAILURES).is_ok());
        limiter.forgive("a@b.no");
        for _ in 0..MAX_FAILURES {
            assert!(limiter.begin("a@b.no", MAX_FAILURES).is_ok());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_hash_pool_bounds_hashes_at_once() {
        let pool = Arc::new(HashPool::new(2, Duration::from_secs(10)));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                pool.run(|| std::thread::sleep(Duration::from_millis(20)))
                    .await
            }));
        }
        for task in tasks {
            assert!(task.await.expect("task").expect("ran").is_some());
        }
        assert_eq!(pool.peak(), 2);
        // No room within the wait: refused, not queued for ever.
        let busy = Arc::new(HashPool::new(1, Duration::from_millis(50)));
        let slow = {
            let busy = busy.clone();
            tokio::spawn(async move {
                busy.run(|| std::thread::sleep(Duration::from_millis(500)))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(busy.run(|| ()).await.expect("ran").is_none());
        assert!(slow.await.expect("task").expect("ran").is_some());
    }
}
