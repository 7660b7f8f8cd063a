//! Call lists: people shared between callers without overlap, outcomes, follow-ups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;

use crate::common::TestDb;
use crate::common::web::*;

async fn call_lists_share_people_between_callers_without_overlap(t: TestDb) {
    let app = App::new(&t).await;
    let m = app.sign_in(MEMBERSHIP).await;
    let report = app
        .post("/reports", Some(&m), &[("csrf", &m.csrf)])
        .await
        .location;
    let report_id = report.trim_start_matches("/reports/").to_string();
    let from = format!("report:{report_id}:in_arrears");
    let page = app.get(&format!("/calls/new?from={from}"), Some(&m)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Who is left out is shown by name, with the way to reach them otherwise.
    assert!(page.body.contains("Left out: "), "{}", page.body);
    assert!(page.body.contains("has not agreed to phone calls"));
    assert!(
        page.body
            .contains("/members?status=in_arrears&#38;consent=no_phone")
    );
    assert!(
        page.body.contains("value=\"In arrears, "),
        "the suggested name reads as words"
    );
    let callers: Vec<String> = page
        .body
        .split("name=\"caller\" value=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next().map(str::to_string))
        .collect();
    assert!(callers.len() >= 2);
    let mut users: Vec<(String, String)> = Vec::new();
    for email in [CALLER, "caller2@example.org"] {
        users.push((email.to_string(), app.user_id(email).await));
    }
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &m.csrf),
        ("from", &from),
        ("name", "Arrears this fortnight"),
        ("script", "Hello, I'm calling from your local party…"),
        ("done_when", "reached"),
        ("min_gap_hours", "24"),
    ];
    for (_, id) in &users {
        form.push(("caller", id));
    }
    let r = app.post("/calls", Some(&m), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = r
        .location
        .strip_suffix("?made=1")
        .expect("made")
        .to_string();

    // Two callers ask for the next person at the same moment: they get different people.
    let c1 = app.sign_in(CALLER).await;
    let c2 = app.sign_in("caller2@example.org").await;
    let next = format!("{list}/next");
    let (f1, f2) = ([("csrf", c1.csrf.as_str())], [("csrf", c2.csrf.as_str())]);
    let (a, b) = tokio::join!(
        app.post(&next, Some(&c1), &f1),
        app.post(&next, Some(&c2), &f2)
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let p1 = person_on(&app.get(&format!("{list}/call"), Some(&c1)).await.body)
        .expect("caller 1 has someone");
    let call2 = app.get(&format!("{list}/call"), Some(&c2)).await;
    let p2 = person_on(&call2.body).expect("caller 2 has someone");
    assert_ne!(p1, p2, "two callers never get the same person");
    assert!(call2.body.contains("href=\"tel:+44"), "a tel: link");
    cannot_open(&app, &c2, &p1).await;

    // Recording for someone you do not hold is refused; your own is saved and timelined.
    let r = app.outcome(&list, &c2, &p1, "no_answer", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.outcome(&list, &c1, &p1, "", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .outcome(
            &list,
            &c1,
            &p1,
            "do_not_call",
            &[("notes", "asked politely"), ("needs_officer", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let member = app.get(&format!("/members/{p1}"), Some(&m)).await.body;
    assert!(
        member.contains("Call: Spoke: do not call again") && member.contains("asked politely"),
        "on the timeline"
    );
    let organiser = app.get(&list, Some(&m)).await.body;
    assert!(
        flagged_on(&organiser).contains(&format!("/members/{p1}")),
        "flagged for an officer"
    );
    // Asked not to be called: phone consent is withdrawn, so a new list leaves them out.
    let token = app.token(MEMBERSHIP).await;
    let consent = app
        .api("GET", &format!("/api/v1/members/{p1}"), Some(&token), None)
        .await
        .json();
    assert_eq!(consent["consents"]["phone"], false);
    // The next person for caller 1 is someone new, never p1 or p2.
    app.post(&next, Some(&c1), &[("csrf", &c1.csrf)]).await;
    let p3 = person_on(&app.get(&format!("{list}/call"), Some(&c1)).await.body)
        .expect("a third person to call");
    assert!(p3 != p1 && p3 != p2);
    // Caller 1 lets p3 go (no answer), so the second list may offer them.
    app.outcome(&list, &c1, &p3, "no_answer", &[]).await;
    // "Call back" makes a follow-up for the caller, due when the person asked.
    let r = app
        .outcome(
            &list,
            &c2,
            &p2,
            "call_back",
            &[("call_back_on", "2026-11-25"), ("notes", "after work")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mine = app.get("/tasks", Some(&c2)).await.body;
    assert!(
        mine.contains("Call back")
            && mine.contains(&format!("/members/{p2}"))
            && mine.contains("25 Nov 2026"),
        "{mine}"
    );
    let task = first_task(&mine);
    let r = app
        .post(
            &format!("/tasks/{task}/done"),
            Some(&c1),
            &[("csrf", &c1.csrf)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "only the assignee closes a task"
    );
    let r = app
        .post(
            &format!("/tasks/{task}/done"),
            Some(&c2),
            &[("csrf", &c2.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !app.get("/tasks", Some(&c2))
            .await
            .body
            .contains(&format!("/members/{p2}"))
    );
    // An officer gives a follow-up by hand from the member's page, about someone in the
    // Branch Secretary's branch (whom she may see), to her.
    let branch_token = app.token(BRANCH).await;
    let in_branch = app.all(&branch_token, "").await[0]["id"]
        .as_str()
        .expect("someone in the branch")
        .to_string();
    let member = app
        .get(&format!("/members/{in_branch}"), Some(&m))
        .await
        .body;
    let branch_user = member
        .split("name=\"assignee\"")
        .nth(1)
        .and_then(|sel| {
            sel.split("<option value=\"")
                .skip(1)
                .find(|o| o.contains("Tom Ashworth"))
        })
        .and_then(|o| o.split('"').next())
        .expect("the Branch Secretary to assign")
        .to_string();
    let r = app
        .post(
            &format!("/members/{in_branch}/tasks"),
            Some(&m),
            &[
                ("csrf", &m.csrf),
                ("kind", "welcome_one_to_one"),
                ("assignee", &branch_user),
                ("due_on", "01/12/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let b = app.sign_in(BRANCH).await;
    assert!(
        app.get("/tasks", Some(&b))
            .await
            .body
            .contains("Welcome one-to-one")
    );
    let member = app.get(&format!("/members/{p1}"), Some(&m)).await.body;
    assert!(
        member.contains("no phone calls") && !member.contains("href=\"tel:"),
        "no tel: link once they said no"
    );
    // A "done when renewed" list: someone who renews meanwhile is never called.
    let mut form2: Vec<(&str, &str)> = vec![
        ("csrf", &m.csrf),
        ("from", &from),
        ("name", "Until renewed"),
        ("done_when", "renewed"),
        ("min_gap_hours", "24"),
    ];
    form2.push(("caller", &users[1].1));
    let list2 = app.post("/calls", Some(&m), &form2).await.location;
    let list2 = list2.strip_suffix("?made=1").expect("made").to_string();
    assert!(list2.starts_with("/calls/"), "{list2}");
    let r = app
        .post(
            &format!("/members/{p3}/payment"),
            Some(&m),
            &[("csrf", &m.csrf), ("amount", "60.00"), ("method", "card")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut called = Vec::new();
    for _ in 0..40 {
        let Some(p) = person_on(&app.next_call(&list2, &c2).await) else {
            break;
        };
        assert!(!called.contains(&p), "{p} offered twice");
        app.outcome(&list2, &c2, &p, "no_answer", &[]).await;
        called.push(p);
    }
    assert!(!called.is_empty());
    assert!(
        !called.contains(&p3),
        "the member who renewed was not called"
    );
    assert!(
        !called.contains(&p1),
        "the member who said no to calls is not on a new list"
    );
    // A caller not on the list cannot see it.
    assert_eq!(
        app.get(&format!("{list}/call"), Some(&b)).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A caller cannot open a person held by another caller.
async fn cannot_open(app: &App, caller: &Session, other: &str) {
    assert_eq!(
        app.get(&format!("/members/{other}"), Some(caller))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Work given to someone shows them the people it is about: the Women's Officer cannot
/// be given a follow-up about a man, nor be a caller on a list with men on it; a caller
/// (whose role is to ring whoever the list holds) and an officer who sees everyone can.
async fn work_is_only_given_to_people_who_may_see_who_it_is_about(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let everyone = app.all(&token, "").await;
    let man = everyone
        .iter()
        .find(|m| m["gender"] == "man")
        .expect("a man")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let woman = everyone
        .iter()
        .find(|m| m["gender"] == "woman")
        .expect("a woman")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (women_officer, caller, membership) = (
        app.user_id(WOMEN).await,
        app.user_id(CALLER).await,
        app.user_id(MEMBERSHIP).await,
    );
    let s = app.sign_in(SECRETARY).await;
    let task = |person: &str, assignee: &str| {
        let (person, assignee) = (person.to_string(), assignee.to_string());
        let app = &app;
        let csrf = s.csrf.clone();
        let s = &s;
        async move {
            app.post(
                &format!("/members/{person}/tasks"),
                Some(s),
                &[
                    ("csrf", csrf.as_str()),
                    ("kind", "update_details"),
                    ("assignee", &assignee),
                ],
            )
            .await
        }
    };
    let refused = task(&man, &women_officer).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("cannot see"), "{}", refused.body);
    assert_eq!(
        task(&woman, &women_officer).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(task(&man, &membership).await.status, StatusCode::SEE_OTHER);

    let segment = app.segment(&token, "Everyone", "").await;
    let make = |callers: Vec<String>| {
        let app = &app;
        let s = &s;
        let from = format!("segment:{segment}");
        async move {
            let mut form: Vec<(&str, &str)> = vec![
                ("csrf", &s.csrf),
                ("from", &from),
                ("name", "Everyone"),
                ("done_when", "reached"),
            ];
            for c in &callers {
                form.push(("caller", c));
            }
            app.post("/calls", Some(s), &form).await
        }
    };
    let refused = make(vec![caller.clone(), women_officer.clone()]).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("cannot see"), "{}", refused.body);
    let made = make(vec![caller, membership]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
}

/// The caller's loop: her home page shows her list, saving an outcome leads straight to
/// the next person, the page says how many are left, and a mistake in the form keeps
/// everything the caller typed.
async fn the_callers_loop_goes_straight_on_and_keeps_what_was_typed(t: TestDb) {
    let app = App::new(&t).await;
    let m = app.sign_in(MEMBERSHIP).await;
    let list = app.arrears_call_list(&m, &[CALLER]).await;
    let c = app.sign_in(CALLER).await;
    // The caller's home page shows the list given to her, and how many are waiting.
    let home = app.get("/", Some(&c)).await.body;
    assert!(
        home.contains(&format!("href=\"{list}/call\"")) && home.contains("still to call"),
        "{home}"
    );
    let page = app.next_call(&list, &c).await;
    let first = person_on(&page).expect("someone to call");
    assert!(page.contains("still to call"), "how many are left");
    let r = app.outcome(&list, &c, &first, "no_answer", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&r.location, Some(&c)).await.body;
    let second = person_on(&page).expect("the next person, without asking");
    assert_ne!(second, first);

    let r = app
        .outcome(
            &list,
            &c,
            &second,
            "call_back",
            &[
                ("notes", "ring after six"),
                ("needs_officer", "yes"),
                ("call_back_on", "31/02/2027"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not a real date"), "the problem is said");
    assert!(
        r.body.contains("value=\"call_back\" checked"),
        "the outcome is kept"
    );
    assert!(
        r.body.contains(">ring after six</textarea>"),
        "the notes are kept"
    );
    assert!(
        r.body.contains("value=\"31/02/2027\""),
        "the date is kept to correct"
    );
    assert!(r.body.contains("value=\"yes\" checked"), "the flag is kept");
    // The day as the date field sends it is taken.
    let r = app
        .outcome(
            &list,
            &c,
            &second,
            "call_back",
            &[("call_back_on", "2026-11-28")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// "Needs an officer" reaches the officer who made the list: on their home page and their
/// tasks, and they close it with what they did.
async fn a_flag_for_an_officer_reaches_them_and_is_closed_with_a_note(t: TestDb) {
    let app = App::new(&t).await;
    let m = app.sign_in(MEMBERSHIP).await;
    let list = app.arrears_call_list(&m, &[CALLER]).await;
    let home = app.get("/", Some(&m)).await.body;
    assert!(home.contains("Follow-ups given to you"), "{home}");
    let c = app.sign_in(CALLER).await;
    let person = person_on(&app.next_call(&list, &c).await).expect("someone to call");
    let r = app
        .outcome(
            &list,
            &c,
            &person,
            "will_renew",
            &[
                ("notes", "wants to pay by cheque"),
                ("needs_officer", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let tasks = app.get("/tasks", Some(&m)).await.body;
    assert!(
        tasks.contains("Needs an officer") && tasks.contains(&format!("/members/{person}")),
        "the flag is on the organiser's tasks: {tasks}"
    );
    assert!(
        tasks.contains("wants to pay by cheque"),
        "with the caller's notes"
    );
    let task = first_task(&tasks);
    let r = app
        .post(
            &format!("/tasks/{task}/done"),
            Some(&m),
            &[("csrf", &m.csrf), ("note", "Sent the cheque address")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!app.get("/tasks", Some(&m)).await.body.contains(&task));
    let page = app.get(&list, Some(&m)).await.body;
    assert!(
        !flagged_on(&page).contains(&format!("/members/{person}"))
            && page.contains("Needs an officer: 0"),
        "the list no longer shows the flag once it is dealt with"
    );
    let s = app.sign_in(SECRETARY).await;
    let log = app.get("/audit?action=task.done", Some(&s)).await.body;
    assert!(
        log.contains("Sent the cheque address"),
        "the note is on the record"
    );
}

/// The "Needs an officer" part of a call list's page.
fn flagged_on(page: &str) -> &str {
    page.split("Needs an officer: ")
        .nth(1)
        .and_then(|r| r.split("<h2 id=\"callers\">").next())
        .unwrap_or("")
}

/// The organiser's page for a list says it was made, lists its callers (added and
/// removed there, within scope) and everyone on it with how each call went.
async fn a_call_lists_page_shows_its_callers_and_people(t: TestDb) {
    let app = App::new(&t).await;
    let m = app.sign_in(MEMBERSHIP).await;
    let list = app.arrears_call_list(&m, &[CALLER]).await;
    let caller = app.user(CALLER).await.name;
    let made = app.get(&format!("{list}?made=1"), Some(&m)).await.body;
    assert!(
        made.contains("The list is made: ") && made.contains(&format!("shared with {caller}.")),
        "{made}"
    );
    let rows = |page: &str| page.matches("<td data-label=\"Now\">").count();
    let total: usize = made
        .split("People on the list: ")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .and_then(|n| n.trim().parse().ok())
        .expect("a count of people");
    assert!(total > 0);
    assert_eq!(rows(&made), total, "everyone on the list is listed");
    assert_eq!(made.matches("not called yet").count(), total);

    // A caller's call is on the organiser's page as it happened.
    let c = app.sign_in(CALLER).await;
    let first = person_on(&app.next_call(&list, &c).await).expect("someone to call");
    app.outcome(&list, &c, &first, "no_answer", &[]).await;
    let page = app.get(&list, Some(&m)).await.body;
    assert_eq!(page.matches("not called yet").count(), total - 1);
    assert!(page.contains("<td data-label=\"Calls\">No answer</td>"));

    // Another caller is added; the Women's Officer cannot be, as she may not see the men.
    let second = app.user_id("caller2@example.org").await;
    let r = app
        .post(
            &format!("{list}/callers"),
            Some(&m),
            &[("csrf", &m.csrf), ("caller", &second)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let added = app.get(&r.location, Some(&m)).await.body;
    assert!(
        added.contains(&format!(
            "{} can now call on this list",
            app.user("caller2@example.org").await.name
        )),
        "{added}"
    );
    // The notice names people from the list itself, not from whatever the address says.
    let forged = app
        .get(&format!("{list}?added=Your+bank&removed=x"), Some(&m))
        .await
        .body;
    assert!(!forged.contains("Your bank") && !forged.contains("class=\"notice\""));
    let women = app.user_id(WOMEN).await;
    let r = app
        .post(
            &format!("{list}/callers"),
            Some(&m),
            &[("csrf", &m.csrf), ("caller", &women)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("cannot see"), "{}", r.body);
    // Only the organiser changes callers.
    let c2 = app.sign_in("caller2@example.org").await;
    let r = app
        .post(
            &format!("{list}/callers"),
            Some(&c2),
            &[("csrf", &c2.csrf), ("caller", &second)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The first caller holds someone and is removed: the list is gone for them, and the
    // person they held is free for the other caller at once.
    let held = person_on(&app.next_call(&list, &c).await).expect("the first caller holds someone");
    let me = app.user_id(CALLER).await;
    let r = app
        .post(
            &format!("{list}/callers/remove"),
            Some(&m),
            &[("csrf", &m.csrf), ("caller", &me)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        app.get(&r.location, Some(&m))
            .await
            .body
            .contains("no longer calls on this list")
    );
    assert_eq!(
        app.get(&format!("{list}/call"), Some(&c)).await.status,
        StatusCode::NOT_FOUND
    );
    // Nor does the removed caller still see the people the list shared with them.
    for person in [&first, &held] {
        assert_eq!(
            app.get(&format!("/members/{person}"), Some(&c))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{person} is no longer shared with a removed caller"
        );
    }
    let call = app.next_call(&list, &c2).await;
    assert_eq!(person_on(&call), Some(held), "released to the other caller");
    // The call screen says what helps the conversation.
    assert!(
        call.contains("<dt>Membership</dt><dd>In arrears, paid until ")
            && call.contains("<dt>Rate</dt>"),
        "{call}"
    );
    let s = app.sign_in(SECRETARY).await;
    let log = app.get("/audit?action=calls.callers", Some(&s)).await.body;
    assert!(log.contains("no longer calls on") && log.contains("now calls on"));
}

crate::both!(
    a_call_lists_page_shows_its_callers_and_people,
    call_lists_share_people_between_callers_without_overlap,
    work_is_only_given_to_people_who_may_see_who_it_is_about,
    the_callers_loop_goes_straight_on_and_keeps_what_was_typed,
    a_flag_for_an_officer_reaches_them_and_is_closed_with_a_note,
);
