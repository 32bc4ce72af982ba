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

/// toml's error message prints the offending line: a password on it went to the
/// terminal and the log collector. Now the error names the file, line and column and
/// what is wrong, never the line's content — for `check`, `once` and `run` alike.
#[tokio::test]
async fn a_toml_error_quoted_the_offending_line_with_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "p", "county_a", "http://127.0.0.1:1/x", 100);
    let good = std::fs::read_to_string(&path).unwrap();
    let line = good
        .lines()
        .position(|l| l.starts_with("topic_prefix"))
        .unwrap()
        + 1;
    let cases = [
        (
            "topic_prefix = \"p\"",
            "topic_prefix = \"hunter2-s3cret",
            format!("line {line}, column 31: invalid basic string"),
        ),
        (
            "topic_prefix = \"p\"",
            "topic_prefix = 'p'\ntransaction_timeout_ms = \"hunter2-s3cret\"",
            format!(
                "line {}, column 26: invalid type: string (value not shown), expected u64",
                line + 1
            ),
        ),
    ];
    for (from, to, want) in cases {
        std::fs::write(&path, good.replace(from, to)).unwrap();
        for command in ["check", "once", "run"] {
            let out = ruralsync(&[command, "--config", path.to_str().unwrap()]).await;
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
            assert!(
                stderr.contains(&format!("error: {}: {want}", path.display())),
                "{command}: {stderr}"
            );
            assert!(
                !stdout.contains("hunter2") && !stderr.contains("hunter2"),
                "{command}: {stdout}{stderr}"
            );
        }
    }
}

/// A huge `lag_secs` overflowed the pull's date arithmetic and panicked the source;
/// it is refused when the config is read, naming the key and the valid range.
#[tokio::test]
async fn check_refuses_a_lag_window_that_overflowed_the_date_arithmetic() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config_full(
        dir.path(),
        &bootstrap(),
        "p",
        "county_a",
        "http://127.0.0.1:1/x",
        100,
        "",
        "lag_secs = 10000000000000",
    );
    let out = ruralsync(&["check", "--config", path.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!(
            "{}: key `sources.county_a.http.lag_secs`: 10000000000000 is out of range; expected 0 to 2678400 (31 days) seconds",
            path.display()
        )),
        "{}",
        text(&out.stderr)
    );
}
