//! `rosette import members`: a member file checked in full before anything is written,
//! then written in one transaction. Strict by default: one bad row and nothing changes.

mod columns;
mod read;

use chrono::{NaiveDate, Utc};
use std::collections::HashMap;
use std::fmt;

use crate::domain::cells::restore;
use crate::domain::dates::{DateOrder, parse_date_as, year_last_parts};
use crate::domain::duplicates::{self, Someone};
use crate::domain::fields::{
    address_lines, check_text, normalise_email, normalise_phone, normalise_postcode, parse_consent,
    parse_tags, slugify,
};
use crate::domain::record::{Consents, MembershipDetails, PersonDetails, membership_changes};
use crate::domain::values::ward_key;
use crate::domain::{Event, EventKind, Gender, Kind, LeftReason, Rules, Status};
use crate::store::members::{self, ConsentSource, NewMember, StoredMember};
use crate::store::{Db, StoreError, audit, units};
pub use columns::{Field, LEAVE_OUT};

/// Each header of a file with the field it is read as (`None`: not imported).
pub type Headers = Vec<(String, Option<Field>)>;

/// A file's header row as the import would read it, and any problem with the header
/// row. An unreadable file says why.
pub fn preview(bytes: &[u8], maps: &[(String, String)]) -> Result<(Headers, Vec<String>), String> {
    let table = read_table(bytes)?;
    let (fields, problems) = columns::preview(&table.headers, maps);
    Ok((table.headers.into_iter().zip(fields).collect(), problems))
}
use columns::{ColumnMap, map_headers};
use read::{MAX_FIELD_CHARS, read_table};

/// Reads a header map as `--map` takes it: `Header=field`.
pub fn parse_map(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((header, field)) if !header.trim().is_empty() && !field.trim().is_empty() => {
            Ok((header.trim().to_string(), field.trim().to_string()))
        }
        _ => Err(format!(
            "'{text}' should be HEADER=FIELD, e.g. \"Member Ref=membership_number\""
        )),
    }
}

/// Reads a value map as `--map-value` takes it: `field:Value=code`.
pub fn parse_value_map(text: &str) -> Result<(String, String, String), String> {
    let parsed = text
        .split_once(':')
        .and_then(|(field, rest)| rest.split_once('=').map(|(v, c)| (field, v, c)));
    match parsed {
        Some((field, value, code)) if !field.trim().is_empty() && !value.trim().is_empty() => Ok((
            field.trim().to_string(),
            value.trim().to_string(),
            code.trim().to_string(),
        )),
        _ => Err(format!(
            "'{text}' should be FIELD:VALUE=CODE, e.g. \"rate:General=standard\""
        )),
    }
}

/// One thing wrong with the file, where a spreadsheet user will find it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, {}: {}", self.row, self.column, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    #[error("{file}: nothing was imported, because of {} problem{} in {} row{}:\n{}{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, rows_of(problems), if rows_of(problems) == 1 { "" } else { "s" }, list(problems), not_imported(ignored))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
        /// Columns no field reads, listed even when nothing is imported.
        ignored: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many rows the problems are in: a row with several problems is one row.
pub fn rows_of(problems: &[Problem]) -> usize {
    let mut rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len()
}

fn not_imported(ignored: &[String]) -> String {
    if ignored.is_empty() {
        String::new()
    } else {
        format!("\ncolumns not imported: {}", ignored.join(", "))
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The local party's slug.
    pub local_party: String,
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// `--map` pairs: header text, canonical field name.
    pub maps: Vec<(String, String)>,
    /// `--map-value` triples: field name, the file's value, what Rosette reads it as.
    /// They add to (and win over) the rules file's `[import.values]`.
    pub value_maps: Vec<(String, String, String)>,
    /// `--date-order`: how dates written with slashes are read; found from the file when
    /// `None`, and never guessed when the file does not say.
    pub date_order: Option<DateOrder>,
    /// The date changes are learnt on (renewals are dated by it).
    pub today: NaiveDate,
    /// Who is importing, for the audit log.
    pub actor: String,
}

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub rows: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub renewed: usize,
    pub rejoined: usize,
    pub left: usize,
    pub skipped: Vec<Problem>,
    pub ignored_columns: Vec<String>,
    /// New rows that look like someone already stored or another new row, in words:
    /// reported, never merged.
    pub duplicates: Vec<String>,
    pub dry_run: bool,
}

impl Summary {
    /// How many rows were skipped: a row with several problems is one row.
    pub fn skipped_rows(&self) -> usize {
        rows_of(&self.skipped)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} row{}: {} added, {} updated ({} renewed, {} rejoined, {} left), {} unchanged, {} skipped as invalid",
            if self.dry_run {
                "dry run, nothing written: "
            } else {
                ""
            },
            self.rows,
            if self.rows == 1 { "" } else { "s" },
            self.added,
            self.updated,
            self.renewed,
            self.rejoined,
            self.left,
            self.unchanged,
            self.skipped_rows()
        )
    }
}

/// Told how far the import has got, for a progress bar.
pub trait Progress: Sync {
    fn start(&self, total: usize);
    fn advance(&self, done: usize);
    fn finish(&self);
}

/// For callers that show no progress.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: usize) {}
    fn advance(&self, _: usize) {}
    fn finish(&self) {}
}

/// A file read and every row checked, before the stored register is looked at.
pub struct CheckedFile {
    /// Data rows in the file.
    pub rows: usize,
    map: ColumnMap,
    candidates: Vec<Candidate>,
    /// Every problem found, against its row and column.
    pub problems: Vec<Problem>,
}

impl CheckedFile {
    /// Rows that passed every check.
    pub fn valid_rows(&self) -> usize {
        self.candidates.len()
    }
}

/// Reads `bytes` and checks every row against `ctx`, without touching the database. Any
/// bytes give an answer: an unreadable file is an error, a bad row a problem.
pub fn check_file(
    file: &str,
    bytes: &[u8],
    maps: &[(String, String)],
    ctx: &Context,
) -> Result<CheckedFile, ImportError> {
    let unreadable = |message: String| ImportError::Unreadable {
        file: file.to_string(),
        message,
    };
    let table = read_table(bytes).map_err(unreadable)?;
    let map =
        map_headers(&table.headers, maps).map_err(|problems| unreadable(problems.join("\n")))?;
    let mut problems = Vec::new();
    let mut candidates = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let slots = map.slots();
    let order = match ctx.date_order {
        Some(order) => order,
        None => date_order_of(&table.rows, &slots, &map).map_err(unreadable)?,
    };
    let checked = check_rows(ctx, order, &slots, &table.rows, table.headers.len());
    for ((row, cells), checked) in table.rows.iter().zip(checked) {
        // Repeats are found on the raw number, so a repeat of an invalid row is reported too.
        let number = slots[Field::MembershipNumber as usize]
            .and_then(|i| cells.get(i))
            .map_or("", |n| n.trim());
        let repeat = match first_row_of.get(number) {
            Some(first) => {
                problems.push(Problem {
                    row: *row,
                    column: Field::MembershipNumber.name().into(),
                    message: format!("{number} is also on row {first}"),
                });
                true
            }
            None => {
                if !number.is_empty() {
                    first_row_of.insert(number.to_string(), *row);
                }
                false
            }
        };
        match checked {
            Ok(c) if !repeat => candidates.push(c),
            Ok(_) => {}
            Err(mut p) => problems.append(&mut p),
        }
    }
    Ok(CheckedFile {
        rows: table.rows.len(),
        map,
        candidates,
        problems,
    })
}

/// The fields whose cells are dates.
const DATE_FIELDS: [Field; 4] = [
    Field::JoinedOn,
    Field::PaidUntil,
    Field::LeftOn,
    Field::DateOfBirth,
];

/// The order the file's slashed dates are in, from the file alone: a first number above
/// 12 shows day first, a second above 12 month first. A file with only small numbers, or
/// one that shows month first without being told, is refused with the way to say which.
fn date_order_of(
    rows: &[(usize, csv::StringRecord)],
    slots: &[Option<usize>; Field::COUNT],
    map: &ColumnMap,
) -> Result<DateOrder, String> {
    let mut example: Option<(usize, Field, &str)> = None;
    let mut day_first = false;
    let mut month_first: Option<(usize, Field, &str)> = None;
    for (row, cells) in rows {
        for field in DATE_FIELDS {
            let Some(cell) = slots[field as usize].and_then(|i| cells.get(i)) else {
                continue;
            };
            let Some((a, b)) = year_last_parts(cell) else {
                continue;
            };
            example.get_or_insert((*row, field, cell));
            day_first |= a > 12;
            if b > 12 && a <= 12 {
                month_first.get_or_insert((*row, field, cell));
            }
        }
        if day_first {
            // Rows written month first in a day-first file are each reported as they are
            // checked.
            return Ok(DateOrder::Dmy);
        }
    }
    let at = |(row, field, cell): (usize, Field, &str)| {
        format!(
            "row {row}, {}: '{}'",
            map.heading(field.name()),
            cell.trim()
        )
    };
    match (month_first, example) {
        (Some(seen), _) => Err(format!(
            "the dates are written month first ({}); import with --date-order mdy to read them so",
            at(seen)
        )),
        (None, Some(seen)) => Err(format!(
            "every date written with slashes could be day/month or month/day ({}); say which with --date-order dmy or --date-order mdy",
            at(seen)
        )),
        (None, None) => Ok(DateOrder::Dmy),
    }
}

/// `[import.values]` from the rules file and then `--map-value` (field, value, code), as
/// one lookup: (field, folded value) to what it is read as.
pub fn value_maps(
    rules: &Rules,
    extra: &[(String, String, String)],
) -> Result<HashMap<(Field, String), String>, String> {
    let mut out = HashMap::new();
    let from_rules = rules.import.values.iter().flat_map(|(field, pairs)| {
        pairs.iter().map(move |(value, code)| {
            (
                field.as_str(),
                value.as_str(),
                code.as_str(),
                "the rules file's [import.values]",
            )
        })
    });
    let from_cli = extra
        .iter()
        .map(|(f, v, c)| (f.as_str(), v.as_str(), c.as_str(), "--map-value"));
    for (field, value, code, source) in from_rules.chain(from_cli) {
        let f = Field::from_name(field).ok_or_else(|| {
            format!(
                "{source} names '{field}', which is not a field; the fields are {}",
                Field::all_names()
            )
        })?;
        out.insert((f, value.trim().to_lowercase()), code.trim().to_string());
    }
    Ok(out)
}

/// Everything a row is checked against.
pub struct Context<'a> {
    rules: &'a Rules,
    /// Branch slug by folded slug and by folded name.
    branches: HashMap<String, String>,
    /// Branch slug by ward key.
    wards: HashMap<String, String>,
    today: NaiveDate,
    /// What a file's values are read as, by (field, lower-case value).
    values: HashMap<(Field, String), String>,
    /// How slashed dates are read; `None` to find it from the file.
    date_order: Option<DateOrder>,
}

impl<'a> Context<'a> {
    /// `branches` are (slug, name) pairs; `wards` (ward key, branch slug) pairs.
    pub fn new<'b>(
        rules: &'a Rules,
        branches: impl IntoIterator<Item = (&'b str, &'b str)>,
        wards: impl IntoIterator<Item = (String, String)>,
        today: NaiveDate,
    ) -> Context<'a> {
        let mut by_name = HashMap::new();
        for (slug, name) in branches {
            by_name.insert(slugify(slug), slug.to_string());
            by_name.insert(slugify(name), slug.to_string());
        }
        Context {
            rules,
            branches: by_name,
            wards: wards.into_iter().collect(),
            today,
            values: HashMap::new(),
            date_order: None,
        }
    }

    /// Reads a file's values through these maps (from `value_maps`).
    pub fn with_values(mut self, values: HashMap<(Field, String), String>) -> Self {
        self.values = values;
        self
    }

    /// Reads slashed dates in this order instead of finding it from the file.
    pub fn with_date_order(mut self, order: Option<DateOrder>) -> Self {
        self.date_order = order;
        self
    }
}

/// A checked row.
struct Candidate {
    row: usize,
    person: PersonDetails,
    membership: MembershipDetails,
}

/// Imports the member file at `file` (its bytes in `bytes`) into a local party.
pub async fn import_members(
    db: &Db,
    rules: &Rules,
    file: &str,
    bytes: &[u8],
    options: &Options,
    progress: &dyn Progress,
) -> Result<Summary, ImportError> {
    let started = std::time::Instant::now();
    let unreadable = |message: String| ImportError::Unreadable {
        file: file.to_string(),
        message,
    };
    // Checking a large file takes seconds; it reads the units on the read pool, so
    // SQLite's one writer is taken only for the plan and the writes.
    let mut read = db.begin_read().await?;
    let party = units::get(&mut read, &options.local_party).await?;
    if party.kind != crate::domain::UnitKind::LocalParty.as_str() {
        return Err(unreadable(format!(
            "'{}' is a {}, not a local party",
            party.slug, party.kind
        )));
    }
    // A person's branch is a geographic one; forum branches are joined alongside it.
    let branch_units: Vec<units::Unit> = units::branches(&mut read, party.id)
        .await?
        .into_iter()
        .filter(|b| !b.is_forum())
        .collect();
    let wards = units::wards(&mut read, party.id).await?;
    read.commit().await?;
    let values = value_maps(rules, &options.value_maps).map_err(unreadable)?;
    let ctx = Context::new(
        rules,
        branch_units
            .iter()
            .map(|b| (b.slug.as_str(), b.name.as_str())),
        wards,
        options.today,
    )
    .with_values(values)
    .with_date_order(options.date_order);
    let CheckedFile {
        rows,
        map,
        candidates,
        mut problems,
    } = check_file(file, bytes, &options.maps, &ctx)?;
    let mut tx = db.begin().await?;
    let slots = map.slots();

    tracing::debug!(elapsed = ?started.elapsed(), "checked");
    let stored: HashMap<String, StoredMember> = members::all(&mut tx, party.id)
        .await?
        .into_iter()
        .map(|m| (m.membership.number.clone(), m))
        .collect();
    let mut summary = Summary {
        rows,
        ignored_columns: map.ignored.clone(),
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let mut inserts = Vec::new();
    let mut insert_rows = Vec::new();
    let mut updates = Vec::new();
    for c in candidates {
        let Some(old) = stored.get(&c.membership.number) else {
            if c.person.kind == Kind::Member && c.membership.rate.is_empty() {
                problems.push(Problem {
                    row: c.row,
                    column: Field::Rate.name().into(),
                    message: "a new member needs a rate, and the file has no rate column".into(),
                });
                continue;
            }
            let events = c.membership.opening_events();
            insert_rows.push(c.row);
            inserts.push(NewMember {
                person: c.person,
                membership: c.membership,
                events,
                payments: Vec::new(),
            });
            continue;
        };
        let has = |f: Field| slots[f as usize].is_some();
        let person = overlay_person(&old.person, &c.person, has);
        let membership = overlay_membership(&old.membership, &c.membership, has);
        match membership_changes(&rules.status, &old.membership, &membership, options.today) {
            Err(conflict) => problems.push(Problem {
                row: c.row,
                column: conflict.field.into(),
                message: conflict.message,
            }),
            Ok(events)
                if events.is_empty() && person == old.person && membership == old.membership =>
            {
                summary.unchanged += 1
            }
            Ok(events) => {
                summary.renewed += events
                    .iter()
                    .filter(|e| e.kind == EventKind::Renewed)
                    .count();
                summary.rejoined += events
                    .iter()
                    .filter(|e| e.kind == EventKind::Rejoined)
                    .count();
                summary.left += events
                    .iter()
                    .filter(|e| {
                        matches!(
                            e.kind,
                            EventKind::Resigned | EventKind::Died | EventKind::Expelled
                        )
                    })
                    .count();
                updates.push((old, person, membership, events));
            }
        }
    }
    problems.sort_by_key(|p| p.row);
    for p in &mut problems {
        p.column = map.heading(&p.column);
    }
    if !problems.is_empty() && !options.skip_invalid {
        return Err(ImportError::Invalid {
            file: file.to_string(),
            problems,
            ignored: map.ignored.clone(),
        });
    }
    summary.skipped = problems;
    summary.added = inserts.len();
    summary.duplicates = likely_duplicates(&stored, &inserts, &insert_rows);
    summary.updated = updates.len();
    if options.dry_run {
        return Ok(summary);
    }

    let source = ConsentSource {
        source: format!("import of {file}"),
        at: Utc::now(),
    };
    let branch_ids: HashMap<String, i64> = branch_units
        .iter()
        .map(|b| (b.slug.clone(), b.id))
        .collect();
    tracing::debug!(elapsed = ?started.elapsed(), inserts = inserts.len(), updates = updates.len(), "planned");
    progress.start(inserts.len() + updates.len());
    members::insert(&mut tx, party.id, &branch_ids, &inserts, &source, &|done| {
        progress.advance(done)
    })
    .await?;
    tracing::debug!(elapsed = ?started.elapsed(), "inserted");
    let mut history: Vec<(i64, &Event)> = Vec::new();
    for (i, (old, person, membership, events)) in updates.iter().enumerate() {
        if *person != old.person {
            members::update_person(&mut tx, old.person_id, &old.person, person, &source).await?;
        }
        if *membership != old.membership {
            members::update_membership(&mut tx, old.membership_id, &branch_ids, membership).await?;
        }
        history.extend(events.iter().map(|e| (old.membership_id, e)));
        progress.advance(inserts.len() + i + 1);
    }
    members::add_events(&mut tx, &history).await?;
    // People the file added or changed may now belong to a forum branch by its rule.
    crate::store::forums::follow_rules(&mut tx, rules, party.id, None, options.today).await?;
    audit::record(
        &mut tx,
        audit::Note {
            actor: &options.actor,
            local_party_id: Some(party.id),
            action: "import",
            subject: &format!("members of {}", party.slug),
            detail: &format!("{file}: {summary}"),
            people: &[],
        },
    )
    .await?;
    tx.commit().await?;
    tracing::debug!(elapsed = ?started.elapsed(), "committed");
    db.analyze().await?;
    progress.finish();
    Ok(summary)
}

fn someone(p: &PersonDetails) -> Someone<'_> {
    Someone {
        first_name: &p.first_name,
        last_name: &p.last_name,
        email: p.email.as_deref(),
        mobile: p.mobile.as_deref(),
        phone: p.phone.as_deref(),
        postcode: p.postcode.as_deref(),
    }
}

/// The new rows that look like a stored person or another new row, each in words.
fn likely_duplicates(
    stored: &HashMap<String, StoredMember>,
    inserts: &[NewMember],
    rows: &[usize],
) -> Vec<String> {
    if inserts.is_empty() {
        return Vec::new();
    }
    let old: Vec<&StoredMember> = stored.values().collect();
    let people: Vec<Someone> = old
        .iter()
        .map(|m| someone(&m.person))
        .chain(inserts.iter().map(|m| someone(&m.person)))
        .collect();
    let said = |i: usize| match i.checked_sub(old.len()) {
        Some(n) => format!(
            "row {} ({} {}, {})",
            rows[n],
            inserts[n].person.first_name,
            inserts[n].person.last_name,
            inserts[n].membership.number
        ),
        None => format!(
            "{} {} ({}), already stored",
            old[i].person.first_name, old[i].person.last_name, old[i].membership.number
        ),
    };
    let mut out: Vec<(usize, String)> = duplicates::pairs(&people)
        .into_iter()
        .filter(|p| p.b >= old.len())
        .map(|p| {
            // Stored people come first, so `b` is always the newer of the two.
            (
                rows[p.b - old.len()],
                format!(
                    "{} looks like {}: {}",
                    said(p.b),
                    said(p.a),
                    duplicates::in_words(&p.why)
                ),
            )
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, s)| s).collect()
}

fn pick<T: Clone>(has: bool, new: &T, old: &T) -> T {
    if has { new.clone() } else { old.clone() }
}

fn overlay_person(
    old: &PersonDetails,
    new: &PersonDetails,
    has: impl Fn(Field) -> bool,
) -> PersonDetails {
    PersonDetails {
        kind: pick(has(Field::Kind), &new.kind, &old.kind),
        first_name: new.first_name.clone(),
        last_name: new.last_name.clone(),
        email: pick(has(Field::Email), &new.email, &old.email),
        mobile: pick(has(Field::Mobile), &new.mobile, &old.mobile),
        phone: pick(has(Field::Phone), &new.phone, &old.phone),
        address_line1: pick(
            has(Field::AddressLine1),
            &new.address_line1,
            &old.address_line1,
        ),
        // A file without a second address column can still fill it, from a multi-line first.
        address_line2: pick(
            has(Field::AddressLine2) || new.address_line2.is_some(),
            &new.address_line2,
            &old.address_line2,
        ),
        town: pick(has(Field::Town), &new.town, &old.town),
        postcode: pick(has(Field::Postcode), &new.postcode, &old.postcode),
        ward: pick(has(Field::Ward), &new.ward, &old.ward),
        date_of_birth: pick(
            has(Field::DateOfBirth),
            &new.date_of_birth,
            &old.date_of_birth,
        ),
        gender: pick(has(Field::Gender), &new.gender, &old.gender),
        affiliate: pick(has(Field::Affiliate), &new.affiliate, &old.affiliate),
        consents: Consents {
            email: pick(
                has(Field::EmailConsent),
                &new.consents.email,
                &old.consents.email,
            ),
            phone: pick(
                has(Field::PhoneConsent),
                &new.consents.phone,
                &old.consents.phone,
            ),
            sms: pick(has(Field::SmsConsent), &new.consents.sms, &old.consents.sms),
            post: old.consents.post,
        },
        tags: pick(has(Field::Tags), &new.tags, &old.tags),
    }
}

fn overlay_membership(
    old: &MembershipDetails,
    new: &MembershipDetails,
    has: impl Fn(Field) -> bool,
) -> MembershipDetails {
    MembershipDetails {
        number: new.number.clone(),
        rate: pick(has(Field::Rate), &new.rate, &old.rate),
        // A branch column says the branch outright; a ward column only when its ward
        // leads to one (an empty or unmapped ward leaves the stored branch alone).
        branch: if has(Field::Branch) || new.branch.is_some() {
            new.branch.clone()
        } else {
            old.branch.clone()
        },

        joined_on: new.joined_on,
        paid_until: pick(has(Field::PaidUntil), &new.paid_until, &old.paid_until),
        left: pick(has(Field::LeftOn), &new.left, &old.left),
    }
}

/// One person as a form or the API describes them (text by field, absent fields blank),
/// checked by exactly the rules a file's row is: problems name the field.
pub fn check_person(
    ctx: &Context,
    values: &[(Field, &str)],
) -> Result<(PersonDetails, MembershipDetails), Vec<Problem>> {
    let slots: [Option<usize>; Field::COUNT] = std::array::from_fn(Some);
    let mut cells = [""; Field::COUNT];
    for (field, value) in values {
        cells[*field as usize] = value;
    }
    let record = csv::StringRecord::from(cells.to_vec());
    let order = ctx.date_order.unwrap_or_default();
    check_row(ctx, order, &slots, 0, &record, Field::COUNT).map(|c| (c.person, c.membership))
}

/// The ending a status records, if any. Statuses Rosette works out from the dates (and
/// the words other systems use for them) record none; any other word must be mapped.
fn ending_of(status: &str) -> Result<Option<LeftReason>, String> {
    if let Some(reason) = LeftReason::parse(status) {
        return Ok(Some(reason));
    }
    let folded = status.trim().to_lowercase().replace([' ', '-'], "_");
    if Status::parse(&folded).is_some()
        || ["active", "grace", "grace_period", "expired", "pending"].contains(&folded.as_str())
    {
        return Ok(None);
    }
    Err(format!(
        "'{}' is not a status Rosette reads; say what it means with --map-value \"status:{}=resigned\" (or deceased, expelled; current or lapsed when it records no ending)",
        status.trim(),
        status.trim()
    ))
}

/// Checks every row, in file order. Rows are independent, so the work is shared among the
/// machine's cores: checking is a third of a national import on one core.
fn check_rows(
    ctx: &Context,
    order: DateOrder,
    slots: &[Option<usize>; Field::COUNT],
    rows: &[(usize, csv::StringRecord)],
    width: usize,
) -> Vec<Result<Candidate, Vec<Problem>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = rows
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(row, cells)| check_row(ctx, order, slots, *row, cells, width))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Checks one row against the rules and the local party's branches, returning every
/// problem in it at once.
fn check_row(
    ctx: &Context,
    order: DateOrder,
    slots: &[Option<usize>; Field::COUNT],
    row: usize,
    cells: &csv::StringRecord,
    width: usize,
) -> Result<Candidate, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |field: Field, message: String| {
        problems.push(Problem {
            row,
            column: field.name().into(),
            message,
        })
    };
    if cells.len() != width {
        return Err(vec![Problem {
            row,
            column: "row".into(),
            message: format!(
                "has {} cells but the header has {width}; check for a stray separator or quote",
                cells.len()
            ),
        }]);
    }
    // Each field's cell by `field as usize`; `None` where the file has no such column or
    // the cell was refused outright.
    let mut text: [Option<&str>; Field::COUNT] = [None; Field::COUNT];
    for field in Field::ALL {
        let Some(i) = slots[field as usize] else {
            continue;
        };
        // A file Rosette exported has its formula cells quoted; the quote is not the value.
        let cell = cells.get(i).map_or("", |c| restore(c.trim()).trim());
        // A UTF-8 string has no more characters than bytes, so most cells skip the count.
        if cell.len() > MAX_FIELD_CHARS && cell.chars().count() > MAX_FIELD_CHARS {
            problem(
                field,
                format!(
                    "{} characters is too long (at most {MAX_FIELD_CHARS})",
                    cell.chars().count()
                ),
            );
        } else if let Err(e) = check_text(
            cell,
            matches!(field, Field::AddressLine1 | Field::AddressLine2),
        ) {
            problem(field, e);
        } else {
            // Another system's word for a value ("General" for a rate) as the maps say.
            let mapped = (!ctx.values.is_empty())
                .then(|| ctx.values.get(&(field, cell.to_lowercase())))
                .flatten();
            text[field as usize] = Some(mapped.map_or(cell, String::as_str));
        }
    }
    let get = |f: Field| text[f as usize].unwrap_or("");
    let optional = |f: Field| Some(get(f).to_string()).filter(|s| !s.is_empty());
    let required = |f: Field, problem: &mut dyn FnMut(Field, String)| {
        let value = get(f);
        if value.is_empty() && text[f as usize].is_some() {
            problem(f, "is empty".into());
        }
        value.to_string()
    };

    let number = required(Field::MembershipNumber, &mut problem);
    if number.chars().count() > 32 {
        problem(
            Field::MembershipNumber,
            "is longer than 32 characters".into(),
        );
    }
    let first_name = required(Field::FirstName, &mut problem);
    let last_name = required(Field::LastName, &mut problem);

    let date = |f: Field, problem: &mut dyn FnMut(Field, String)| -> Option<NaiveDate> {
        let value = get(f);
        if value.is_empty() {
            return None;
        }
        match parse_date_as(value, order) {
            Ok(d) if d > ctx.today && f != Field::PaidUntil => {
                problem(f, format!("{d} is in the future"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                problem(f, e.to_string());
                None
            }
        }
    };
    required(Field::JoinedOn, &mut problem);
    let joined_on = date(Field::JoinedOn, &mut problem);
    let paid_until = date(Field::PaidUntil, &mut problem);
    let left_on = date(Field::LeftOn, &mut problem);
    let date_of_birth = date(Field::DateOfBirth, &mut problem);
    if let (Some(j), Some(p)) = (joined_on, paid_until)
        && p < j
    {
        problem(Field::PaidUntil, format!("{p} is before joined_on {j}"));
    }
    if let (Some(j), Some(l)) = (joined_on, left_on)
        && l < j
    {
        problem(Field::LeftOn, format!("{l} is before joined_on {j}"));
    }
    if let Some(b) = date_of_birth
        && crate::domain::dates::age_on(b, ctx.today).is_some_and(|age| age > 120)
    {
        problem(
            Field::DateOfBirth,
            format!("{b} would make this person over 120"),
        );
    }
    let left_reason = match get(Field::LeftReason) {
        "" => None,
        r => LeftReason::parse(r).or_else(|| {
            problem(
                Field::LeftReason,
                format!("'{r}' is not one of {}", LeftReason::expected()),
            );
            None
        }),
    };
    let status_ending = match get(Field::Status) {
        "" => None,
        s => ending_of(s).unwrap_or_else(|why| {
            problem(Field::Status, why);
            None
        }),
    };
    let left = match (
        left_reason,
        left_on,
        get(Field::LeftReason).is_empty(),
        get(Field::LeftOn).is_empty(),
    ) {
        (Some(r), Some(on), _, _) => Some((r, on)),
        (None, Some(on), true, _) if status_ending.is_some() => status_ending.map(|r| (r, on)),
        (None, None, true, true) if status_ending.is_some() => {
            // Another system's end state, dated by the end of the membership it ended.
            match (status_ending, paid_until) {
                (Some(r), Some(end)) => Some((r, end.min(ctx.today))),
                _ => {
                    problem(
                        Field::Status,
                        format!(
                            "'{}' ends the membership, so it needs the day they left: add a left_on column or the membership's end date",
                            get(Field::Status)
                        ),
                    );
                    None
                }
            }
        }
        (None, Some(_), true, _) => {
            problem(
                Field::LeftReason,
                "is empty but left_on is set; say resigned, deceased or expelled".into(),
            );
            None
        }
        (Some(_), None, _, true) => {
            problem(
                Field::LeftOn,
                "is empty but left_reason is set; give the date they left".into(),
            );
            None
        }
        _ => None,
    };

    let kind = match get(Field::Kind) {
        "" => Kind::Member,
        k => Kind::parse(k).unwrap_or_else(|| {
            problem(
                Field::Kind,
                format!("'{k}' is not one of {}", Kind::expected()),
            );
            Kind::Member
        }),
    };
    let affiliate = optional(Field::Affiliate);
    if kind == Kind::AffiliatedSupporter && affiliate.is_none() {
        problem(
            Field::Affiliate,
            "an affiliated supporter needs the organisation they are affiliated through".into(),
        );
    }
    let rate = match get(Field::Rate) {
        "" if kind == Kind::Member && text[Field::Rate as usize].is_some() => {
            problem(
                Field::Rate,
                format!(
                    "is empty; a member needs a rate ({})",
                    ctx.rules.rate_codes()
                ),
            );
            String::new()
        }
        "" => String::new(),
        r => match ctx.rules.rate_code(r) {
            Some(code) => code.to_string(),
            None => {
                problem(
                    Field::Rate,
                    format!("'{r}' is not a known rate ({})", ctx.rules.rate_codes()),
                );
                String::new()
            }
        },
    };
    if let (Some(born), Some(joined), Some(r)) = (
        date_of_birth,
        joined_on,
        ctx.rules.rate(&rate, joined_on.unwrap_or(ctx.today)),
    ) && let Err(why) = r.check_age(born, joined)
    {
        problem(Field::Rate, why);
    }

    let normalised = |f: Field,
                      normalise: fn(&str) -> Result<String, String>,
                      problem: &mut dyn FnMut(Field, String)| match get(f) {
        "" => None,
        v => normalise(v).map_err(|e| problem(f, e)).ok(),
    };
    let email = normalised(Field::Email, normalise_email, &mut problem);
    let mobile = normalised(Field::Mobile, normalise_phone, &mut problem);
    let phone = normalised(Field::Phone, normalise_phone, &mut problem);
    let postcode = normalised(Field::Postcode, normalise_postcode, &mut problem);
    let mut consent = |f: Field| {
        parse_consent(get(f)).unwrap_or_else(|e| {
            problem(f, e);
            None
        })
    };
    let consents = Consents {
        email: consent(Field::EmailConsent),
        phone: consent(Field::PhoneConsent),
        sms: consent(Field::SmsConsent),
        post: None,
    };

    let ward = optional(Field::Ward);
    let branch = match get(Field::Branch) {
        "" => match &ward {
            Some(w) => match ctx.wards.get(&ward_key(w)) {
                Some(slug) => Some(slug.clone()),
                None if ctx.wards.is_empty() => None,
                None => {
                    problem(
                        Field::Ward,
                        format!("ward '{w}' is not covered by any branch, and no branch is given"),
                    );
                    None
                }
            },
            None => None,
        },
        b => match ctx.branches.get(&slugify(b)) {
            Some(slug) => Some(slug.clone()),
            None => {
                let mut known: Vec<&String> = ctx.branches.values().collect();
                known.sort();
                known.dedup();
                let known = if known.is_empty() {
                    "none yet; add one with `rosette unit add`".to_string()
                } else {
                    known
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                problem(
                    Field::Branch,
                    format!("'{b}' is not a branch of this local party (branches: {known})"),
                );
                None
            }
        },
    };

    let (Some(joined_on), true) = (joined_on, problems.is_empty()) else {
        if problems.is_empty() {
            problems.push(Problem {
                row,
                column: Field::JoinedOn.name().into(),
                message: "is empty".into(),
            });
        }
        return Err(problems);
    };
    let address = address_lines(
        text[Field::AddressLine1 as usize],
        text[Field::AddressLine2 as usize],
    );
    Ok(Candidate {
        row,
        person: PersonDetails {
            kind,
            first_name,
            last_name,
            email,
            mobile,
            phone,
            address_line1: address.0,
            address_line2: address.1,
            town: optional(Field::Town),
            postcode,
            ward,
            date_of_birth,
            gender: Gender::parse(get(Field::Gender)),
            affiliate,
            consents,
            tags: parse_tags(get(Field::Tags)),
        },
        membership: MembershipDetails {
            number,
            rate,
            branch,
            joined_on,
            paid_until,
            left,
        },
    })
}
