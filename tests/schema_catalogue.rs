//! The schema catalogue's evolution rules (issue 14), checked by Avro's own Java parser
//! and `SchemaCompatibility` (`consumers/java`, class `SchemaRules`): one definition per
//! named type across every file, a doc on every type and field, a default on every enum,
//! and every schema BACKWARD and FORWARD compatible with every released version in
//! `schemas/history/`. The tests that break a copy of the catalogue show the check fails
//! when it should.

mod tools;

use std::path::Path;

use serde_json::{json, Value};

const RULES: &str = "cn.ruralsync.consumer.SchemaRules";

/// `SchemaRules` over `dir`: (passed, what it printed).
fn check(dir: &Path) -> Option<(bool, String)> {
    let out = tools::java(RULES, &[dir.to_str().unwrap()])?;
    Some((out.status.success(), tools::printed(&out)))
}

/// A copy of `schemas/` (history included) in a temporary directory.
fn catalogue_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&tools::root().join("schemas"), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Rewrite `<dir>/<name>.avsc` through `edit`.
fn edit(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) {
    let path = dir.join(format!("{name}.avsc"));
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut schema);
    std::fs::write(path, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
}

fn fields(schema: &mut Value) -> &mut Vec<Value> {
    schema["fields"].as_array_mut().unwrap()
}

#[test]
fn the_shipped_catalogue_keeps_every_evolution_rule() {
    let Some((ok, printed)) = check(&tools::root().join("schemas")) else {
        return;
    };
    assert!(ok, "{printed}");
    assert!(
        printed.contains("ok: 5 schemas, 5 released versions"),
        "{printed}"
    );
}

/// `cn.ruralsync.v1.TermKind` was once defined in two files with different symbols: one
/// parser over every file refuses that.
#[test]
fn a_named_type_defined_in_two_files_is_refused() {
    let dir = catalogue_copy();
    std::fs::write(
        dir.path().join("zz_extra.avsc"),
        json!({"type": "record", "name": "Extra", "namespace": "cn.ruralsync.v1", "doc": "d",
               "fields": [{"name": "party", "doc": "d", "type": {"type": "record", "name": "Party",
                   "namespace": "cn.ruralsync.v1.contract", "doc": "d", "fields": []}}]})
        .to_string(),
    )
    .unwrap();
    let Some((ok, printed)) = check(dir.path()) else {
        return;
    };
    assert!(!ok, "{printed}");
    assert!(
        printed.contains("zz_extra.avsc: one parser over every file: Can't redefine: cn.ruralsync.v1.contract.Party"),
        "{printed}"
    );
}

#[test]
fn a_type_or_field_without_doc_and_an_enum_without_default_are_refused() {
    let dir = catalogue_copy();
    edit(dir.path(), "collective_organisation", |s| {
        let level = fields(s).iter_mut().find(|f| f["name"] == "level").unwrap();
        level.as_object_mut().unwrap().remove("doc");
        let enum_type = &mut level["type"];
        enum_type.as_object_mut().unwrap().remove("default");
        enum_type.as_object_mut().unwrap().remove("doc");
    });
    let Some((ok, printed)) = check(dir.path()) else {
        return;
    };
    assert!(!ok, "{printed}");
    for want in [
        "collective_organisation.avsc: cn.ruralsync.v1.CollectiveOrganisation.level: the field has no doc",
        "collective_organisation.avsc: cn.ruralsync.v1.organisation.OrganisationLevel: the type has no doc",
        "collective_organisation.avsc: cn.ruralsync.v1.organisation.OrganisationLevel: the enum has no default (catch-all) symbol",
    ] {
        assert!(printed.contains(want), "{want}\n{printed}");
    }
}

/// A new field without a default cannot be read from old data (BACKWARD); a required
/// field dropped cannot be read by an old reader (FORWARD). Avro's own rules say so.
#[test]
fn changes_that_break_readers_of_a_release_are_refused_naming_the_rule() {
    let dir = catalogue_copy();
    edit(dir.path(), "dead_letter", |s| {
        fields(s).push(json!({"name": "severity", "type": "int", "doc": "d"}));
    });
    edit(dir.path(), "collective_asset", |s| {
        fields(s).retain(|f| f["name"] != "asset_name");
    });
    let Some((ok, printed)) = check(dir.path()) else {
        return;
    };
    assert!(!ok, "{printed}");
    assert!(
        printed.contains("dead_letter.avsc: not BACKWARD compatible with history/dead_letter/v1.avsc: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/9: severity"),
        "{printed}"
    );
    assert!(
        printed.contains("collective_asset.avsc: not FORWARD compatible with history/collective_asset/v1.avsc: READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{printed}"
    );
    assert!(printed.contains("asset_name"), "{printed}");
}

/// What the rules allow: a new optional field, and a new enum symbol (old readers map it
/// to the enum's default).
#[test]
fn an_optional_field_and_a_new_enum_symbol_are_compatible_changes() {
    let dir = catalogue_copy();
    edit(dir.path(), "dead_letter", |s| {
        fields(s).push(
            json!({"name": "severity", "type": ["null", "int"], "default": null, "doc": "d"}),
        );
    });
    edit(dir.path(), "collective_organisation", |s| {
        let level = fields(s).iter_mut().find(|f| f["name"] == "level").unwrap();
        let symbols = level["type"]["symbols"].as_array_mut().unwrap();
        symbols.insert(symbols.len() - 1, json!("COUNTY"));
    });
    let Some((ok, printed)) = check(dir.path()) else {
        return;
    };
    assert!(ok, "{printed}");
}
