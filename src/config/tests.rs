use std::path::Path;

use super::*;

const EXAMPLE: &str = include_str!("../../config/ruralsync.example.toml");

fn parse_err(text: &str) -> String {
    parse(Path::new("test.toml"), text).unwrap_err().to_string()
}

#[test]
fn the_example_config_is_valid() {
    let c = parse(Path::new("config/ruralsync.example.toml"), EXAMPLE).unwrap();
    assert_eq!(c.kafka.bootstrap_servers, "127.0.0.1:9092");
    let s = c.source("jinzhong_exchange").unwrap();
    assert_eq!(s.schedule.expression(), "0 */5 * * * *");
    let crate::source::SourceKind::HttpJson(http) = &s.kind else {
        panic!("an http_json source")
    };
    assert_eq!(http.pull.page_size, 500);
    assert_eq!(http.records_path, ["data", "list"]);
    let fields = s
        .binding
        .fields::<crate::family::transaction::TransactionFamily>()
        .expect("a transaction source");
    assert_eq!(fields.deal_price, "成交价(万元)");
}

#[test]
fn errors_name_the_file_the_key_and_what_is_valid() {
    let cases = [
        (EXAMPLE.replace("schedule = \"0 */5 * * * *\"", "schedule = \"every 5 minutes\""),
         "test.toml: key `sources.jinzhong_exchange.schedule`: \"every 5 minutes\" has 3 fields; expected 5"),
        (EXAMPLE.replace("timezone = \"Asia/Shanghai\"", "timezone = \"Beijing\""),
         "key `sources.jinzhong_exchange.timezone`: unknown time zone \"Beijing\""),
        (EXAMPLE.replace("family = \"property_rights_transaction\"", "family = \"deals\""),
         "key `sources.jinzhong_exchange.family`: unknown record family \"deals\"; valid: property_rights_transaction"),
        (EXAMPLE.replace("type = \"http_json\"", "type = \"ftp\""),
         "key `sources.jinzhong_exchange.type`: unknown source type \"ftp\"; valid: http_json"),
        (EXAMPLE.replace("page_size = 500", "page_size = 0"),
         "key `sources.jinzhong_exchange.http.page_size`: 0 is out of range; expected 1 to 10000"),
        (EXAMPLE.replace("url = \"http://127.0.0.1:8480/api/v1/transactions\"", "url = \"127.0.0.1:8480\""),
         "key `sources.jinzhong_exchange.http.url`"),
        (EXAMPLE.replace("deal_price_unit = \"万元\"", "deal_price_unit = \"千元\""),
         "key `sources.jinzhong_exchange.fields.deal_price_unit`: unknown money unit \"千元\"; valid: 元, 万元"),
        (EXAMPLE.replace("since_format = \"%Y-%m-%d %H:%M:%S\"", "since_format = \"%Y-%m-%d\""),
         "key `sources.jinzhong_exchange.http.since_format`"),
        (EXAMPLE.replace("\"compression.type\" = \"lz4\"", "acks = \"1\""),
         "key `kafka.producer.acks`: is set by ruralsync"),
        (EXAMPLE.replace("lag_secs = 60", "lag_secs = 10000000000000"),
         "key `sources.jinzhong_exchange.http.lag_secs`: 10000000000000 is out of range; expected 0 to 2678400 (31 days) seconds"),
    ];
    for (text, want) in cases {
        let err = parse_err(&text);
        assert!(err.contains(want), "want {want:?} in {err:?}");
    }
}

#[test]
fn the_kind_and_auth_tables_are_chosen_by_their_tags_with_errors_naming_the_key() {
    let cases = [
        (EXAMPLE.replace("[sources.jinzhong_exchange.http]", "[sources.jinzhong_exchange.sql]"),
         "key `sources.jinzhong_exchange.http`: is missing; a source of type \"http_json\" needs a [sources.jinzhong_exchange.http] table"),
        (EXAMPLE.replace("[sources.jinzhong_exchange.fields]", "[sources.jinzhong_exchange.file]\ndir = \"/x\"\n[sources.jinzhong_exchange.fields]"),
         "key `sources.jinzhong_exchange.file`: belongs to sources of type \"file_drop\", but this source is \"http_json\"; remove it or change `type`"),
        (EXAMPLE.replace("type = \"http_json\"", "type = 7"),
         "key `sources.jinzhong_exchange.type`: expected a string naming one of: http_json, sql, file_drop; found integer"),
        (EXAMPLE.replace("kind = \"signed\"", "kind = \"kerberos\""),
         "key `sources.jinzhong_signed.http.auth.kind`: unknown auth kind \"kerberos\"; valid: bearer, api_key, oauth2_client_credentials, signed"),
        (EXAMPLE.replace("kind = \"signed\"", "kind = \"bearer\""),
         "key `sources.jinzhong_signed.http.auth.app_key`: is not used by kind = \"bearer\"; it takes: token"),
    ];
    for (text, want) in cases {
        let err = parse_err(&text);
        assert!(err.contains(want), "want {want:?} in {err:?}");
    }
}

#[test]
fn unknown_keys_are_refused_with_the_valid_ones() {
    let err = parse_err(&EXAMPLE.replace("page_size = 500", "pagesize = 500"));
    assert!(err.contains("unknown field `pagesize`"), "{err}");
    assert!(err.contains("page_size"), "lists the valid keys: {err}");
    assert!(err.starts_with("test.toml:"), "{err}");
}

#[test]
fn every_config_shipped_in_the_repo_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            load(&path).unwrap_or_else(|e| panic!("{e}"));
            checked += 1;
        }
    }
    assert!(checked >= 3, "example, demo and docker configs: {checked}");
}

#[test]
fn a_toml_error_names_line_and_column_but_never_quotes_the_line() {
    let line = EXAMPLE
        .lines()
        .position(|l| l.starts_with("topic_prefix"))
        .unwrap()
        + 1;
    let broken = EXAMPLE.replace(
        "topic_prefix = \"ruralsync\"",
        "topic_prefix = \"hunter2-secret",
    );
    let err = parse_err(&broken);
    assert!(
        err.starts_with(&format!(
            "test.toml: line {line}, column 31: invalid basic string"
        )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    let mistyped = EXAMPLE.replace("topic_partitions = 3", "topic_partitions = \"hunter2\"");
    let err = parse_err(&mistyped);
    assert!(!err.contains("hunter2"), "{err}");
    assert!(
        err.contains("invalid type: string (value not shown), expected i32"),
        "{err}"
    );
}
