//! Dates as people in Oslo read them: local time (CET/CEST) in Norwegian notation.

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// Formats unix milliseconds as "24.11.2026 kl. 14:05", Oslo time.
pub fn oslo_display(millis: i64) -> String {
    let local = oslo_time(millis);
    format!(
        "{:02}.{:02}.{} kl. {:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// The Oslo calendar date of unix milliseconds as (year, month, day).
pub fn oslo_date(millis: i64) -> (i32, u8, u8) {
    let local = oslo_time(millis);
    (local.year(), u8::from(local.month()), local.day())
}

/// Formats unix milliseconds as "24.11.2026", the Oslo date.
pub fn oslo_date_display(millis: i64) -> String {
    let (year, month, day) = oslo_date(millis);
    format!("{day:02}.{month:02}.{year}")
}

/// Formats unix milliseconds as an RFC 3339 instant for `<time datetime>`.
pub fn iso(millis: i64) -> String {
    let utc = utc(millis);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

fn utc(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Oslo follows EU summer time: UTC+2 from the last Sunday of March 01:00 UTC to the last
/// Sunday of October 01:00 UTC, UTC+1 otherwise.
fn oslo_time(millis: i64) -> OffsetDateTime {
    let at = utc(millis);
    let year = at.year();
    let starts = last_sunday(year, Month::March).map(|d| d.with_hms(1, 0, 0));
    let ends = last_sunday(year, Month::October).map(|d| d.with_hms(1, 0, 0));
    let summer = match (starts, ends) {
        (Some(Ok(starts)), Some(Ok(ends))) => {
            let now = at.date().with_time(at.time());
            now >= starts && now < ends
        }
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    at.to_offset(UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC))
}

fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let mut day = Date::from_calendar_date(year, month, 31).ok()?;
    while day.weekday() != Weekday::Sunday {
        day = day.previous_day()?;
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winter_and_summer_time() {
        // 2026-01-15 12:00 UTC is 13:00 in Oslo; 2026-07-01 12:00 UTC is 14:00.
        assert_eq!(oslo_display(1_768_478_400_000), "15.01.2026 kl. 13:00");
        assert_eq!(oslo_display(1_782_907_200_000), "01.07.2026 kl. 14:00");
        assert_eq!(iso(1_768_478_400_000), "2026-01-15T12:00:00Z");
        // 23:30 UTC on 31 December is already New Year's Day in Oslo.
        assert_eq!(oslo_date(1_767_223_800_000), (2026, 1, 1));
        assert_eq!(oslo_date_display(1_768_478_400_000), "15.01.2026");
    }
}
