//! Vocabulary fields: a source's own words mapped to canonical symbols
//! (`[sources.<name>.values.<field>]`), and the words neither they nor the built-in
//! vocabularies know, counted for every family.

use std::collections::{BTreeMap, BTreeSet};

use apache_avro::types::Value as AvroValue;

use super::record::Words;
use crate::normalize::vocab::{self, ValueMap};
use crate::settings::Invalid;

/// A controlled vocabulary ([`crate::normalize::vocab`]): its symbols, the symbol of a
/// config value, and whether a platform word is one of its built-in words.
pub trait Vocabulary: Copy + 'static {
    fn symbols() -> &'static [&'static str];
    fn from_symbol(symbol: &str) -> Option<Self>;
    fn knows(word: &str) -> bool;
    /// The Avro enum value of this symbol.
    fn avro(self) -> AvroValue;
}

macro_rules! vocabularies {
    ($($name:ident),* $(,)?) => {$(
        impl Vocabulary for vocab::$name {
            fn symbols() -> &'static [&'static str] {
                vocab::$name::SYMBOLS
            }
            fn from_symbol(symbol: &str) -> Option<Self> {
                vocab::$name::from_symbol(symbol)
            }
            fn knows(word: &str) -> bool {
                vocab::$name::knows(word)
            }
            fn avro(self) -> AvroValue {
                AvroValue::Enum(self.index(), self.symbol().into())
            }
        }
    )*};
}

vocabularies!(
    Category,
    TradeMethod,
    TransferType,
    LifecycleStatus,
    AssetTopClass,
    AssetClass,
    OperatingMode,
    AccountingSystem,
    ContractType,
    ContractStatus,
    TermKind,
    OrganisationLevel,
);

/// A family's value maps, filled from `[sources.<name>.values]` field by field.
pub trait ValueMaps: Default {
    /// The vocabulary fields, as `values` tables name them.
    const FIELDS: &'static [&'static str];
    /// Fill the map of `field` (one of [`Self::FIELDS`]) from the source's words.
    ///
    /// # Errors
    /// [`Invalid`] at `<key>.<word>` for a symbol the field's vocabulary lacks.
    fn set(
        &mut self,
        field: &str,
        words: &BTreeMap<String, String>,
        key: &str,
    ) -> Result<(), Invalid>;
}

/// Validate `[sources.<name>.values]` (at `key`) into the family's value maps.
///
/// # Errors
/// [`Invalid`] for a field without a vocabulary or a symbol not in the field's one.
pub fn value_maps<V: ValueMaps>(words: &Words, key: &str) -> Result<V, Invalid> {
    let mut maps = V::default();
    for (field, words) in words {
        let k = format!("{key}.{field}");
        if !V::FIELDS.contains(&field.as_str()) {
            return Err(Invalid::new(
                k,
                format!(
                    "{field:?} has no vocabulary; valid: {}",
                    V::FIELDS.join(", ")
                ),
            ));
        }
        maps.set(field, words, &k)?;
    }
    Ok(maps)
}

/// One field's value map, each symbol checked against the vocabulary `T`.
///
/// # Errors
/// [`Invalid`] at `<key>.<word>` for a symbol not in `T`.
pub fn value_map<T: Vocabulary>(
    words: &BTreeMap<String, String>,
    key: &str,
) -> Result<ValueMap<T>, Invalid> {
    let pairs = words
        .iter()
        .map(|(word, symbol)| {
            T::from_symbol(symbol)
                .map(|v| (word.clone(), v))
                .ok_or_else(|| {
                    Invalid::new(
                        format!("{key}.{word}"),
                        format!(
                            "{symbol:?} is not a symbol of this field; valid: {}",
                            T::symbols().join(", ")
                        ),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ValueMap::new(pairs))
}

/// Platform words published as `OTHER`, by field, with a few examples for the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownWords {
    pub by_field: BTreeMap<&'static str, (u64, BTreeSet<String>)>,
}

impl UnknownWords {
    const EXAMPLES: usize = 5;

    pub fn total(&self) -> u64 {
        self.by_field.values().map(|(n, _)| n).sum()
    }

    /// Note `word` of `field` if neither the source's `map` nor the vocabulary `T`
    /// knows it.
    pub fn check<T: Vocabulary>(
        &mut self,
        field: &'static str,
        word: Option<&str>,
        map: &ValueMap<T>,
    ) {
        if let Some(word) = word.filter(|w| !map.contains(w) && !T::knows(w)) {
            self.note(field, word);
        }
    }

    pub fn note(&mut self, field: &'static str, word: &str) {
        let (n, examples) = self.by_field.entry(field).or_default();
        *n += 1;
        if examples.len() < Self::EXAMPLES {
            examples.insert(word.to_owned());
        }
    }

    /// Add `other`'s counts (its examples while there is room).
    pub fn add(&mut self, other: &UnknownWords) {
        for (field, (n, examples)) in &other.by_field {
            let (total, mine) = self.by_field.entry(field).or_default();
            *total += n;
            for word in examples {
                if mine.len() < Self::EXAMPLES {
                    mine.insert(word.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_maps_from_config_check_their_symbols() {
        let words =
            std::collections::BTreeMap::from([("土地发包".to_owned(), "CONTRACTING".to_owned())]);
        let map = value_map::<vocab::ContractType>(&words, "v.contract_type").unwrap();
        assert_eq!(
            map.map("土地发包", vocab::ContractType::from_word),
            vocab::ContractType::Contracting
        );
        let bad = std::collections::BTreeMap::from([("x".to_owned(), "RENT".to_owned())]);
        let err = value_map::<vocab::ContractType>(&bad, "v.contract_type").unwrap_err();
        assert_eq!(err.key, "v.contract_type.x");
        assert!(
            err.message.contains("CONTRACTING, LEASE"),
            "{}",
            err.message
        );
    }
}
