//! Exports: `rosette export members` (the register in the import's canonical columns, so
//! an export imports back unchanged, plus the derived status columns), and an officer's
//! member list as they filtered it. Each is audited, naming everyone in it.

use chrono::NaiveDate;

use crate::domain::cells;
use crate::domain::filter::MemberFilter;
use crate::domain::membership::History;
use crate::domain::record::{MembershipDetails, PersonDetails};
use crate::domain::{Kind, Rules, Status};
use crate::store::members::StoredMember;
use crate::store::roster::{self, ListQuery};
use crate::store::{Tx, audit, members, units};

pub const COLUMNS: &[&str] = &[
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "phone",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "ward",
    "branch",
    "rate",
    "joined_on",
    "paid_until",
    "left_on",
    "left_reason",
    "gender",
    "date_of_birth",
    "kind",
    "affiliate",
    "email_consent",
    "phone_consent",
    "sms_consent",
    "tags",
    "status",
    "in_good_standing",
    "continuous_since",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot write the spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write CSV: {0}")]
    Io(#[from] std::io::Error),
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// One exported row; the caller supplies the derived status and continuity.
pub fn cells(
    p: &PersonDetails,
    m: &MembershipDetails,
    status: Option<Status>,
    since: Option<NaiveDate>,
) -> Vec<String> {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    vec![
        m.number.clone(),
        p.first_name.clone(),
        p.last_name.clone(),
        o(&p.email),
        o(&p.mobile),
        o(&p.phone),
        o(&p.address_line1),
        o(&p.address_line2),
        o(&p.town),
        o(&p.postcode),
        o(&p.ward),
        o(&m.branch),
        m.rate.clone(),
        m.joined_on.to_string(),
        date(m.paid_until),
        date(m.left.map(|(_, d)| d)),
        m.left
            .map(|(r, _)| r.as_str().to_string())
            .unwrap_or_default(),
        p.gender
            .as_ref()
            .map(|g| g.as_str().to_string())
            .unwrap_or_default(),
        date(p.date_of_birth),
        p.kind.as_str().into(),
        o(&p.affiliate),
        yes_no(p.consents.email),
        yes_no(p.consents.phone),
        yes_no(p.consents.sms),
        p.tags.join(";"),
        status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        status.is_some_and(Status::in_good_standing).to_string(),
        date(since),
    ]
}

/// The rows of a local party's register as of `today`, filtered by status, and recorded
/// in the audit log as an export by `actor`.
pub async fn member_rows(
    tx: &mut Tx,
    rules: &Rules,
    local_party: &str,
    status: Option<Status>,
    today: NaiveDate,
    actor: &str,
) -> Result<Vec<Vec<String>>, ExportError> {
    let party = units::get(tx, local_party).await?;
    let all: Vec<StoredMember> = members::all(tx, party.id).await?;
    let histories = members::histories(tx, party.id).await?;
    let mut rows = Vec::new();
    let mut exported = Vec::new();
    for m in &all {
        let s = m.membership.status(&rules.status, m.suspended, today);
        if status.is_some_and(|want| want != s) {
            continue;
        }
        let since = histories
            .get(&m.membership_id)
            .and_then(|events| History::at(&rules.status, events, today).continuous_since(today));
        rows.push(cells(&m.person, &m.membership, Some(s), since));
        exported.push(m.person_id);
    }
    let filter = status.map_or("all statuses".to_string(), |s| format!("status {s}"));
    audit::record(
        tx,
        audit::Note {
            actor,
            local_party_id: Some(party.id),
            action: "export",
            subject: &format!("members of {local_party}"),
            detail: &format!("{} people, {filter}", rows.len()),
            people: &exported,
        },
    )
    .await?;
    Ok(rows)
}

/// Writes RFC 4180 CSV (CRLF line ends, quotes where needed) with formula cells neutralised.
pub fn write_csv(
    out: impl std::io::Write,
    columns: &[&str],
    rows: &[Vec<String>],
) -> Result<(), ExportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(columns)?;
    for row in rows {
        w.write_record(row.iter().map(|c| cells::neutralise(c)))?;
    }
    w.flush()?;
    Ok(())
}

/// An XLSX workbook. Cells are written as text, which a spreadsheet never evaluates, so
/// no quote prefix is needed (or wanted) here.
pub fn xlsx_bytes(columns: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ExportError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Members")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
}

/// The columns of a member list exported from the page: what an officer needs to act on
/// a list, no more. Codes for scripts and re-imports, and after them the same values in
/// words for people (named `…_label`, which the import passes over as no field of its
/// own).
pub const LIST_COLUMNS: &[&str] = &[
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "phone",
    "postcode",
    "branch",
    "rate",
    "kind",
    "gender",
    "status",
    "joined_on",
    "paid_until",
    "branch_label",
    "rate_label",
    "kind_label",
    "status_label",
];

/// The people in `who`'s export scope that `filter` finds, as rows of `LIST_COLUMNS`.
pub async fn list(
    tx: &mut Tx,
    who: &crate::app::Principal,
    rules: &Rules,
    today: NaiveDate,
    filter: &MemberFilter,
) -> crate::app::Result<Vec<Vec<String>>> {
    if who.scope.export.is_empty() {
        return Err(crate::app::AppError::Forbidden);
    }
    let q = ListQuery {
        grants: &who.scope.export,
        user_id: who.user.id,
        filter,
        bounds: rules.status.bounds(today),
    };
    let (rows, _) = roster::list(tx, &q, None, 1_000_000).await?;
    let what = format!("member export ?{}", filter.to_query());
    crate::app::audit::listed(tx, who, "export", &what, &rows).await?;
    Ok(rows
        .iter()
        .map(|l| {
            let status = l.status(&rules.status, today);
            vec![
                l.membership_number.clone(),
                l.first_name.clone(),
                l.last_name.clone(),
                l.email.clone().unwrap_or_default(),
                l.mobile.clone().unwrap_or_default(),
                l.phone.clone().unwrap_or_default(),
                l.postcode.clone().unwrap_or_default(),
                l.branch_slug.clone().unwrap_or_default(),
                l.rate.clone(),
                l.kind.clone(),
                l.gender.clone().unwrap_or_default(),
                status.as_str().to_string(),
                l.joined_on.to_string(),
                l.paid_until.map(|d| d.to_string()).unwrap_or_default(),
                l.branch_name.clone().unwrap_or_default(),
                rules.rate_name(&l.rate),
                Kind::parse(&l.kind).map_or("", Kind::label).to_string(),
                status.label().to_string(),
            ]
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_rfc4180() {
        let mut out = Vec::new();
        let mut row = vec![String::new(); COLUMNS.len()];
        row[1] = "Grace, \"Amazing\"".into();
        row[2] = "=1+1".into();
        write_csv(&mut out, COLUMNS, &[row]).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], COLUMNS.join(","));
        assert!(
            lines[1].starts_with(",\"Grace, \"\"Amazing\"\"\",'=1+1,"),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], "");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx_bytes(COLUMNS, &[vec!["L1".into(), "=1+1".into()]]).expect("writes");
        assert!(bytes.starts_with(b"PK\x03\x04"));
    }
}
