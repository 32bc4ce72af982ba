//! `ruralsync-sim`: a simulated Jinzhong rural property-rights exchange (see
//! [`ruralsync_sim`]).
//!
//! - `serve` (the default: `ruralsync-sim --records 5000` is `ruralsync-sim serve --records
//!   5000`) serves the HTTP API of `docs/upstream-api.md` until Ctrl-C or SIGTERM.
//! - `export` writes the ledgers as files ([`ruralsync_sim::export`]).
//! - `seed-sql` fills a database with the exchange's tables ([`ruralsync_sim::sql_seed`]).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ruralsync_sim::auth::{
    DEFAULT_API_KEY, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, DEFAULT_BEARER_TOKEN, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
};
use ruralsync_sim::export::ExportArgs;
use ruralsync_sim::sql_seed::SeedArgs;
use ruralsync_sim::{Auth, FaultRates, HttpFaults, Profile, SignDigest, SimConfig};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Simulated rural property-rights exchange (农村产权交易平台) for Jinzhong.
///
/// Without a subcommand, serves the API (as `serve`).
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

// Parsed once per run: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve(ServeArgs),
    /// Write the exchange's ledgers as files.
    Export(ExportArgs),
    /// Fill a database with the exchange's tables.
    SeedSql(SeedArgs),
}

/// `ruralsync-sim serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: SocketAddr,
    /// Seed of the generated data and of the HTTP fault sequence; the same seed and size
    /// give the same data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of projects, including the five anchor records.
    #[arg(long, default_value_t = 5000)]
    records: usize,
    /// Largest page size the API accepts (pageSize, limit, size, per_page).
    #[arg(long, default_value_t = 1000)]
    max_page_size: usize,
    /// Mutate the data every N seconds (off when absent).
    #[arg(long)]
    mutate_every_secs: Option<u64>,
    /// Projects moved along their lifecycle per periodic mutation.
    #[arg(long, default_value_t = 10)]
    mutate_changed: usize,
    /// Projects newly listed per periodic mutation.
    #[arg(long, default_value_t = 5)]
    mutate_new: usize,
    /// `dirty`: about 15% of generated records carry one deliberate fault each (listed by
    /// GET /admin/faults).
    #[arg(long, value_enum, default_value_t = ProfileArg::Clean)]
    profile: ProfileArg,

    /// How clients authenticate to the data endpoints.
    #[arg(long, value_enum, default_value_t = AuthMode::None)]
    auth: AuthMode,
    /// `--auth bearer`: the token clients send as `Authorization: Bearer <token>`.
    #[arg(long, default_value = DEFAULT_BEARER_TOKEN)]
    bearer_token: String,
    /// `--auth api-key-header` / `api-key-query`: the key (header X-API-Key or apiKey=).
    #[arg(long, default_value = DEFAULT_API_KEY)]
    api_key: String,
    /// `--auth oauth2`: the client id POST /oauth/token accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// `--auth oauth2`: the client secret POST /oauth/token accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    client_secret: String,
    /// `--auth oauth2`: lifetime of the access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// `--auth signed`: the appKey clients send.
    #[arg(long, default_value = DEFAULT_APP_KEY)]
    app_key: String,
    /// `--auth signed`: the secret requests are signed with.
    #[arg(long, default_value = DEFAULT_APP_SECRET)]
    app_secret: String,
    /// `--auth signed`: how `sign` is computed.
    #[arg(long, value_enum, default_value_t = DigestArg::HmacSha256)]
    sign_digest: DigestArg,

    /// Probability of each HTTP fault per data request, e.g.
    /// `5xx=0.10,429=0.02,truncated=0.01,slow=0.01` (kinds left out are 0; at most 1 in all).
    #[arg(long)]
    http_faults: Option<FaultRates>,
    /// Retry-After of a 429 fault, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// How long a slow response waits before it starts, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    slow_ms: u64,
    /// After each page served, N projects change and N new ones are listed.
    #[arg(long, default_value_t = 0)]
    insert_per_page: usize,
}

/// `--profile`: the library's [`Profile`] as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    Clean,
    Dirty,
}

impl From<ProfileArg> for Profile {
    fn from(arg: ProfileArg) -> Profile {
        match arg {
            ProfileArg::Clean => Profile::Clean,
            ProfileArg::Dirty => Profile::Dirty,
        }
    }
}

/// `--auth`: which [`Auth`] mode; its credentials come from the other flags.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthMode {
    None,
    Bearer,
    ApiKeyHeader,
    ApiKeyQuery,
    #[value(name = "oauth2")]
    OAuth2,
    Signed,
}

/// `--sign-digest`: the library's [`SignDigest`] as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DigestArg {
    HmacSha256,
    Md5,
    Sm3,
}

impl From<DigestArg> for SignDigest {
    fn from(arg: DigestArg) -> SignDigest {
        match arg {
            DigestArg::HmacSha256 => SignDigest::HmacSha256,
            DigestArg::Md5 => SignDigest::Md5,
            DigestArg::Sm3 => SignDigest::Sm3,
        }
    }
}

impl ServeArgs {
    fn config(self) -> SimConfig {
        let auth = match self.auth {
            AuthMode::None => Auth::None,
            AuthMode::Bearer => Auth::Bearer {
                token: self.bearer_token,
            },
            AuthMode::ApiKeyHeader => Auth::ApiKeyHeader { key: self.api_key },
            AuthMode::ApiKeyQuery => Auth::ApiKeyQuery { key: self.api_key },
            AuthMode::OAuth2 => Auth::OAuth2 {
                client_id: self.client_id,
                client_secret: self.client_secret,
                token_ttl: Duration::from_secs(self.token_ttl_secs),
            },
            AuthMode::Signed => Auth::Signed {
                app_key: self.app_key,
                app_secret: self.app_secret,
                digest: self.sign_digest.into(),
            },
        };
        SimConfig {
            seed: self.seed,
            records: self.records,
            max_page_size: self.max_page_size,
            mutate_every: self.mutate_every_secs.map(Duration::from_secs),
            mutate_changed: self.mutate_changed,
            mutate_new: self.mutate_new,
            profile: self.profile.into(),
            auth,
            http_faults: HttpFaults {
                rates: self.http_faults.unwrap_or_default(),
                retry_after: Duration::from_secs(self.retry_after_secs),
                slow_delay: Duration::from_millis(self.slow_ms),
                insert_per_page: self.insert_per_page,
            },
            // Hostile behaviour is for tests, in process.
            hostile: ruralsync_sim::Hostile::default(),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    match command {
        Command::Serve(args) => {
            // The demo and the benchmarks collect the server's log from stdout.
            tracing_subscriber::fmt().with_env_filter(filter).init();
            runtime()?.block_on(serve(args))
        }
        // Logs on stderr: these commands may write their output to stdout.
        Command::Export(args) => {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .init();
            ruralsync_sim::export::run(args)
        }
        Command::SeedSql(args) => {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .init();
            runtime()?.block_on(ruralsync_sim::sql_seed::run(args))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let listen = args.listen;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    ruralsync_sim::run(args.config(), listen, shutdown).await?;
    tracing::info!("simulator stopped");
    Ok(())
}

/// Cancel `shutdown` on Ctrl-C or (on Unix) SIGTERM.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serving_is_the_default_and_keeps_its_flags() {
        let bare =
            Cli::try_parse_from(["ruralsync-sim", "--records", "5000", "--profile", "dirty"])
                .unwrap();
        assert!(bare.command.is_none());
        assert_eq!(bare.serve.records, 5000);
        let explicit = Cli::try_parse_from(["ruralsync-sim", "serve", "--records", "7"]).unwrap();
        let Some(Command::Serve(args)) = explicit.command else {
            panic!("serve expected");
        };
        assert_eq!(args.config().records, 7);
        // Flags of serve before a subcommand are a mistake, not silently dropped.
        assert!(Cli::try_parse_from(["ruralsync-sim", "--records", "7", "export"]).is_err());
    }

    #[test]
    fn auth_and_fault_flags_build_the_config() {
        let cli = Cli::try_parse_from([
            "ruralsync-sim",
            "--auth",
            "signed",
            "--sign-digest",
            "sm3",
            "--http-faults",
            "5xx=0.10,429=0.02",
            "--retry-after-secs",
            "2",
            "--insert-per-page",
            "3",
        ])
        .unwrap();
        let config = cli.serve.config();
        assert_eq!(config.auth, Auth::signed(SignDigest::Sm3));
        assert_eq!(
            config.http_faults.rates,
            "5xx=0.1,429=0.02".parse().unwrap()
        );
        assert_eq!(config.http_faults.retry_after, Duration::from_secs(2));
        assert_eq!(config.http_faults.slow_delay, Duration::from_millis(3000));
        assert_eq!(config.http_faults.insert_per_page, 3);

        let oauth = Cli::try_parse_from(["ruralsync-sim", "--auth", "oauth2"]).unwrap();
        assert_eq!(
            oauth.serve.config().auth,
            Auth::oauth2(Duration::from_secs(3600))
        );
        let none = Cli::try_parse_from(["ruralsync-sim"])
            .unwrap()
            .serve
            .config();
        assert_eq!(none.auth, Auth::None);
        assert_eq!(none.http_faults, HttpFaults::default());
        assert!(Cli::try_parse_from(["ruralsync-sim", "--http-faults", "404=1"]).is_err());
    }
}
