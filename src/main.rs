//! The `newsdesk` command: serve, worker, migrate, user, seed, openapi.

use std::io::{BufRead, IsTerminal};

use clap::{Parser, Subcommand};
use newsdesk::auth::role::Role;
use newsdesk::config::{DatabaseArgs, ServeArgs, Settings, SiteArgs, WebhookArgs};
use newsdesk::startup::{Application, Background};
use newsdesk::users::service::{create as create_user, CreateUser};
use newsdesk::webhooks::deliver::Sender;
use newsdesk::{db, demo, openapi};

#[derive(Parser)]
#[command(name = "newsdesk", version, about = "A headless CMS for newsrooms")]
struct Cli {
    #[command(flatten)]
    db: DatabaseArgs,
    #[command(flatten)]
    site: SiteArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server (applies pending migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Run the background work without serving the API: announce scheduled
    /// publications, embargo lifts and expiries, deliver webhooks, and prune
    /// the change feed. API servers do it too (unless `NEWSDESK_SCHEDULER`
    /// is false); a worker lets a deployment keep it apart.
    Worker {
        /// Days the change feed keeps events.
        #[arg(long, env = "NEWSDESK_EVENT_RETENTION_DAYS", default_value_t = 30)]
        event_retention_days: u32,
        /// Webhook delivery.
        #[command(flatten)]
        webhooks: WebhookArgs,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Fill the database with synthetic published articles (tests, benchmarks).
    Seed {
        /// How many articles.
        #[arg(long, default_value_t = 1000)]
        articles: u64,
        /// Locale of the articles.
        #[arg(long, env = "NEWSDESK_DEFAULT_LOCALE", default_value = "en")]
        locale: String,
        #[command(flatten)]
        renditions: newsdesk::config::RenditionArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input (one line) when
    /// it is not a terminal, else prompted for without echo.
    Create {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// reader, contributor, author, editor or admin.
        #[arg(long, default_value = "reader")]
        role: Role,
    },
}

/// Logs to standard output, with colours only on a terminal. The server and
/// the worker batch their lines ([`newsdesk::logging`]); the one-off
/// commands write each as it comes.
fn init_tracing(batched: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal());
    if batched {
        log.with_writer(newsdesk::logging::Batched::start()).init();
    } else {
        log.init();
    }
}

fn open_database(args: &DatabaseArgs) -> anyhow::Result<db::Pool> {
    let pool = db::pool(&args.database_url, args.pool_size())?;
    let mut conn = pool.get()?;
    let applied = db::migrate(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    Ok(pool)
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    Ok(password)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The bulk load keeps glibc's own threshold: with blocks of 128 KiB and
    // more mapped on their own, brotli's tables were mapped and zeroed
    // afresh for every document compressed (5,000 articles: 6.3 s, 4.0 s
    // without).
    if !matches!(cli.command, Command::Seed { .. }) {
        newsdesk::alloc::tune();
    }
    init_tracing(matches!(
        cli.command,
        Command::Serve(_) | Command::Worker { .. }
    ));
    let ran = run(cli);
    newsdesk::logging::flush();
    ran
}

fn run(cli: Cli) -> anyhow::Result<()> {
    newsdesk::urls::configure(cli.site.resolve()?);
    match cli.command {
        Command::Serve(serve) => {
            let settings = Settings::resolve(&cli.db, &serve)?;
            let pool = open_database(&cli.db)?;
            if serve.demo {
                let mut conn = pool.get()?;
                let created =
                    demo::load(&mut conn).map_err(|e| anyhow::anyhow!("demo content: {e}"))?;
                for (email, password) in created {
                    tracing::warn!(
                        "demo account {email} created with password {password} (shown once)"
                    );
                }
                let store =
                    newsdesk::storage::open(settings.media_store.as_deref(), &settings.media_dir)?;
                let photos = actix_web::rt::System::new()
                    .block_on(demo::load_media(&pool, store.as_ref()))
                    .map_err(|e| anyhow::anyhow!("demo media: {e}"))?;
                let mut conn = pool.get()?;
                let articles = demo::load_articles(&mut conn, &settings.default_locale)
                    .map_err(|e| anyhow::anyhow!("demo articles: {e}"))?;
                let comments = demo::load_comments(&mut conn, &settings.default_locale)
                    .map_err(|e| anyhow::anyhow!("demo comments: {e}"))?;
                tracing::info!(photos, articles, comments, "demo content loaded");
            }
            let app = Application::build(&settings, pool)?;
            tracing::info!(
                "newsdesk listening on http://{}/ (API docs at /docs/)",
                settings.bind.replace(":0", &format!(":{}", app.port()))
            );
            actix_web::rt::System::new().block_on(app.run_until_stopped())?;
        }
        Command::Worker {
            event_retention_days,
            webhooks,
        } => {
            let pool = open_database(&cli.db)?;
            let work = Background {
                pool,
                retention: chrono::Duration::days(i64::from(event_retention_days.max(1))),
                sender: Sender::new(webhooks.resolve()?)?,
            };
            tracing::info!("newsdesk worker running (SIGINT or SIGTERM stops it)");
            actix_web::rt::System::new().block_on(async move {
                let mut terminate =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                tokio::select! {
                    _ = work.run() => {}
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
                anyhow::Ok(())
            })?;
        }
        Command::Migrate => {
            let pool = db::pool(&cli.db.database_url, 1)?;
            let applied = db::migrate(&mut *pool.get()?)?;
            println!("{applied} migration(s) applied");
        }
        Command::User {
            command: UserCommand::Create { email, name, role },
        } => {
            let pool = open_database(&cli.db)?;
            let password = read_password()?;
            let mut conn = pool.get()?;
            let user = create_user(
                &mut conn,
                CreateUser {
                    email: &email,
                    display_name: &name,
                    password: &password,
                    role,
                },
            )
            .map_err(|e| match e {
                newsdesk::error::ApiError::Validation(errors) => anyhow::anyhow!(
                    "{}",
                    errors
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                other => anyhow::anyhow!("{other}"),
            })?;
            println!("created {} {} ({})", user.role, user.email, user.id);
        }
        Command::Openapi => print!("{}", openapi::api_doc_json()),
        Command::Seed {
            articles,
            locale,
            renditions,
        } => {
            newsdesk::articles::delivery::configure(&renditions.widths());
            let pool = open_database(&cli.db)?;
            let bar = indicatif::ProgressBar::new(articles);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} articles ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let made = newsdesk::seed::seed(&pool, articles, &locale, |n| bar.set_position(n))
                .map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
            bar.finish();
            println!(
                "seeded {made} articles in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
