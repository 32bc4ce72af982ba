//! The development scripts work wherever the checkout lives.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn db(checkout: &Path, args: &[&str], pg_port: u16, my_port: u16) -> std::process::Output {
    Command::new(checkout.join("scripts/db"))
        .args(args)
        .env("POSTGRES_PORT", pg_port.to_string())
        .env("MARIADB_PORT", my_port.to_string())
        .env_remove("RURALSYNC_RUN")
        .env_remove("RURALSYNC_DB_RUN")
        .output()
        .unwrap()
}

/// Regression: `scripts/db` ran `initdb` as its unprivileged database user on a data
/// directory inside the checkout, which that user cannot enter when a parent directory is
/// closed to others (`/root`, any `mktemp -d` folder): "could not open file …/pwfile for
/// reading: Permission denied".
#[tokio::test]
async fn db_starts_from_a_checkout_under_a_mode_0700_directory() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: the database user only differs from ours when the tests run as root");
        return;
    }
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let checkout = closed.path().join("ruralsync");
    std::fs::create_dir_all(checkout.join("scripts")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/db"),
        checkout.join("scripts/db"),
    )
    .unwrap();
    let (pg_port, my_port) = (free_port(), free_port());
    for (server, scheme) in [("postgres", "postgres"), ("mariadb", "mysql")] {
        let started = db(&checkout, &["start", server], pg_port, my_port);
        let url = String::from_utf8_lossy(&started.stdout).trim().to_owned();
        let log = String::from_utf8_lossy(&started.stderr).into_owned();
        let answered = async {
            use sqlx::Connection;
            match scheme {
                "postgres" => sqlx::PgConnection::connect(&url).await.map(drop),
                _ => sqlx::MySqlConnection::connect(&url).await.map(drop),
            }
        }
        .await;
        let stopped = db(&checkout, &["reset", server], pg_port, my_port);
        assert!(started.status.success(), "{server} did not start: {log}");
        assert!(url.starts_with(&format!("{scheme}://")), "{url}");
        assert!(answered.is_ok(), "{server} at {url}: {answered:?}\n{log}");
        assert!(
            log.contains("cannot enter"),
            "the script says where the files went instead: {log}"
        );
        assert!(stopped.status.success(), "{server} reset: {stopped:?}");
    }
}
