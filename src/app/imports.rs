//! A member file imported from the web: uploaded, its headers matched to fields (a match
//! changed, values mapped, the date order said), checked in a dry run that lists every
//! problem by row and column, then imported. A run is `rosette import members` itself,
//! all or nothing, in the background with its progress shown.

use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use super::{AppError, Principal, Result};
use crate::domain::Rules;
use crate::domain::dates::DateOrder;
use crate::domain::filter::FieldProblem;
use crate::import::{self, Field, ImportError, Options, Problem};
use crate::store::imports::{self, Upload};
use crate::store::{Db, Mode, Tx, units};

/// The largest file the page takes: a national register is about 100 MB.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// How far a run has got.
#[derive(Debug, Default)]
pub struct Counter {
    dry_run: bool,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl import::Progress for Counter {
    fn start(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, done: usize) {
        self.done.store(done, Ordering::Relaxed);
    }
    fn finish(&self) {
        self.done
            .store(self.total.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// Runs under way in this process, by upload id. A run that dies with its process leaves
/// its transaction unfinished, so nothing of it is stored; the page then offers it again.
static RUNNING: LazyLock<Mutex<HashMap<String, Arc<Counter>>>> = LazyLock::new(Default::default);

fn running(id: &str) -> Option<Arc<Counter>> {
    RUNNING.lock().ok().and_then(|r| r.get(id).cloned())
}

/// Keeps an uploaded file for the local party `who` imports into; returns its id.
pub async fn upload(
    tx: &mut Tx,
    who: &Principal,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<String> {
    let Some(&party) = who.scope.imports.first() else {
        return Err(AppError::Forbidden);
    };
    if bytes.is_empty() {
        return Err(AppError::field("file", "choose a CSV file to upload"));
    }
    let name = match file_name.trim() {
        "" => "upload.csv",
        n => n,
    };
    crate::domain::fields::check_text(name, false).map_err(|e| AppError::field("file", e))?;
    Ok(imports::create(tx, party, who.user.id, name, bytes).await?)
}

/// What the choices for reading a file are, as the page shows and edits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    pub maps: Vec<(String, String)>,
    pub value_maps: Vec<(String, String, String)>,
    pub date_order: Option<DateOrder>,
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

impl Choices {
    fn of(u: &Upload) -> Choices {
        Choices {
            maps: lines(&u.maps)
                .filter_map(|l| import::parse_map(l).ok())
                .collect(),
            value_maps: lines(&u.value_maps)
                .filter_map(|l| import::parse_value_map(l).ok())
                .collect(),
            date_order: u.date_order.as_deref().and_then(DateOrder::parse),
        }
    }
}

/// An upload as its page shows it.
pub struct Shown {
    pub upload: Upload,
    /// Each header and the field it is read as.
    pub headers: Vec<(String, Option<Field>)>,
    /// Why the header row cannot be read as it stands, or the file at all.
    pub header_problems: Vec<String>,
    pub choices: Choices,
    /// The last run's problems, by row and column.
    pub problems: Vec<Problem>,
    /// While a run is under way: whether it is a check, and (done, total).
    pub progress: Option<(bool, usize, usize)>,
}

async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Upload> {
    imports::get(tx, &who.scope.imports, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// An upload of `who`'s local party, with its headers read through its choices.
pub async fn show(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Shown> {
    // Asked before the row is read: a run ends by storing its outcome and only then
    // leaving `RUNNING`, so a run not found here has its outcome in the row read below.
    let counter = running(id);
    let upload = find(tx, who, id).await?;
    let choices = Choices::of(&upload);
    // While a run is under way the page shows only its progress, and refreshes every two
    // seconds: the file (up to a national register) is not read again for it.
    let (headers, header_problems) = if counter.is_some() {
        (Vec::new(), Vec::new())
    } else {
        let bytes = imports::bytes(tx, upload.id).await?;
        import::preview(&bytes, &choices.maps).unwrap_or_else(|why| (Vec::new(), vec![why]))
    };
    let problems = upload
        .problems
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    Ok(Shown {
        progress: counter.map(|c| {
            (
                c.dry_run,
                c.done.load(Ordering::Relaxed),
                c.total.load(Ordering::Relaxed),
            )
        }),
        upload,
        headers,
        header_problems,
        choices,
        problems,
    })
}

/// The latest uploads of `who`'s local parties.
pub async fn recent(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<Upload>> {
    if who.scope.imports.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(imports::recent(tx, &who.scope.imports, 20).await?)
}

/// Keeps how the file is to be read: a field for each header (`-`: left out; blank: the
/// import's own match), value maps as lines of `field:Value=code`, and the date order (blank: found
/// from the file). Each is checked before anything is kept.
pub async fn choose(
    tx: &mut Tx,
    who: &Principal,
    id: &str,
    fields: &[(String, String)],
    value_maps: &str,
    date_order: &str,
) -> Result<()> {
    let upload = find(tx, who, id).await?;
    if running(&upload.public_id).is_some() {
        return Err(AppError::field(
            "file",
            "a run of this file is under way; wait for it to finish",
        ));
    }
    let mut problems = Vec::new();
    let mut maps = Vec::new();
    for (header, field) in fields {
        match field.trim() {
            "" => {}
            name if name == import::LEAVE_OUT || Field::from_name(name).is_some() => {
                maps.push(format!("{header}={name}"))
            }
            name => problems.push(FieldProblem {
                field: "fields".into(),
                message: format!(
                    "'{name}' is not a field; the fields are {}",
                    Field::all_names()
                ),
            }),
        }
    }
    for line in lines(value_maps) {
        match import::parse_value_map(line) {
            Ok((field, _, _)) if Field::from_name(&field).is_none() => {
                problems.push(FieldProblem {
                    field: "value_maps".into(),
                    message: format!(
                        "'{field}' is not a field; the fields are {}",
                        Field::all_names()
                    ),
                })
            }
            Ok(_) => {}
            Err(e) => problems.push(FieldProblem {
                field: "value_maps".into(),
                message: e,
            }),
        }
    }
    let order = match date_order.trim() {
        "" => None,
        o => match DateOrder::parse(o) {
            Some(order) => Some(order.as_str()),
            None => {
                problems.push(FieldProblem {
                    field: "date_order".into(),
                    message: "choose dmy, mdy or ymd, or leave it to the file".into(),
                });
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let value_maps: Vec<&str> = lines(value_maps).collect();
    imports::set_choices(
        tx,
        upload.id,
        &maps.join("\n"),
        &value_maps.join("\n"),
        order,
    )
    .await?;
    Ok(())
}

/// Starts a check (`dry_run`) or an import of an upload in the background. An import
/// needs a check that found no problems since the choices last changed; either is
/// refused while a run is under way.
pub async fn start(
    db: &Db,
    rules: Arc<Rules>,
    who: &Principal,
    id: &str,
    dry_run: bool,
    today: NaiveDate,
) -> Result<()> {
    let mut tx = db.begin_read().await?;
    let upload = find(&mut tx, who, id).await?;
    let party = units::named(&mut tx, &[upload.local_party_id])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if !dry_run && upload.state != "checked" {
        return Err(AppError::field(
            "file",
            "check the file first: an import runs once a check has found no problems",
        ));
    }
    let counter = Arc::new(Counter {
        dry_run,
        ..Counter::default()
    });
    {
        let mut r = RUNNING.lock().map_err(|_| {
            AppError::field("file", "the server could not start the run; try again")
        })?;
        if r.contains_key(&upload.public_id) {
            return Err(AppError::field(
                "file",
                "a run of this file is under way already",
            ));
        }
        r.insert(upload.public_id.clone(), counter.clone());
    }
    let choices = Choices::of(&upload);
    let options = Options {
        local_party: party.slug,
        dry_run,
        skip_invalid: false,
        maps: choices.maps,
        value_maps: choices.value_maps,
        date_order: choices.date_order,
        today,
        actor: who.actor().to_string(),
    };
    let db = db.clone();
    tokio::spawn(async move {
        let outcome = run(&db, &rules, &upload, &options, &counter).await;
        if let Err(e) = outcome {
            tracing::error!(error = %e, upload = %upload.public_id, "an import from the web failed");
        }
        if let Ok(mut r) = RUNNING.lock() {
            r.remove(&upload.public_id);
        }
    });
    Ok(())
}

async fn run(
    db: &Db,
    rules: &Rules,
    upload: &Upload,
    options: &Options,
    counter: &Counter,
) -> Result<()> {
    let mut tx = db.begin_read().await?;
    let bytes = imports::bytes(&mut tx, upload.id).await?;
    tx.commit().await?;
    let result =
        import::import_members(db, rules, &upload.file_name, &bytes, options, counter).await;
    let (state, said, problems) = match result {
        Ok(summary) => {
            let mut said = summary.to_string();
            if !summary.ignored_columns.is_empty() {
                said.push_str(&format!(
                    "\ncolumns not imported: {}",
                    summary.ignored_columns.join(", ")
                ));
            }
            for d in &summary.duplicates {
                said.push_str(&format!("\npossible duplicate, not merged: {d}"));
            }
            let state = if options.dry_run {
                "checked"
            } else {
                "imported"
            };
            (state, said, summary.skipped)
        }
        Err(ImportError::Invalid {
            problems, ignored, ..
        }) => {
            let (n, rows) = (problems.len(), import::rows_of(&problems));
            let plural = |k: usize| if k == 1 { "" } else { "s" };
            let mut said = if options.dry_run {
                format!(
                    "The check found {n} problem{} in {rows} row{}: nothing can be imported until they are fixed.",
                    plural(n),
                    plural(rows)
                )
            } else {
                format!(
                    "Nothing was imported: {n} problem{} in {rows} row{}.",
                    plural(n),
                    plural(rows)
                )
            };
            if !ignored.is_empty() {
                said.push_str(&format!("\ncolumns not imported: {}", ignored.join(", ")));
            }
            ("failed", said, problems)
        }
        Err(ImportError::Unreadable { message, .. }) => ("failed", message, Vec::new()),
        Err(ImportError::Store(e)) => {
            tracing::error!(error = %e, "an import from the web could not be stored");
            (
                "failed",
                "The database refused the import, so nothing was imported; it has been logged."
                    .to_string(),
                Vec::new(),
            )
        }
    };
    let problems = serde_json::to_string(&problems).unwrap_or_else(|_| "[]".into());
    let mut tx = db.begin().await?;
    imports::set_outcome(&mut tx, upload.id, state, &said, &problems).await?;
    tx.commit().await?;
    Ok(())
}
