//! `ruralsync-sim`: serves a simulated Jinzhong rural property-rights exchange over HTTP
//! (see [`ruralsync::sim`]) until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use ruralsync::sim::{self, Profile, SimConfig};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Simulated rural property-rights exchange (农村产权交易平台) for Jinzhong.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8480")]
    listen: SocketAddr,
    /// Seed of the generated data; the same seed and size give the same data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of projects, including the five anchor records.
    #[arg(long, default_value_t = 5000)]
    records: usize,
    /// Largest pageSize the API accepts.
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    let config = SimConfig {
        seed: args.seed,
        records: args.records,
        max_page_size: args.max_page_size,
        mutate_every: args.mutate_every_secs.map(Duration::from_secs),
        mutate_changed: args.mutate_changed,
        mutate_new: args.mutate_new,
        profile: args.profile.into(),
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    sim::run(config, args.listen, shutdown).await?;
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
