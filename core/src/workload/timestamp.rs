//! Exact text-to-nanosecond conversions for trace timestamps, without floating point.
//!
//! Two shapes occur in traces: calendar datetimes (`2023-11-16 18:17:03.9799600`,
//! `2024-05-10 00:00:00.009930+00:00`) and decimal seconds (`110.5`, `1e-05`). Both are parsed
//! digit by digit into integers so that a value read and written back is unchanged and no
//! platform's float formatting can creep in.

/// Nanoseconds per second, as `i128` for datetime arithmetic.
const NS: i128 = 1_000_000_000;

/// Days from 1970-01-01 to the given proleptic-Gregorian date (Howard Hinnant's
/// `days_from_civil`). `month` is 1..=12, `day` 1..=31. The inverse of [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic-Gregorian date `(year, month 1..=12, day 1..=31)` that is `days` days after
/// 1970-01-01 (Howard Hinnant's `civil_from_days`). The inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=31, 1..=12).
    (year, month as u32, day as u32)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A fixed-width run of ASCII digits as a number, or `None`.
fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A numeric field of a datetime, with its range checked.
fn field(s: &str, what: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let v = digits(s).ok_or_else(|| format!("{what} {s:?} is not a number"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{what} {v} is outside {lo}..={hi}"))
    }
}

/// Parses `YYYY-MM-DD[ T]HH:MM:SS[.f…]` with 0–9 fractional digits and an optional zone
/// (`Z`, `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH`) into nanoseconds since 1970-01-01T00:00:00Z.
/// A datetime without a zone is read as UTC. On failure, says what is wrong.
pub(crate) fn parse_datetime(s: &str) -> Result<i128, String> {
    let b = s.as_bytes();
    if b.len() < 19 || !s.is_char_boundary(19) {
        return Err("too short for YYYY-MM-DD HH:MM:SS".into());
    }
    let shape_ok = b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':';
    if !shape_ok {
        return Err("separators are not YYYY-MM-DD HH:MM:SS".into());
    }
    let year = i64::from(field(&s[0..4], "year", 0, 9999)?);
    let month = field(&s[5..7], "month", 1, 12)?;
    let day = field(&s[8..10], "day", 1, days_in_month(year, month))?;
    let hour = field(&s[11..13], "hour", 0, 23)?;
    let minute = field(&s[14..16], "minute", 0, 59)?;
    let second = field(&s[17..19], "second", 0, 59)?;

    let mut rest = &s[19..];
    let mut frac_ns: i128 = 0;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err("no digits after the decimal point".into());
        }
        if n > 9 {
            return Err(format!("{n} fractional digits (at most 9, nanoseconds)"));
        }
        let mut v: i128 = 0;
        for d in after_dot[..n].bytes() {
            v = v * 10 + i128::from(d - b'0');
        }
        frac_ns = v * 10i128.pow(9 - n as u32);
        rest = &after_dot[n..];
    }

    let offset_s: i128 = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign: i128 = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(format!("unexpected {rest:?} after the seconds")),
            };
            let z = &rest.as_bytes()[1..];
            let d = |i: usize| z[i].is_ascii_digit();
            let (hh, mm) = match z.len() {
                2 if d(0) && d(1) => (&rest[1..3], "00"),
                4 if d(0) && d(1) && d(2) && d(3) => (&rest[1..3], &rest[3..5]),
                5 if d(0) && d(1) && z[2] == b':' && d(3) && d(4) => (&rest[1..3], &rest[4..6]),
                _ => return Err(format!("zone offset {rest:?} is not ±HH:MM")),
            };
            let h = field(hh, "zone hour", 0, 23)?;
            let m = field(mm, "zone minute", 0, 59)?;
            sign * i128::from(h * 3600 + m * 60)
        }
    };

    let days = i128::from(days_from_civil(year, month, day));
    let secs = days * 86_400 + i128::from(hour * 3600 + minute * 60 + second) - offset_s;
    Ok(secs * NS + frac_ns)
}

/// Parses non-negative decimal seconds (`12`, `0.5`, `.5`, `110.000001`, `1e-05`, `2.5E3`)
/// into nanoseconds, exactly, rounding digits beyond the nanosecond half up. On failure, says
/// what is wrong.
pub(crate) fn parse_decimal_seconds(s: &str) -> Result<u64, String> {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => {
            let e = &s[i + 1..];
            let body = e.strip_prefix(['+', '-']).unwrap_or(e);
            if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("exponent {e:?} is not an integer"));
            }
            // Exponents beyond ±10_000 are clamped: they overflow or round to zero anyway.
            let mag = body.parse::<i64>().unwrap_or(i64::MAX).min(10_000);
            (&s[..i], if e.starts_with('-') { -mag } else { mag })
        }
        None => (s, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err("not a plain decimal number".into());
    }
    // Value = 0.d₀d₁d₂… × 10^point seconds, so digit i weighs 10^(point + 8 − i) nanoseconds.
    let point = int_part.len() as i64 + exp;
    let mut ns: u64 = 0;
    let too_large = || "too large (more than 584 years)".to_string();
    for (i, d) in int_part.bytes().chain(frac_part.bytes()).enumerate() {
        let d = u64::from(d - b'0');
        let weight = point + 8 - i as i64;
        if weight >= 0 {
            if d == 0 {
                continue;
            }
            let pow = u32::try_from(weight)
                .ok()
                .and_then(|w| 10u64.checked_pow(w))
                .ok_or_else(too_large)?;
            ns = d
                .checked_mul(pow)
                .and_then(|x| ns.checked_add(x))
                .ok_or_else(too_large)?;
        } else {
            if weight == -1 && d >= 5 {
                ns = ns.checked_add(1).ok_or_else(too_large)?;
            }
            break;
        }
    }
    Ok(ns)
}

/// Nanoseconds as decimal seconds with no trailing zeros (`0`, `1.5`, `3.000000001`): the
/// inverse of [`parse_decimal_seconds`].
pub(crate) fn format_decimal_seconds(ns: u64) -> String {
    let (secs, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    if frac == 0 {
        return secs.to_string();
    }
    let f = format!("{frac:09}");
    format!("{secs}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2023, 11, 16), 19_677);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn civil_from_days_inverts_days_from_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_677), (2023, 11, 16));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for year in [1600, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 2400] {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let d = days_from_civil(year, month, day);
                    assert_eq!(civil_from_days(d), (year, month, day));
                }
            }
        }
    }

    #[test]
    fn datetimes_of_both_azure_vintages() {
        let base = i128::from(days_from_civil(2023, 11, 16)) * 86_400 * NS;
        let t = parse_datetime("2023-11-16 18:17:03.9799600").unwrap();
        assert_eq!(t - base, (18 * 3600 + 17 * 60 + 3) * NS + 979_960_000);
        let a = parse_datetime("2024-05-10 00:00:00.009930+00:00").unwrap();
        let b = parse_datetime("2024-05-10 00:00:01+00:00").unwrap();
        assert_eq!(b - a, NS - 9_930_000);
        assert_eq!(parse_datetime("2024-05-10T00:00:01Z").unwrap(), b);
        assert_eq!(parse_datetime("2024-05-10 02:00:01+02:00").unwrap(), b);
        assert_eq!(parse_datetime("2024-05-09 23:30:01-0030").unwrap(), b);
        assert_eq!(
            parse_datetime("2024-05-10 00:00:00.123456789").unwrap() % NS,
            123_456_789
        );
    }

    #[test]
    fn bad_datetimes_say_why() {
        for (s, why) in [
            ("2023-13-01 00:00:00", "month 13"),
            ("2023-02-29 00:00:00", "day 29"),
            ("2023-11-16 24:00:00", "hour 24"),
            ("2023-11-16 18:17:03.", "no digits"),
            ("2023-11-16 18:17:03.1234567890", "10 fractional"),
            ("2023-11-16 18:17:03 PST", "unexpected"),
            ("2023/11/16 18:17:03", "separators"),
            ("2023-11-16", "too short"),
            ("2023-11-16 18:17:03+5:00", "zone offset \"+5:00\""),
            ("2023-11-16 18:17:03+24:00", "zone hour 24"),
            ("2023-11-16 18:17:03+05:0", "zone offset"),
            ("2O23-11-16 18:17:03", "year \"2O23\""),
        ] {
            let err = parse_datetime(s).unwrap_err();
            assert!(err.contains(why), "{s}: {err}");
        }
    }

    #[test]
    fn decimal_seconds_are_exact() {
        assert_eq!(parse_decimal_seconds("0"), Ok(0));
        assert_eq!(parse_decimal_seconds("110.5"), Ok(110_500_000_000));
        assert_eq!(parse_decimal_seconds(".5"), Ok(500_000_000));
        assert_eq!(parse_decimal_seconds("5."), Ok(5_000_000_000));
        assert_eq!(parse_decimal_seconds("3.000000001"), Ok(3_000_000_001));
        assert_eq!(parse_decimal_seconds("0.0000000015"), Ok(2));
        assert_eq!(parse_decimal_seconds("0.0000000014999"), Ok(1));
        assert_eq!(parse_decimal_seconds("1e-05"), Ok(10_000));
        assert_eq!(parse_decimal_seconds("2.5E3"), Ok(2_500_000_000_000));
        assert_eq!(parse_decimal_seconds("1e-900000"), Ok(0));
        assert_eq!(parse_decimal_seconds("18446744073.709551615"), Ok(u64::MAX));
        assert!(parse_decimal_seconds("18446744073.709551616").is_err());
        assert!(parse_decimal_seconds("1e99999999999").is_err());
        for bad in ["", ".", "-1", "+1", "1.2.3", "nan", "inf", "1e", "1x", " 1"] {
            assert!(parse_decimal_seconds(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decimal_seconds_round_trip() {
        for ns in [0, 1, 999_999_999, 1_000_000_000, 1_500_000_000, u64::MAX] {
            let s = format_decimal_seconds(ns);
            assert_eq!(parse_decimal_seconds(&s), Ok(ns), "{s}");
        }
        assert_eq!(format_decimal_seconds(1_500_000_000), "1.5");
    }
}
