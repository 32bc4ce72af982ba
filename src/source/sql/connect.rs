//! The connection URL: read from where the config names it, never logged with its
//! password, turned into the driver's connect options.

use std::str::FromStr;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use url::Url;

use super::config::UrlSource;
use super::SqlError;

/// How to reach the database: the driver's options, and the URL as it may be logged.
#[derive(Clone)]
pub struct Target {
    pub driver: Driver,
    /// The URL with its password replaced by `****`.
    pub masked: String,
    /// The password, to scrub from driver error messages; empty when there is none.
    secret: String,
}

// The driver's options hold the password and print it in their Debug output.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let driver = match self.driver {
            Driver::Postgres(_) => "postgres",
            Driver::MySql(_) => "mysql",
        };
        f.debug_struct("Target")
            .field("driver", &driver)
            .field("url", &self.masked)
            .finish_non_exhaustive()
    }
}

/// The database driver a URL's scheme selects.
#[derive(Clone)]
pub enum Driver {
    Postgres(Box<PgConnectOptions>),
    MySql(Box<MySqlConnectOptions>),
}

impl Target {
    /// Read the URL from its environment variable or file and parse it.
    ///
    /// # Errors
    /// [`SqlError::Url`] when the variable is unset, the file unreadable, or the URL not a
    /// PostgreSQL or MySQL URL. Messages never quote the password.
    pub fn load(source: &str, from: &UrlSource) -> Result<Target, SqlError> {
        let url_error = |message: String| SqlError::Url {
            source_name: source.to_owned(),
            message,
        };
        let (text, origin) = match from {
            UrlSource::Env(var) => (
                std::env::var(var).map_err(|e| {
                    url_error(format!(
                        "environment variable {var} (sql.url_env) {}",
                        match e {
                            std::env::VarError::NotPresent => "is not set",
                            std::env::VarError::NotUnicode(_) => "is not valid UTF-8",
                        }
                    ))
                })?,
                format!("environment variable {var}"),
            ),
            UrlSource::File(path) => (
                std::fs::read_to_string(path).map_err(|e| {
                    url_error(format!(
                        "cannot read the URL file {} (sql.url_file): {e}",
                        path.display()
                    ))
                })?,
                format!("file {}", path.display()),
            ),
        };
        Target::parse(text.trim(), &origin).map_err(url_error)
    }

    /// Parse a URL; `origin` says where it came from, for messages.
    ///
    /// # Errors
    /// A message naming `origin`, never the password.
    pub fn parse(text: &str, origin: &str) -> Result<Target, String> {
        let mut url = Url::parse(text).map_err(|e| {
            format!("the URL in {origin} is not a URL ({e}); expected e.g. postgres://user:password@host:5432/db")
        })?;
        let secret = percent_decoded(url.password().unwrap_or(""));
        let scheme = url.scheme().to_owned();
        // sqlx knows `mysql`; MariaDB users write `mariadb`.
        if scheme == "mariadb" {
            let _ = url.set_scheme("mysql");
        }
        let masked = mask(&url);
        let scrub = |e: sqlx::Error| {
            let text = e.to_string();
            format!(
                "the URL in {origin} ({masked}) is not usable: {}",
                scrub_secret(&text, &secret)
            )
        };
        let driver = match scheme.as_str() {
            "postgres" | "postgresql" => Driver::Postgres(Box::new(
                PgConnectOptions::from_str(url.as_str())
                    .map_err(scrub)?
                    // One read-only session: the query is the operator's, ruralsync
                    // never writes upstream.
                    .options([("default_transaction_read_only", "on")])
                    .application_name("ruralsync")
                    .disable_statement_logging(),
            )),
            "mysql" | "mariadb" => Driver::MySql(Box::new(
                MySqlConnectOptions::from_str(url.as_str())
                    .map_err(scrub)?
                    // TIMESTAMP values are read and bound as UTC; see `mysql`.
                    .timezone(Some("+00:00".to_owned()))
                    .disable_statement_logging(),
            )),
            other => {
                return Err(format!(
                    "the URL in {origin} has scheme {other:?}; expected postgres://, postgresql://, mysql:// or mariadb://"
                ))
            }
        };
        Ok(Target {
            driver,
            masked,
            secret,
        })
    }

    /// A driver message with the password scrubbed (a driver may echo its input).
    pub fn scrub(&self, message: &str) -> String {
        scrub_secret(message, &self.secret)
    }
}

/// The URL with its password replaced by `****`.
fn mask(url: &Url) -> String {
    let mut masked = url.clone();
    if masked.password().is_some() {
        let _ = masked.set_password(Some("****"));
    }
    masked.to_string()
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("p={s}").as_bytes())
        .next()
        .map_or_else(|| s.to_owned(), |(_, v)| v.into_owned())
}

fn scrub_secret(message: &str, secret: &str) -> String {
    if secret.is_empty() {
        message.to_owned()
    } else {
        message.replace(secret, "****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_see_the_url_with_its_password_masked() {
        let t = Target::parse(
            "postgres://ruralsync:s3cr%40t@db.example:5432/exchange",
            "test",
        )
        .unwrap();
        assert_eq!(
            t.masked,
            "postgres://ruralsync:****@db.example:5432/exchange"
        );
        assert!(matches!(t.driver, Driver::Postgres(_)));
        assert_eq!(
            t.scrub("password s3cr@t was refused"),
            "password **** was refused"
        );
        let debug = format!("{t:?}");
        assert!(!debug.contains("s3cr"), "Debug output leaks: {debug}");

        let t = Target::parse("mariadb://u:pw@127.0.0.1:3306/db", "test").unwrap();
        assert_eq!(t.masked, "mysql://u:****@127.0.0.1:3306/db");
        assert!(matches!(t.driver, Driver::MySql(_)));
    }

    #[test]
    fn other_schemes_and_non_urls_are_refused_without_the_password() {
        let e = Target::parse("sqlserver://sa:hunter2@h/db", "environment variable X").unwrap_err();
        assert!(e.contains("scheme \"sqlserver\""), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = Target::parse("hunter2", "environment variable X").unwrap_err();
        assert!(
            e.contains("environment variable X") && !e.contains("hunter2"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_variable_is_named() {
        let e = Target::load(
            "x",
            &UrlSource::Env("RURALSYNC_TEST_UNSET_VARIABLE_7".into()),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(
                "environment variable RURALSYNC_TEST_UNSET_VARIABLE_7 (sql.url_env) is not set"
            ),
            "{e}"
        );
    }
}
