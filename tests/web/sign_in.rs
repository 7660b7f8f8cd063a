//! Sign-in: throttling, invitations, password resets and two-step sign-in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use rosette::demo;
use rosette::store::outbox;

use crate::common::TestDb;
use crate::common::web::*;

async fn sign_in_is_throttled_and_invitations_set_passwords(t: TestDb) {
    let app = App::new(&t).await;
    for _ in 0..5 {
        let r = app
            .post(
                "/sign-in",
                None,
                &[("email", BRANCH), ("password", "wrong password here")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("do not match"));
    }
    let r = app
        .post(
            "/sign-in",
            None,
            &[("email", BRANCH), ("password", demo::PASSWORD)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the sixth try is refused even with the right password"
    );
    // An unknown address gets the same answer as a wrong password.
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "nobody@example.org"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("do not match"));

    // The Secretary invites a Branch Secretary, who sets a password from the emailed link.
    let s = app.sign_in(SECRETARY).await;
    let roles = app.get("/roles", Some(&s)).await.body;
    let units = roles.split("name=\"unit\"").nth(1).expect("unit select");
    let branch = units
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| o.split('"').next())
        .find(|v| *v != "local-party")
        .expect("a branch")
        .to_string();
    let r = app
        .post(
            "/roles",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Ada Lovegood"),
                ("email", "ada@example.org"),
                ("role", "branch-secretary"),
                ("unit", "local-party"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a branch role is refused for the local party"
    );
    let r = app
        .post(
            "/roles",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Ada Lovegood"),
                ("email", "ada@example.org"),
                ("role", "branch-secretary"),
                ("unit", &branch),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{branch}: {}", r.body);
    // The test server writes mail to a folder: the page says so, and who to send it to.
    assert!(
        r.body
            .contains("invitation to choose a password is waiting in")
            && r.body.contains("send it to ada@example.org yourself"),
        "{}",
        r.body
    );
    let mut tx = app.db.begin().await.expect("tx");
    let mail = outbox::recent(&mut tx, 5).await.expect("outbox");
    drop(tx);
    let invite = mail
        .iter()
        .find(|m| m.to_address == "ada@example.org")
        .expect("invitation queued");
    assert!(
        invite
            .body
            .contains("You have been made Branch Secretary for "),
        "the invitation names the role: {}",
        invite.body
    );
    let link = invite
        .body
        .split_whitespace()
        .find(|w| w.contains("/welcome/"))
        .expect("link");
    let path = link.trim_start_matches("https://rosette.example");
    assert_eq!(app.get(path, None).await.status, StatusCode::OK);
    let r = app
        .post(
            path,
            None,
            &[("password", "password1"), ("password_again", "password1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            path,
            None,
            &[
                ("password", "tulip harbour lantern"),
                ("password_again", "tulip harbour lantern"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(path, None).await.status,
        StatusCode::GONE,
        "a link works once"
    );
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "ada@example.org"),
                ("password", "tulip harbour lantern"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A forgotten password: the same answer for any address, a one-hour link for a real one.
    let r = app
        .post("/reset", None, &[("email", "nobody@example.org")])
        .await;
    assert!(r.body.contains("If that address has an account"));
    let r = app
        .post("/reset", None, &[("email", "ada@example.org")])
        .await;
    assert!(r.body.contains("If that address has an account"));
    let mut tx = app.db.begin().await.expect("tx");
    let mail = outbox::recent(&mut tx, 10).await.expect("outbox");
    drop(tx);
    assert!(!mail.iter().any(|m| m.to_address == "nobody@example.org"));
    let reset = mail
        .iter()
        .find(|m| m.subject.contains("Reset"))
        .expect("reset mail");
    let path = reset
        .body
        .split_whitespace()
        .find(|w| w.contains("/reset/"))
        .expect("link")
        .trim_start_matches("https://rosette.example")
        .to_string();
    let r = app
        .post(
            &path,
            None,
            &[
                ("password", "copper kettle meadow"),
                ("password_again", "copper kettle meadow"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "ada@example.org"),
                ("password", "tulip harbour lantern"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "ada@example.org"),
                ("password", "copper kettle meadow"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Only the Secretary gives roles.
    let m = app.sign_in(MEMBERSHIP).await;
    let r = app
        .post(
            "/roles",
            Some(&m),
            &[
                ("csrf", &m.csrf),
                ("name", "X Y"),
                ("email", "x@example.org"),
                ("role", "secretary"),
                ("unit", "local-party"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn two_step_sign_in_can_be_set_up_used_and_required(t: TestDb) {
    let app = App::new(&t).await;
    let now = || u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let s = app.sign_in(SECRETARY).await;
    let r = app
        .post("/account/two-factor/start", Some(&s), &[("csrf", &s.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/account/two-factor", Some(&s)).await.body;
    let secret = page
        .split("id=\"totp-key\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the key to type in")
        .to_string();
    let r = app
        .post(
            "/account/two-factor/confirm",
            Some(&s),
            &[("csrf", &s.csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = rosette::secrets::totp_code(&secret, now()).expect("code");
    let r = app
        .post(
            "/account/two-factor/confirm",
            Some(&s),
            &[("csrf", &s.csrf), ("code", &code)],
        )
        .await;
    assert_eq!(r.location, "/account/two-factor?done=on");

    // Next sign-in: the password alone reaches nothing.
    let req = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={SECRETARY}&password=rosette+demo+sign-in&next=%2Fmembers"
        )))
        .expect("request");
    let res = app.app.clone().oneshot(req).await.expect("response");
    let to = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a redirect");
    assert!(to.starts_with("/sign-in/code"), "{to}");
    let pending = Session {
        cookie: res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_string(),
        csrf: String::new(),
    };
    assert!(
        app.get("/members", Some(&pending))
            .await
            .location
            .starts_with("/sign-in/code")
    );
    assert_eq!(
        app.api("GET", "/sign-in/code", None, None).await.location,
        "/sign-in"
    );
    let r = app
        .post(
            "/sign-in/code",
            Some(&pending),
            &[("code", &code), ("next", "/members")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a code works once");
    let next = rosette::secrets::totp_code(&secret, now() + 30).expect("code");
    let r = app
        .post(
            "/sign-in/code",
            Some(&pending),
            &[("code", &next), ("next", "/members")],
        )
        .await;
    assert_eq!(r.location, "/members");
    let home = app.get("/", Some(&pending)).await;
    assert_eq!(home.status, StatusCode::OK);
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_string();
    let full = Session {
        cookie: pending.cookie.clone(),
        csrf,
    };

    // The Secretary requires it of officers who see every member.
    let r = app
        .post(
            "/roles/two-factor",
            Some(&full),
            &[("csrf", &full.csrf), ("require", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let m = app.sign_in(MEMBERSHIP).await;
    assert_eq!(
        app.get("/members", Some(&m)).await.location,
        "/account/two-factor"
    );
    assert!(
        app.get("/account/two-factor", Some(&m))
            .await
            .body
            .contains("asks officers who can see every member")
    );
    let b = app.sign_in(BRANCH).await;
    assert_eq!(
        app.get("/members", Some(&b)).await.status,
        StatusCode::OK,
        "a branch officer is not asked"
    );
    let r = app
        .post(
            "/account/two-factor/off",
            Some(&full),
            &[("csrf", &full.csrf), ("code", &next)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cannot be turned off while required"
    );
}

/// Where to go after signing in is a path on this site, whatever was smuggled into it:
/// a tab or line break (which browsers drop, turning `/\t/evil.example` into
/// `//evil.example`) or a carriage return (which cannot go in a header) leads home.
async fn after_sign_in_nobody_is_sent_to_another_site(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    for next in ["%09", "%0a", "%0d", "%0b", "%20", "%5c"] {
        let r = app
            .get(
                &format!("/sign-in/code?next=/{next}/evil.example/x"),
                Some(&s),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.body);
        assert_eq!(r.location, "/", "{next}");
        let r = app
            .post(
                "/sign-in",
                None,
                &[
                    ("email", MEMBERSHIP),
                    ("password", demo::PASSWORD),
                    ("next", &format!("/{}/evil.example/x", urlencoding(next))),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.body);
        assert_eq!(r.location, "/", "{next}");
    }
    // An ordinary path on the site is kept.
    let r = app
        .get("/sign-in/code?next=/members%3Fstatus%3Dlapsed", Some(&s))
        .await;
    assert_eq!(r.location, "/members?status=lapsed");
}

/// The character a `%XX` escape stands for.
fn urlencoding(escape: &str) -> String {
    let byte = u8::from_str_radix(escape.trim_start_matches('%'), 16).expect("hex");
    char::from(byte).to_string()
}

/// Two reset links asked for, the newer one used: the older one no longer works, and a
/// session signed in before the change is ended.
async fn a_new_password_cancels_older_links_and_sessions(t: TestDb) {
    let app = App::new(&t).await;
    let before = app.sign_in(BRANCH).await;
    for _ in 0..2 {
        let r = app.post("/reset", None, &[("email", BRANCH)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let mut tx = app.db.begin_read().await.expect("tx");
    let mail = outbox::recent(&mut tx, 10).await.expect("outbox");
    drop(tx);
    // Newest first.
    let links: Vec<String> = mail
        .iter()
        .filter(|m| m.to_address == BRANCH && m.subject.contains("Reset"))
        .map(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.contains("/reset/"))
                .expect("link")
                .trim_start_matches("https://rosette.example")
                .to_string()
        })
        .collect();
    assert_eq!(links.len(), 2, "two reset links");
    let (newer, older) = (&links[0], &links[1]);
    let app = &app;
    let set = async |path: String| {
        app.post(
            &path,
            None,
            &[
                ("password", "willow orchard compass"),
                ("password_again", "willow orchard compass"),
            ],
        )
        .await
    };
    let r = set(newer.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.get(older, None).await.status, StatusCode::GONE);
    assert_eq!(set(older.clone()).await.status, StatusCode::GONE);
    let home = app.get("/", Some(&before)).await;
    assert_eq!(
        home.status,
        StatusCode::SEE_OTHER,
        "the old session is ended"
    );
    assert!(home.location.starts_with("/sign-in"), "{}", home.location);
    let page = app.get("/sign-in?done=password", None).await;
    assert!(page.body.contains("no longer works"));
}

/// Wrong passwords slow down whoever sends them without locking anyone else out: five
/// for one account from one address make that address wait, but the officer still signs
/// in from elsewhere, and a shared office's twenty slips on several accounts stop no one.
async fn guessing_is_slowed_per_account_and_address(t: TestDb) {
    let app = App::new(&t).await;
    let from = |ip: [u8; 4], email: &str, password: &str| {
        let mut req = axum::http::Request::post("/sign-in")
            .header(
                axum::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(axum::body::Body::from(
                serde_urlencoded::to_string([("email", email), ("password", password)])
                    .expect("form"),
            ))
            .expect("request");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                ip, 40_000,
            ))));
        app.send(req)
    };
    let attacker = [203, 0, 113, 9];
    for _ in 0..5 {
        let r = from(attacker, BRANCH, "a guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = from(attacker, BRANCH, demo::PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the guesser waits");
    let r = from([198, 51, 100, 7], BRANCH, demo::PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the officer, elsewhere, does not"
    );

    let office = [192, 0, 2, 44];
    for email in [MEMBERSHIP, WOMEN, CALLER, "caller2@example.org", SECRETARY] {
        for _ in 0..4 {
            let r = from(office, email, "mistyped").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{email}");
        }
    }
    let r = from(office, SECRETARY, demo::PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "twenty slips in one office lock nobody out"
    );
}

crate::both!(
    sign_in_is_throttled_and_invitations_set_passwords,
    two_step_sign_in_can_be_set_up_used_and_required,
    after_sign_in_nobody_is_sent_to_another_site,
    a_new_password_cancels_older_links_and_sessions,
    guessing_is_slowed_per_account_and_address,
);
