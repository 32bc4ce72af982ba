//! Upstream JSON object → [`CollectiveOrganisation`].

use serde_json::Value;

use super::{CollectiveOrganisation, OrganisationFields};
use crate::family::read::{self, Reader};
use crate::family::Context;
use crate::normalize::parse::{self, CreditCode, OrganisationKind};
use crate::normalize::vocab::OrganisationLevel;
use crate::normalize::{Reason, Rejection};
use crate::region::{Division, Divisions, Level};

/// Normalise one upstream organisation. Fields are read in a fixed order, and the first
/// field that cannot be normalised is the rejection's.
///
/// # Errors
/// A [`Rejection`] for the first field that cannot be normalised:
/// [`Reason::BadCreditCode`] for a code that fails its checks (with any ID-number-shaped
/// text in the native id and message redacted, in case a person's ID sits in the
/// column), [`Reason::NotACollectiveOrganisation`] for a valid code of another kind.
pub(super) fn normalise(
    raw: &Value,
    f: &OrganisationFields,
    cx: &Context<'_>,
) -> Result<CollectiveOrganisation, Rejection> {
    let mut r = Reader::open(raw, cx.timezone)?;
    let (code, native_id, level) = identify(&mut r, f, cx)?;
    let source_updated_at = r.updated_at(&f.updated_at, cx.time_format)?;
    let organisation_name = r.required(&f.name)?;
    let address = r.optional(&f.address);
    let registration_region_code = code.region_code().to_owned();
    let registration_region = Divisions::shanxi()
        .resolve_code(&registration_region_code)
        .filter(|d| matches!(d.level, Level::City | Level::County));
    let village = match level {
        // A township's organisation belongs to no village.
        OrganisationLevel::Township => None,
        _ => village(
            &r,
            f,
            [address.as_deref(), Some(&organisation_name)],
            registration_region,
        )?,
    };
    let region_code = village.map(|v| v.code.clone());
    let county_code = match &region_code {
        Some(code) => Some(code[..6].to_owned()),
        None => registration_region
            .filter(|d| d.level == Level::County)
            .map(|d| d.code.clone()),
    };
    Ok(CollectiveOrganisation {
        key: format!("{}:{native_id}", cx.source),
        source: cx.source.to_owned(),
        organisation_name,
        credit_code: code.as_str().to_owned(),
        level,
        level_raw: code.kind_code().to_owned(),
        registration_region_code,
        region_code,
        county_code,
        address,
        legal_representative: (r.optional(&f.legal_representative))
            .and_then(|name| cx.protector.person_name(&name)),
        member_count: r.count(&f.member_count)?,
        household_count: r.count(&f.household_count)?,
        registration_date: r.date(&f.registration_date)?,
        code_assigned_date: r.date(&f.code_assigned_date)?,
        source_updated_at,
        native_id,
    })
}

/// The verified credit code, the native id it gives and the level its kind gives.
fn identify(
    r: &mut Reader<'_>,
    f: &OrganisationFields,
    cx: &Context<'_>,
) -> Result<(CreditCode, String, OrganisationLevel), Rejection> {
    let protector = cx.protector;
    let published = r.required(&f.credit_code)?;
    // Until verified, the published code is only an identifier of the dead letter: an
    // ID number mistakenly in this column must not travel in clear.
    r.set_native_id(protector.redact_text(&published));
    let code = parse::credit_code(&published).map_err(|m| {
        r.reject(
            &f.credit_code,
            Reason::BadCreditCode,
            protector.redact_text(&m),
        )
    })?;
    // An organisation's code is not personal; should it also be a valid ID number,
    // it is protected like one.
    let native_id = protector.native_id(code.as_str());
    r.set_native_id(native_id.clone());
    let level = match code.kind() {
        OrganisationKind::GroupCollective => OrganisationLevel::Group,
        OrganisationKind::VillageCollective => OrganisationLevel::Village,
        OrganisationKind::TownshipCollective => OrganisationLevel::Township,
        other => {
            return Err(r.reject(
                &f.credit_code,
                Reason::NotACollectiveOrganisation,
                format!(
                    "credit code kind {} ({}) is not a rural collective economic organisation; expected N1 (组级), N2 (村级) or N3 (乡镇级)",
                    code.kind_code(),
                    kind_name(other)
                ),
            ))
        }
    };
    Ok((code, native_id, level))
}

/// The village of a group's or village's organisation: a code field's, else the place
/// the address or the name names within the registration region.
fn village(
    r: &Reader<'_>,
    f: &OrganisationFields,
    places: [Option<&str>; 2],
    within: Option<&Division>,
) -> Result<Option<&'static Division>, Rejection> {
    match r.optional(&f.region_code) {
        Some(text) => parse::village_code(&text)
            .map(Some)
            .map_err(|m| r.reject(&f.region_code, Reason::UnknownRegion, m)),
        None => Ok(resolve_village(places, within)),
    }
}

/// The first of `places` (address, then name) that names exactly one village within the
/// registration region; `None` when none does — a place is optional here, and guessing
/// between villages of the same name would attach the organisation to the wrong one.
fn resolve_village(
    places: [Option<&str>; 2],
    within: Option<&Division>,
) -> Option<&'static Division> {
    let table = Divisions::shanxi();
    places.into_iter().flatten().find_map(|text| {
        table
            .resolve_place(&read::place_of(text), within.map(|d| d.code.as_str()))
            .ok()
            .filter(|d| d.level == Level::Village)
    })
}

/// What a non-collective credit code kind is, for the rejection message.
fn kind_name(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::GovernmentOrgan => "government organ",
        OrganisationKind::PublicInstitution => "public institution",
        OrganisationKind::SocialOrganisation => "social organisation",
        OrganisationKind::PrivateNonEnterprise => "private non-enterprise unit",
        OrganisationKind::Foundation => "foundation",
        OrganisationKind::Enterprise => "enterprise",
        OrganisationKind::IndividualBusiness => "individual business",
        OrganisationKind::FarmersCooperative => "farmers' specialised cooperative",
        OrganisationKind::OtherAgricultural => "other body registered by agriculture departments",
        _ => "other",
    }
}
