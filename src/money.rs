//! Exact money: an integer count of nano-dollars (1e-9 USD). Rates are `rust_decimal::Decimal` per token;
//! a record's cost is computed exactly in decimal and rounded once, half to even, to the nano-dollar, so
//! every sum after that is exact integer arithmetic. i64 nano-dollars hold up to $9.2 billion.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Money(i64);

const NANOS_PER_DOLLAR: i64 = 1_000_000_000;

/// Largest amount, in dollars, that one record or bucket read from outside data (a log, a CSV, a provider)
/// may carry: anything above is malformed, and the bound keeps sums of millions of records far from the
/// $9.2 billion an i64 of nano-dollars holds.
pub const MAX_RECORD_DOLLARS: i64 = 1_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_nanos(nanos: i64) -> Money {
        Money(nanos)
    }

    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// Rounds a decimal dollar amount to the nano-dollar (half to even). `None` when out of range.
    pub fn from_dollars(dollars: Decimal) -> Option<Money> {
        // checked: Decimal's `*` panics on overflow, and the amount may come from a file
        let nanos = dollars
            .checked_mul(Decimal::from(NANOS_PER_DOLLAR))?
            .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
        nanos.to_i64().map(Money)
    }

    /// [`Money::from_dollars`] for an amount from outside data: `None` beyond ±[`MAX_RECORD_DOLLARS`].
    pub fn from_record_dollars(dollars: Decimal) -> Option<Money> {
        if dollars.abs() > Decimal::from(MAX_RECORD_DOLLARS) {
            return None;
        }
        Money::from_dollars(dollars)
    }

    /// Parses a decimal dollar string such as "12.34" exactly.
    pub fn parse_dollars(text: &str) -> Option<Money> {
        let text = text.trim().trim_start_matches('$');
        text.parse::<Decimal>().ok().and_then(Money::from_dollars)
    }

    pub fn dollars(self) -> Decimal {
        Decimal::new(self.0, 9)
    }

    /// The amount as a float, for JSON consumers that expect a number (never used in sums).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_DOLLAR as f64
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        self.saturating_add(other)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// `$1,234.57`: two decimals, rounded half to even, for tables.
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cents = self
            .dollars()
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        let negative = cents.is_sign_negative() && !cents.is_zero();
        let text = format!("{:.2}", cents.abs());
        let (whole, frac) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{}${grouped}.{frac}", if negative { "-" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_even_at_the_nano_dollar() {
        assert_eq!(
            Money::from_dollars("0.0000000005".parse().unwrap())
                .unwrap()
                .nanos(),
            0
        );
        assert_eq!(
            Money::from_dollars("0.0000000015".parse().unwrap())
                .unwrap()
                .nanos(),
            2
        );
        assert_eq!(
            Money::from_dollars("1.5".parse().unwrap()).unwrap().nanos(),
            1_500_000_000
        );
    }

    #[test]
    fn amounts_out_of_range_are_none_never_a_panic() {
        // Decimal's largest value times a billion nanos overflowed (a panic) before the multiplication was checked.
        assert_eq!(Money::from_dollars(Decimal::MAX), None);
        assert_eq!(Money::from_dollars(Decimal::MIN), None);
        assert_eq!(Money::parse_dollars("79228162514264337593543950335"), None);
        assert_eq!(
            Money::from_dollars(Decimal::from_i128_with_scale(10i128.pow(20), 0)),
            None
        );
        assert_eq!(
            Money::from_record_dollars(Decimal::from(MAX_RECORD_DOLLARS)),
            Some(Money::from_nanos(MAX_RECORD_DOLLARS * NANOS_PER_DOLLAR))
        );
        assert_eq!(
            Money::from_record_dollars(Decimal::from(MAX_RECORD_DOLLARS + 1)),
            None
        );
        assert_eq!(
            Money::from_record_dollars(-Decimal::from(MAX_RECORD_DOLLARS + 1)),
            None
        );
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(
            Money::from_nanos(1_234_567_890_000).to_string(),
            "$1,234.57"
        );
        assert_eq!(Money::from_nanos(5_000_001).to_string(), "$0.01");
        assert_eq!(
            Money::from_nanos(5_000_000).to_string(),
            "$0.00",
            "half to even"
        );
        assert_eq!(
            Money::from_nanos(15_000_000).to_string(),
            "$0.02",
            "half to even"
        );
        assert_eq!(Money::from_nanos(-2_500_000_000).to_string(), "-$2.50");
        assert_eq!(Money::ZERO.to_string(), "$0.00");
    }

    #[test]
    fn parses_dollar_strings_exactly() {
        assert_eq!(
            Money::parse_dollars("$12.34").unwrap().nanos(),
            12_340_000_000
        );
        assert!(Money::parse_dollars("twelve").is_none());
    }
}
