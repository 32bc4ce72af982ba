//! Change detection: a fingerprint of each record's canonical content, so a record whose
//! content did not change since it was last published is not published again.
//!
//! The fingerprint is the first 8 bytes of SHA-256 over the record's Avro datum without
//! its last field, `source_updated_at`: a platform that touches a record's update time
//! without changing it does not cause a republish. Fingerprints are kept durably in the
//! compacted topic `<prefix>._fingerprints` (key: record key, value: 8 bytes), written in
//! the same transaction as the record, and held in memory as 64-bit key hash → 64-bit
//! fingerprint (16 bytes of payload per key).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// Fingerprint of an encoded record datum (the bytes after the framing header) whose
/// last field is the timestamp-millis `updated_at_millis`.
pub fn content_fingerprint(datum: &[u8], updated_at_millis: i64) -> u64 {
    let trailer = zigzag_varint_len(updated_at_millis);
    let content = &datum[..datum.len().saturating_sub(trailer)];
    first_8_bytes(&Sha256::digest(content))
}

/// 64-bit hash of a record key, for the in-memory map.
/// Fingerprint of a dead letter: its reason and the (protected) raw record, so the same
/// bad record read again is not dead-lettered again.
pub fn dead_letter_fingerprint(reason: &str, protected_raw: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(reason.as_bytes());
    hasher.update([0]);
    hasher.update(protected_raw.as_bytes());
    first_8_bytes(&hasher.finalize())
}

pub fn key_hash(key: &str) -> u64 {
    first_8_bytes(&Sha256::digest(key.as_bytes()))
}

fn first_8_bytes(digest: &[u8]) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

/// Length of Avro's encoding of a long: zig-zag, then 7 bits per byte.
fn zigzag_varint_len(n: i64) -> usize {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    let mut len = 1;
    while z >= 0x80 {
        z >>= 7;
        len += 1;
    }
    len
}

/// What publishing a page needs to know of the fingerprints committed so far: a lookup,
/// so the page can be planned from any thread while the store stays where it is.
pub trait FingerprintLookup: Sync {
    /// Whether the record under `key` was last published with this fingerprint.
    fn is_unchanged(&self, key: &str, fingerprint: u64) -> bool;
    /// Whether a fingerprint is stored for `key`.
    fn contains(&self, key: &str) -> bool;
}

impl FingerprintLookup for Fingerprints {
    fn is_unchanged(&self, key: &str, fingerprint: u64) -> bool {
        Fingerprints::is_unchanged(self, key, fingerprint)
    }

    fn contains(&self, key: &str) -> bool {
        Fingerprints::contains(self, key)
    }
}

/// The fingerprints of one source's published records.
#[derive(Debug, Default, Clone)]
pub struct Fingerprints {
    by_key: HashMap<u64, u64>,
}

impl Fingerprints {
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether the record under `key` was last published with this fingerprint.
    pub fn is_unchanged(&self, key: &str, fingerprint: u64) -> bool {
        self.by_key.get(&key_hash(key)) == Some(&fingerprint)
    }

    /// Record that `key` was published with `fingerprint`.
    pub fn insert(&mut self, key: &str, fingerprint: u64) {
        self.by_key.insert(key_hash(key), fingerprint);
    }

    /// Whether a fingerprint is stored for `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(&key_hash(key))
    }

    /// Forget `key` (stored in the topic as an empty value).
    pub fn remove(&mut self, key: &str) {
        self.by_key.remove(&key_hash(key));
    }

    /// Load from the fingerprint topic's messages (key, 8-byte value); other sizes are
    /// ignored (a tombstone forgets the key).
    pub fn insert_stored(&mut self, key: &str, value: Option<&[u8]>) {
        match value.and_then(|v| <[u8; 8]>::try_from(v).ok()) {
            Some(bytes) => self.insert(key, u64::from_be_bytes(bytes)),
            None => {
                self.by_key.remove(&key_hash(key));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths_match_avros_encoding() {
        for n in [
            0_i64,
            1,
            -1,
            63,
            64,
            -65,
            1_672_880_400_000,
            i64::MAX,
            i64::MIN,
        ] {
            let encoded = apache_avro::to_avro_datum(
                &apache_avro::Schema::Long,
                apache_avro::types::Value::Long(n),
            )
            .unwrap();
            assert_eq!(zigzag_varint_len(n), encoded.len(), "{n}");
        }
    }

    #[test]
    fn only_content_changes_the_fingerprint_not_the_update_time() {
        use apache_avro::types::Value;
        // Every family's schema ends with `source_updated_at` (the family tests check).
        let schema = apache_avro::Schema::parse_str(
            r#"{"type": "record", "name": "R", "fields": [
                {"name": "status", "type": "string"},
                {"name": "source_updated_at", "type": {"type": "long", "logicalType": "timestamp-millis"}}
            ]}"#,
        )
        .unwrap();
        let fp = |status: &str, millis: i64| {
            let value = Value::Record(vec![
                ("status".into(), Value::String(status.into())),
                ("source_updated_at".into(), Value::TimestampMillis(millis)),
            ]);
            let datum = apache_avro::to_avro_datum(&schema, value).unwrap();
            content_fingerprint(&datum, millis)
        };
        let original = fp("成交", 1_672_880_400_000);
        assert_eq!(
            fp("成交", 1_672_880_400_000 + 400 * 86_400_000),
            original,
            "a touched update time is not a change"
        );
        assert_ne!(
            fp("成交x", 1_672_880_400_000),
            original,
            "a changed field is"
        );

        let mut store = Fingerprints::default();
        store.insert("s:1", original);
        assert!(store.is_unchanged("s:1", original));
        assert!(!store.is_unchanged("s:1", original ^ 1));
        assert!(!store.is_unchanged("s:2", original));
        store.insert_stored("s:1", None);
        assert!(store.is_empty());
    }
}
