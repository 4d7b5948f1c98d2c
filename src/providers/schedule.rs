//! Background polling: each account on its own interval with ±10% jitter, so accounts do not fire together.
//! The shell (or a long-running CLI) owns the task; "poll now" is a direct [`super::poll::Poller::poll`].

use std::time::Duration;

use super::http::random_u64;

/// The delay before an account's next run: its interval, ±10%, chosen uniformly.
pub fn next_delay(interval: Duration) -> Duration {
    let spread = interval.as_millis() as u64 / 10;
    if spread == 0 {
        return interval;
    }
    let offset = random_u64() % (2 * spread + 1);
    Duration::from_millis(interval.as_millis() as u64 - spread + offset)
}

/// Runs `poll_once` every jittered `interval` until `stop` resolves. The first run is immediate.
pub async fn every<F, Fut>(
    interval: Duration,
    mut poll_once: F,
    stop: impl std::future::Future<Output = ()>,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    tokio::pin!(stop);
    loop {
        poll_once().await;
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(next_delay(interval)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_ten_percent() {
        let i = Duration::from_secs(900);
        for _ in 0..200 {
            let d = next_delay(i);
            assert!(
                d >= Duration::from_secs(810) && d <= Duration::from_secs(990),
                "{d:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn runs_on_the_interval_until_stopped() {
        let runs = std::cell::Cell::new(0u32);
        let stop = tokio::time::sleep(Duration::from_secs(3600));
        every(
            Duration::from_secs(900),
            || async { runs.set(runs.get() + 1) },
            stop,
        )
        .await;
        // 0, ~900, ~1800, ~2700 (±10%), maybe one more before the hour
        assert!((4..=5).contains(&runs.get()), "{}", runs.get());
    }
}
