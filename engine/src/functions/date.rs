//! Calendar arithmetic in UTC for the PromQL date functions (`year()`, `month()`, ...), matching
//! Go's `time.Unix(sec, 0).UTC()` on the proleptic Gregorian calendar.

/// A UTC calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    /// 1..=12
    pub(crate) month: u32,
    /// 1..=31
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    /// 0 = Sunday .. 6 = Saturday, as Go's `time.Weekday`.
    pub(crate) weekday: u32,
    /// 1..=366
    pub(crate) year_day: u32,
}

impl Civil {
    pub(crate) fn from_unix_seconds(secs: i64) -> Civil {
        let secs = i128::from(secs);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        let weekday = (days + 4).rem_euclid(7) as u32;
        let year_day = (days - days_from_civil(year, 1, 1) + 1) as u32;
        Civil {
            year: year as i64,
            month,
            day,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
            weekday,
            year_day,
        }
    }
}

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i128) -> (i128, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i128, m: u32, d: u32) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i128::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i128::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_civil_conversions() {
        let c = Civil::from_unix_seconds(0);
        assert_eq!((c.year, c.month, c.day, c.weekday, c.year_day), (1970, 1, 1, 4, 1));
        // 2006-01-02T22:04:05Z, a Monday.
        let c = Civil::from_unix_seconds(1_136_239_445);
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.second), (2006, 1, 2, 22, 4, 5));
        assert_eq!((c.weekday, c.year_day), (1, 2));
        let c = Civil::from_unix_seconds(1_483_191_420);
        assert_eq!((c.year, c.year_day), (2016, 366));
        let c = Civil::from_unix_seconds(-1);
        assert_eq!((c.year, c.month, c.day, c.hour, c.weekday), (1969, 12, 31, 23, 3));
        assert_eq!(days_in_month(2016, 2), 29);
        assert_eq!(days_in_month(2017, 2), 28);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        for d in [-1_000_000i128, -1, 0, 1, 59, 365 * 400, 10_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
