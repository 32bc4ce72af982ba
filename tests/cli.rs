//! The command line as operators use it: `check` on good and broken configs.

mod common;

use common::*;

#[tokio::test]
async fn check_accepts_the_example_config() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/ruralsync.example.toml");
    let out = ruralsync(&["check", "--config", example]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("valid; sources: jinzhong_exchange (0 */5 * * * *, enabled)")
    );
}

#[tokio::test]
async fn check_names_the_file_and_key_of_a_broken_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "p", "county_a", "http://127.0.0.1:1/x", 100);
    let broken = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"* * * * * *\"", "\"* * *\"");
    std::fs::write(&path, broken).unwrap();
    let out = ruralsync(&["check", "--config", path.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: key `sources.county_a.schedule`",
            path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "has 3 fields; expected 5 (min hour day month weekday), 6 (with seconds first) or 7"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn check_reports_a_missing_file_by_path() {
    let out = ruralsync(&["check", "--config", "/nonexistent/ruralsync.toml"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read config file /nonexistent/ruralsync.toml"));
}
