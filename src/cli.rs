//! The command line: `samskriv serve`, `samskriv plan …`, `samskriv template check`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::app::Application;
use crate::config::{DatabaseConfig, ServeConfig};
use crate::plan::{PlanId, PlanRequest};
use crate::service::{plans, versions};
use crate::storage;
use crate::templates::{self, TemplateRegistry};

#[derive(Debug, Parser)]
#[command(
    name = "samskriv",
    version,
    about = "Samskriv: skriv ruspolitiske handlingsplaner sammen"
)]
struct Cli {
    /// Without a command, `samskriv` runs the server with its defaults.
    #[command(subcommand)]
    command: Option<Command>,
}

/// The server's settings on their own, for `samskriv` run without a command.
#[derive(Debug, Parser)]
struct ServeDefaults {
    #[command(flatten)]
    config: ServeConfig,
}

// Parsed once at start: the server's settings may make it the largest variant by far.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeConfig),
    /// Work with plans in the database.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Work with plan templates.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Export a plan (its current state, or a named version) as Markdown, PDF/A or Word (.docx).
    Export(ExportArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage service tokens: a role on one plan for a program.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create or upgrade the database schema, then exit (the server also does this at start).
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The plan's id.
    plan: String,
    /// md (GitHub-flavoured Markdown), pdf (PDF/A-2a) or docx (Word).
    #[arg(long, default_value = "md")]
    format: crate::export::Format,
    /// A named version's id; without it, the plan's current state.
    #[arg(long)]
    version: Option<String>,
    /// Another version's id: what changed since it is printed as the last appendix.
    #[arg(long)]
    changes_since: Option<String>,
    /// For a plan made from an earlier one: print the earlier plan's last closed status round
    /// as the appendix «Status for forrige plan».
    #[arg(long)]
    previous_status: bool,
    /// Write here instead of to standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[arg(long, env = "SAMSKRIV_TEMPLATES_DIR")]
    templates_dir: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseConfig,
}

#[derive(Debug, Subcommand)]
enum PlanCommand {
    /// Create a plan from a template and print its id alone on standard output.
    Create(CreatePlan),
    /// List plans: id, title, bydel, periode, template, status (tab-separated).
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Append tiltak rows from a JSON file (an array of rows, or an object with a `tiltak` array).
    ImportTiltak(ImportTiltak),
}

#[derive(Debug, Args)]
struct CreatePlan {
    /// Template id (its newest version) or id@version.
    #[arg(long, default_value = crate::demo::DEMO_TEMPLATE)]
    template: String,
    #[arg(long)]
    title: String,
    /// One of Oslo's 15 districts, e.g. Nordstrand.
    #[arg(long)]
    bydel: String,
    /// e.g. 2025–2028
    #[arg(long)]
    periode: String,
    /// Extra plan templates beside the built-in ones.
    #[arg(long, env = "SAMSKRIV_TEMPLATES_DIR")]
    templates_dir: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseConfig,
}

#[derive(Debug, Args)]
struct ImportTiltak {
    /// The plan's id.
    plan: String,
    /// The JSON file with the rows.
    file: PathBuf,
    #[arg(long, env = "SAMSKRIV_TEMPLATES_DIR")]
    templates_dir: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseConfig,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account and print a one-time link where its owner chooses a password.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Administrators create plans and are coordinators of every plan.
        #[arg(long)]
        admin: bool,
        /// The address people reach the server at, for the printed link (as the server's own
        /// `--public-url`). Without it, the link is guessed from the server's listen address.
        #[arg(long, env = "SAMSKRIV_PUBLIC_URL")]
        public_url: Option<String>,
        /// The server's listen address (as `samskriv serve --listen`), for the guessed link.
        #[arg(long, env = "SAMSKRIV_LISTEN", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List accounts: id, e-mail, name, admin (tab-separated).
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Deactivate an account: it cannot sign in any more, its sessions end, and running servers
    /// close its open connections (within a second or two).
    Deactivate {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for one plan and print it once (it is stored only as a hash).
    Create {
        #[arg(long)]
        plan: String,
        /// coordinator, editor, adviser or reader.
        #[arg(long)]
        role: crate::access::Role,
        /// The unit the token writes for (shown as the author's unit).
        #[arg(long)]
        unit: Option<String>,
        /// What the token is for, shown as the author of its changes.
        #[arg(long, default_value = "Tjeneste")]
        name: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List tokens: id, plan, role, name, revoked (tab-separated).
    List {
        #[arg(long)]
        plan: Option<String>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Revoke a token by its id: it stops working at once.
    Revoke {
        id: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Load and validate a template file; prints its id@version, or every problem found.
    Check { file: PathBuf },
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
    let command = match cli.command {
        Some(command) => command,
        // Settings still come from the environment.
        None => Command::Serve(ServeDefaults::parse_from(["samskriv"]).config),
    };
    match command {
        Command::Serve(config) => serve(config).await,
        Command::Plan(PlanCommand::Create(args)) => create_plan(args).await,
        Command::Plan(PlanCommand::List { database }) => {
            let storage = storage::connect(&database).await?;
            for plan in storage.list_plans().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    plan.id, plan.title, plan.bydel, plan.periode, plan.template, plan.status
                );
            }
            Ok(())
        }
        Command::Plan(PlanCommand::ImportTiltak(args)) => import_tiltak(args).await,
        Command::Migrate { database } => {
            storage::connect(&database).await?;
            eprintln!(
                "Databasen {} er oppdatert.",
                storage::redact_url(&database.database_url)
            );
            Ok(())
        }
        Command::Export(args) => export(args).await,
        Command::User(command) => user_command(command).await,
        Command::Token(command) => token_command(command).await,
        Command::Template(TemplateCommand::Check { file }) => {
            let template = templates::check_file(&file)?;
            println!("{}", template.key());
            Ok(())
        }
    }
}

/// The public address links start with, as the server makes it ([`crate::config::public_base`]),
/// from the listen address's port. The second value, when set, says that the address was
/// guessed and how to set it.
fn public_base(public_url: Option<&str>, listen: std::net::SocketAddr) -> (String, Option<String>) {
    let port = if listen.port() == 0 {
        8080
    } else {
        listen.port()
    };
    let (base, guessed) = crate::config::public_base(public_url, port);
    let note = guessed.then(|| {
        format!(
            "Merk: SAMSKRIV_PUBLIC_URL (--public-url) er ikke satt, så lenken er gjettet ut fra \
             lytteadressen {listen}: {base}. Virker ikke den for mottakeren, sett SAMSKRIV_PUBLIC_URL \
             til adressen serveren nås på (den samme som serveren bruker) og lag lenken på nytt."
        )
    });
    (base, note)
}

async fn user_command(command: UserCommand) -> anyhow::Result<()> {
    use crate::service::accounts;
    match command {
        UserCommand::Create {
            email,
            name,
            admin,
            public_url,
            listen,
            database,
        } => {
            let (base, guessed) = public_base(public_url.as_deref(), listen);
            let storage = storage::connect(&database).await?;
            let (user, token) =
                accounts::create_user_with_link(&storage.db(), &email, &name, admin).await?;
            eprintln!(
                "Kontoen til {} ({}) er opprettet{}.",
                user.name,
                user.email,
                if admin { " som administrator" } else { "" }
            );
            if let Some(note) = guessed {
                eprintln!("{note}");
            }
            eprintln!("Send denne lenken til eieren; den virker én gang og i 24 timer:");
            println!("{base}/velkommen/{token}");
            Ok(())
        }
        UserCommand::List { database } => {
            let storage = storage::connect(&database).await?;
            for user in accounts::list_users(&storage.db()).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    user.id,
                    user.email,
                    user.name,
                    if user.is_admin { "admin" } else { "" }
                );
            }
            Ok(())
        }
        UserCommand::Deactivate { email, database } => {
            let storage = storage::connect(&database).await?;
            let user =
                crate::service::revocation::deactivate_user(storage.as_ref(), &email).await?;
            eprintln!("Kontoen til {} ({}) er deaktivert.", user.name, user.email);
            Ok(())
        }
    }
}

async fn token_command(command: TokenCommand) -> anyhow::Result<()> {
    use crate::service::accounts;
    match command {
        TokenCommand::Create {
            plan,
            role,
            unit,
            name,
            database,
        } => {
            let plan: PlanId = plan.parse()?;
            let storage = storage::connect(&database).await?;
            let (record, token) = accounts::create_service_token(
                storage.as_ref(),
                plan,
                &name,
                role,
                unit.as_deref(),
            )
            .await?;
            eprintln!(
                "Token {} ({role}) for plan {plan}. It is shown only now; keep it secret.",
                record.id
            );
            println!("{token}");
            Ok(())
        }
        TokenCommand::List { plan, database } => {
            let plan = plan.map(|p| p.parse::<PlanId>()).transpose()?;
            let storage = storage::connect(&database).await?;
            for token in accounts::list_service_tokens(&storage.db(), plan).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    token.id,
                    token.plan_id,
                    token.role,
                    token.name,
                    if token.revoked_at.is_some() {
                        "revoked"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id, database } => {
            let storage = storage::connect(&database).await?;
            crate::service::revocation::revoke_token(storage.as_ref(), &id).await?;
            eprintln!("Token {id} er trukket tilbake.");
            Ok(())
        }
    }
}

async fn create_plan(args: CreatePlan) -> anyhow::Result<()> {
    let templates = TemplateRegistry::load(args.templates_dir.as_deref())?;
    let request = PlanRequest {
        title: args.title,
        bydel: args.bydel,
        periode: args.periode,
        template: args.template,
    };
    let storage = storage::connect(&args.database).await?;
    let record = plans::create_unattended(storage.as_ref(), &templates, &request).await?;
    println!("{}", record.id);
    Ok(())
}

/// Appends rows straight to the plan's log. A server that has the plan open picks them up at its
/// next commit; one that has not loads them with the plan.
async fn import_tiltak(args: ImportTiltak) -> anyhow::Result<()> {
    let plan: PlanId = args.plan.parse()?;
    let json = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let templates = TemplateRegistry::load(args.templates_dir.as_deref())?;
    let storage = storage::connect(&args.database).await?;
    let (record, added) = plans::import_tiltak(storage.as_ref(), &templates, plan, &json)
        .await
        .with_context(|| format!("{}", args.file.display()))?;
    eprintln!("{added} tiltak lagt til i «{}»", record.title);
    Ok(())
}

/// Exports from the database directly: the current state is the stored document (snapshot and
/// log, as a server would load it), a version its frozen state.
async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let plan: PlanId = args.plan.parse()?;
    let templates = TemplateRegistry::load(args.templates_dir.as_deref())?;
    let storage = storage::connect(&args.database).await?;
    let bytes = versions::export_stored(
        storage.as_ref(),
        &templates,
        plan,
        args.version.as_deref(),
        args.changes_since.as_deref(),
        args.previous_status,
        args.format,
    )
    .await?
    .bytes;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("{} skrevet ({} byte)", path.display(), bytes.len());
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let database = storage::redact_url(&config.database.database_url);
    let app = Application::build(config).await?;
    let base = app.public_url().to_owned();
    tracing::info!(address = %app.addr(), %database, "Samskriv is listening");
    println!("Samskriv kjører på {base}/");
    if let Some(link) = app.first_admin_link() {
        println!();
        println!(
            "Ingen har konto ennå. Åpne denne lenken for å opprette den første administratoren"
        );
        println!("(den virker én gang og i 24 timer; en ny skrives ut ved neste start):");
        println!("  {link}");
        println!();
    }
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
