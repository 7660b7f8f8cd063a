//! The `rosette` command line. Names and flags here are an interface scripts rely on
//! (README lists them): change them only by adding.

use anyhow::{Context, Result, bail};
use chrono::{Local, NaiveDate};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::export::{self, Format};
use crate::app::{officers, report};
use crate::domain::{Role, Rules, Status, UnitKind};
use crate::import::{self, Options};
use crate::mail::Mailer;
use crate::store::units::{self, NewUnit};
use crate::store::{Db, members, migrate};
use crate::{demo, jobs, web};

#[derive(Parser, Debug)]
#[command(
    name = "rosette",
    version,
    about = "Membership and organising for a local party and its branches"
)]
pub struct Cli {
    /// sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "ROSETTE_DATABASE_URL",
        default_value = "sqlite://rosette.db",
        global = true
    )]
    pub database_url: String,
    /// A rules file (TOML) in place of the built-in defaults.
    #[arg(long, env = "ROSETTE_RULES", global = true)]
    pub rules: Option<PathBuf>,
    /// The folder where list views' audit entries wait to be taken into the log (by
    /// default beside a SQLite file, as `FILE-audit`). It belongs to one database.
    #[arg(long, env = "ROSETTE_AUDIT_JOURNAL", global = true)]
    pub audit_journal: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a synthetic demo local party (unless the database has people already) and serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// How many people to generate; above 50,000 they are spread over 650 local parties.
        #[arg(long, default_value_t = 2000)]
        members: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Generate the data and stop, without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Serve the web app (it runs queued jobs too).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Run queued jobs (mail, reports) and nothing else; as many may run as you like.
    Worker,
    /// Bring the database schema up to date (also done at every start).
    Migrate,
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export records to a file or standard output.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Manage the organisation tree.
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Manage officers' accounts and roles.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// People across the register.
    #[command(subcommand)]
    People(PeopleCommand),
}

#[derive(Subcommand, Debug)]
pub enum PeopleCommand {
    /// Likely duplicate people (same email; same name and postcode; same phone and
    /// surname), for an officer to merge in the web app:
    /// membership_number,first_name,last_name,other_membership_number,other_first_name,
    /// other_last_name,why.
    Duplicates {
        /// The local party.
        #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
        unit: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The Membership Action Report for the period ending on --as-of (default today).
    Action {
        /// The last day of the period (YYYY-MM-DD or DD/MM/YYYY).
        #[arg(long)]
        as_of: Option<String>,
        /// A local party, or a branch for its slice.
        #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
        unit: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
    },
    /// Who in a unit may exercise a right from the rules file (attend_meetings,
    /// vote_at_meetings, vote_in_selections, …), and why not:
    /// membership_number,first_name,last_name,eligible,reason.
    Eligibility {
        /// The right's name in the rules file.
        #[arg(long)]
        right: String,
        /// The day statuses are read on (YYYY-MM-DD or DD/MM/YYYY; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// The freeze date continuous membership is measured at (default --as-of).
        #[arg(long)]
        freeze: Option<String>,
        /// A local party, or a branch.
        #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
        unit: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
    },
    /// The share of women (and of people who give their gender in their own words) among
    /// members, new members, officers, branch officers, meeting attenders, callers and
    /// activists, by branch and by month: aggregates only, counts under 5 as "fewer
    /// than 5". section,group,women,own_words,other,not_given,total,women_percent,own_words_percent.
    Representation {
        /// The day statuses are read on (YYYY-MM-DD or DD/MM/YYYY; default today).
        #[arg(long)]
        as_of: Option<String>,
        /// A local party.
        #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
        unit: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Give a person a role for a unit, creating their account if needed. Without
    /// --password-stdin they are sent an invitation (the link is printed too).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// secretary, chair, membership-officer, womens-officer, branch-secretary,
        /// branch-membership-secretary or caller
        #[arg(long)]
        role: String,
        /// The unit the role is for: the local party, or a branch for branch roles.
        #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
        unit: String,
        /// Read a password from standard input instead of sending an invitation.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (alone) on standard output.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import members from a CSV file: strict unless --skip-invalid.
    Members(ImportMembers),
}

#[derive(Args, Debug)]
pub struct ImportMembers {
    pub file: PathBuf,
    /// Check everything and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the valid rows and list the invalid ones instead of writing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Read a column as a field: --map "Member Ref=membership_number", or leave it out:
    /// --map "Notes=-" (repeatable).
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub maps: Vec<String>,
    /// Read another system's value as Rosette's: --map-value "rate:General=standard",
    /// --map-value "status:Cancelled=resigned" (repeatable; any case).
    #[arg(long = "map-value", value_name = "FIELD:VALUE=CODE")]
    pub value_maps: Vec<String>,
    /// How dates written with slashes are read: dmy (29/02/2024), mdy (02/29/2024) or ymd.
    /// Without it the file must show which, by a day above 12.
    #[arg(long, value_name = "dmy|mdy|ymd", value_parser = parse_date_order)]
    pub date_order: Option<crate::domain::dates::DateOrder>,
    /// The local party to import into.
    #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
    pub unit: String,
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Export members with their derived status.
    Members {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Only members with this status.
        #[arg(long)]
        status: Option<String>,
        /// The local party to export.
        #[arg(long, default_value = units::DEFAULT_LOCAL_PARTY)]
        unit: String,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Csv,
    Table,
}

#[derive(Subcommand, Debug)]
pub enum UnitCommand {
    /// Add a unit: a branch under the default local party unless --parent says otherwise.
    Add {
        #[arg(long, default_value = "branch")]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<String>,
        /// Wards the branch covers, separated by ';'.
        #[arg(long)]
        wards: Option<String>,
        /// A forum branch (such as a women's branch) that covers no wards.
        #[arg(long)]
        forum: bool,
        /// Who a forum branch holds by rule, kept up as people change: "gender = woman",
        /// "age < 27" or "kind = member". People may also opt in.
        #[arg(long, requires = "forum")]
        rule: Option<String>,
    },
    /// List every unit.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
}

/// Today in the local party's time zone (the machine's, set by TZ).
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

fn load_rules(path: Option<&PathBuf>) -> Result<Rules> {
    Ok(match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read rules file {}", p.display()))?;
            Rules::from_toml(&p.display().to_string(), &text)?
        }
        None => Rules::defaults()?,
    })
}

/// The database a command works on: connected and migrated when first asked for, and
/// closed when the command ends, which is when SQLite folds its write-ahead log back into
/// the file (before, a copy of the file alone lacked the command's last writes).
struct Database {
    url: String,
    opened: tokio::sync::OnceCell<Db>,
}

impl Database {
    async fn open(&self) -> Result<Db> {
        let db = self
            .opened
            .get_or_try_init(|| async {
                let db = Db::connect(&self.url).await?;
                migrate(&db).await?;
                Ok::<_, anyhow::Error>(db)
            })
            .await?;
        Ok(db.clone())
    }

    async fn close(&self) {
        if let Some(db) = self.opened.get() {
            db.close().await;
        }
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    let database = Database {
        url: cli.database_url.clone(),
        opened: tokio::sync::OnceCell::new(),
    };
    let done = command(cli, &database).await;
    database.close().await;
    done
}

async fn command(cli: Cli, database: &Database) -> Result<()> {
    let rules = load_rules(cli.rules.as_ref())?;
    let journal = cli
        .audit_journal
        .clone()
        .unwrap_or_else(|| journal_beside(&cli.database_url));
    match cli.command {
        Command::Migrate => {
            let db = Db::connect(&cli.database_url).await?;
            let ran = migrate(&db).await;
            db.close().await;
            let ran = ran?;
            writeln!(
                std::io::stdout(),
                "database is up to date ({ran} migration{} applied now)",
                if ran == 1 { "" } else { "s" }
            )?;
        }
        Command::Serve { listen } => serve(database.open().await?, rules, listen, &journal).await?,
        Command::Worker => {
            let db = database.open().await?;
            let worker = jobs::Worker {
                db,
                rules: Arc::new(rules),
                mailer: Mailer::from_env()?,
                bounces: crate::bounces::Mailbox::from_env()?,
                public_url: configured_public_url().unwrap_or_default(),
                today,
                name: jobs::worker_name(),
            };
            let stop = stopped();
            writeln!(
                std::io::stdout(),
                "Rosette worker {} is running jobs",
                worker.name
            )?;
            std::io::stdout().flush()?;
            tokio::select! {
                () = worker.run() => {}
                () = stop => {}
            }
        }
        Command::Demo {
            listen,
            members: n,
            seed,
            no_serve,
        } => {
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let existing = members::count(&mut tx, None).await?;
            drop(tx);
            if existing == 0 {
                eprintln!("Creating a synthetic demo party with {n} people (seed {seed})…");
                let bar = progress_bar(n as u64);
                let started = std::time::Instant::now();
                let made = demo::generate(&db, &rules, n, seed, today(), &|done| {
                    bar.set_position(done as u64)
                })
                .await?;
                demo::women_by_rule(&db, &rules, today()).await?;
                demo::survey_answers(&db, seed).await?;
                db.analyze().await?;
                bar.finish_and_clear();
                eprintln!(
                    "Created {} people in {} local part{} and {} branches in {:.1}s.",
                    made.members,
                    made.local_parties,
                    if made.local_parties == 1 { "y" } else { "ies" },
                    made.branches,
                    started.elapsed().as_secs_f64()
                );
            } else {
                eprintln!("The database already has {existing} people; serving it as it is.");
            }
            let party = demo::add_officers(&db, &public_url(listen)).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "Demo sign-in (synthetic data, for trying Rosette only), in {party}:"
            )?;
            for (email, name, role, _) in demo::OFFICERS {
                writeln!(out, "  {:<30} {} ({})", email, name, role.label())?;
            }
            writeln!(out, "  password for each: {}", demo::PASSWORD)?;
            drop(out);
            if !no_serve {
                serve(db, rules, listen, &journal).await?;
            }
        }
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            unit,
            password_stdin,
        }) => {
            let role = Role::parse(&role).with_context(|| {
                format!(
                    "--role '{role}' is not one of {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let added = officers::add_officer(
                &mut tx,
                &email,
                &name,
                role,
                &unit,
                password.as_deref(),
                &public_url("127.0.0.1:8080".parse()?),
                &actor(),
            )
            .await?;
            tx.commit().await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{} is {} for {unit}", added.user.email, role.name())?;
            if let Some(link) = added.invitation {
                writeln!(out, "Invitation queued; the link (valid 7 days) is: {link}")?;
            }
        }
        Command::Report(ReportCommand::Action {
            as_of,
            unit,
            format,
        }) => {
            let as_of = date_flag("--as-of", as_of)?.unwrap_or_else(today);
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let found = units::get(&mut tx, &unit).await?;
            let local_party = units::parent_id(&mut tx, found.id)
                .await?
                .filter(|_| found.kind == UnitKind::Branch.as_str())
                .unwrap_or(found.id);
            let days = report::period_days(&mut tx, &rules, local_party).await?;
            let period = crate::domain::report::Period::ending(as_of, days);
            let report = report::action_report(&mut tx, &rules, &unit, period, &actor()).await?;
            tx.commit().await?;
            let mut out = std::io::stdout().lock();
            match format {
                ReportFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
                ReportFormat::Csv => {
                    export::write_csv(&mut out, report::CSV_COLUMNS, &report::csv_rows(&report))?
                }
            }
        }
        Command::People(PeopleCommand::Duplicates { unit, format }) => {
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let party = units::get(&mut tx, &unit).await?;
            if party.kind != crate::domain::UnitKind::LocalParty.as_str() {
                bail!("'{unit}' is a {}, not a local party", party.kind);
            }
            let pairs = crate::app::people::duplicates_in(&mut tx, party.id, &actor())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tx.commit().await?;
            let rows: Vec<Vec<String>> = pairs
                .iter()
                .map(|(a, b, why)| {
                    vec![
                        a.membership_number.clone(),
                        a.first_name.clone(),
                        a.last_name.clone(),
                        b.membership_number.clone(),
                        b.first_name.clone(),
                        b.last_name.clone(),
                        why.iter().map(|w| w.code()).collect::<Vec<_>>().join(";"),
                    ]
                })
                .collect();
            let mut out = std::io::stdout().lock();
            match format {
                ReportFormat::Csv => export::write_csv(&mut out, DUPLICATE_COLUMNS, &rows)?,
                ReportFormat::Json => {
                    let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
                        .into_iter()
                        .map(|row| {
                            DUPLICATE_COLUMNS
                                .iter()
                                .map(|c| c.to_string())
                                .zip(row.into_iter().map(serde_json::Value::String))
                                .collect()
                        })
                        .collect();
                    writeln!(out, "{}", serde_json::to_string_pretty(&objects)?)?
                }
            }
        }
        Command::Report(ReportCommand::Eligibility {
            right,
            as_of,
            freeze,
            unit,
            format,
        }) => {
            let as_of = date_flag("--as-of", as_of)?.unwrap_or_else(today);
            let freeze = date_flag("--freeze", freeze)?;
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let asked = crate::app::eligibility::Asked {
                unit: &unit,
                right: &right,
                as_of,
                freeze,
            };
            let rows = crate::app::eligibility::list(&mut tx, &rules, &asked, &actor())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tx.commit().await?;
            let mut out = std::io::stdout().lock();
            match format {
                ReportFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
                ReportFormat::Csv => export::write_csv(
                    &mut out,
                    crate::app::eligibility::CSV_COLUMNS,
                    &rows.iter().map(|r| r.csv_row()).collect::<Vec<_>>(),
                )?,
            }
        }
        Command::Report(ReportCommand::Representation {
            as_of,
            unit,
            format,
        }) => {
            let as_of = date_flag("--as-of", as_of)?.unwrap_or_else(today);
            let db = database.open().await?;
            let mut tx = db.begin_read().await?;
            let figures = crate::app::representation::of_unit(&mut tx, &rules, &unit, as_of)
                .await
                .map_err(|e| anyhow::anyhow!("--{e}"))?;
            tx.commit().await?;
            let mut out = std::io::stdout().lock();
            match format {
                ReportFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&figures)?)?,
                ReportFormat::Csv => export::write_csv(
                    &mut out,
                    crate::app::representation::CSV_COLUMNS,
                    &figures.csv_rows(),
                )?,
            }
        }
        Command::Token(TokenCommand::Create { email }) => {
            let db = database.open().await?;
            let token = officers::create_token(&db, &email).await?;
            writeln!(std::io::stdout(), "{token}")?;
        }
        Command::Import(ImportCommand::Members(args)) => {
            import_members(database, &rules, args).await?
        }
        Command::Export(ExportCommand::Members {
            format,
            status,
            unit,
            output,
        }) => {
            let status = match status {
                Some(s) => Some(Status::parse(&s).with_context(|| {
                    format!("--status '{s}' is not one of {}", Status::expected())
                })?),
                None => None,
            };
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let rows =
                export::member_rows(&mut tx, &rules, &unit, status, today(), &actor()).await?;
            let bytes = match format {
                Format::Csv => {
                    let mut out = Vec::new();
                    export::write_csv(&mut out, export::COLUMNS, &rows)?;
                    out
                }
                Format::Xlsx => {
                    if output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                        bail!(
                            "an XLSX workbook is binary: give --output FILE.xlsx or redirect standard output to a file"
                        );
                    }
                    export::xlsx_bytes(export::COLUMNS, &rows)?
                }
            };
            match &output {
                Some(path) => std::fs::write(path, &bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().write_all(&bytes)?,
            }
            tx.commit().await?;
            eprintln!("exported {} people", rows.len());
        }
        Command::Unit(UnitCommand::Add {
            kind,
            name,
            parent,
            wards,
            forum,
            rule,
        }) => {
            let kind = UnitKind::parse(&kind).with_context(|| {
                format!("--kind '{kind}' is not one of {}", UnitKind::expected())
            })?;
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let wards = wards
                .map(|w| {
                    w.split(';')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let unit = units::add(
                &mut tx,
                &NewUnit {
                    kind: Some(kind),
                    name,
                    parent,
                    forum,
                    wards,
                },
            )
            .await?;
            if let Some(rule) = rule {
                let (joined, _) =
                    crate::app::forums::set_rule(&mut tx, &rules, today(), &unit.slug, &rule)
                        .await
                        .map_err(|e| anyhow::anyhow!("--rule: {e}"))?;
                eprintln!("{joined} people are in it by its rule");
            }
            tx.commit().await?;
            writeln!(std::io::stdout(), "{}", unit.slug)?;
        }
        Command::Unit(UnitCommand::List { format }) => {
            let db = database.open().await?;
            let mut tx = db.begin().await?;
            let list = units::list(&mut tx).await?;
            let mut out = std::io::stdout().lock();
            match format {
                ListFormat::Csv => {
                    let mut w = csv::WriterBuilder::new()
                        .terminator(csv::Terminator::CRLF)
                        .from_writer(&mut out);
                    w.write_record(["slug", "name", "kind", "parent"])?;
                    for u in &list {
                        w.write_record([
                            u.slug.as_str(),
                            &crate::domain::cells::neutralise(&u.name),
                            u.kind.as_str(),
                            u.parent_slug.as_deref().unwrap_or(""),
                        ])?;
                    }
                    w.flush()?;
                }
                ListFormat::Table => {
                    for u in &list {
                        writeln!(
                            out,
                            "{:<40} {:<12} {:<30} {}",
                            u.slug,
                            u.kind,
                            u.parent_slug.as_deref().unwrap_or("-"),
                            u.name
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} ({eta} left)") {
        bar.set_style(style);
    }
    bar
}

struct Bar(ProgressBar);

impl import::Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn advance(&self, done: usize) {
        self.0.set_position(done as u64);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn parse_date_order(text: &str) -> std::result::Result<crate::domain::dates::DateOrder, String> {
    crate::domain::dates::DateOrder::parse(text)
        .ok_or_else(|| format!("'{text}' is not an order: use dmy, mdy or ymd"))
}

/// The columns of `rosette people duplicates`.
const DUPLICATE_COLUMNS: &[&str] = &[
    "membership_number",
    "first_name",
    "last_name",
    "other_membership_number",
    "other_first_name",
    "other_last_name",
    "why",
];

async fn import_members(database: &Database, rules: &Rules, args: ImportMembers) -> Result<()> {
    let value_maps = args
        .value_maps
        .iter()
        .map(|m| import::parse_value_map(m).map_err(|e| anyhow::anyhow!("--map-value {e}")))
        .collect::<Result<Vec<_>>>()?;
    let maps = args
        .maps
        .iter()
        .map(|m| import::parse_map(m).map_err(|e| anyhow::anyhow!("--map {e}")))
        .collect::<Result<Vec<_>>>()?;
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {file}"))?;
    let db = database.open().await?;
    let options = Options {
        local_party: args.unit,
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        maps,
        value_maps,
        date_order: args.date_order,
        today: today(),
        actor: actor(),
    };
    let bar = Bar(progress_bar(0));
    let summary = import::import_members(&db, rules, &file, &bytes, &options, &bar).await?;
    bar.0.finish_and_clear();
    if !summary.ignored_columns.is_empty() {
        eprintln!(
            "columns not imported: {}",
            summary.ignored_columns.join(", ")
        );
    }
    for p in &summary.skipped {
        eprintln!("skipped {p}");
    }
    for d in &summary.duplicates {
        eprintln!("possible duplicate, added and not merged: {d}");
    }
    writeln!(std::io::stdout(), "{summary}")?;
    Ok(())
}

/// `ROSETTE_PUBLIC_URL`, the address people reach the server at, if it is set.
fn configured_public_url() -> Option<String> {
    std::env::var("ROSETTE_PUBLIC_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
}

/// The address people reach the server at: `ROSETTE_PUBLIC_URL`, or the listening address.
/// A date given on the command line, read as a date field is (YYYY-MM-DD or DD/MM/YYYY),
/// a mistake named by its flag.
fn date_flag(flag: &str, text: Option<String>) -> Result<Option<NaiveDate>> {
    text.map(|t| crate::domain::dates::parse_date(&t).map_err(|e| anyhow::anyhow!("{flag}: {e}")))
        .transpose()
}

fn public_url(listen: SocketAddr) -> String {
    configured_public_url().unwrap_or_else(|| format!("http://{listen}"))
}

/// The audit journal's folder when none is given: beside a SQLite file; for a database
/// elsewhere, in the working folder under a name made from the database's address (its
/// host and name, never its password), so two databases never share one.
fn journal_beside(url: &str) -> PathBuf {
    let file = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.contains(":memory:"));
    if let Some(path) = file {
        return PathBuf::from(format!("{path}-audit"));
    }
    if url.starts_with("sqlite:") {
        // A database in memory ends with the process, and its journal may as well.
        return std::env::temp_dir().join(format!("rosette-audit-{}", uuid::Uuid::new_v4()));
    }
    let address = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('?')
        .next()
        .unwrap_or_default();
    let without_user = address.rsplit_once('@').map_or(address, |(_, host)| host);
    let name: String = without_user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from(format!("rosette-audit-{name}"))
}

async fn serve(db: Db, rules: Rules, listen: SocketAddr, journal: &Path) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let mailer = Mailer::from_env()?;
    let rules = Arc::new(rules);
    tokio::spawn(
        jobs::Worker {
            db: db.clone(),
            rules: rules.clone(),
            mailer: mailer.clone(),
            bounces: crate::bounces::Mailbox::from_env()?,
            public_url: public_url(addr),
            today,
            name: jobs::worker_name(),
        }
        .run(),
    );
    let closing = db.clone();
    let audit = crate::app::audit::Appender::start(db.clone(), journal)?;
    let app = web::router(web::AppState {
        audit: audit.clone(),
        db,
        rules,
        today,
        config: Arc::new(web::WebConfig {
            public_url: public_url(addr),
            mailer,
        }),
    });
    let stop = stopped();
    writeln!(std::io::stdout(), "Rosette is serving http://{addr}/")?;
    writeln!(std::io::stdout(), "Health check: http://{addr}/healthz")?;
    std::io::stdout().flush()?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await?;
    audit.flush().await?;
    // Closing the pools lets SQLite fold its write-ahead log back into the file.
    closing.close().await;
    Ok(())
}

/// Resolves on Ctrl-C at a terminal or SIGTERM from a service manager (systemd, Docker),
/// so that either lets the requests under way finish and the database close cleanly.
/// The signals are caught from the call on, not from the first poll: call it before saying
/// the process is up, or a stop sent as soon as it says so ends it with nothing closed.
/// From the call on they no longer end the process by themselves, so await what it returns.
fn stopped() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let caught = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        async move {
            match caught {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::journal_beside;
    use std::path::PathBuf;

    #[test]
    fn the_audit_journal_sits_beside_its_database_and_never_names_a_password() {
        assert_eq!(
            journal_beside("sqlite://rosette.db"),
            PathBuf::from("rosette.db-audit")
        );
        assert_eq!(
            journal_beside("sqlite:///srv/party/rosette.db?mode=rwc"),
            PathBuf::from("/srv/party/rosette.db-audit")
        );
        assert_eq!(
            journal_beside("postgres://rosette:s3cret@db.example.org:5432/party?sslmode=require"),
            PathBuf::from("rosette-audit-db.example.org_5432_party")
        );
        assert_ne!(
            journal_beside("postgres://db.example.org/one"),
            journal_beside("postgres://db.example.org/two")
        );
        // Each database in memory gets a folder of its own.
        let memory = journal_beside("sqlite::memory:");
        assert!(memory.starts_with(std::env::temp_dir()));
        assert_ne!(memory, journal_beside("sqlite::memory:"));
    }
}
