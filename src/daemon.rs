//! The daemon: prepare every enabled source (topics, producer, checkpoint), then either
//! fire each on its schedule until shutdown ([`run`]) or sync each once ([`once`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::admin::{self, Controls, Driver, Token};
use crate::avro::{Framing, NamedSchema, DEAD_LETTER};
use crate::backoff::Backoff;
use crate::config::{Config, SourceConfig};
use crate::family::{all_schemas, Family};
use crate::pipeline::{CycleReport, SourceRunner, SyncError};
use crate::protect::{KeyError, Protector};
use crate::registry::{self, RegistryError, Writer};
use crate::schedule::SystemClock;
use crate::sink::kafka::{
    self, Checkpoint, PublishError, Recovery, SizeLimits, SourceProducer, Topics,
};
use crate::telemetry::Telemetry;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("no source named {name:?} in the config; configured: {configured}")]
    UnknownSource { name: String, configured: String },
    #[error("no enabled source to run")]
    NoSources,
    #[error("every source stopped (fenced by another instance) or failed for a reason no retry cures; see the log above")]
    AllSourcesStopped,
    #[error(transparent)]
    Kafka(#[from] PublishError),
    #[error(transparent)]
    Privacy(#[from] KeyError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("cannot start the admin server: {0}")]
    AdminToken(#[from] crate::config::admin::TokenError),
    #[error("cannot start the admin server on {listen} (admin.listen): {error}")]
    AdminListen {
        listen: std::net::SocketAddr,
        error: std::io::Error,
    },
    #[error("source {source_name} cannot start: {error}")]
    Source {
        source_name: String,
        error: Box<crate::source::SourceError>,
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
    let protector = Protector::load(&config.privacy.key, config.privacy.person_names)?;
    // Wrong credentials or TLS settings fail here, at once and saying what to fix.
    kafka::check_connection(&config.kafka, config.kafka.transaction_timeout).await?;
    let topics = Topics::new(&config.kafka.topic_prefix);
    let families: Vec<Family> = selected.iter().map(|s| s.family()).collect();
    kafka::ensure_topics(&config.kafka, &topics, &families).await?;
    let framings = writer_framings(config, &topics, &families).await?;
    let limits = SizeLimits::load(&config.kafka, &topics.all(&families)).await?;
    let mut producers = Vec::with_capacity(selected.len());
    for source in &selected {
        producers
            .push(SourceProducer::connect_with(&config.kafka, &source.name, limits.clone()).await?);
    }
    // After init_transactions: predecessors' open transactions are aborted by now.
    let mut checkpoints: HashMap<String, Checkpoint> = kafka::load_checkpoints(
        &config.kafka,
        &topics.checkpoints(),
        config.kafka.transaction_timeout,
    )
    .await?;
    let names: Vec<String> = selected.iter().map(|s| s.name.clone()).collect();
    let loading = std::time::Instant::now();
    // Generous: a large fingerprint topic takes longer to read than one transaction.
    let fingerprint_timeout = config.kafka.transaction_timeout * 10;
    let mut fingerprints = kafka::load_fingerprints(
        &config.kafka,
        &topics.fingerprints(),
        fingerprint_timeout,
        &names,
    )
    .await?;
    selected
        .into_iter()
        .zip(producers)
        .map(|(source, producer)| {
            let checkpoint = checkpoints
                .remove(&source.name)
                .unwrap_or_else(|| Checkpoint::empty(&source.name));
            let fingerprints = fingerprints.remove(&source.name).unwrap_or_default();
            tracing::info!(
                source = %source.name,
                position = ?checkpoint.position,
                published_total = checkpoint.published_total,
                fingerprints = fingerprints.len(),
                load_ms = loading.elapsed().as_millis() as u64,
                "checkpoint and fingerprints restored"
            );
            SourceRunner::new(
                source.clone(),
                config.kafka.clone(),
                producer,
                checkpoint,
                fingerprints,
                protector.clone(),
                framings.of(source.family()),
            )
            .map_err(|error| StartError::Source {
                source_name: source.name.clone(),
                error: Box::new(error),
            })
        })
        .collect()
}

/// How each family's records and the dead letters are framed, chosen once per daemon.
struct Framings {
    records: HashMap<Family, Framing>,
    dead_letters: Framing,
}

impl Framings {
    /// The framings of a source of `family` (records, dead letters).
    fn of(&self, family: Family) -> (Framing, Framing) {
        let records = self
            .records
            .get(&family)
            .cloned()
            // Every selected family is in the map (writer_framings saw them all).
            .unwrap_or_else(|| Framing::single_object(&family.schema().schema));
        (records, self.dead_letters.clone())
    }
}

/// Without a registry: single-object framing, the writer schemas written to
/// `<prefix>._schemas` (idempotently) so every fingerprint is resolvable. With one: each
/// writer schema's id, looked up or registered, in the Confluent wire format.
async fn writer_framings(
    config: &Config,
    topics: &Topics,
    families: &[Family],
) -> Result<Framings, StartError> {
    let mut unique: Vec<Family> = Vec::with_capacity(families.len());
    for family in families {
        if !unique.contains(family) {
            unique.push(*family);
        }
    }
    let families = unique;
    let Some(registry) = &config.schema_registry else {
        let written = kafka::publish_schemas(
            &config.kafka,
            &topics.schemas(),
            &all_schemas(),
            config.kafka.transaction_timeout,
        )
        .await?;
        tracing::info!(topic = %topics.schemas(), written, "writer schemas published for single-object consumers");
        let single = |s: &NamedSchema| Framing::single_object(&s.schema);
        return Ok(Framings {
            records: families.iter().map(|f| (*f, single(f.schema()))).collect(),
            dead_letters: single(&DEAD_LETTER),
        });
    };
    let mut writers: Vec<Writer<'_>> = families
        .iter()
        .map(|f| Writer {
            topic: topics.records(*f),
            schema: f.schema(),
        })
        .collect();
    writers.push(Writer {
        topic: topics.dead_letters(),
        schema: &DEAD_LETTER,
    });
    let mut ids = registry::register(registry, &writers).await?;
    // register() gives one id per writer, the dead letter's last.
    let dead_letters = Framing::confluent(ids.pop().unwrap_or_default());
    Ok(Framings {
        records: families
            .iter()
            .zip(ids)
            .map(|(f, id)| (*f, Framing::confluent(id)))
            .collect(),
        dead_letters,
    })
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
    let mut names = HashMap::new();
    for mut runner in runners {
        let stop = shutdown.clone();
        let name = runner.name().to_owned();
        let task = tasks.spawn(async move {
            let result = runner.sync(&stop).await;
            let name = runner.name().to_owned();
            runner.close().await;
            (name, result)
        });
        names.insert(task.id(), name);
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, result)) => results.push(result),
            // sync() reports its own panics; this is one outside it (closing the
            // producer). The source still counts as failed.
            Err(e) => {
                let name = names.remove(&e.id()).unwrap_or_default();
                tracing::error!(source = %name, error = %e, "a source task failed; this is a bug");
                let message = if e.is_panic() {
                    "its task panicked after the sync".to_owned()
                } else {
                    e.to_string()
                };
                results.push((
                    name.clone(),
                    Err(SyncError::Panicked {
                        source_name: name,
                        message,
                    }),
                ));
            }
        }
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(results)
}

/// Run every enabled source on its schedule until `shutdown` is cancelled, then let each
/// finish the page in flight within `grace`.
///
/// Start-up waits for Kafka (retrying with backoff) rather than failing: a daemon started
/// while the broker is away begins once it is back.
///
/// # Errors
/// [`StartError`] if the daemon cannot start for a reason waiting will not cure, or
/// [`StartError::AllSourcesStopped`] when every source stopped on its own (fenced by
/// another instance, or failed for a reason no retry cures: a topic deleted, access
/// denied). Any other failing cycle — a panicking source included — does not stop the
/// source: it is logged at ERROR and the source runs again at its next fire time, the
/// other sources going on meanwhile.
pub async fn run(
    config: &Config,
    shutdown: CancellationToken,
    grace: Duration,
) -> Result<(), StartError> {
    let enabled: Vec<&SourceConfig> = config.sources.iter().filter(|s| s.enabled).collect();
    let telemetry = Telemetry::new(
        enabled
            .iter()
            .map(|s| (s.name.as_str(), s.family().name(), s.schedule.expression())),
    );
    let mut controls = Controls::default();
    let mut commands: HashMap<String, _> = enabled
        .iter()
        .map(|s| (s.name.clone(), controls.add(&s.name)))
        .collect();
    for s in &enabled {
        record_schedule_interval(&telemetry, s);
    }
    // Serving before Kafka answers: /healthz says the process is up, /readyz why it is
    // not ready yet.
    let admin_stop = CancellationToken::new();
    let _stop_admin = admin_stop.clone().drop_guard();
    start_admin(config, &telemetry, Arc::new(controls), &admin_stop).await?;
    let Some(runners) = prepare_when_kafka_answers(config, &shutdown).await? else {
        return Ok(());
    };
    telemetry.states.set_kafka_ready();
    let mut tasks = JoinSet::new();
    for mut runner in runners {
        runner.observe(telemetry.clone());
        let Some(commands) = commands.remove(runner.name()) else {
            continue; // prepare() returns the enabled sources, each once
        };
        tasks.spawn(run_source(
            runner,
            commands,
            telemetry.clone(),
            shutdown.clone(),
        ));
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            joined = tasks.join_next() => if joined.is_none() {
                return Err(StartError::AllSourcesStopped);
            },
        }
    }
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

/// Bind and spawn the admin server, when `[admin]` configures one; it serves until `stop`.
async fn start_admin(
    config: &Config,
    telemetry: &Arc<Telemetry>,
    controls: Arc<Controls>,
    stop: &CancellationToken,
) -> Result<(), StartError> {
    let Some(settings) = &config.admin else {
        return Ok(());
    };
    let token = match &settings.token {
        Some(from) => Some(Token::new(&from.read()?)),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|error| StartError::AdminListen {
            listen: settings.listen,
            error,
        })?;
    let listen = listener.local_addr().unwrap_or(settings.listen);
    tracing::info!(%listen, commands = token.is_some(), "admin server listening");
    let state = admin::AdminState {
        telemetry: telemetry.clone(),
        controls,
        token,
        ready_failing_grace: settings.ready_failing_grace,
    };
    let stop = stop.clone();
    tokio::spawn(async move {
        if let Err(e) = admin::serve(listener, state, stop).await {
            tracing::error!(error = %e, "the admin server failed; the sources go on");
        }
    });
    Ok(())
}

/// The time between the source's next two fire times, for the staleness alert.
fn record_schedule_interval(telemetry: &Telemetry, source: &SourceConfig) {
    let now = chrono::Utc::now();
    let next = source.schedule.next_after(now);
    let after = next.and_then(|t| source.schedule.next_after(t));
    if let (Some(a), Some(b)) = (next, after) {
        let labels = crate::telemetry::metrics::SourceLabels {
            source: source.name.clone(),
        };
        let secs = (b - a).num_milliseconds() as f64 / 1000.0;
        telemetry
            .metrics
            .schedule_interval
            .get_or_create(&labels)
            .set(secs);
    }
}

/// One source's life in the daemon: a cycle at each fire time and on command, until
/// shutdown or fencing.
async fn run_source(
    runner: SourceRunner,
    commands: tokio::sync::mpsc::Receiver<admin::Command>,
    telemetry: Arc<Telemetry>,
    stop: CancellationToken,
) {
    let schedule = runner.config().schedule.clone();
    let name = runner.name().to_owned();
    tracing::info!(source = %name, schedule = schedule.expression(), "source scheduled");
    let driver = Driver {
        name: &name,
        schedule: &schedule,
        clock: &SystemClock,
        telemetry,
        stop,
    };
    let runner = admin::source_loop(driver, runner, commands).await;
    runner.close().await;
}

/// [`prepare`], retried with backoff while Kafka does not answer. `None` if shutdown came
/// first.
async fn prepare_when_kafka_answers(
    config: &Config,
    shutdown: &CancellationToken,
) -> Result<Option<Vec<SourceRunner>>, StartError> {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    loop {
        // Raced against shutdown: connecting to an absent broker can take a timeout's length.
        let limit = config.kafka.transaction_timeout;
        let prepared = tokio::select! {
            () = shutdown.cancelled() => return Ok(None),
            prepared = tokio::time::timeout(limit, prepare(config, None)) => prepared,
        };
        let error = match prepared {
            Ok(Ok(runners)) => return Ok(Some(runners)),
            Ok(Err(StartError::Kafka(e))) if e.recovery() != Recovery::Stop => e.to_string(),
            Ok(Err(other)) => return Err(other),
            Err(_) => format!("no answer within {limit:?} (kafka.transaction_timeout_ms)"),
        };
        let delay = backoff.next_delay();
        tracing::warn!(attempt = backoff.attempt(), retry_in_ms = delay.as_millis() as u64, %error, "cannot start: Kafka is not ready; retrying");
        tokio::select! {
            () = shutdown.cancelled() => return Ok(None),
            () = tokio::time::sleep(delay) => {}
        }
    }
}
