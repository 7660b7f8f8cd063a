//! The command line as scripts outside the code drive it: exit codes, messages, formats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("rosette.db").display())
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rosette"));
        c.args(args)
            .env("ROSETTE_DATABASE_URL", self.url())
            .env_remove("ROSETTE_RULES")
            .current_dir(self.dir.path());
        c
    }

    /// `rosette demo` with this many members, serving on a free port: the process and
    /// the address it printed.
    fn serve_demo(&self, members: &str) -> (std::process::Child, String) {
        let mut child = self
            .command(&["demo", "--listen", "127.0.0.1:0", "--members", members])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start demo");
        let addr = wait_for_address(&mut child);
        (child, addr)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run rosette")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rosette {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "rosette {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn import(&self, name: &str, bytes: &[u8], extra: &[&str]) -> Output {
        let path = self.file(name, bytes);
        let mut args = vec!["import", "members", path.to_str().expect("path")];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn exported(&self) -> String {
        self.ok(&["export", "members"])
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn units_are_added_and_listed_as_csv() {
    let env = Env::new();
    assert_eq!(
        env.ok(&[
            "unit",
            "add",
            "--kind",
            "branch",
            "--name",
            "Riverside",
            "--wards",
            "Riverside; Docks"
        ])
        .trim(),
        "riverside"
    );
    env.ok(&["unit", "add", "--name", "Women's Branch", "--forum"]);
    let list = env.ok(&["unit", "list", "--format", "csv"]);
    assert_eq!(
        list,
        "slug,name,kind,parent\r\nlocal-party,Local Party,local_party,\r\nriverside,Riverside,branch,local-party\r\nwomen-s-branch,Women's Branch,branch,local-party\r\n"
    );
    assert!(
        env.fails(&["unit", "add", "--kind", "shire", "--name", "X"])
            .contains("not one of party, region, local_party, branch")
    );
    assert!(
        env.fails(&["unit", "add", "--name", "Riverside"])
            .contains("already exists")
    );
}

#[test]
fn a_spreadsheet_export_with_its_own_headers_imports() {
    let env = Env::new();
    env.ok(&[
        "unit",
        "add",
        "--name",
        "Riverside",
        "--wards",
        "Riverside;Docks",
    ]);
    let csv = "\u{feff}Membership Number,Forename,Surname,Email Address,Date Joined,Membership Type,Expiry Date,Ward,Post Code,Notes\r\n\
               A1,Ada,Lovelace,ada@example.org,15/01/2020,Standard,31/12/2030,docks,sw1a 1aa,likes maths\r\n\
               A2,Grace,Hopper,,01/02/2021,Reduced Rate,31/01/2022,,,\r\n";
    let out = env.import("members.csv", csv.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2 rows: 2 added, 0 updated (0 renewed, 0 rejoined, 0 left), 0 unchanged, 0 skipped as invalid"
    );
    assert!(
        stderr(&out).contains("columns not imported: Notes"),
        "{}",
        stderr(&out)
    );
    let exported = env.exported();
    assert!(exported.contains("A1,Ada,Lovelace,ada@example.org,,,,,,SW1A 1AA,docks,riverside,standard,2020-01-15,2030-12-31"), "{exported}");
    assert!(exported.contains(",lapsed,false,"), "{exported}");

    let again = env.import("members.csv", csv.as_bytes(), &[]);
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("0 added, 0 updated (0 renewed, 0 rejoined, 0 left), 2 unchanged")
    );
    // A bad value is reported against the file's own column, as well as its field.
    let bad = "Membership Number,Forename,Surname,Date Joined,Membership Type\n\
               B1,Bea,Bad,31/02/2024,Standard\n\
               B2,Cy,Later,01/01/2099,Standard\n";
    let out = env.import("bad.csv", bad.as_bytes(), &[]);
    assert!(!out.status.success());
    for expected in [
        "row 2, Date Joined (joined_on): '31/02/2024' is not a real date",
        "row 3, Date Joined (joined_on): 2099-01-01 is in the future",
    ] {
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    }
}

#[test]
fn the_sample_files_import_as_their_readme_says() {
    let env = Env::new();
    let sample = |name: &str| format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    let civi = sample("civicrm-contacts.csv");
    let out = env.run(&[
        "import",
        "members",
        &civi,
        "--date-order",
        "mdy",
        "--map-value",
        "kind:Individual=member",
        "--map-value",
        "rate:General=standard",
        "--map-value",
        "rate:Student=youth",
        "--map-value",
        "rate:Concession=reduced",
        "--map-value",
        "status:Cancelled=resigned",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("8 rows: 8 added"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr(&out).contains("columns not imported: Contact ID, Membership Start Date"));
    let nb = sample("nationbuilder-people.csv");
    let out = env.run(&[
        "import",
        "members",
        &nb,
        "--map-value",
        "rate:Student=youth",
        "--map-value",
        "status:canceled=resigned",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("5 rows: 5 added"));
    // Malformed flags are refused with the form they should take.
    let err = env.fails(&["import", "members", &nb, "--map-value", "rate=standard"]);
    assert!(err.contains("FIELD:VALUE=CODE"), "{err}");
    let err = env.fails(&["import", "members", &nb, "--map-value", "colour:Red=blue"]);
    assert!(err.contains("'colour', which is not a field"), "{err}");
    let err = env.fails(&["import", "members", &nb, "--date-order", "us"]);
    assert!(err.contains("use dmy, mdy or ymd"), "{err}");
}

#[test]
fn likely_duplicates_are_reported_on_import_and_listed() {
    let env = Env::new();
    let csv = "membership_number,first_name,last_name,email,mobile,postcode,rate,joined_on\n\
               D1,Ann,Okafor,ann@example.org,,,standard,2024-01-15\n\
               D2,Bo,Lind,,07700 900300,AB1 2CD,standard,2024-02-15\n\
               D3,Cal,Moss,,,,standard,2024-03-15\n";
    let out = env.import("first.csv", csv.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("possible duplicate"),
        "{}",
        stderr(&out)
    );
    let later = "membership_number,first_name,last_name,email,mobile,postcode,rate,joined_on\n\
                 D4,Annie,Okafor,ANN@example.org,,,standard,2025-01-15\n\
                 D5,Bo,Lind,,,ab12cd,standard,2025-02-15\n\
                 D6,Cal,Moss,cal@example.org,,,standard,2025-03-15\n";
    let out = env.import("later.csv", later.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("row 2 (Annie Okafor, D4) looks like Ann Okafor (D1), already stored: same email address"),
        "{err}"
    );
    assert!(
        err.contains("row 3 (Bo Lind, D5) looks like Bo Lind (D2)"),
        "{err}"
    );
    assert!(
        !err.contains("D6"),
        "a shared name alone is no match: {err}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 added"),
        "reported, not merged"
    );

    let listed = env.ok(&["people", "duplicates", "--format", "csv"]);
    let mut lines = listed.lines();
    assert_eq!(
        lines.next(),
        Some(
            "membership_number,first_name,last_name,other_membership_number,other_first_name,other_last_name,why"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{listed}");
    assert!(
        rows.iter()
            .any(|r| r.contains("D1") && r.contains("D4") && r.ends_with(",same_email")),
        "{listed}"
    );
    assert!(
        rows.iter().any(|r| r.contains("D2")
            && r.contains("D5")
            && r.ends_with(",same_name_and_postcode")),
        "{listed}"
    );
    let json = env.ok(&["people", "duplicates", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(parsed.as_array().map(Vec::len), Some(2));
    let err = env.fails(&["people", "duplicates", "--unit", "nowhere"]);
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn map_names_columns_nobody_could_guess() {
    let env = Env::new();
    let csv = b"Ref,First,Last,Start,Band\nR1,Ada,Lovelace,2024-01-01,youth\n";
    let out = env.import(
        "m.csv",
        csv,
        &[
            "--map",
            "Ref=membership_number",
            "--map",
            "Start=joined_on",
            "--map",
            "Band=rate",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = env.import("m.csv", csv, &["--map", "Ref"]);
    assert!(stderr(&bad).contains("should be HEADER=FIELD"));
    let unmapped = env.import("m.csv", csv, &[]);
    assert!(!unmapped.status.success());
    assert!(
        stderr(&unmapped).contains("no column for membership_number"),
        "{}",
        stderr(&unmapped)
    );
}

#[test]
fn every_problem_is_listed_by_row_and_column_and_nothing_is_written() {
    let env = Env::new();
    let csv = "membership_number,first_name,last_name,email,mobile,phone,postcode,rate,joined_on,paid_until,left_on,left_reason,gender,date_of_birth,kind,affiliate,email_consent,phone_consent,sms_consent\n\
               G1,Good,Person,good@example.org,07700 900123,,,standard,2024-01-01,2024-12-31,,,,,,,,,\n\
               B1,,Person,not-an-email,123,020 79,ZZZ,gold,2024-13-01,2024-02-30,2024-03-01,,,2090-01-01,alien,,maybe,si,0\n\
               B2,Young,Person,,,,,youth,2024-01-01,2023-01-01,,retired,,1950-01-01,affiliated_supporter,,,,\n\
               B3,Dead,Person,,,,,standard,2024-01-01,,2023-06-01,deceased,,,,,,,\n";
    let out = env.import("bad.csv", csv.as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for want in [
        "bad.csv: nothing was imported, because of",
        "row 3, first_name: is empty",
        "row 3, email: 'not-an-email' is not an email address",
        "row 3, mobile: '123' is not a phone number",
        "row 3, phone: '020 79' is not a phone number",
        "row 3, postcode: 'ZZZ' is not a UK postcode",
        "row 3, rate: 'gold' is not a known rate",
        "row 3, joined_on: '2024-13-01' is not a date",
        "row 3, paid_until: '2024-02-30' is not a real date",
        "row 3, left_reason: is empty but left_on is set",
        "row 3, date_of_birth: 2090-01-01 is in the future",
        "row 3, kind: 'alien' is not one of member",
        "row 3, email_consent: 'maybe' is not yes or no",
        "row 3, phone_consent: 'si' is not yes or no",
        "row 4, paid_until: 2023-01-01 is before joined_on 2024-01-01",
        "row 4, left_reason: 'retired' is not one of resigned, deceased, expelled",
        "row 4, affiliate: an affiliated supporter needs the organisation",
        "row 4, rate: the Youth rate is for people aged 14 to 26; this person was 74",
        "row 5, left_on: 2023-06-01 is before joined_on 2024-01-01",
    ] {
        assert!(err.contains(want), "missing «{want}» in:\n{err}");
    }
    assert!(
        !err.contains("row 2,"),
        "the good row has no problems: {err}"
    );
    assert_eq!(env.exported().lines().count(), 1, "nothing written");

    let skipped = env.import("bad.csv", csv.as_bytes(), &["--skip-invalid"]);
    assert!(skipped.status.success());
    assert!(
        String::from_utf8_lossy(&skipped.stdout).contains("1 added"),
        "{}",
        String::from_utf8_lossy(&skipped.stdout)
    );
    assert!(stderr(&skipped).contains("skipped row 3, first_name: is empty"));
    assert_eq!(env.exported().lines().count(), 2);
}

#[test]
fn files_that_are_not_member_csv_are_refused_clearly() {
    let env = Env::new();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", vec![], "empty.csv: the file is empty"),
        (
            "book.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00".to_vec(),
            "spreadsheet workbook (.xlsx), not CSV",
        ),
        (
            "latin1.csv",
            b"membership_number,first_name,last_name,joined_on\nL1,Zo\xeb,Smith,2024-01-01\n"
                .to_vec(),
            "row 2: the text is not UTF-8",
        ),
        ("binary.csv", vec![0u8, 159, 146, 150], "binary data"),
        (
            "ragged.csv",
            b"membership_number,first_name,last_name,joined_on\nL1,Ada,Lovelace\n".to_vec(),
            "row 2, row: has 3 cells but the header has 4",
        ),
        (
            "huge.csv",
            format!(
                "membership_number,first_name,last_name,joined_on\nL1,{},Lovelace,2024-01-01\n",
                "A".repeat(2_000_000)
            )
            .into_bytes(),
            "row 2, first_name: 2000000 characters is too long (at most 1000)",
        ),
        (
            "dupe.csv",
            b"Surname,Last Name,First Name,Membership Number,Joined\n".to_vec(),
            "both read as last_name",
        ),
    ];
    for (name, bytes, want) in cases {
        let out = env.import(name, &bytes, &[]);
        assert!(!out.status.success(), "{name} should be refused");
        assert!(
            stderr(&out).contains(want),
            "{name}: missing «{want}» in {}",
            stderr(&out)
        );
    }
    assert!(
        env.fails(&["import", "members", "/no/such/file.csv"])
            .contains("cannot read /no/such/file.csv")
    );
    assert_eq!(env.exported().lines().count(), 1);
}

#[test]
fn exports_filter_by_status_and_write_xlsx() {
    let env = Env::new();
    let csv = b"membership_number,first_name,last_name,joined_on,paid_until,rate,phone\nL1,=HYPERLINK(\"x\"),Current,2020-01-01,2099-12-31,standard,+44 20 7946 0018\nL2,Old,Lapsed,2015-01-01,2016-01-01,standard,\n";
    assert!(env.import("m.csv", csv, &[]).status.success());
    let current = env.ok(&["export", "members", "--status", "current"]);
    assert_eq!(current.lines().count(), 2);
    assert!(
        current.contains("L1,\"'=HYPERLINK(\"\"x\"\")\",Current,"),
        "{current}"
    );
    assert!(
        current.contains(",+442079460018,"),
        "phone kept as it is: {current}"
    );
    assert_eq!(
        env.ok(&["export", "members", "--status", "lapsed"])
            .lines()
            .count(),
        2
    );
    assert!(
        env.fails(&["export", "members", "--status", "asleep"])
            .contains("not one of new, current, in_arrears")
    );
    let path = env.dir.path().join("members.xlsx");
    env.ok(&[
        "export",
        "members",
        "--format",
        "xlsx",
        "--output",
        path.to_str().expect("path"),
    ]);
    assert!(
        std::fs::read(&path)
            .expect("xlsx written")
            .starts_with(b"PK\x03\x04")
    );
}

#[test]
fn a_bad_database_url_or_rules_file_says_what_is_wrong() {
    let env = Env::new();
    assert!(
        env.command(&["migrate"])
            .env("ROSETTE_DATABASE_URL", "mysql://x")
            .output()
            .map(|o| stderr(&o))
            .expect("run")
            .contains("neither sqlite://PATH nor postgres://")
    );
    let rules = env.file("rules.toml", b"[status]\nnew_days = -1\n");
    let out = env
        .command(&["migrate", "--rules", rules.to_str().expect("path")])
        .output()
        .expect("run");
    assert!(stderr(&out).contains("rules.toml"), "{}", stderr(&out));
    let missing = env
        .command(&["migrate", "--rules", "/no/rules.toml"])
        .output()
        .expect("run");
    assert!(stderr(&missing).contains("cannot read rules file /no/rules.toml"));
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

/// What the child prints until it prints `marker` (it fails if the child stops first).
fn wait_for(child: &mut std::process::Child, marker: &str) -> String {
    let mut out = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains(marker) {
        let n = out.read(&mut buf).expect("read stdout");
        assert!(n > 0, "rosette stopped before printing {marker:?}: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen
}

fn wait_for_address(child: &mut std::process::Child) -> String {
    let seen = wait_for(child, "/healthz");
    let start = seen.find("http://").expect("address printed") + 7;
    seen[start..]
        .split('/')
        .next()
        .expect("host:port")
        .to_string()
}

/// Sends SIGTERM, as a service manager stops a service, and waits at most 30 s for the
/// process to end: one that caught the signal and never acted on it fails the test
/// instead of hanging it.
fn stop_by_sigterm(child: &mut std::process::Child) -> std::process::ExitStatus {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 30 s after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `get` with an API token.
fn get_as(addr: &str, path: &str, token: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

/// Lists shown just before the server is killed (no time to take its audit journal in)
/// are in the audit log once it is started again: their entries were on disk before each
/// reply went out.
#[test]
fn lists_shown_before_a_kill_are_in_the_audit_log_after_a_restart() {
    let env = Env::new();
    let (mut child, addr) = env.serve_demo("60");
    let token = env.ok(&["token", "create", "--email", "membership@example.org"]);
    for limit in 3..8 {
        let reply = get_as(
            &addr,
            &format!("/api/v1/members?limit={limit}"),
            token.trim(),
        );
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(
        env.dir.path().join("rosette.db-audit").is_dir(),
        "the journal sits beside the database"
    );

    let (mut child, _) = env.serve_demo("60");
    assert!(stop_by_sigterm(&mut child).success());

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let details = runtime.block_on(async {
        use rosette::store::{Db, audit, units};
        let db = Db::connect(&env.url()).await.expect("open");
        let mut tx = db.begin_read().await.expect("tx");
        let parties = units::list(&mut tx)
            .await
            .expect("units")
            .into_iter()
            .map(|u| u.id)
            .collect();
        let search = audit::Search {
            local_parties: parties,
            action: Some("api.member.list".into()),
            ..Default::default()
        };
        let found = audit::search(&mut tx, &search, 100).await.expect("search");
        drop(tx);
        db.close().await;
        found.into_iter().map(|e| e.detail).collect::<Vec<_>>()
    });
    let mut sizes: Vec<String> = details
        .iter()
        .filter_map(|d| d.rsplit("; ").next().map(str::to_string))
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        ["3 people", "4 people", "5 people", "6 people", "7 people"],
        "one entry for each list shown: {details:?}"
    );
}

/// A service manager stops Rosette with SIGTERM: it finishes, exits cleanly and closes
/// the database, folding SQLite's write-ahead log back into the file.
#[test]
fn sigterm_stops_the_server_cleanly() {
    let env = Env::new();
    let (mut child, addr) = env.serve_demo("50");
    assert!(get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    let wal = env.dir.path().join("rosette.db-wal");
    assert!(wal.exists(), "a serving database keeps a write-ahead log");
    let status = stop_by_sigterm(&mut child);
    assert!(status.success(), "stopped by SIGTERM: {status:?}");
    assert!(!wal.exists(), "the write-ahead log is folded back on close");
}

/// A worker stopped by its service manager the moment it says it is running exits cleanly
/// (its signal handlers are in place before it says so) and closes the database.
#[test]
fn sigterm_stops_a_worker_cleanly_as_soon_as_it_runs() {
    let env = Env::new();
    env.ok(&["migrate"]);
    let mut child = env
        .command(&["worker"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start worker");
    wait_for(&mut child, "is running jobs");
    let status = stop_by_sigterm(&mut child);
    assert!(status.success(), "stopped by SIGTERM: {status:?}");
    assert!(
        !env.dir.path().join("rosette.db-wal").exists(),
        "the write-ahead log is folded back on close, even with a job cut short"
    );
}

#[test]
fn demo_creates_once_and_serves_health_and_sign_in() {
    let env = Env::new();
    let (mut child, addr) = env.serve_demo("300");
    let health = get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.contains("\"status\":\"ok\"") && health.contains("\"database\":\"sqlite\""),
        "{health}"
    );
    let home = get(&addr, "/");
    assert!(
        home.starts_with("HTTP/1.1 303"),
        "personal data needs a sign-in: {home}"
    );
    assert!(home.contains("location: /sign-in"), "{home}");
    let page = get(&addr, "/sign-in");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.to_lowercase()
            .contains("content-security-policy: default-src 'none'"),
        "{page}"
    );
    assert!(
        page.contains("Email address") && page.contains("Password"),
        "{page}"
    );
    child.kill().expect("stop demo");
    let _ = child.wait();

    let again = env.run(&["demo", "--no-serve"]);
    assert!(
        stderr(&again).contains("already has 300 people"),
        "{}",
        stderr(&again)
    );
    // The command closed the database, so what the killed server left in the
    // write-ahead log is in the file itself now: a copy of the file alone holds it all.
    assert!(
        !env.dir.path().join("rosette.db-wal").exists(),
        "the write-ahead log was folded back at exit"
    );
    let printed = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(
        printed.contains("secretary@example.org")
            && printed.contains("password for each: rosette demo sign-in"),
        "the demo prints its sign-in: {printed}"
    );
    // The representation report: aggregates only, small counts hidden.
    let csv = env.ok(&["report", "representation", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("section,group,women,own_words,other,not_given,total,women_percent,own_words_percent")
    );
    let members = lines
        .clone()
        .find(|l| l.starts_with("group,members,"))
        .expect("members");
    assert!(
        members
            .split(',')
            .nth(7)
            .is_some_and(|p| p.parse::<f64>().is_ok()),
        "{members}"
    );
    assert!(csv.contains("fewer than 5"), "the officers are few: {csv}");
    assert!(lines.filter(|l| l.starts_with("month,")).count() == 12);
    let err = env.fails(&["report", "representation", "--unit", "nowhere"]);
    assert!(err.contains("no local party 'nowhere'"), "{err}");
    let token = env.run(&["token", "create", "--email", "secretary@example.org"]);
    let token = String::from_utf8_lossy(&token.stdout).to_string();
    assert_eq!(token.trim().len(), 64, "the token alone: {token}");
    let added = env.run(&[
        "user",
        "add",
        "--email",
        "Ada@Example.org",
        "--name",
        "Ada Byrne",
        "--role",
        "branch-secretary",
        "--unit",
        "local-party",
    ]);
    assert!(
        !added.status.success(),
        "a branch role is refused for a local party"
    );
    assert!(stderr(&added).contains("branch"), "{}", stderr(&added));
    let added = env.run(&[
        "user",
        "add",
        "--email",
        "Ada@Example.org",
        "--name",
        "Ada Byrne",
        "--role",
        "membership-officer",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let printed = String::from_utf8_lossy(&added.stdout).to_string();
    assert!(
        printed.contains("ada@example.org is membership-officer") && printed.contains("/welcome/"),
        "{printed}"
    );
    assert_eq!(env.exported().lines().count(), 301);
    assert!(Path::new(&env.dir.path().join("rosette.db")).exists());
}

#[test]
fn the_action_report_lists_each_section_at_the_period_edges() {
    let env = Env::new();
    env.ok(&["unit", "add", "--name", "Riverside"]);
    env.ok(&["unit", "add", "--name", "Docks"]);
    let file = "membership_number,first_name,last_name,branch,rate,joined_on,paid_until,left_on,left_reason\n\
        L1,Ada,First,riverside,standard,2025-03-01,2026-02-28,,\n\
        L2,Ben,Last,docks,standard,2025-03-14,2026-03-13,,\n\
        L3,Cat,Lapse,docks,standard,2023-09-01,2024-08-31,,\n\
        L4,Dan,Arrears,riverside,standard,2024-03-05,2025-03-04,,\n\
        L5,Eve,Leaver,docks,standard,2020-01-01,2025-12-31,2025-03-03,resigned\n\
        L6,Fay,Before,riverside,standard,2025-02-28,2026-02-27,,\n";
    let out = env.import("report.csv", file.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = env.ok(&[
        "report",
        "action",
        "--as-of",
        "2025-03-14",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(report["from"], "2025-03-01");
    assert_eq!(report["to"], "2025-03-14");
    let numbers = |section: &str| -> Vec<String> {
        report["sections"][section]
            .as_array()
            .unwrap_or_else(|| panic!("section {section} in {json}"))
            .iter()
            .map(|r| r["membership_number"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        numbers("new"),
        ["L1", "L2"],
        "joins on the first and last day"
    );
    assert_eq!(numbers("lapsed"), ["L3"], "a lapse exactly six months on");
    assert_eq!(numbers("entered_arrears"), ["L4"]);
    assert_eq!(numbers("in_arrears"), ["L4"]);
    assert_eq!(numbers("resigned"), ["L5"]);
    for empty in ["rejoined", "transferred_in", "transferred_out", "deceased"] {
        assert!(numbers(empty).is_empty(), "{empty}");
    }
    let first = &report["sections"]["new"][0];
    for key in ["membership_number", "first_name", "last_name", "branch"] {
        assert!(first.get(key).is_some(), "{key}");
    }
    // A branch's slice holds only its own people.
    let slice = env.ok(&[
        "report",
        "action",
        "--as-of",
        "2025-03-14",
        "--unit",
        "riverside",
        "--format",
        "json",
    ]);
    let slice: serde_json::Value = serde_json::from_str(&slice).expect("json");
    assert_eq!(slice["sections"]["new"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        slice["sections"]["lapsed"].as_array().map(Vec::len),
        Some(0)
    );
    // A member who moves branch is in their new branch's slice, not the old one's.
    let moved = file.replace("L4,Dan,Arrears,riverside", "L4,Dan,Arrears,docks");
    let out = env.import("moved.csv", moved.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let in_arrears = |unit: &str| -> Vec<String> {
        let json = env.ok(&[
            "report",
            "action",
            "--as-of",
            "2025-03-14",
            "--unit",
            unit,
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        v["sections"]["in_arrears"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| r["membership_number"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(in_arrears("docks"), ["L4"]);
    assert!(in_arrears("riverside").is_empty());
    let csv = env.ok(&["report", "action", "--as-of", "14/03/2025"]);
    assert!(
        csv.starts_with("section,membership_number,first_name,last_name,branch"),
        "{csv}"
    );
    assert_eq!(csv.lines().filter(|l| l.starts_with("new,")).count(), 2);
    assert!(stderr(&env.run(&["report", "action", "--unit", "nowhere"])).contains("nowhere"));
    assert!(stderr(&env.run(&["report", "action", "--as-of", "31/02/2025"])).contains("--as-of"));
}

/// An export imports back unchanged, even where it had to quote a cell that a spreadsheet
/// would run as a formula, or one that began with a quote of its own.
#[test]
fn an_export_with_quoted_formula_cells_imports_back_unchanged() {
    let env = Env::new();
    // A file from a spreadsheet: `'=…` there is the text `=…`, and `''=…` is `'=…`.
    let file = "membership_number,first_name,last_name,address_line1,town,rate,joined_on\n\
                L1,Ada,'t Hooft,=SUM(A1:A9),-Upper Town,standard,2024-01-02\n\
                L2,Bo,@Large,''=1+1,+44 Street,standard,2024-02-03\n";
    let first = env.import("first.csv", file.as_bytes(), &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let exported = env.exported();
    assert!(
        exported.contains(",'=SUM(A1:A9),"),
        "a formula is quoted: {exported}"
    );
    assert!(
        exported.contains(",''=1+1,"),
        "a leading quote is quoted too"
    );
    let again = env.import("again.csv", exported.as_bytes(), &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    let summary = stderr(&again) + &String::from_utf8_lossy(&again.stdout);
    assert!(
        summary.contains("0 added") && summary.contains("0 updated"),
        "re-importing an export changes nothing: {summary}"
    );
    assert_eq!(env.exported(), exported, "and exports the same again");
}

/// A spreadsheet cell with line breaks in the address imports as the address's lines; an
/// escape sequence in a name is refused with its row and column.
#[test]
fn multi_line_addresses_import_as_lines_and_control_characters_are_named() {
    let env = Env::new();
    let file = "membership_number,first_name,last_name,address_line1,rate,joined_on\r\n\
                L1,Ada,Okafor,\"Flat 2\r\n12 High Street\r\nRiverside\",standard,2024-01-02\r\n";
    let ok = env.import("lines.csv", file.as_bytes(), &[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let exported = env.exported();
    assert!(
        exported.contains(",Flat 2,\"12 High Street, Riverside\","),
        "{exported}"
    );
    let bad = "membership_number,first_name,last_name,rate,joined_on\n\
               L2,\u{1b}[31mBo,Large,standard,2024-01-02\n";
    let refused = env.import("bad.csv", bad.as_bytes(), &[]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("row 2, first_name: has a control character (U+001B)"),
        "{}",
        stderr(&refused)
    );
}

/// `--skip-invalid` counts rows skipped, not problems: a row with two is one row.
#[test]
fn skipped_rows_are_counted_as_rows() {
    let env = Env::new();
    let file = "membership_number,first_name,last_name,rate,joined_on\n\
                L1,,Okafor,standard,bad\n\
                L2,Bo,Large,standard,2024-01-02\n";
    let out = env.import("two.csv", file.as_bytes(), &["--skip-invalid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    assert!(
        said.contains("2 rows: 1 added") && said.contains("1 skipped as invalid"),
        "{said}"
    );
}

#[test]
fn eligibility_lists_who_may_and_why_not_at_a_freeze_date() {
    let env = Env::new();
    env.ok(&["unit", "add", "--name", "Riverside"]);
    env.ok(&["unit", "add", "--name", "Docks"]);
    let file = "membership_number,first_name,last_name,kind,branch,rate,joined_on,paid_until\n\
        E1,Ada,Long,member,riverside,standard,2025-01-01,2026-01-01\n\
        E2,Ben,New,member,riverside,standard,2025-05-01,2026-05-01\n\
        E3,Cat,Lapsed,member,docks,standard,2022-01-01,2023-01-01\n\
        E4,Dan,Friend,supporter,docks,standard,2024-01-01,2026-01-01\n";
    let out = env.import("eligibility.csv", file.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = env.ok(&[
        "report",
        "eligibility",
        "--right",
        "attend_meetings",
        "--as-of",
        "2025-06-01",
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "membership_number,first_name,last_name,eligible,reason"
    );
    assert_eq!(lines.len(), 5, "{csv}");
    let row = |n: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(n))
            .unwrap_or_else(|| panic!("{n} in {csv}"))
    };
    assert!(row("E1,").starts_with("E1,Ada,Long,true,"), "{csv}");
    assert!(
        row("E2,").contains(",false,") && row("E2,").contains("8 weeks"),
        "{csv}"
    );
    assert!(
        row("E2,").contains("2025-06-26"),
        "when they will reach it: {csv}"
    );
    assert!(
        row("E3,").contains(",false,") && row("E3,").contains("lapsed"),
        "{csv}"
    );
    assert!(
        row("E4,").contains(",false,") && row("E4,").contains("supporter"),
        "{csv}"
    );

    // Measured at an earlier freeze date, the long-standing member still qualifies and
    // the new one is further away; a six-month right refuses both.
    let json = env.ok(&[
        "report",
        "eligibility",
        "--right",
        "vote_in_selections",
        "--as-of",
        "2025-06-01",
        "--freeze",
        "2025-05-15",
        "--unit",
        "riverside",
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("json");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "only the branch: {json}");
    assert!(rows.iter().all(|r| r["eligible"] == false), "{json}");
    assert!(
        rows[0]["reason"].as_str().unwrap().contains("6 months"),
        "{json}"
    );

    // A right the rules file does not have is named, with the ones it does.
    let err = env.fails(&["report", "eligibility", "--right", "fly"]);
    assert!(
        err.contains("'fly' is not a right") && err.contains("vote_at_meetings"),
        "{err}"
    );
    let err = env.fails(&[
        "report",
        "eligibility",
        "--right",
        "attend_meetings",
        "--unit",
        "nowhere",
    ]);
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn timestamps_from_other_systems_import_as_their_day() {
    let env = Env::new();
    let file = "membership_number,first_name,last_name,rate,joined_on,paid_until\n\
        T1,Ada,Stamp,standard,2021-05-02T14:03:11+01:00,2027-05-01 09:00:00\n";
    let out = env.import("stamps.csv", file.as_bytes(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = env.exported();
    let row = exported.lines().find(|l| l.starts_with("T1,")).expect("T1");
    assert!(
        row.contains("2021-05-02") && row.contains("2027-05-01"),
        "{row}"
    );
}
