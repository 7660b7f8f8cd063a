//! Surveys: the Women's Officer's ready-made interests and training survey sent with a
//! personal link each, answered through it, counted on the results page, picked out by
//! the member list's filter and a segment, and shown on the person's page; the public link
//! anonymous and with contact details; closing; who may see a survey.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use serde_json::Value;

use crate::common::TestDb;
use crate::common::web::*;
use crate::events::{by_email, link_in};

/// Makes a survey through the form; returns its id.
pub(crate) async fn make(app: &App, s: &Session, fields: &[(&str, &str)]) -> String {
    let mut form = vec![("csrf", s.csrf.as_str())];
    form.extend_from_slice(fields);
    let r = app.post("/surveys", Some(s), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location.trim_start_matches("/surveys/").to_string()
}

fn ids(people: &[Value]) -> Vec<String> {
    people
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

async fn a_survey_sent_to_women_members_feeds_a_segment(t: TestDb) {
    let app = App::new(&t).await;
    crate::emails::set_imprint(&app).await;
    let wo = app.sign_in(WOMEN).await;
    let token = app.token(WOMEN).await;
    // She starts from the ready-made survey, for her women's branch.
    let new = app
        .get("/surveys/new?from=women_interests", Some(&wo))
        .await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    assert!(new.body.contains("What training would you like?"));
    let questions = rosette::domain::surveys::READY_MADE[0].questions;
    let id = make(
        &app,
        &wo,
        &[
            ("unit", "women-s-branch"),
            ("title", "Women members: your interests and training"),
            ("intro", "Tell us what you would like."),
            ("questions", questions),
            ("public_link", "off"),
        ],
    )
    .await;
    let list = app.get("/surveys", Some(&wo)).await;
    assert!(list.body.contains(&id), "{}", list.body);
    let home = app.get("/women", Some(&wo)).await;
    assert!(
        home.body.contains(&format!("/surveys/{id}")),
        "on her home page"
    );

    // Emailed to women members: a campaign email, only to those who agreed to email.
    let r = app
        .post(
            &format!("/surveys/{id}/invite"),
            Some(&wo),
            &[("csrf", &wo.csrf), ("audience", "gender=woman&kind=member")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let draft = r.location.trim_start_matches("/emails/").to_string();
    let r = app.send_email(&token, &draft).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let agreed = app
        .all(&token, "gender=woman&kind=member&consent=email")
        .await;
    let sent = crate::emails::deliver(&app, &crate::emails::mail_dir()).await;
    assert!(!sent.is_empty());
    assert!(sent.len() <= agreed.len(), "consent respected");
    let mail = &sent[0];
    let link = link_in(mail, "https://rosette.example/s/");
    assert!(link.starts_with(&format!("/s/{id}?i=")), "{link}");
    let address = agreed
        .iter()
        .filter_map(|p| p["email"].as_str())
        .find(|a| mail.contains(a))
        .expect("the recipient is one who agreed")
        .to_string();
    let her = by_email(&app, &address).await[0].public_id.clone();

    // Her own link: a page that greets her, no form to say who she is.
    let page = app.get(&link, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Hello "), "{}", page.body);
    assert!(!page.body.contains("name=\"email\""));
    let invitation = link.split("?i=").nth(1).unwrap().to_string();
    // Mistakes are named by question, and nothing is stored.
    let r = app
        .post(
            &format!("/s/{id}"),
            None,
            &[
                ("invitation", &invitation),
                ("q3", "1"),
                ("q3", "2"),
                ("q4", "9"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-q3\"") && r.body.contains("id=\"e-q4\""));
    let r = app
        .post(
            &format!("/s/{id}"),
            None,
            &[
                ("invitation", &invitation),
                ("q1", "1"),
                ("q2", "1"),
                ("q2", "2"),
                ("q3", "2"),
                ("q4", "2"),
                ("q6", "More evening courses, please."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("your answers are in"), "{}", r.body);

    // The results, counted; each answer opens the people who gave it.
    let results = app.get(&format!("/surveys/{id}"), Some(&wo)).await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.body);
    assert!(results.body.contains("1 answered"), "{}", results.body);
    assert!(results.body.contains("More evening courses, please."));
    assert!(results.body.contains("average 2.0"), "{}", results.body);
    let href = format!("/members?answer={id}%3A2%3APublic+speaking");
    assert!(results.body.contains(&href), "{}", results.body);
    let filter = format!("answer={id}%3A2%3APublic%20speaking");
    assert_eq!(ids(&app.all(&token, &filter).await), vec![her.clone()]);
    assert!(
        app.all(
            &token,
            &format!("answer={id}%3A2%3ABeing%20a%20branch%20officer")
        )
        .await
        .is_empty()
    );
    assert_eq!(
        ids(&app.all(&token, &format!("answer={id}%3A4%3A2")).await),
        vec![her.clone()],
        "a scale's point"
    );
    let segment = app.segment(&token, "Wants public speaking", &filter).await;
    let members = app
        .api(
            "GET",
            &format!("/api/v1/segments/{segment}/members"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    assert_eq!(
        ids(members.json()["items"].as_array().unwrap()),
        vec![her.clone()]
    );
    // On her page, with her answers.
    let record = app.get(&format!("/members/{her}"), Some(&wo)).await;
    assert!(record.body.contains("Surveys answered"), "{}", record.body);
    assert!(record.body.contains("Public speaking; Chairing meetings"));

    // The API: the survey with its questions, its counts, and her answers by name.
    let listed = app.api("GET", "/api/v1/surveys", Some(&token), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let mine = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(mine["questions"].as_array().unwrap().len(), 6);
    assert_eq!(mine["questions"][1]["options"][0], "Public speaking");
    let counted = app
        .api("GET", &format!("/api/v1/surveys/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(counted["named"], 1);
    assert_eq!(
        counted["questions"][1]["counts"][0]["answer"],
        "Public speaking"
    );
    assert_eq!(counted["questions"][1]["counts"][0]["count"], 1);
    assert_eq!(counted["questions"][3]["mean"], 2.0);
    let answers = app
        .api(
            "GET",
            &format!("/api/v1/surveys/{id}/answers"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(answers["items"][0]["person"], her.as_str());
    assert_eq!(
        answers["items"][0]["answers"][1]["answer"],
        "Public speaking; Chairing meetings"
    );
    let bad = app
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&token),
            Some(serde_json::json!({"unit": "women-s-branch", "title": "T", "questions": "single: Q?\n- only"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(problem_fields(&bad.json()), vec!["questions"]);
    let bad = app
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&token),
            Some(serde_json::json!({"unit": "women-s-branch", "title": "T", "questions": "text: Q?", "colour": "red"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let made = app
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&token),
            Some(serde_json::json!({"unit": "women-s-branch", "title": "Quick one", "questions": "scale: How was the meeting?", "public_link": "anonymous"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["questions"][0]["kind"], "scale");

    // Answering again replaces her answers: she counts once.
    let r = app
        .post(
            &format!("/s/{id}"),
            None,
            &[("invitation", &invitation), ("q2", "3")],
        )
        .await;
    assert!(
        r.body.contains("replace the ones you gave before"),
        "{}",
        r.body
    );
    assert!(app.all(&token, &filter).await.is_empty());
    let results = app.get(&format!("/surveys/{id}"), Some(&wo)).await;
    assert!(results.body.contains("1 answered"));

    // Once answered, its questions stay (the form says so); its words may change.
    let form = app.get(&format!("/surveys/{id}/edit"), Some(&wo)).await;
    assert!(
        form.body.contains(" readonly ") && form.body.contains("the questions stay as they are"),
        "{}",
        form.body
    );
    let r = app
        .post(
            &format!("/surveys/{id}/edit"),
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("unit", "women-s-branch"),
                ("title", "Interests and training"),
                ("questions", "text: Anything?"),
                ("public_link", "off"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("people have answered already"));

    // Without a link (and no public link) there is no page; a forged link finds nothing.
    assert_eq!(
        app.get(&format!("/s/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/s/{id}?i=forged"), None).await.status,
        StatusCode::NOT_FOUND
    );
    // A branch officer does not see the women's branch's survey.
    let b = app.sign_in(BRANCH).await;
    assert_eq!(
        app.get(&format!("/surveys/{id}"), Some(&b)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!app.get("/surveys", Some(&b)).await.body.contains(&id));
    // Closed, it takes no more answers.
    let r = app
        .post(
            &format!("/surveys/{id}/close"),
            Some(&wo),
            &[("csrf", &wo.csrf), ("closed", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post(
            &format!("/s/{id}"),
            None,
            &[("invitation", &invitation), ("q2", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.get(&link, None)
            .await
            .body
            .contains("This survey has closed")
    );
    let secretary = app.sign_in(SECRETARY).await;
    let log = app.get("/audit", Some(&secretary)).await;
    assert!(log.body.contains("Answered a survey"), "{}", log.body);
    assert!(
        log.body.contains("Read a survey&#39;s results"),
        "{}",
        log.body
    );
}

async fn a_public_link_takes_anonymous_answers_or_contact_details(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let token = app.token(SECRETARY).await;
    let questions =
        "single: Which evening suits you?\n- Monday\n- Thursday\ntext: Anything else?\n";
    let anonymous = make(
        &app,
        &s,
        &[
            ("unit", "local-party"),
            ("title", "Meeting nights"),
            ("questions", questions),
            ("public_link", "anonymous"),
        ],
    )
    .await;
    let page = app.get(&format!("/s/{anonymous}"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("name=\"email\""), "asks nobody's name");
    for evening in ["2", "2", "1"] {
        let r = app
            .post(&format!("/s/{anonymous}"), None, &[("q1", evening)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // A bot that fills the hidden field is thanked, and nothing is kept.
    let r = app
        .post(
            &format!("/s/{anonymous}"),
            None,
            &[("q1", "1"), ("website", "http://spam.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let results = app.get(&format!("/surveys/{anonymous}"), Some(&s)).await;
    assert!(results.body.contains("3 answered"), "{}", results.body);
    assert!(
        results.body.contains("0 through their own link"),
        "{}",
        results.body
    );
    assert!(results.body.contains("67%"), "{}", results.body);

    let contact = make(
        &app,
        &s,
        &[
            ("unit", "local-party"),
            ("title", "Issues that matter to you"),
            ("questions", questions),
            ("public_link", "contact"),
        ],
    )
    .await;
    let page = app.get(&format!("/s/{contact}"), None).await;
    assert!(page.body.contains("name=\"email\""));
    // Answers and contact details are checked together.
    let r = app
        .post(
            &format!("/s/{contact}"),
            None,
            &[("q1", "7"), ("email", "nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["e-q1", "e-email", "e-first_name"] {
        assert!(
            r.body.contains(&format!("id=\"{field}\"")),
            "{field}: {}",
            r.body
        );
    }
    let r = app
        .post(
            &format!("/s/{contact}"),
            None,
            &[
                ("q1", "1"),
                ("first_name", "Rowan"),
                ("last_name", "Surveyed"),
                ("email", "Rowan.Surveyed@example.net"),
                ("agree_email", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let found = by_email(&app, "rowan.surveyed@example.net").await;
    assert_eq!(found.len(), 1, "a new supporter");
    let rowan = found[0].public_id.clone();
    assert_eq!(
        ids(&app
            .all(&token, &format!("answer={contact}%3A1%3Amonday"))
            .await),
        vec![rowan.clone()],
        "an option matches in any case"
    );
    // The same address again is the same person, answering again.
    let r = app
        .post(
            &format!("/s/{contact}"),
            None,
            &[
                ("q1", "2"),
                ("first_name", "Rowan"),
                ("last_name", "Surveyed"),
                ("email", "rowan.surveyed@example.net"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(by_email(&app, "rowan.surveyed@example.net").await.len(), 1);
    assert!(
        app.all(&token, &format!("answer={contact}%3A1%3AMonday"))
            .await
            .is_empty()
    );
    let record = app.get(&format!("/members/{rowan}"), Some(&s)).await;
    assert!(
        record.body.contains("Issues that matter to you"),
        "{}",
        record.body
    );

    // Questions with mistakes are refused by line, and nothing is made.
    let r = app
        .post(
            "/surveys",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("unit", "local-party"),
                ("title", "Broken"),
                ("questions", "single: Only one?\n- Yes\nwhy: Because\n"),
                ("public_link", "sometimes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("line 3: &#39;why&#39; is not a kind"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("line 1: give this question at least two options")
    );
    assert!(r.body.contains("id=\"e-public_link\""));
    // A filter on an answer that is not well formed is named.
    let r = app
        .api("GET", "/api/v1/members?answer=nonsense", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(problem_fields(&r.json()), vec!["answer"]);
}

async fn the_demo_has_answers_to_draw(t: TestDb) {
    let app = App::new(&t).await;
    let answered = rosette::demo::survey_answers(&app.db, 7).await.unwrap();
    assert!(answered > 5, "{answered}");
    assert_eq!(
        rosette::demo::survey_answers(&app.db, 7).await.unwrap(),
        0,
        "made once"
    );
    let wo = app.sign_in(WOMEN).await;
    let token = app.token(WOMEN).await;
    let listed = app
        .api("GET", "/api/v1/surveys", Some(&token), None)
        .await
        .json();
    let survey = &listed["items"][0];
    assert_eq!(survey["responses"], answered);
    let id = survey["id"].as_str().unwrap();
    let page = app.get(&format!("/surveys/{id}"), Some(&wo)).await;
    assert!(
        page.body.contains(&format!("{answered} answered")),
        "{}",
        page.body
    );
    assert!(page.body.contains("class=\"shares\""));
    // Every answer's count is the number the member list finds for it.
    let counted = app
        .api("GET", &format!("/api/v1/surveys/{id}"), Some(&token), None)
        .await
        .json();
    let first = &counted["questions"][1]["counts"][0];
    let option = first["answer"].as_str().unwrap().replace(' ', "%20");
    let found = app
        .all(&token, &format!("answer={id}%3A2%3A{option}"))
        .await;
    assert_eq!(found.len() as u64, first["count"].as_u64().unwrap());
}

crate::both!(
    the_demo_has_answers_to_draw,
    a_survey_sent_to_women_members_feeds_a_segment,
    a_public_link_takes_anonymous_answers_or_contact_details
);
