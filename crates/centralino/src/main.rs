//! The `centralino` binary: CLI, configuration loading, logging and start-up of every
//! shell (SIP, media, HTTP metrics).

mod config;
mod prompts_cli;
mod register_cli;
mod report_cli;
mod engine_control;
mod outbox;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tracing::info;

const DEFAULT_CONFIG: &str = "config/centralino.toml";

const USAGE: &str = "usage:
  centralino [run] [--config FILE]      start the engine (default config: config/centralino.toml)
  centralino check-config [FILE]        validate a config file; errors as FILE:LINE: reason
  centralino migrate [--config FILE]    create or upgrade the store's schema and exit
  centralino export-calls --from YYYY-MM-DD --to YYYY-MM-DD --output calls.csv [--config FILE]
                                        the per-call register as CSV (columns of GET /api/calls)
  centralino purge [--older-than-years N] [--force] [--config FILE]
                                        delete calls older than N years (at least 3 without --force)
  centralino report --from YYYY-MM-DD --to YYYY-MM-DD --format csv|xlsx|json [--output FILE]
                    [--input calls.csv --lines N] [--channel NAME] [--group-by G] [--config FILE]
                                        tender and ARERA TIQV figures of a period (`report --help`)
  centralino prompts COMMAND [--dir DIR] manage voice prompts: list, add, delete, history,
                                        restore-version, backup, restore (`prompts --help`)
  centralino --version | --help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("run") | Some("--config") => {
            let rest = if args.first().map(String::as_str) == Some("run") { &args[1..] } else { &args[..] };
            let path = match rest {
                [] => PathBuf::from(DEFAULT_CONFIG),
                [flag, file] if flag == "--config" => PathBuf::from(file),
                _ => return usage_error(),
            };
            match run(path) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("centralino: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(cmd @ ("export-calls" | "purge")) => {
            let config = PathBuf::from(DEFAULT_CONFIG);
            let result = if cmd == "purge" {
                register_cli::purge(&args[1..], &config)
            } else {
                register_cli::export_calls(&args[1..], &config)
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("centralino: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("migrate") => {
            let path = match &args[1..] {
                [] => PathBuf::from(DEFAULT_CONFIG),
                [flag, file] if flag == "--config" => PathBuf::from(file),
                _ => return usage_error(),
            };
            match migrate(path) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("centralino: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("check-config") => {
            if args.len() > 2 {
                return usage_error();
            }
            let path = args.get(1).map_or_else(|| PathBuf::from(DEFAULT_CONFIG), PathBuf::from);
            match config::load(&path) {
                Ok(_) => {
                    println!("{}: ok", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("prompts") => prompts_cli::run(&args[1..]),
        Some("report") => report_cli::run(&args[1..]),
        Some("--version") | Some("-V") => {
            println!("centralino {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help") | Some("-h") | Some("help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(_) => usage_error(),
    }
}

fn usage_error() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn run(path: PathBuf) -> anyhow::Result<()> {
    let cfg = config::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?;
    runtime.block_on(async move {
        let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .context("installing the metrics recorder")?;
        let http_listen = cfg.http_listen;
        let web_users = web_users(&cfg);
        let store = match &cfg.store_url {
            Some(url) => Some(open_store(url).await?),
            None => None,
        };
        let register = store.as_ref().map(|s| sql_store::StoreWriter::spawn(s.clone(), sql_store::WriterConfig::default()).0);
        if let Some(writer) = register.clone() {
            tokio::spawn(store_metrics(writer));
        }
        let webhooks = cfg.webhooks.clone();
        let acd_config = cfg.acd.clone();
        let service_names: Vec<String> = cfg.services.iter().map(|s| s.name.clone()).collect();
        let engine = call_runtime::Runtime::start_with_register(cfg, register).await.context("starting the SIP runtime")?;
        info!(sip = %engine.sip_addr(), "centralino listening (UDP and TCP)");
        // CRM webhooks through the durable outbox [CRM-9]; kept alive until shutdown.
        let _webhooks = match (&store, webhooks.is_empty()) {
            (_, true) => None,
            (Some(s), false) => {
                info!(endpoints = webhooks.len(), "CRM webhooks on");
                Some(cti_bus::spawn_webhooks(&engine.cti(), std::sync::Arc::new(outbox::SqlOutbox::new(s.clone())), webhooks))
            }
            (None, false) => anyhow::bail!("[[webhook]] needs a [store]: the outbox keeps events while a CRM is down"),
        };
        if let Some(addr) = http_listen {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding HTTP on {addr}"))?;
            info!(http = %addr, "HTTP listening (/api, /metrics, /healthz)");
            let state = http_api::ApiState {
                metrics: Some(metrics),
                cti: engine.cti(),
                auth: std::sync::Arc::new(http_api::Authenticator::new(web_users, store.clone())),
                store,
                control: Some(std::sync::Arc::new(engine_control::AcdControl::new(engine.clone(), &acd_config, service_names))),
                files_root: std::env::current_dir().context("working directory")?,
            };
            tokio::spawn(http_api::serve(listener, state));
        }
        shutdown_signal().await;
        info!("shutting down");
        Ok(())
    })
}

/// The write-behind queue's state as Prometheus metrics, every second: records waiting for
/// the database, written, refused, dropped on overflow, retries, and whether the database
/// is unavailable (issue 4, "Bad input": calls keep flowing, with a metric and a log line).
async fn store_metrics(writer: sql_store::StoreWriter) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let s = writer.stats();
        metrics::gauge!("centralino_store_queue_records").set(s.queued as f64);
        metrics::gauge!("centralino_store_written_records").set(s.flushed as f64);
        metrics::gauge!("centralino_store_failed_records").set(s.failed as f64);
        metrics::gauge!("centralino_store_dropped_records").set(s.dropped as f64);
        metrics::gauge!("centralino_store_retries").set(s.retries as f64);
        metrics::gauge!("centralino_store_unavailable").set(if s.unavailable { 1.0 } else { 0.0 });
    }
}

/// The configured web users plus every agent, who signs in with its extension and SIP
/// password [TEL-5, SEC-2].
fn web_users(cfg: &call_runtime::RuntimeConfig) -> http_api::WebUsers {
    let mut users: Vec<http_api::WebUser> = cfg
        .web_users
        .iter()
        .filter_map(|u| Some(http_api::WebUser { name: u.name.clone(), password: u.password.clone(), role: http_api::Role::parse(&u.role)? }))
        .collect();
    users.extend(cfg.agents.iter().map(|a| http_api::WebUser {
        name: a.extension.clone(),
        password: a.password.clone(),
        role: http_api::Role::Agent,
    }));
    http_api::WebUsers::new(users)
}

/// Opens (and migrates) the store, closing the calls a previous run left open as
/// "interrupted" [SLA-9].
async fn open_store(url: &str) -> anyhow::Result<sql_store::Store> {
    let store = sql_store::Store::open(url).await.with_context(|| format!("opening the store {}", redact_url(url)))?;
    let closed = store
        .close_interrupted(sql_store::UnixMillis::now())
        .await
        .context("closing calls interrupted by the previous run")?;
    if closed > 0 {
        tracing::warn!(calls = closed, "calls left open by the previous run closed as interrupted");
    }
    info!(backend = ?store.backend(), "store ready");
    Ok(store)
}

fn migrate(path: PathBuf) -> anyhow::Result<()> {
    let cfg = config::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(url) = cfg.store_url else { anyhow::bail!("{}: no [store] url configured", path.display()) };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
    rt.block_on(async {
        let store = sql_store::Store::open(&url).await.with_context(|| format!("opening the store {}", redact_url(&url)))?;
        store.migrate().await.context("migrating")?;
        println!("{}: schema up to date ({:?})", redact_url(&url), store.backend());
        Ok(())
    })
}

/// A store URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CENTRALINO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return ctrl_c.await.unwrap_or(()),
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
