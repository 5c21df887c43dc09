//! The command line: `samskriv serve`, `samskriv plan …`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::Application;
use crate::config::{DatabaseConfig, ServeConfig};
use crate::plan::NewPlan;
use crate::storage;

#[derive(Debug, Parser)]
#[command(
    name = "samskriv",
    version,
    about = "Samskriv: skriv ruspolitiske handlingsplaner sammen"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeConfig),
    /// Work with plans in the database.
    #[command(subcommand)]
    Plan(PlanCommand),
}

#[derive(Debug, Subcommand)]
enum PlanCommand {
    /// Create a plan and print its id alone on standard output.
    Create(CreatePlan),
    /// List plans: id, title, bydel, periode, status.
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Debug, Args)]
struct CreatePlan {
    #[arg(long, default_value = "")]
    title: String,
    #[arg(long, default_value = "")]
    bydel: String,
    #[arg(long, default_value = "")]
    periode: String,
    #[command(flatten)]
    database: DatabaseConfig,
}

pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("samskriv: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samskriv: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => serve(config).await,
        Command::Plan(PlanCommand::Create(args)) => {
            let storage = storage::connect(&args.database).await?;
            let plan = NewPlan {
                title: args.title,
                bydel: args.bydel,
                periode: args.periode,
                ..NewPlan::default()
            };
            let record = storage
                .create_plan(&plan, &crate::demo::initial_meta_update(&plan))
                .await?;
            println!("{}", record.id);
            Ok(())
        }
        Command::Plan(PlanCommand::List { database }) => {
            let storage = storage::connect(&database).await?;
            for plan in storage.list_plans().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    plan.id, plan.title, plan.bydel, plan.periode, plan.status
                );
            }
            Ok(())
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let database = storage::redact_url(&config.database.database_url);
    let app = Application::build(config).await?;
    let base = format!("http://{}", app.addr());
    tracing::info!(address = %app.addr(), %database, "Samskriv is listening");
    println!("Samskriv kjører på {base}/");
    if let Some(demo) = app.demo_plan() {
        println!("Eksempelplanen «{}»: {base}/plans/{}", demo.title, demo.id);
    }
    app.run_until(shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Logs to standard error; `RUST_LOG` filters, `SAMSKRIV_LOG_FORMAT=json` gives structured lines.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("samskriv=info,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("SAMSKRIV_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
