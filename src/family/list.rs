//! The one list of record families. A family is a folder implementing
//! [`RecordFamily`](super::RecordFamily) and one line here: its variant, its name (the
//! `family = "…"` value and the topic's middle part, `<prefix>.<name>.v1`) and its type.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::record::{RecordFamily, Words};
use super::Binding;
use crate::avro::NamedSchema;
use crate::settings::{Invalid, Tagged};

/// A family's tables in a source: `[sources.<name>.fields]` and `.values`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, bound = "F: DeserializeOwned + Default")]
pub struct Tables<F> {
    #[serde(default)]
    pub fields: F,
    #[serde(default)]
    pub values: Words,
}

macro_rules! families {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $family:ty,)*) => {
        /// A record family: one canonical schema and one topic each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Family {
            $($(#[$doc])* $variant,)*
        }

        impl Family {
            /// Every family, in the list's order.
            pub const ALL: &'static [Family] = &[$(Family::$variant,)*];

            /// The name used in config files and topic names.
            pub fn name(self) -> &'static str {
                match self {
                    $(Family::$variant => $name,)*
                }
            }

            /// The family's Avro schema.
            pub fn schema(self) -> &'static NamedSchema {
                match self {
                    $(Family::$variant => <$family as RecordFamily>::schema(),)*
                }
            }

            /// The family with its default field mapping (the common Chinese names).
            ///
            /// # Panics
            /// Never for the families listed: every family's defaults validate, which the
            /// tests check.
            pub fn with_defaults(self) -> Binding {
                let words = Words::new();
                match self {
                    $(Family::$variant => Binding::new::<$family>(
                        self, Default::default(), &words, "sources.<defaults>",
                    ),)*
                }
                .expect("a family's default field mapping is valid")
            }
        }

        /// A source's family and its tables, chosen by the source's `family` key.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub enum RawFamily {
            $(#[serde(rename = $name)] $variant(Tables<<$family as RecordFamily>::RawFields>),)*
        }

        impl RawFamily {
            /// Validate the family's tables; `key` is the source's key (`sources.<name>`).
            ///
            /// # Errors
            /// [`Invalid`] naming the key at fault.
            pub fn bind(self, key: &str) -> Result<Binding, Invalid> {
                match self {
                    $(RawFamily::$variant(t) => {
                        Binding::new::<$family>(Family::$variant, t.fields, &t.values, key)
                    })*
                }
            }
        }

        impl Tagged for RawFamily {
            const TAG: &'static str = "family";
            const WHAT: &'static str = "record family";
            fn values() -> Vec<&'static str> {
                vec![$($name),*]
            }
        }
    };
}

families! {
    /// 农村产权交易项目 — a project on a property-rights exchange.
    PropertyRightsTransaction = "property_rights_transaction" => super::transaction::TransactionFamily,
    /// 三资台账条目 — one entry of a village's funds/assets/resources ledger.
    CollectiveAsset = "collective_asset" => super::asset::AssetFamily,
    /// 经济合同 — an economic contract of a village collective.
    EconomicContract = "economic_contract" => super::contract::ContractFamily,
    /// 农村集体经济组织 — a group-, village- or township-level collective economic
    /// organisation.
    CollectiveOrganisation = "collective_organisation" => super::organisation::OrganisationFamily,
}

impl Family {
    /// The family called `name` in config.
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The full name of the family's schema (sent as the `ruralsync.schema` header).
    pub fn schema_name(self) -> &'static str {
        &self.schema().full_name
    }
}
