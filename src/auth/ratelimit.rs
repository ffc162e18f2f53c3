//! A fixed-window limiter per client address, for login and registration.
//! It lives in each server's memory: behind a load balancer every instance
//! counts on its own, so the effective limit is the limit times the instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
const PRUNE_ABOVE: usize = 10_000;

/// The attempts of one (bucket, address): when its window began, and how many.
type Windows = HashMap<(&'static str, IpAddr), (Instant, u32)>;

/// Counts attempts per (bucket, address) in one-minute windows.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<Windows>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` attempts per address and bucket.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt; a 429 with the seconds to wait when over the limit.
    pub fn check(&self, bucket: &'static str, addr: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry((bucket, addr)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(ApiError::TooManyRequests {
                retry_after: wait.as_secs().max(1),
            });
        }
        entry.1 += 1;
        Ok(())
    }
}
