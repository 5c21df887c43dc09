//! Dates as people in Oslo read them: local time by the Europe/Oslo rules of the IANA time zone
//! database (bundled into the binary, so a server without tzdata still shows Oslo time), and
//! RFC 3339 instants for machines.

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::Zoned;
use jiff::tz::TimeZone;

/// Europe/Oslo, from the bundled time zone database.
static OSLO: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Oslo").unwrap_or(TimeZone::UTC));

fn timestamp(millis: i64) -> Timestamp {
    Timestamp::from_millisecond(millis).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn oslo(millis: i64) -> Zoned {
    timestamp(millis).to_zoned(OSLO.clone())
}

/// Formats unix milliseconds as "24.11.2026 kl. 14:05", Oslo time.
pub fn oslo_display(millis: i64) -> String {
    oslo(millis).strftime("%d.%m.%Y kl. %H:%M").to_string()
}

/// The Oslo calendar date of unix milliseconds as (year, month, day).
pub fn oslo_date(millis: i64) -> (i32, u8, u8) {
    let date = oslo(millis).date();
    (
        i32::from(date.year()),
        u8::try_from(date.month()).unwrap_or(1),
        u8::try_from(date.day()).unwrap_or(1),
    )
}

/// Noon in Oslo on a YYYY-MM-DD date, as unix milliseconds (a date a person gave, for printing
/// as that date whatever the time zone); `None` when it is not such a date.
pub fn date_millis(date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let noon = date.at(12, 0, 0, 0).to_zoned(OSLO.clone()).ok()?;
    Some(noon.timestamp().as_millisecond())
}

/// Formats unix milliseconds as "24.11.2026", the Oslo date.
pub fn oslo_date_display(millis: i64) -> String {
    oslo(millis).strftime("%d.%m.%Y").to_string()
}

/// Unix milliseconds as an RFC 3339 instant in UTC to the second, for `<time datetime>`.
pub fn iso(millis: i64) -> String {
    timestamp(millis.div_euclid(1000) * 1000)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Unix milliseconds as an RFC 3339 instant in UTC, with milliseconds when there are any
/// (the API's timestamps).
pub fn rfc3339(millis: i64) -> String {
    timestamp(millis).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_date_is_printed_as_that_date() {
        let millis = date_millis("2026-03-12").expect("a date");
        assert_eq!(oslo_date_display(millis), "12.03.2026");
        let summer = date_millis("2026-07-01").expect("a date");
        assert_eq!(oslo_date_display(summer), "01.07.2026");
        assert_eq!(date_millis("12.03.2026"), None);
        assert_eq!(date_millis("2026-02-30"), None);
    }

    #[test]
    fn winter_and_summer_time() {
        // 2026-01-15 12:00 UTC is 13:00 in Oslo; 2026-07-01 12:00 UTC is 14:00.
        assert_eq!(oslo_display(1_768_478_400_000), "15.01.2026 kl. 13:00");
        assert_eq!(oslo_display(1_782_907_200_000), "01.07.2026 kl. 14:00");
        assert_eq!(iso(1_768_478_400_000), "2026-01-15T12:00:00Z");
        assert_eq!(iso(1_768_478_400_999), "2026-01-15T12:00:00Z");
        // 23:30 UTC on 31 December is already New Year's Day in Oslo.
        assert_eq!(oslo_date(1_767_223_800_000), (2026, 1, 1));
        assert_eq!(oslo_date_display(1_768_478_400_000), "15.01.2026");
    }

    #[test]
    fn summer_time_changes_at_one_utc() {
        // 2026-03-29 00:59 UTC is 01:59 CET; 01:00 UTC is 03:00 CEST.
        assert_eq!(oslo_display(1_774_745_940_000), "29.03.2026 kl. 01:59");
        assert_eq!(oslo_display(1_774_746_000_000), "29.03.2026 kl. 03:00");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
