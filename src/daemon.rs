//! The daemon: prepare every enabled source (topics, producer, checkpoint), then either
//! fire each on its schedule until shutdown ([`run`]) or sync each once ([`once`]).

use std::collections::HashMap;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, SourceConfig};
use crate::normalize::Family;
use crate::pipeline::{CycleReport, SourceRunner, SyncError};
use crate::schedule::{SystemClock, Ticker};
use crate::sink::kafka::{self, Checkpoint, PublishError, SourceProducer, Topics};

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("no source named {name:?} in the config; configured: {configured}")]
    UnknownSource { name: String, configured: String },
    #[error("no enabled source to run")]
    NoSources,
    #[error(transparent)]
    Kafka(#[from] PublishError),
    #[error("source {source_name}: HTTP client: {error}")]
    Http {
        source_name: String,
        error: reqwest::Error,
    },
}

/// Connect everything the selected sources need: topics, one transactional producer per
/// source, and their checkpoints.
async fn prepare(config: &Config, only: Option<&str>) -> Result<Vec<SourceRunner>, StartError> {
    let selected: Vec<&SourceConfig> = match only {
        Some(name) => vec![config
            .source(name)
            .ok_or_else(|| StartError::UnknownSource {
                name: name.to_owned(),
                configured: config
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?],
        None => config.sources.iter().filter(|s| s.enabled).collect(),
    };
    if selected.is_empty() {
        return Err(StartError::NoSources);
    }
    let topics = Topics::new(&config.kafka.topic_prefix);
    let mut families: Vec<Family> = selected.iter().map(|s| s.family).collect();
    families.dedup();
    kafka::ensure_topics(&config.kafka, &topics, &families).await?;
    let mut producers = Vec::with_capacity(selected.len());
    for source in &selected {
        producers.push(SourceProducer::connect(&config.kafka, &source.name).await?);
    }
    // After init_transactions: predecessors' open transactions are aborted by now.
    let mut checkpoints: HashMap<String, Checkpoint> = kafka::load_checkpoints(
        &config.kafka,
        &topics.checkpoints(),
        config.kafka.transaction_timeout,
    )
    .await?;
    selected
        .into_iter()
        .zip(producers)
        .map(|(source, producer)| {
            let checkpoint = checkpoints
                .remove(&source.name)
                .unwrap_or_else(|| Checkpoint::empty(&source.name));
            tracing::info!(
                source = %source.name,
                position = ?checkpoint.position,
                published_total = checkpoint.published_total,
                "checkpoint restored"
            );
            SourceRunner::new(source.clone(), producer, topics.clone(), checkpoint).map_err(
                |error| StartError::Http {
                    source_name: source.name.clone(),
                    error,
                },
            )
        })
        .collect()
}

/// Sync the selected source (or every enabled one) once, sources in parallel.
///
/// # Errors
/// [`StartError`] if the run could not start; per-source results otherwise.
pub async fn once(
    config: &Config,
    only: Option<&str>,
    shutdown: CancellationToken,
) -> Result<Vec<(String, Result<CycleReport, SyncError>)>, StartError> {
    let runners = prepare(config, only).await?;
    let mut tasks = JoinSet::new();
    for mut runner in runners {
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let result = runner.sync(&stop).await;
            let name = runner.name().to_owned();
            runner.close().await;
            (name, result)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(e) => tracing::error!(error = %e, "a source task panicked; this is a bug"),
        }
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(results)
}

/// Run every enabled source on its schedule until `shutdown` is cancelled, then let each
/// finish the page in flight within `grace`.
///
/// # Errors
/// [`StartError`] if the daemon could not start. A failing cycle does not stop the daemon:
/// it is logged and the source runs again at its next fire time.
pub async fn run(
    config: &Config,
    shutdown: CancellationToken,
    grace: Duration,
) -> Result<(), StartError> {
    let runners = prepare(config, None).await?;
    let mut tasks = JoinSet::new();
    for mut runner in runners {
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let schedule = runner.config().schedule.clone();
            let name = runner.name().to_owned();
            tracing::info!(source = %name, schedule = schedule.expression(), "source scheduled");
            let mut ticker = Ticker::new(&name, &schedule, &SystemClock);
            while ticker.tick(&stop).await.is_some() {
                // Failures are logged by sync(); the next fire retries from the checkpoint.
                let _ = runner.sync(&stop).await;
            }
            runner.close().await;
        });
    }
    shutdown.cancelled().await;
    tracing::info!(
        grace_ms = grace.as_millis() as u64,
        "shutting down: finishing pages in flight"
    );
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            "grace period over with sources still running; their open transactions are aborted by the broker, and the next start resumes from the last commit"
        );
        tasks.abort_all();
    }
    Ok(())
}
