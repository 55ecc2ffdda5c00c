//! SOL amounts typed by a person, read exactly into lamports.
//!
//! Written here rather than taken from a library: the SDK's `sol_to_lamports` goes through
//! `f64`, which turns "0.1" into a float first; a deposit form must read the digits it shows.

pub const LAMPORTS_PER_SOL: u64 = 1_000_000_000;
const DECIMALS: usize = 9;

/// Why an amount was refused, in words for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountError(pub String);

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// "1", "0.25", "12.000000001" → lamports. Refuses empty, negative, zero, non-numeric input,
/// more than nine decimals and amounts beyond `u64`.
pub fn parse_sol(input: &str) -> Result<u64, AmountError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(AmountError("enter an amount of SOL".into()));
    }
    if text.starts_with('-') {
        return Err(AmountError(format!("the amount must be positive, not {text}")));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(AmountError(format!("'{text}' is not a number of SOL")));
    }
    if fraction.len() > DECIMALS {
        return Err(AmountError(format!("'{text}' has more than {DECIMALS} decimals (1 lamport = 0.000000001 SOL)")));
    }
    let too_large = || AmountError(format!("{text} SOL is more than there is"));
    let whole_lamports = if whole.is_empty() { 0 } else { whole.parse::<u64>().map_err(|_| too_large())? }
        .checked_mul(LAMPORTS_PER_SOL)
        .ok_or_else(too_large)?;
    let fraction_lamports = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<DECIMALS$}").parse::<u64>().map_err(|_| too_large())?
    };
    let lamports = whole_lamports.checked_add(fraction_lamports).ok_or_else(too_large)?;
    if lamports == 0 {
        return Err(AmountError("the amount must be greater than zero".into()));
    }
    Ok(lamports)
}

/// Lamports as SOL with nine decimals, trailing zeros dropped.
pub fn format_sol(lamports: u64) -> String {
    let text = format!("{}.{:09}", lamports / LAMPORTS_PER_SOL, lamports % LAMPORTS_PER_SOL);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_digits_exactly_and_refuses_everything_else() {
        assert_eq!(parse_sol("1"), Ok(LAMPORTS_PER_SOL));
        assert_eq!(parse_sol(" 0.1 "), Ok(100_000_000));
        assert_eq!(parse_sol(".5"), Ok(500_000_000));
        assert_eq!(parse_sol("2."), Ok(2 * LAMPORTS_PER_SOL));
        assert_eq!(parse_sol("0.000000001"), Ok(1));
        assert_eq!(parse_sol("18446744073.709551615"), Ok(u64::MAX));
        for bad in ["", "-1", "0", "0.0", "abc", "1e3", "1.2.3", ".", "0.0000000001", "18446744074", "NaN", "+1"] {
            assert!(parse_sol(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_sol("-1").unwrap_err().0.contains("positive"));
        assert!(parse_sol("0").unwrap_err().0.contains("greater than zero"));
        assert!(parse_sol("abc").unwrap_err().0.contains("not a number"));
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_sol(1), "0.000000001");
        assert_eq!(format_sol(2_500_000_000), "2.5");
        assert_eq!(format_sol(3 * LAMPORTS_PER_SOL), "3");
        assert_eq!(format_sol(0), "0");
    }
}
