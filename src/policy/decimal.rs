//! Decimal boundaries, compared in binary floating point.
//!
//! People write thresholds and tolerances as decimals (`0.9`, `0.1`, `1 %`) and read them as
//! inclusive: "no worse than the champion's 0.8 by more than 0.1" admits 0.7. In `f64`,
//! `0.8 - 0.1` is `0.7000000000000001`, and 0.7 would fail. So every built-in comparison treats
//! two numbers as equal when they differ by no more than rounding can explain: at most 8 units in
//! the last place of the largest magnitude that went into them. Numbers written with up to 15
//! significant digits are then compared exactly as the decimals they were written as (a property
//! test proves it on every 4-decimal grid point in `[0, 1]`), and nothing a person could tell
//! apart in a decimal is merged.

/// How many units in the last place rounding may move a boundary.
const ULPS: f64 = 8.0;

/// Whether `a` and `b` are equal up to rounding, where `scale` is the largest magnitude that
/// went into computing them.
pub(crate) fn same(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= ULPS * f64::EPSILON * scale.abs()
}

/// `value` at least `bound`, decimals being inclusive (see the module docs).
pub(crate) fn at_least(value: f64, bound: f64, scale: f64) -> bool {
    value >= bound || same(value, bound, scale)
}

/// `value` at most `bound`, decimals being inclusive.
pub(crate) fn at_most(value: f64, bound: f64, scale: f64) -> bool {
    value <= bound || same(value, bound, scale)
}

/// `x` rounded to 15 significant digits, for what is shown and recorded:
/// `0.7000000000000001` becomes `0.7`.
pub(crate) fn shown(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    // Scaled so that 15 significant digits are the integer part: below 2^53, and the powers of
    // ten up to 10^22 are exact, so rounding and dividing back give the double nearest the
    // 15-digit decimal. Outside that range, through text (rare: very large or small numbers).
    #[allow(clippy::cast_possible_truncation)] // a decimal exponent of an f64 fits an i32
    let k = 14 - x.abs().log10().floor() as i32;
    if (0..=22).contains(&k) {
        let scale = 10f64.powi(k);
        return (x * scale).round() / scale;
    }
    match format!("{x:.14e}").parse::<f64>() {
        Ok(rounded) if rounded.is_finite() => rounded,
        _ => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_boundaries_are_inclusive_as_written() {
        assert!(at_least(0.7, 0.8 - 0.1, 0.8));
        assert!(at_most(0.1 + 0.2, 0.3, 0.3));
        assert!(!at_least(0.6999, 0.8 - 0.1, 0.8));
        assert_eq!(shown(0.8 - 0.1), 0.7);
        assert_eq!(shown(123.456), 123.456);
        assert_eq!(shown(f64::MAX), f64::MAX);
    }
}
