//! Exact parsers for the values upstream platforms publish. Each is a small pure function
//! returning a message that says what was wrong and what would be valid.
//!
//! - [`text`](mod@text): JSON scalar text, the NFKC normal form of numeric, code and unit
//!   text, and the decimal grammar.
//! - [`amount`](mod@amount): totals in 元 exact to the fen (万元/元, separators,
//!   full-width, unit in the cell or the field) and unit prices (元/亩/年 …) kept apart.
//! - [`area`](mod@area): areas in m² from 亩/分/公顷/平方米/平方公里 (and `3亩5分`); the one
//!   rounding is stated there. [`area()`] and [`price()`] take the unit wherever it is
//!   written (value, unit column, default) by [`UnitFrom`]'s rule.
//! - [`capital`](mod@capital): amounts in financial uppercase (人民币壹拾贰万伍仟元整).
//! - [`date`](mod@date) and [`timestamp`](mod@timestamp): every date form in DOMAIN.md,
//!   Excel serials (1900 and 1904 systems), epoch seconds and milliseconds, Chinese
//!   numerals; Asia/Shanghai. The bare-number rules are in `date`'s module doc. Month- and
//!   year-precision dates keep their [`DatePrecision`]; date-only update times are the
//!   start of their day, flagged [`TimeResolution::Day`].
//! - [`term`](mod@term): 流转期限 as whole months plus days, 永久, 长期.
//! - [`region`](mod@region): 12-digit village codes and place names → divisions.
//! - [`credit_code`](mod@credit_code), [`resident_id`](mod@resident_id),
//!   [`phone`](mod@phone): identifiers with their check characters, and the phone
//!   recogniser the personal-data layer uses.
//!
//! Money, areas and times go through `rust_decimal` or integers from the published
//! text, never through a binary float.

pub mod amount;
pub mod area;
pub mod capital;
pub mod credit_code;
pub mod date;
mod numeral;
pub mod phone;
pub mod region;
pub mod resident_id;
pub mod term;
pub mod text;
pub mod timestamp;

pub use amount::{
    amount_yuan, price, unit_price, unit_price_in, MoneyUnit, Period, Price, PriceBasis,
    PriceReading, PriceUnit, UnitPrice,
};
pub use area::{area, area_m2, area_m2_cell, AreaReading, AreaUnit};
pub use capital::{capital, is_capital, Capital};
pub use credit_code::{
    credit_code, credit_code_check_char, organisation_code_check_char, CreditCode, OrganisationKind,
};
pub use date::{
    date, date_with, excel_serial, partial_date, DatePrecision, ExcelEpoch, PartialDate,
    TimeContext,
};
pub use phone::{find_phones, looks_like_phone, phone, Phone, PhoneKind};
pub use region::{resolve_names, resolve_place, village_code};
pub use resident_id::{plausible_id, resident_id, resident_id_check_char, ResidentId, Sex};
pub use term::{term, term_in, Term, TermUnit};
pub use text::{decimal, scalar_text, UnitFrom};
pub use timestamp::{
    local_timestamp, timestamp, timestamp_with, update_time, update_time_in_format, TimeResolution,
    UpdateTime,
};
