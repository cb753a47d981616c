//! The `YYYY-MM-DDTHH:mm:ss.sssZ` form of `Date#toISOString` for years 0000 to 9999, both ways,
//! so an instant kept as epoch milliseconds can be written back exactly as JavaScript wrote it.

/// Length of the form: `2024-01-31T12:00:00.000Z`.
pub const LENGTH: usize = 24;

/// Epoch milliseconds of `text` when it is exactly what `Date#toISOString` writes for them.
pub fn parse(text: &str) -> Option<i64> {
  let bytes = text.as_bytes();
  if bytes.len() != LENGTH {
    return None;
  }
  let separators_match = [
    (4, b'-'),
    (7, b'-'),
    (10, b'T'),
    (13, b':'),
    (16, b':'),
    (19, b'.'),
    (23, b'Z'),
  ]
  .iter()
  .all(|&(at, separator)| bytes[at] == separator);
  if !separators_match {
    return None;
  }
  let number = |from: usize, to: usize| -> Option<i64> {
    bytes[from..to].iter().try_fold(0i64, |total, &digit| {
      digit
        .is_ascii_digit()
        .then(|| total * 10 + i64::from(digit - b'0'))
    })
  };
  let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
  let (hour, minute, second, milli) = (
    number(11, 13)?,
    number(14, 16)?,
    number(17, 19)?,
    number(20, 23)?,
  );
  if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
    return None;
  }
  if hour > 23 || minute > 59 || second > 59 {
    return None;
  }
  let days = days_from_civil(year, month, day);
  Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000 + milli)
}

/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in epoch milliseconds: the instants this
/// form can write.
pub const FIRST: i64 = -62_167_219_200_000;
pub const LAST: i64 = 253_402_300_799_999;

pub fn writable(epoch_ms: i64) -> bool {
  (FIRST..=LAST).contains(&epoch_ms)
}

/// Appends the form of `epoch_ms`, which must lie in years 0000 to 9999 (as every value
/// [`parse`] returns does).
pub fn write(epoch_ms: i64, out: &mut String) {
  let days = epoch_ms.div_euclid(86_400_000);
  let in_day = epoch_ms.rem_euclid(86_400_000);
  let (year, month, day) = civil_from_days(days);
  let fields = [
    (year, 4, '-'),
    (month, 2, '-'),
    (day, 2, 'T'),
    (in_day / 3_600_000, 2, ':'),
    (in_day / 60_000 % 60, 2, ':'),
    (in_day / 1_000 % 60, 2, '.'),
    (in_day % 1_000, 3, 'Z'),
  ];
  for (value, width, separator) in fields {
    push_padded(out, value, width);
    out.push(separator);
  }
}

fn push_padded(out: &mut String, value: i64, width: u32) {
  let mut place = 10i64.pow(width - 1);
  while place > 0 {
    out.push(char::from(b'0' + (value / place % 10) as u8));
    place /= 10;
  }
}

fn days_in_month(year: i64, month: i64) -> i64 {
  match month {
    2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
    2 => 28,
    4 | 6 | 9 | 11 => 30,
    _ => 31,
  }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
  let year = if month <= 2 { year - 1 } else { year };
  let era = year.div_euclid(400);
  let year_of_era = year - era * 400;
  let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
  let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day) of a day counted from 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
  let shifted = days + 719_468;
  let era = shifted.div_euclid(146_097);
  let day_of_era = shifted - era * 146_097;
  let year_of_era =
    (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
  let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  let month_index = (5 * day_of_year + 2) / 153;
  let day = day_of_year - (153 * month_index + 2) / 5 + 1;
  let month = if month_index < 10 {
    month_index + 3
  } else {
    month_index - 9
  };
  let year = year_of_era + era * 400 + i64::from(month <= 2);
  (year, month, day)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn writable_instants_are_the_four_digit_years() {
    assert_eq!(written(FIRST), "0000-01-01T00:00:00.000Z");
    assert_eq!(written(LAST), "9999-12-31T23:59:59.999Z");
    assert!(writable(FIRST) && writable(0) && writable(LAST));
    assert!(!writable(FIRST - 1) && !writable(LAST + 1));
  }

  fn written(epoch_ms: i64) -> String {
    let mut out = String::new();
    write(epoch_ms, &mut out);
    out
  }

  #[test]
  fn agrees_with_to_iso_string() {
    // values from `new Date(ms).toISOString()` in Node.js
    for (ms, iso) in [
      (0, "1970-01-01T00:00:00.000Z"),
      (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
      (951_782_400_000, "2000-02-29T00:00:00.000Z"),
      (-1, "1969-12-31T23:59:59.999Z"),
      (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
      (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
      (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
    ] {
      assert_eq!(written(ms), iso);
      assert_eq!(parse(iso), Some(ms), "{iso}");
    }
  }

  #[test]
  fn round_trips_every_day_of_eight_centuries() {
    for days in days_from_civil(1600, 1, 1)..days_from_civil(2400, 1, 1) {
      let ms = days * 86_400_000 + 45_296_789;
      let text = written(ms);
      assert_eq!(parse(&text), Some(ms), "{text}");
    }
  }

  #[test]
  fn accepts_only_the_exact_form() {
    for other in [
      "2023-11-14T22:13:20Z",
      "2023-11-14T22:13:20.1234Z",
      "2023-11-14 22:13:20.123Z",
      "2023-11-14T22:13:20.123+00:00",
      "2023-02-29T00:00:00.000Z",
      "1900-02-29T00:00:00.000Z",
      "2023-13-01T00:00:00.000Z",
      "2023-00-01T00:00:00.000Z",
      "2023-04-31T00:00:00.000Z",
      "2023-11-14T24:00:00.000Z",
      "2023-11-14T22:60:00.000Z",
      "2023-11-14T22:13:60.000Z",
      "+002023-11-14T22:13:20.123Z",
      "2023-1a-14T22:13:20.123Z",
      "",
    ] {
      assert_eq!(parse(other), None, "{other}");
    }
  }
}
