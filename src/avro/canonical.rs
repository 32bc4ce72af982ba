//! The Parsing Canonical Form of a schema, as the Avro specification defines it, and the
//! CRC-64-AVRO fingerprint computed over it.

use apache_avro::Schema;
use serde_json::{Map, Value as J};

/// The 8-byte CRC-64-AVRO fingerprint (little-endian, as single-object encoding writes
/// it) of a schema's Parsing Canonical Form as the Avro specification defines it — the
/// form Java's `SchemaNormalization` and fastavro compute. apache-avro's own
/// `Schema::fingerprint` keeps logical types and decimal attributes in its canonical
/// form, so its fingerprints are recognised by no other implementation.
pub fn fingerprint(schema: &Schema) -> [u8; 8] {
    use sha2::Digest;
    // A parsed schema always serialises to JSON.
    let json = serde_json::to_value(schema).unwrap_or_default();
    let digest = apache_avro::rabin::Rabin::digest(parsing_canonical_form(&json).as_bytes());
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    bytes
}

/// The Parsing Canonical Form of a schema given as JSON: full names, only the
/// attributes that matter for reading (`name`, `type`, `fields`, `symbols`, `items`,
/// `values`, `size`, in that order), primitives in their simple form, no white space.
pub fn parsing_canonical_form(schema: &J) -> String {
    let mut out = String::new();
    write_canonical(schema, None, &mut out);
    out
}

const PRIMITIVES: &[&str] = &[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `name` in full: as written when it has a dot, else in `namespace`.
fn full_name(name: &str, namespace: Option<&str>) -> String {
    match (name.contains('.'), namespace) {
        (false, Some(ns)) if !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_owned(),
    }
}

fn write_canonical(schema: &J, namespace: Option<&str>, out: &mut String) {
    match schema {
        J::String(name) if PRIMITIVES.contains(&name.as_str()) => out.push_str(&quote(name)),
        J::String(name) => out.push_str(&quote(&full_name(name, namespace))),
        J::Array(branches) => {
            out.push('[');
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(branch, namespace, out);
            }
            out.push(']');
        }
        J::Object(o) => write_object(o, namespace, out),
        _ => {}
    }
}

fn write_object(o: &Map<String, J>, namespace: Option<&str>, out: &mut String) {
    let kind = o.get("type").and_then(J::as_str).unwrap_or_default();
    if PRIMITIVES.contains(&kind) {
        out.push_str(&quote(kind));
        return;
    }
    if !matches!(
        kind,
        "record" | "error" | "enum" | "fixed" | "array" | "map"
    ) {
        // `{"type": <schema>}`: the nested schema is the schema.
        if let Some(inner) = o.get("type") {
            write_canonical(inner, namespace, out);
        }
        return;
    }
    let own_namespace = o.get("namespace").and_then(J::as_str).or(namespace);
    let name = o
        .get("name")
        .and_then(J::as_str)
        .map(|n| full_name(n, own_namespace));
    let inner_namespace = name
        .as_deref()
        .and_then(|n| n.rsplit_once('.').map(|(ns, _)| ns))
        .or(namespace);
    out.push('{');
    if let Some(name) = &name {
        out.push_str(&format!("\"name\":{},", quote(name)));
    }
    out.push_str(&format!("\"type\":{}", quote(kind)));
    write_attributes(o, inner_namespace, out);
    out.push('}');
}

/// `fields`, `symbols`, `items`, `values` and `size`, in that order.
fn write_attributes(o: &Map<String, J>, namespace: Option<&str>, out: &mut String) {
    if let Some(J::Array(fields)) = o.get("fields") {
        out.push_str(",\"fields\":[");
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let field_name = field.get("name").and_then(J::as_str).unwrap_or_default();
            out.push_str(&format!("{{\"name\":{},\"type\":", quote(field_name)));
            write_canonical(field.get("type").unwrap_or(&J::Null), namespace, out);
            out.push('}');
        }
        out.push(']');
    }
    if let Some(J::Array(symbols)) = o.get("symbols") {
        let symbols: Vec<String> = symbols.iter().filter_map(J::as_str).map(quote).collect();
        out.push_str(&format!(",\"symbols\":[{}]", symbols.join(",")));
    }
    for key in ["items", "values"] {
        if let Some(inner) = o.get(key) {
            out.push_str(&format!(",\"{key}\":"));
            write_canonical(inner, namespace, out);
        }
    }
    if let Some(size) = o.get("size").and_then(J::as_u64) {
        out.push_str(&format!(",\"size\":{size}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_own_examples_of_the_simple_forms() {
        assert_eq!(
            parsing_canonical_form(&serde_json::json!({"type": "int", "logicalType": "date"})),
            "\"int\""
        );
        assert_eq!(
            parsing_canonical_form(
                &serde_json::json!({"type": "fixed", "name": "md5", "namespace": "x.y", "size": 16, "doc": "d"})
            ),
            "{\"name\":\"x.y.md5\",\"type\":\"fixed\",\"size\":16}"
        );
    }
}
