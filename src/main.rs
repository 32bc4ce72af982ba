//! `ruralsync` command line: parse flags, set up logging, load config, call the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

/// Everything the commands print passes the same personal-data mask and escaping as the
/// log (errors can quote upstream text: a native id, a file name, a cell).
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", ruralsync::protect::logging::protect_event(&format!($($arg)*)))
    };
}
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", ruralsync::protect::logging::protect_event(&format!($($arg)*)))
    };
}

/// Pulls rural property-rights and collective-asset records, normalises them exactly and
/// publishes them as Avro to Kafka.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Log format: `text` for people, `json` for log collectors. Level from RUST_LOG
    /// (default `info`).
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: every enabled source on its schedule, until SIGTERM or Ctrl-C.
    /// Exit status 0 after a clean stop; 1 when every source was fenced by another
    /// instance; 2 when it cannot start (config).
    Run {
        #[arg(long, short)]
        config: PathBuf,
        /// How long a shutdown waits for pages in flight before abandoning them (their
        /// transactions are aborted; nothing committed is lost).
        #[arg(long, default_value_t = 30)]
        grace_period_secs: u64,
    },
    /// Sync once and exit. Exit status 0: every record fetched was published (to its
    /// topic or, if invalid, to the dead-letter topic); 1: a source failed (what it
    /// committed stays); 2: the config or the start-up failed.
    Once {
        #[arg(long, short)]
        config: PathBuf,
        /// Only this source (default: every enabled source).
        #[arg(long)]
        source: Option<String>,
    },
    /// Print what landed in a topic, decoded to JSON lines (committed messages only), then
    /// a count. Default topic: the record topic of the first source's family.
    Peek {
        #[arg(long, short)]
        config: PathBuf,
        /// Topic to read (default: every record topic and the dead-letter topic).
        #[arg(long)]
        topic: Option<String>,
        /// Print at most this many messages per topic (the count covers all).
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// Ask the running daemon (its admin server, `[admin] listen` of this config) what
    /// each source is doing, and print a table. Exit 1 if it cannot be asked.
    Status {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Validate a config file and exit: 0 if valid, 2 with the key at fault if not.
    Check {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// The writer schemas: this binary's, and with --config those in `<prefix>._schemas`
    /// (every daemon without a schema registry writes its own there at start).
    Schemas {
        #[command(subcommand)]
        action: SchemasAction,
    },
}

#[derive(Debug, Subcommand)]
enum SchemasAction {
    /// One line per schema: fingerprint (16 hex digits, as in the message header), full
    /// name, and where it was found (compiled-in, topic).
    List {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Print a schema's JSON on one line, chosen by fingerprint or by full name (this
    /// binary's).
    Show {
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// A fingerprint (16 hex digits) or a full name (`cn.ruralsync.v1.DeadLetter`).
        schema: String,
    },
    /// Write every schema to a directory as `<full name>.<fingerprint>.avsc`.
    Export {
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    log_panics();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            say_err!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(dispatch(cli.command))
}

async fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Check { config } => check(&config),
        Command::Once { config, source } => match load(&config) {
            Some(config) => once(&config, source.as_deref()).await,
            None => ExitCode::from(2),
        },
        Command::Peek {
            config,
            topic,
            limit,
        } => match load(&config) {
            Some(config) => peek(&config, topic, limit).await,
            None => ExitCode::from(2),
        },
        Command::Schemas { action } => schemas(action).await,
        Command::Status { config } => match load(&config) {
            Some(config) => status(&config).await,
            None => ExitCode::from(2),
        },
        Command::Run {
            config,
            grace_period_secs,
        } => match load(&config) {
            Some(config) => run(&config, Duration::from_secs(grace_period_secs)).await,
            None => ExitCode::from(2),
        },
    }
}

/// `check`: validate the file, print its warnings and sources.
fn check(path: &std::path::Path) -> ExitCode {
    let c = match ruralsync::config::load(path) {
        Ok(c) => c,
        Err(e) => {
            say_err!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The key is a secret of the runtime environment, not of the file: its absence
    // here is worth a note, not a failure.
    if let Err(e) = ruralsync::protect::Protector::load(&c.privacy.key, c.privacy.person_names) {
        say_err!("note: {e} (needed when the daemon starts)");
    }
    for source in &c.sources {
        if let ruralsync::source::SourceKind::HttpJson(http) = &source.kind {
            for warning in &http.warnings {
                say_err!("warning: {}: {warning}", path.display());
            }
        }
    }
    for o in &c.overrides {
        say_err!(
            "note: {} = {:?} from the environment ({})",
            o.key,
            o.value,
            o.variable
        );
    }
    let sources = c.sources.iter().map(|s| {
        let state = if s.enabled { "enabled" } else { "disabled" };
        format!("{} ({}, {state})", s.name, s.schedule.expression())
    });
    say!(
        "{}: valid; sources: {}",
        path.display(),
        sources.collect::<Vec<_>>().join(", ")
    );
    ExitCode::SUCCESS
}

/// `once`: one cycle of each source (or of `source`), a line per source.
async fn once(config: &ruralsync::config::Config, source: Option<&str>) -> ExitCode {
    let shutdown = shutdown_on_signals();
    let results = match ruralsync::daemon::once(config, source, shutdown).await {
        Ok(results) => results,
        Err(e) => {
            say_err!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for (name, result) in results {
        match result {
            Ok(r) => {
                say!(
                    "{name}: ok: {} pages, {} fetched, {} published, {} dead letters, {} already published, {} unchanged, {} dead letters unchanged, {} unknown values",
                    r.pages, r.fetched, r.published, r.dead_letters, r.already_published, r.unchanged, r.unchanged_dead_letters, r.unknown_values.total()
                );
                for (reason, n) in &r.dead_letters_by_reason {
                    say!("{name}:   dead letters {reason}: {n}");
                }
            }
            Err(e) => {
                failed = true;
                say!("{name}: FAILED: {e}");
            }
        }
    }
    ExitCode::from(u8::from(failed))
}

/// `status`: the admin API's sources as a table.
async fn status(config: &ruralsync::config::Config) -> ExitCode {
    use ruralsync::admin::status;
    let fetched = match &config.admin {
        Some(admin) => status::fetch(admin.listen).await,
        None => Err(status::StatusError::NoAdmin),
    };
    match fetched {
        Ok(sources) => {
            // Line by line: the mask escapes a newline inside one line.
            for line in status::table(&sources).lines() {
                say!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            say_err!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `run`: the daemon until a signal (or every source stopped).
async fn run(config: &ruralsync::config::Config, grace: Duration) -> ExitCode {
    let shutdown = shutdown_on_signals();
    match ruralsync::daemon::run(config, shutdown, grace).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ ruralsync::daemon::StartError::AllSourcesStopped) => {
            say_err!("error: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            say_err!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn peek(config: &ruralsync::config::Config, topic: Option<String>, limit: usize) -> ExitCode {
    let topics = ruralsync::sink::kafka::Topics::new(&config.kafka.topic_prefix);
    let names = topic.map_or_else(
        || {
            let families: Vec<_> = config.sources.iter().map(|s| s.family()).collect();
            let mut names = topics.records_of(&families);
            names.push(topics.dead_letters());
            names
        },
        |t| vec![t],
    );
    let mut status = ExitCode::SUCCESS;
    for name in names {
        match ruralsync::inspect::read_topic(&config.kafka, &name, Duration::from_secs(60)).await {
            Ok(messages) => {
                say!("== {name}: {} messages", messages.len());
                for m in messages.iter().take(limit) {
                    let value = m.value.as_deref().map(ruralsync::inspect::decode_to_json);
                    let shown = match value {
                        Some(Ok(v)) => v.to_string(),
                        Some(Err(e)) => format!("(undecodable: {e})"),
                        None => "(tombstone)".into(),
                    };
                    say!(
                        "{}@{} {} {shown}",
                        m.partition,
                        m.offset,
                        m.key.as_deref().unwrap_or("-")
                    );
                }
                if messages.len() > limit {
                    say!("… {} more", messages.len() - limit);
                }
            }
            Err(e) => {
                say_err!("error: {e}");
                status = ExitCode::from(1);
            }
        }
    }
    status
}

fn load(path: &std::path::Path) -> Option<ruralsync::config::Config> {
    ruralsync::config::load(path)
        .inspect_err(|e| say_err!("error: {e}"))
        .ok()
}

/// Logs go to stderr through the personal-data writer: every line masked (`[id]`,
/// `[phone]`; the key is not loaded yet) and control characters escaped, so no upstream
/// text can leak a number or forge a line. Colours are off for the same reason.
fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(ruralsync::protect::logging::ProtectedWriter::new(
            std::io::stderr,
        ));
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A panic is logged as one ERROR line through the logger (its format, its writer)
/// rather than printed raw on stderr; the library reports the source it happened in as
/// failed. The backtrace is included when `RUST_BACKTRACE` asks for it.
fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::error!(panic = message, %location, %backtrace, "panicked");
        } else {
            tracing::error!(panic = message, %location, "panicked");
        }
    }));
}

/// Cancelled on the first SIGTERM or Ctrl-C; a second one exits at once (nothing is
/// corrupted by that: uncommitted transactions are aborted by the broker).
fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            wait_for_signal().await;
            signals += 1;
            if signals == 1 {
                tracing::info!("shutdown requested; a second signal exits at once");
                cancel.cancel();
            } else {
                tracing::warn!("second signal: exiting now");
                std::process::exit(130);
            }
        }
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `schemas list|show|export`: exit 0; 1 when the topic cannot be read or the schema is
/// not found; 2 for a bad config.
async fn schemas(action: SchemasAction) -> ExitCode {
    let path = match &action {
        SchemasAction::List { config }
        | SchemasAction::Show { config, .. }
        | SchemasAction::Export { config, .. } => config.clone(),
    };
    let config = match path.map(|p| load(&p)) {
        Some(None) => return ExitCode::from(2),
        Some(Some(c)) => Some(c),
        None => None,
    };
    let known = match ruralsync::inspect::known_schemas(config.as_ref()).await {
        Ok(known) => known,
        Err(e) => {
            say_err!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match action {
        SchemasAction::List { .. } => {
            for k in &known {
                let from = match (k.compiled_in, k.in_topic) {
                    (true, true) => "compiled-in, topic",
                    (true, false) => "compiled-in",
                    _ => "topic",
                };
                say!("{}  {}  {from}", k.schema.fingerprint, k.schema.full_name);
            }
            ExitCode::SUCCESS
        }
        SchemasAction::Show { schema, .. } => show_schema(&known, &schema),
        SchemasAction::Export { out, .. } => export_schemas(&known, &out),
    }
}

fn show_schema(known: &[ruralsync::inspect::KnownSchema], wanted: &str) -> ExitCode {
    let found = known
        .iter()
        .find(|k| k.schema.fingerprint == wanted.to_ascii_lowercase())
        .or_else(|| {
            known
                .iter()
                .find(|k| k.compiled_in && k.schema.full_name == wanted)
        });
    let Some(k) = found else {
        say_err!("error: no schema {wanted:?}: give a fingerprint (16 hex digits) or a full name; `ruralsync schemas list` shows them");
        return ExitCode::from(1);
    };
    // One line: what the commands print passes the log's mask, which escapes newlines.
    say!("{}", k.schema.json);
    ExitCode::SUCCESS
}

fn export_schemas(known: &[ruralsync::inspect::KnownSchema], out: &std::path::Path) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(out) {
        say_err!("error: cannot create {}: {e}", out.display());
        return ExitCode::from(1);
    }
    for k in known {
        let file = out.join(format!(
            "{}.{}.avsc",
            k.schema.full_name, k.schema.fingerprint
        ));
        if let Err(e) = std::fs::write(&file, &k.schema.json) {
            say_err!("error: cannot write {}: {e}", file.display());
            return ExitCode::from(1);
        }
        say!("{}", file.display());
    }
    ExitCode::SUCCESS
}
