//! A circuit breaker per provider account: after `threshold` failed windows in a row it opens and no request
//! is made until `cooldown` has passed; then one probe is let through (half-open): success closes it, failure
//! opens it again. A spend-cap 429 holds it open for a long time. Time is passed in (Unix ms).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half-open",
        }
    }

    pub fn parse(text: &str) -> CircuitState {
        match text {
            "open" => CircuitState::Open,
            "half-open" => CircuitState::HalfOpen,
            _ => CircuitState::Closed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    pub state: CircuitState,
    pub failures: u32,
    pub open_until_ms: Option<i64>,
    pub threshold: u32,
    pub cooldown_ms: i64,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown_ms: i64) -> Breaker {
        Breaker {
            state: CircuitState::Closed,
            failures: 0,
            open_until_ms: None,
            threshold: threshold.max(1),
            cooldown_ms,
        }
    }

    /// Whether a request may be made now; an open breaker whose cool-down is over becomes half-open.
    pub fn allow(&mut self, now_ms: i64) -> bool {
        match self.state {
            CircuitState::Closed | CircuitState::HalfOpen => true,
            CircuitState::Open => {
                if self.open_until_ms.is_none_or(|until| now_ms >= until) {
                    self.state = CircuitState::HalfOpen;
                    true
                } else {
                    false
                }
            }
        }
    }

    pub fn success(&mut self) {
        self.state = CircuitState::Closed;
        self.failures = 0;
        self.open_until_ms = None;
    }

    pub fn failure(&mut self, now_ms: i64) {
        self.failures = self.failures.saturating_add(1);
        if self.state == CircuitState::HalfOpen || self.failures >= self.threshold {
            self.open_for(now_ms, self.cooldown_ms);
        }
    }

    /// Opens for `duration_ms` whatever the count (a spend cap: nothing will work for a while).
    pub fn open_for(&mut self, now_ms: i64, duration_ms: i64) {
        self.state = CircuitState::Open;
        self.open_until_ms = Some(now_ms.saturating_add(duration_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_probes_after_cooldown() {
        let mut b = Breaker::new(3, 1000);
        for _ in 0..2 {
            assert!(b.allow(0));
            b.failure(0);
        }
        assert_eq!(b.state, CircuitState::Closed);
        b.failure(0);
        assert_eq!(b.state, CircuitState::Open);
        assert!(
            !b.allow(999),
            "an open breaker refuses until its cool-down is over"
        );
        assert!(b.allow(1000));
        assert_eq!(b.state, CircuitState::HalfOpen);
        b.failure(1000);
        assert_eq!(b.state, CircuitState::Open, "a failed probe opens it again");
        assert!(b.allow(2000));
        b.success();
        assert_eq!((b.state, b.failures), (CircuitState::Closed, 0));
    }
}
