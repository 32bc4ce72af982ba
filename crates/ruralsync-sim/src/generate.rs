//! Random but plausible project contents: what is traded, how much of it, for how long and
//! at what price, who lets it and who takes it.
//!
//! Distributions are rough pictures of a prefecture-level exchange (land management rights
//! dominate; most projects have reached a deal; rents of a few hundred yuan per mu per
//! year). Floats are used only to draw values; every published amount is an integer number
//! of yuan (or of hundredths of an area unit) turned into an exact decimal.

use chrono::{NaiveDate, NaiveDateTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::geography::{Geography, TAIGU_CODE};
use super::record::{
    AreaUnit, Category, DateStyle, Deal, Method, Party, Published, Record, State, Term, Transfer,
    BRANDS, COMPANY_TRADES, COOPERATIVE_TRADES, GIVEN_CHARS, NO_CHAR, SURNAMES,
};

/// Share of all records that an old Taigu platform publishes under the retired 140726.
const RETIRED_COUNTY_SHARE: f64 = 0.02;
/// Share of amounts (prices, areas) that a platform exports as JSON strings.
const TEXT_AMOUNT_SHARE: f64 = 0.12;

/// Pick from `(value, weight)` pairs.
pub(crate) fn pick<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for &(value, weight) in choices {
        if roll < weight {
            return value;
        }
        roll -= weight;
    }
    // `roll < total` and the weights sum to `total`, so the loop always returns; the
    // last choice is a safe answer should that ever change.
    choices[choices.len() - 1].0
}

/// 项目状态 of a generated record: most projects on a live platform have closed a deal.
pub(crate) fn initial_state(rng: &mut ChaCha8Rng) -> State {
    pick(
        rng,
        &[
            (State::Proposed, 1),
            (State::Review, 1),
            (State::Listed, 12),
            (State::Registration, 3),
            (State::Bidding, 2),
            (State::Dealt, 28),
            (State::Contracted, 25),
            (State::Certified, 20),
            (State::Unsold, 4),
            (State::Suspended, 1),
            (State::Terminated, 3),
        ],
    )
}

/// Days between listing and the current state: later states took longer to reach.
pub(crate) fn listing_lag_days(rng: &mut ChaCha8Rng, state: State) -> i64 {
    let (lo, hi) = match state {
        State::Proposed | State::Review => (0, 10),
        State::Listed => (0, 30),
        State::Registration | State::Bidding => (10, 45),
        State::Dealt => (20, 90),
        State::Contracted => (25, 150),
        State::Certified => (30, 400),
        State::Unsold => (20, 60),
        State::Suspended | State::Terminated => (10, 200),
    };
    rng.random_range(lo..=hi)
}

/// A new project at `village` with everything a listing has. The deal, the project number
/// and the timestamp are the caller's.
pub(crate) fn listing(
    rng: &mut ChaCha8Rng,
    geo: &Geography,
    village: u16,
    updated: NaiveDateTime,
    state: State,
) -> Record {
    let category = pick(
        rng,
        &[
            (Category::LandContract, 55),
            (Category::Forest, 8),
            (Category::Wasteland, 7),
            (Category::CollectiveAsset, 12),
            (Category::Facility, 8),
            (Category::Irrigation, 3),
            (Category::IntellectualProperty, 1),
            (Category::Aquaculture, 3),
            (Category::Other, 3),
        ],
    );
    let subject = rng.random_range(0..category.subjects().len()) as u8;
    let method = pick(
        rng,
        &[
            (Method::Agreement, 20),
            (Method::OpenBidding, 35),
            (Method::Auction, 8),
            (Method::Tender, 10),
            (Method::Listing, 27),
        ],
    );
    let transfer = transfer_for(rng, category);
    let term = term_for(rng, category, transfer);
    let (area_unit, area_hundredths) = area_for(rng, category);
    let area = published_area(rng, area_hundredths);
    let list_yuan = list_price_yuan(rng, category, transfer, term, area_unit, area_hundredths);
    let money_as_text = rng.random_bool(TEXT_AMOUNT_SHARE);
    let transferor = if matches!(
        category,
        Category::LandContract | Category::Forest | Category::Facility
    ) && rng.random_bool(0.15)
    {
        person(rng)
    } else {
        Party::Collective
    };
    let county = &geo.counties[geo.villages[usize::from(village)].county];
    let retired_county = county.code == TAIGU_CODE && {
        let taigu_share = county.villages.len() as f64 / geo.villages.len() as f64;
        rng.random_bool((RETIRED_COUNTY_SHARE / taigu_share).min(1.0))
    };
    Record {
        updated,
        no: [0; 17],
        village,
        retired_county,
        category,
        subject,
        method,
        transfer,
        state,
        area,
        area_unit,
        term,
        list_price: wan_yuan(list_yuan, money_as_text),
        deal: None,
        transferor,
        fault: None,
    }
}

/// The deal a project reaches on `date`.
pub(crate) fn deal(rng: &mut ChaCha8Rng, record: &Record, date: NaiveDate) -> Deal {
    let list_yuan = yuan(record.list_price);
    // Competitive methods usually raise the price; agreements mostly settle at the list.
    let premium = if record.method.is_competitive() {
        if rng.random_bool(0.3) {
            0.0
        } else {
            rng.random_range(0.0..0.30)
        }
    } else if rng.random_bool(0.85) {
        0.0
    } else {
        rng.random_range(0.0..0.05)
    };
    let mut deal_yuan = (list_yuan as f64 * (1.0 + premium)).round() as i64;
    if deal_yuan >= 10_000 && rng.random_bool(0.5) {
        deal_yuan = (deal_yuan + 50) / 100 * 100;
    }
    Deal {
        price: wan_yuan(deal_yuan.max(list_yuan), record.list_price.quoted),
        date,
        date_style: date_style(rng),
        transferee: transferee(rng),
    }
}

pub(crate) fn date_style(rng: &mut ChaCha8Rng) -> DateStyle {
    pick(
        rng,
        &[
            (DateStyle::Chinese, 25),
            (DateStyle::Slashes, 20),
            (DateStyle::Compact, 15),
            (DateStyle::Iso, 30),
            (DateStyle::Dots, 10),
        ],
    )
}

fn transferee(rng: &mut ChaCha8Rng) -> Party {
    match rng.random_range(0..100) {
        0..55 => person(rng),
        55..75 => Party::Company {
            brand: rng.random_range(0..BRANDS.len()) as u8,
            trade: rng.random_range(0..COMPANY_TRADES.len()) as u8,
        },
        _ => Party::Cooperative {
            brand: rng.random_range(0..BRANDS.len()) as u8,
            trade: rng.random_range(0..COOPERATIVE_TRADES.len()) as u8,
        },
    }
}

fn person(rng: &mut ChaCha8Rng) -> Party {
    let first = rng.random_range(0..GIVEN_CHARS.len()) as u8;
    let second = if rng.random_bool(0.8) {
        rng.random_range(0..GIVEN_CHARS.len()) as u8
    } else {
        NO_CHAR
    };
    Party::Person {
        surname: rng.random_range(0..SURNAMES.len()) as u8,
        given: [first, second],
        // Set from the project number once the project is numbered (`Dataset`), so the
        // person's identifiers take no draw from this stream.
        key: 0,
    }
}

fn transfer_for(rng: &mut ChaCha8Rng, category: Category) -> Option<Transfer> {
    use Transfer::*;
    let choices: &[(Option<Transfer>, u32)] = match category {
        Category::LandContract => &[
            (Some(Lease), 75),
            (Some(Shares), 10),
            (Some(Assignment), 10),
            (Some(Swap), 5),
        ],
        Category::Forest => &[
            (Some(Lease), 50),
            (Some(Assignment), 40),
            (Some(Shares), 10),
        ],
        Category::Wasteland => &[(Some(Lease), 70), (Some(Assignment), 30)],
        Category::CollectiveAsset => &[(Some(Lease), 80), (Some(Sale), 10), (Some(Shares), 10)],
        Category::Facility => &[(Some(Lease), 60), (Some(Sale), 30), (Some(Assignment), 10)],
        Category::Irrigation => &[(Some(Lease), 60), (Some(Assignment), 40)],
        // Licences of a trademark or plant variety are neither lease nor sale.
        Category::IntellectualProperty => &[(Some(Assignment), 60), (None, 40)],
        Category::Aquaculture => &[(Some(Lease), 1)],
        Category::Other => &[(Some(Lease), 50), (Some(Assignment), 30), (None, 20)],
    };
    pick(rng, choices)
}

fn term_for(rng: &mut ChaCha8Rng, category: Category, transfer: Option<Transfer>) -> Option<Term> {
    if transfer == Some(Transfer::Sale) {
        return None;
    }
    let years: &[(u8, u32)] = match category {
        Category::Forest | Category::Wasteland => &[(10, 2), (15, 2), (20, 3), (30, 3), (50, 1)],
        Category::Facility | Category::CollectiveAsset => {
            if rng.random_bool(0.15) {
                return Some(Term::Months(pick(rng, &[(3, 1), (6, 3)])));
            }
            &[(1, 3), (2, 2), (3, 3), (5, 3), (8, 1), (10, 1)]
        }
        Category::IntellectualProperty => &[(3, 1), (5, 2), (10, 1)],
        _ => &[(3, 2), (5, 3), (8, 1), (10, 3), (15, 1), (20, 1), (30, 1)],
    };
    Some(Term::Years(pick(rng, years)))
}

/// Unit and area in hundredths of that unit, drawn log-uniformly (small plots are common).
fn area_for(rng: &mut ChaCha8Rng, category: Category) -> (AreaUnit, i64) {
    use AreaUnit::*;
    let (unit, lo, hi) = match category {
        Category::LandContract => {
            if rng.random_bool(0.95) {
                (Mu, 5.0, 500.0)
            } else {
                (Hectare, 0.5, 30.0)
            }
        }
        Category::Forest => {
            if rng.random_bool(0.65) {
                (Mu, 30.0, 5000.0)
            } else {
                (Hectare, 2.0, 300.0)
            }
        }
        Category::Wasteland => {
            if rng.random_bool(0.9) {
                (Mu, 20.0, 2000.0)
            } else {
                (Hectare, 2.0, 100.0)
            }
        }
        Category::CollectiveAsset => {
            if rng.random_bool(0.8) {
                (SquareMetre, 80.0, 5000.0)
            } else {
                (Mu, 0.3, 20.0)
            }
        }
        Category::Facility => (SquareMetre, 50.0, 5000.0),
        Category::Irrigation => (Mu, 20.0, 1000.0),
        // The planting base the trademark or variety is used on.
        Category::IntellectualProperty => (Mu, 10.0, 500.0),
        Category::Aquaculture => (Mu, 5.0, 300.0),
        Category::Other => {
            if rng.random_bool(0.5) {
                (Mu, 0.5, 50.0)
            } else {
                (SquareMetre, 200.0, 10_000.0)
            }
        }
    };
    let value = (rng.random_range(f64::ln(lo)..f64::ln(hi))).exp();
    let hundredths = (value * 100.0).round() as i64;
    // Platforms publish whole units, one decimal or two.
    let hundredths = match rng.random_range(0..20) {
        0..5 => (hundredths + 50) / 100 * 100,
        5..12 => (hundredths + 5) / 10 * 10,
        _ => hundredths,
    };
    (unit, hundredths.max(1))
}

/// 面积 as published: a normalised number ("35.5"), or a string with two decimals ("35.50").
fn published_area(rng: &mut ChaCha8Rng, hundredths: i64) -> Published {
    let value = Decimal::new(hundredths, 2);
    if rng.random_bool(TEXT_AMOUNT_SHARE) {
        Published::text(value)
    } else {
        Published::number(value.normalize())
    }
}

/// 挂牌价 in whole yuan: a rate per area and year times area and term, or a total price for
/// sales; rounded to 100 yuan as listings usually are.
fn list_price_yuan(
    rng: &mut ChaCha8Rng,
    category: Category,
    transfer: Option<Transfer>,
    term: Option<Term>,
    unit: AreaUnit,
    area_hundredths: i64,
) -> i64 {
    let area = area_hundredths as f64 / 100.0;
    // Rates are per mu for land, per square metre for buildings and facilities.
    let area = if unit == AreaUnit::Hectare {
        area * 15.0
    } else {
        area
    };
    let years = match term {
        Some(Term::Years(n)) => f64::from(n),
        Some(Term::Months(n)) => f64::from(n) / 12.0,
        None => 1.0,
    };
    let sale = transfer == Some(Transfer::Sale);
    let sqm = unit == AreaUnit::SquareMetre;
    let total = match category {
        Category::LandContract => rng.random_range(300.0..1200.0) * area * years,
        Category::Forest => rng.random_range(30.0..300.0) * area * years,
        Category::Wasteland => rng.random_range(20.0..150.0) * area * years,
        Category::CollectiveAsset => match (sale, sqm) {
            (true, true) => rng.random_range(800.0..3000.0) * area,
            (true, false) => rng.random_range(100_000.0..300_000.0) * area,
            (false, true) => rng.random_range(48.0..240.0) * area * years,
            (false, false) => rng.random_range(3000.0..15_000.0) * area * years,
        },
        Category::Facility => {
            if sale {
                rng.random_range(150.0..900.0) * area
            } else {
                rng.random_range(5.0..40.0) * area * years
            }
        }
        Category::Irrigation => rng.random_range(20.0..120.0) * area * years,
        Category::IntellectualProperty => rng.random_range(10_000.0..500_000.0),
        Category::Aquaculture => rng.random_range(400.0..1500.0) * area * years,
        Category::Other => {
            if sqm {
                rng.random_range(3.0..20.0) * area * years
            } else {
                rng.random_range(200.0..2000.0) * area * years
            }
        }
    };
    let yuan = total.round() as i64;
    let yuan = if yuan >= 10_000 && rng.random_bool(0.8) {
        (yuan + 50) / 100 * 100
    } else {
        yuan
    };
    yuan.max(100)
}

/// An amount of whole yuan as 万元 (exact: four decimals), published as a normalised
/// number ("12.5") or as a string keeping all four decimals ("8.0000").
pub(crate) fn wan_yuan(yuan: i64, as_text: bool) -> Published {
    let value = Decimal::new(yuan, 4);
    if as_text {
        Published::text(value)
    } else {
        Published::number(value.normalize())
    }
}

/// Whole yuan of an amount in 万元. Prices carry at most four decimals (whole yuan), so
/// this is exact; a finer value would be truncated to the yuan.
pub(crate) fn yuan(price: Published) -> i64 {
    let scaled = price.value * Decimal::new(10_000, 0);
    let mantissa = scaled.trunc().mantissa();
    i64::try_from(mantissa).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn yuan_round_trips_through_wan_yuan() {
        for yuan_in in [1, 100, 120_000, 83_456, 30_500] {
            for text in [false, true] {
                assert_eq!(yuan(wan_yuan(yuan_in, text)), yuan_in);
            }
        }
        assert_eq!(wan_yuan(80_000, true).value.to_string(), "8.0000");
        assert_eq!(wan_yuan(125_000, false).value.to_string(), "12.5");
    }

    #[test]
    fn pick_respects_zero_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            assert_eq!(pick(&mut rng, &[(1, 0), (2, 5), (3, 0)]), 2);
        }
    }
}
