//! Budgets that keep one token, or one address, from taking the server for itself: requests
//! per token, body bytes per token per hour, sign-in attempts per address.
//!
//! They are kept in memory per server instance (GCRA buckets from `governor`): behind a load
//! balancer each instance enforces its own, which is what they are for — a stolen or broken
//! client cannot flood one instance, and the others are bounded the same way.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The settings, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// Sustained requests per second per token (0: no limit).
    pub requests_per_second: u32,
    /// Requests a token may send in a burst above the sustained rate.
    pub request_burst: u32,
    /// Request body mebibytes per hour per token, after decompression (0: no limit).
    pub mebibytes_per_hour: u32,
    /// Sign-in attempts per minute per address.
    pub sign_ins_per_minute: u32,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            requests_per_second: 20,
            request_burst: 200,
            mebibytes_per_hour: 100,
            sign_ins_per_minute: 10,
        }
    }
}

/// Over budget: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    pub retry_after: Duration,
}

impl OverBudget {
    /// Whole seconds, at least one, as `Retry-After` takes them.
    pub fn retry_after_secs(&self) -> u32 {
        u32::try_from(self.retry_after.as_secs().saturating_add(1)).unwrap_or(u32::MAX)
    }
}

pub struct Limiters {
    requests: Option<DefaultKeyedRateLimiter<String>>,
    /// Counted in KiB, so an hour's budget fits a `u32`.
    kibibytes: Option<DefaultKeyedRateLimiter<String>>,
    sign_ins: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl Default for Limiters {
    fn default() -> Self {
        Self::new(Budgets::default())
    }
}

impl Limiters {
    pub fn new(budgets: Budgets) -> Self {
        let requests = NonZeroU32::new(budgets.requests_per_second).map(|rate| {
            let burst = NonZeroU32::new(budgets.request_burst)
                .unwrap_or(rate)
                .max(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let kibibytes = NonZeroU32::new(budgets.mebibytes_per_hour.saturating_mul(1024))
            .map(|per_hour| RateLimiter::keyed(Quota::per_hour(per_hour)));
        let sign_ins = NonZeroU32::new(budgets.sign_ins_per_minute)
            .map(|per_minute| RateLimiter::keyed(Quota::per_minute(per_minute)));
        Self {
            requests,
            kibibytes,
            sign_ins,
            clock: DefaultClock::default(),
        }
    }

    /// No limits at all (benchmarks).
    pub fn unlimited() -> Self {
        Self::new(Budgets {
            requests_per_second: 0,
            request_burst: 0,
            mebibytes_per_hour: 0,
            sign_ins_per_minute: 0,
        })
    }

    /// One more request by the account `account`.
    pub fn request(&self, account: &str) -> Result<(), OverBudget> {
        let Some(limiter) = &self.requests else {
            return Ok(());
        };
        limiter
            .check_key(&account.to_owned())
            .map_err(|not_until| OverBudget {
                retry_after: not_until.wait_time_from(self.clock.now()),
            })
    }

    /// `bytes` more of request body from the account `account`.
    pub fn bytes(&self, account: &str, bytes: usize) -> Result<(), OverBudget> {
        let Some(limiter) = &self.kibibytes else {
            return Ok(());
        };
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        let Some(kib) = NonZeroU32::new(kib) else {
            return Ok(());
        };
        match limiter.check_key_n(&account.to_owned(), kib) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(OverBudget {
                retry_after: not_until.wait_time_from(self.clock.now()),
            }),
            // More than a whole hour's budget in one body.
            Err(_) => Err(OverBudget {
                retry_after: Duration::from_secs(3600),
            }),
        }
    }

    /// One more sign-in attempt from `address`.
    pub fn sign_in(&self, address: IpAddr) -> Result<(), OverBudget> {
        let Some(limiter) = &self.sign_ins else {
            return Ok(());
        };
        limiter.check_key(&address).map_err(|not_until| OverBudget {
            retry_after: not_until.wait_time_from(self.clock.now()),
        })
    }

    /// Forgets buckets that are full again, so memory follows the active tokens.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.requests {
            l.retain_recent();
        }
        if let Some(l) = &self.kibibytes {
            l.retain_recent();
        }
        if let Some(l) = &self.sign_ins {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_over_its_request_budget_is_told_when_to_retry() {
        let limits = Limiters::new(Budgets {
            requests_per_second: 1,
            request_burst: 3,
            ..Budgets::default()
        });
        for _ in 0..3 {
            assert!(limits.request("a").is_ok());
        }
        let over = limits.request("a").expect_err("the fourth at once is over");
        assert!(over.retry_after_secs() >= 1);
        assert!(
            limits.request("b").is_ok(),
            "other tokens have their own budget"
        );
    }

    #[test]
    fn bytes_are_counted_per_hour() {
        let limits = Limiters::new(Budgets {
            mebibytes_per_hour: 1,
            ..Budgets::default()
        });
        assert!(limits.bytes("a", 700 * 1024).is_ok());
        assert!(limits.bytes("a", 700 * 1024).is_err());
        assert!(
            limits.bytes("a", 2 << 20).is_err(),
            "more than an hour's worth"
        );
        assert!(limits.bytes("b", 700 * 1024).is_ok());
    }

    #[test]
    fn sign_ins_are_limited_per_address() {
        let limits = Limiters::new(Budgets {
            sign_ins_per_minute: 2,
            ..Budgets::default()
        });
        let here: IpAddr = [10, 0, 0, 1].into();
        assert!(limits.sign_in(here).is_ok());
        assert!(limits.sign_in(here).is_ok());
        assert!(limits.sign_in(here).is_err());
        assert!(limits.sign_in([10, 0, 0, 2].into()).is_ok());
        assert!(Limiters::unlimited().sign_in(here).is_ok());
    }
}
