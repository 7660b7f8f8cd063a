//! The canonical import columns and the headers people's spreadsheets really have.

use std::collections::HashMap;

use crate::domain::fields::fold_alphanumeric;

/// A canonical column of the member file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    MembershipNumber,
    FirstName,
    LastName,
    Email,
    Mobile,
    Phone,
    AddressLine1,
    AddressLine2,
    Town,
    Postcode,
    Ward,
    Branch,
    Rate,
    JoinedOn,
    PaidUntil,
    LeftOn,
    LeftReason,
    Gender,
    DateOfBirth,
    Kind,
    Affiliate,
    EmailConsent,
    PhoneConsent,
    SmsConsent,
    Tags,
    /// A membership status as another system records it; only an ending (resigned,
    /// deceased, expelled) is kept, since Rosette works the rest out from the dates.
    Status,
}

/// Each field with its canonical name and the header spellings it also answers to,
/// compared after folding (lower case, letters and digits only).
const FIELDS: &[(Field, &str, &[&str])] = &[
    (
        Field::MembershipNumber,
        "membership_number",
        &[
            "membershipnumber",
            "membershipno",
            "memberno",
            "membernumber",
            "membershipid",
            "memberid",
            "number",
            "externalidentifier",
            "externalid",
        ],
    ),
    (
        Field::FirstName,
        "first_name",
        &["firstname", "forename", "forenames", "givenname", "first"],
    ),
    (
        Field::LastName,
        "last_name",
        &["lastname", "surname", "familyname", "last"],
    ),
    (Field::Email, "email", &["email", "emailaddress", "mail"]),
    (
        Field::Mobile,
        "mobile",
        &[
            "mobile",
            "mobilephone",
            "mobilenumber",
            "mobileno",
            "cell",
            "cellphone",
        ],
    ),
    (
        Field::Phone,
        "phone",
        &[
            "phone",
            "telephone",
            "telephonenumber",
            "phonenumber",
            "landline",
            "homephone",
            "tel",
        ],
    ),
    (
        Field::AddressLine1,
        "address_line1",
        &[
            "addressline1",
            "address1",
            "address",
            "street",
            "streetaddress",
            "primaryaddress1",
        ],
    ),
    (
        Field::AddressLine2,
        "address_line2",
        &[
            "addressline2",
            "address2",
            "locality",
            "supplementaladdress1",
            "primaryaddress2",
        ],
    ),
    (
        Field::Town,
        "town",
        &["town", "city", "towncity", "posttown", "primarycity"],
    ),
    (
        Field::Postcode,
        "postcode",
        &["postcode", "postalcode", "zip", "zipcode", "primaryzip"],
    ),
    (Field::Ward, "ward", &["ward", "wardname", "electoralward"]),
    (Field::Branch, "branch", &["branch", "branchname"]),
    (
        Field::Rate,
        "rate",
        &[
            "rate",
            "membershiptype",
            "membershiprate",
            "ratecode",
            "membershipratecode",
            "subscriptiontype",
            "membershipname",
        ],
    ),
    (
        Field::JoinedOn,
        "joined_on",
        &[
            "joinedon",
            "datejoined",
            "joindate",
            "joined",
            "joineddate",
            "startdate",
            "memberssince",
            "membersince",
            "membershipstartedat",
        ],
    ),
    (
        Field::PaidUntil,
        "paid_until",
        &[
            "paiduntil",
            "paidupto",
            "paidto",
            "expirydate",
            "expiry",
            "expires",
            "membershipexpiry",
            "membershipexpirydate",
            "renewaldate",
            "membershipenddate",
            "membershipexpireson",
            "membershipexpiresat",
        ],
    ),
    (
        Field::LeftOn,
        "left_on",
        &["lefton", "dateleft", "leftdate", "enddate"],
    ),
    (
        Field::LeftReason,
        "left_reason",
        &["leftreason", "reasonleft", "leavingreason"],
    ),
    (Field::Gender, "gender", &["gender", "sex"]),
    (
        Field::DateOfBirth,
        "date_of_birth",
        &["dateofbirth", "dob", "birthdate", "birthday", "bornat"],
    ),
    (
        Field::Kind,
        "kind",
        &["kind", "persontype", "recordtype", "type", "contacttype"],
    ),
    (
        Field::Affiliate,
        "affiliate",
        &[
            "affiliate",
            "affiliation",
            "affiliatedorganisation",
            "affiliatedorganization",
            "union",
            "tradeunion",
        ],
    ),
    (
        Field::EmailConsent,
        "email_consent",
        &["emailconsent", "emailoptin", "canemail", "consentemail"],
    ),
    (
        Field::PhoneConsent,
        "phone_consent",
        &[
            "phoneconsent",
            "phoneoptin",
            "canphone",
            "consentphone",
            "cancall",
        ],
    ),
    (
        Field::SmsConsent,
        "sms_consent",
        &[
            "smsconsent",
            "smsoptin",
            "cansms",
            "consentsms",
            "textconsent",
            "cantext",
        ],
    ),
    (Field::Tags, "tags", &["tags", "labels", "tag", "taglist"]),
    (Field::Status, "status", &["status", "membershipstatus"]),
];

/// Headers read as a field only when no other column is: CiviCRM exports both "Member
/// Since" (the first day) and "Membership Start Date" (the current term's), and the first
/// is the joining date when both are there.
const FALLBACK: &[(Field, &[&str])] = &[(
    Field::JoinedOn,
    &["membershipstartdate", "membershipstart", "startedat"],
)];

/// Fields a member file must have.
pub const REQUIRED: &[Field] = &[
    Field::MembershipNumber,
    Field::FirstName,
    Field::LastName,
    Field::JoinedOn,
];

impl Field {
    /// How many fields there are: `field as usize` is below it, so a row's values can sit
    /// in an array instead of a hashed map (a national file has half a million rows).
    pub const COUNT: usize = FIELDS.len();

    /// Every field, in `field as usize` order (a test checks `FIELDS` keeps it).
    pub const ALL: [Field; Field::COUNT] = {
        let mut all = [Field::MembershipNumber; Field::COUNT];
        let mut i = 0;
        while i < Field::COUNT {
            all[i] = FIELDS[i].0;
            i += 1;
        }
        all
    };

    pub fn name(self) -> &'static str {
        FIELDS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("?", |(_, name, _)| name)
    }

    /// The field a header stands for, by canonical name or a known alias.
    pub fn from_header(header: &str) -> Option<Field> {
        let folded = fold_alphanumeric(header);
        FIELDS
            .iter()
            .find(|(_, name, aliases)| {
                fold_alphanumeric(name) == folded || aliases.contains(&folded.as_str())
            })
            .map(|(f, _, _)| *f)
    }

    /// The field a canonical name (as given to `--map`) stands for.
    pub fn from_name(name: &str) -> Option<Field> {
        FIELDS
            .iter()
            .find(|(_, n, _)| *n == name.trim())
            .map(|(f, _, _)| *f)
    }

    pub fn all_names() -> String {
        FIELDS
            .iter()
            .map(|(_, n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which column of the file holds each field, and which columns nobody reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub index: HashMap<Field, usize>,
    pub ignored: Vec<String>,
    /// The file's own headers, trimmed, to name columns as the file does.
    headers: Vec<String>,
}

impl ColumnMap {
    /// A problem's column as the file names it: "Date Joined (joined_on)", or just the
    /// field's name where the file's header is that name (or it has no such column).
    pub fn heading(&self, column: &str) -> String {
        let header = Field::from_name(column)
            .and_then(|f| self.index.get(&f))
            .and_then(|&i| self.headers.get(i));
        match header {
            Some(h) if h != column => format!("{h} ({column})"),
            _ => column.to_string(),
        }
    }

    /// The column of each field by `field as usize`, `None` where the file has none.
    pub fn slots(&self) -> [Option<usize>; Field::COUNT] {
        let mut slots = [None; Field::COUNT];
        for (&field, &i) in &self.index {
            slots[field as usize] = Some(i);
        }
        slots
    }
}

/// Maps a header row, with `overrides` (header text → canonical field name) first. Every
/// problem is returned, worded for the person who made the spreadsheet.
pub fn map_headers(
    headers: &[String],
    overrides: &[(String, String)],
) -> Result<ColumnMap, Vec<String>> {
    let (map, problems) = map_partly(headers, overrides);
    if problems.is_empty() {
        Ok(map)
    } else {
        Err(problems)
    }
}

/// The field each header is read as (`None`: not imported), as `map_headers` reads them,
/// and every problem with the header row: what the import page shows before a run.
pub fn preview(
    headers: &[String],
    overrides: &[(String, String)],
) -> (Vec<Option<Field>>, Vec<String>) {
    let (map, problems) = map_partly(headers, overrides);
    let mut fields = vec![None; headers.len()];
    for (field, i) in map.index {
        fields[i] = Some(field);
    }
    (fields, problems)
}

/// What `--map Header=-` says: leave the column out.
pub const LEAVE_OUT: &str = "-";

fn map_partly(headers: &[String], overrides: &[(String, String)]) -> (ColumnMap, Vec<String>) {
    let mut problems = Vec::new();
    // By column: the field a --map gives it, or `None` for a column it leaves out.
    let mut forced: HashMap<usize, Option<Field>> = HashMap::new();
    for (header, name) in overrides {
        let field = if name.trim() == LEAVE_OUT {
            None
        } else if let Some(field) = Field::from_name(name) {
            Some(field)
        } else {
            problems.push(format!(
                "--map {header}={name}: '{name}' is not a field; the fields are {} (or {LEAVE_OUT} to leave the column out)",
                Field::all_names()
            ));
            continue;
        };
        // People type headers as they read them; "membership type" is "Membership Type".
        match headers
            .iter()
            .position(|h| h.trim().to_lowercase() == header.trim().to_lowercase())
        {
            Some(i) => {
                forced.insert(i, field);
            }
            None => problems.push(format!(
                "--map {header}={name}: the file has no column headed '{header}'"
            )),
        }
    }
    let mut index: HashMap<Field, usize> = HashMap::new();
    let mut ignored = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        // A header --map sends elsewhere does not also claim the field by its name.
        let field = match forced.get(&i) {
            Some(f) => *f,
            None => Field::from_header(header)
                .filter(|f| !forced.values().any(|taken| *taken == Some(*f))),
        };
        match field {
            Some(f) => {
                if let Some(&earlier) = index.get(&f) {
                    problems.push(format!(
                        "row 1: columns {} ('{}') and {} ('{}') both read as {}; rename one or say which with --map",
                        earlier + 1, headers[earlier].trim(), i + 1, header.trim(), f.name()
                    ));
                } else {
                    index.insert(f, i);
                }
            }
            None if header.trim().is_empty() => {}
            None => ignored.push(header.trim().to_string()),
        }
    }
    for (field, spellings) in FALLBACK {
        if index.contains_key(field) || forced.values().any(|f| *f == Some(*field)) {
            continue;
        }
        if let Some(n) = ignored
            .iter()
            .position(|h| spellings.contains(&fold_alphanumeric(h).as_str()))
            && let Some(i) = headers.iter().position(|h| h.trim() == ignored[n])
            && !forced.contains_key(&i)
        {
            index.insert(*field, i);
            ignored.remove(n);
        }
    }
    for f in REQUIRED {
        if !index.contains_key(f) {
            problems.push(format!(
                "row 1: no column for {} (the headers are: {}); add one or name it with --map 'Your header={}'",
                f.name(),
                headers.iter().map(|h| h.trim()).collect::<Vec<_>>().join(", "),
                f.name()
            ));
        }
    }
    let map = ColumnMap {
        index,
        ignored,
        headers: headers.iter().map(|h| h.trim().to_string()).collect(),
    };
    (map, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn canonical_headers_map_to_themselves() {
        let names: Vec<String> = FIELDS.iter().map(|(_, n, _)| n.to_string()).collect();
        let map = map_headers(&names, &[]).expect("maps");
        assert_eq!(map.index.len(), FIELDS.len());
        for (position, (field, _, _)) in FIELDS.iter().enumerate() {
            assert_eq!(
                *field as usize, position,
                "FIELDS lists {field:?} out of order"
            );
            assert_eq!(map.slots()[position], Some(position));
        }
        assert!(map.ignored.is_empty());
        for (i, (f, _, _)) in FIELDS.iter().enumerate() {
            assert_eq!(map.index[f], i);
        }
    }

    #[test]
    fn spreadsheet_headers_are_recognised() {
        let map = map_headers(
            &headers(&[
                "Membership Number",
                "Forename",
                "Surname",
                "Email Address",
                "Date Joined",
                "Membership Type",
                "Expiry Date",
                "Post Code",
                "Mobile Phone",
                "D.O.B.",
                "Favourite Colour",
            ]),
            &[],
        )
        .expect("maps");
        assert_eq!(map.index[&Field::MembershipNumber], 0);
        assert_eq!(map.index[&Field::LastName], 2);
        assert_eq!(map.index[&Field::Email], 3);
        assert_eq!(map.index[&Field::JoinedOn], 4);
        assert_eq!(map.index[&Field::Rate], 5);
        assert_eq!(map.index[&Field::PaidUntil], 6);
        assert_eq!(map.index[&Field::Postcode], 7);
        assert_eq!(map.index[&Field::Mobile], 8);
        assert_eq!(map.index[&Field::DateOfBirth], 9);
        assert_eq!(map.ignored, vec!["Favourite Colour"]);
        // Problems name a column as the file does, beside the field's own name.
        assert_eq!(map.heading("joined_on"), "Date Joined (joined_on)");
        assert_eq!(map.heading("row"), "row");
    }

    #[test]
    fn civicrm_and_nationbuilder_headers_are_recognised() {
        let civi = headers(&[
            "Contact ID",
            "Contact Type",
            "External Identifier",
            "First Name",
            "Last Name",
            "Supplemental Address 1",
            "Membership Type",
            "Member Since",
            "Membership Start Date",
            "Membership End Date",
            "Membership Status",
        ]);
        let map = map_headers(&civi, &[]).expect("maps");
        assert_eq!(map.index[&Field::Kind], 1);
        assert_eq!(map.index[&Field::MembershipNumber], 2);
        assert_eq!(map.index[&Field::AddressLine2], 5);
        assert_eq!(map.index[&Field::Rate], 6);
        assert_eq!(map.index[&Field::JoinedOn], 7, "Member Since wins");
        assert_eq!(map.index[&Field::PaidUntil], 9);
        assert_eq!(map.index[&Field::Status], 10);
        assert_eq!(map.ignored, vec!["Contact ID", "Membership Start Date"]);
        // Without "Member Since", the term's start is the joining date.
        let mut no_since = civi.clone();
        no_since.remove(7);
        let map = map_headers(&no_since, &[]).expect("maps");
        assert_eq!(map.index[&Field::JoinedOn], 7);
        assert_eq!(map.ignored, vec!["Contact ID"]);

        let nb = headers(&[
            "nationbuilder_id",
            "external_id",
            "first_name",
            "last_name",
            "primary_address1",
            "primary_city",
            "primary_zip",
            "born_at",
            "tag_list",
            "membership_name",
            "membership_started_at",
            "membership_expires_on",
            "membership_status",
        ]);
        let map = map_headers(&nb, &[]).expect("maps");
        for (field, i) in [
            (Field::MembershipNumber, 1),
            (Field::AddressLine1, 4),
            (Field::Town, 5),
            (Field::Postcode, 6),
            (Field::DateOfBirth, 7),
            (Field::Tags, 8),
            (Field::Rate, 9),
            (Field::JoinedOn, 10),
            (Field::PaidUntil, 11),
            (Field::Status, 12),
        ] {
            assert_eq!(map.index[&field], i, "{field:?}");
        }
        assert_eq!(map.ignored, vec!["nationbuilder_id"]);
    }

    #[test]
    fn a_map_to_a_dash_leaves_a_column_out() {
        let h = headers(&[
            "Number",
            "First",
            "Last",
            "Joined",
            "Email",
            "Membership Start Date",
        ]);
        let map = map_headers(
            &h,
            &[
                ("Email".into(), LEAVE_OUT.into()),
                ("Joined".into(), LEAVE_OUT.into()),
                ("Membership Start Date".into(), LEAVE_OUT.into()),
            ],
        );
        // Left out, joined_on has no column at all (not even the fallback one).
        let problems = map.expect_err("no joined_on");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("no column for joined_on")),
            "{problems:?}"
        );
        let map = map_headers(&h, &[("Email".into(), LEAVE_OUT.into())]).expect("maps");
        assert!(!map.index.contains_key(&Field::Email));
        assert_eq!(map.ignored, vec!["Email", "Membership Start Date"]);
    }

    #[test]
    fn a_map_finds_its_header_in_any_case() {
        let h = headers(&["REF", "First", "Last", "Joined"]);
        let map = map_headers(&h, &[("ref".into(), "membership_number".into())]).expect("maps");
        assert_eq!(map.index[&Field::MembershipNumber], 0);
    }

    #[test]
    fn map_overrides_win_and_are_checked() {
        let h = headers(&["Ref", "First", "Last", "Start", "Number"]);
        let map = map_headers(
            &h,
            &[
                ("Ref".into(), "membership_number".into()),
                ("Start".into(), "joined_on".into()),
            ],
        )
        .expect("maps");
        assert_eq!(map.index[&Field::MembershipNumber], 0);
        assert_eq!(map.index[&Field::JoinedOn], 3);
        assert_eq!(map.ignored, vec!["Number"]);
        let errs = map_headers(
            &h,
            &[
                ("Ref".into(), "membership_no".into()),
                ("Nope".into(), "email".into()),
            ],
        )
        .expect_err("bad maps");
        assert!(
            errs[0].contains("'membership_no' is not a field"),
            "{errs:?}"
        );
        assert!(errs[1].contains("no column headed 'Nope'"), "{errs:?}");
    }

    #[test]
    fn missing_and_doubled_columns_are_reported_together() {
        let errs = map_headers(&headers(&["Surname", "Last Name", "Email"]), &[])
            .expect_err("bad headers");
        assert!(
            errs.iter()
                .any(|e| e
                    .contains("columns 1 ('Surname') and 2 ('Last Name') both read as last_name")),
            "{errs:?}"
        );
        for f in ["membership_number", "first_name", "joined_on"] {
            assert!(
                errs.iter()
                    .any(|e| e.contains(&format!("no column for {f}"))),
                "{f}: {errs:?}"
            );
        }
    }
}
