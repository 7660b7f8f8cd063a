//! Stakeholder organisations: the Women's Officer records a women's organisation on her
//! women's branch, adds its contacts (new people of kind contact with their consents, or
//! someone already recorded), records a meeting, a joint event and a speaker; only the
//! officers who work with it see it; the API lists it and shows its contacts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestDb;
use crate::common::web::*;
use crate::events::by_email;

async fn the_womens_officer_works_with_a_womens_organisation(t: TestDb) {
    let app = App::new(&t).await;
    let wo = app.sign_in(WOMEN).await;
    let token = app.token(WOMEN).await;
    let new = app
        .get("/organisations/new?kind=womens_organisation", Some(&wo))
        .await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    assert!(
        new.body.contains("value=\"women-s-branch\" selected"),
        "a women's organisation starts on her women's branch: {}",
        new.body
    );
    // Mistakes are named; nothing is made.
    let r = app
        .post(
            "/organisations",
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("name", ""),
                ("kind", "club"),
                ("unit", "local-party"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["e-name", "e-kind", "e-unit"] {
        assert!(r.body.contains(&format!("id=\"{field}\"")), "{field}");
    }
    let r = app
        .post(
            "/organisations",
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("name", "Anytown Women's Aid"),
                ("kind", "womens_organisation"),
                ("unit", "women-s-branch"),
                ("notes", "Meets monthly at the library."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = r.location.clone();
    let id = page.trim_start_matches("/organisations/").to_string();

    // A new contact becomes a person of kind contact, with the consent given.
    let r = app
        .post(
            &format!("{page}/contacts"),
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("first_name", "Mina"),
                ("last_name", "Contact"),
                ("role", "Chair"),
                ("email", "mina.contact@example.net"),
                ("email_consent", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mina = by_email(&app, "mina.contact@example.net").await;
    assert_eq!(mina.len(), 1);
    assert_eq!(mina[0].kind, "contact");
    assert_eq!(mina[0].email_consent, Some(true));
    // Someone already recorded is linked as they are, never entered twice.
    let member = app.all(&token, "kind=member&gender=woman").await[0].clone();
    let address = member["email"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("{page}/contacts"),
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("first_name", "Anyone"),
                ("last_name", "Else"),
                ("role", "Treasurer"),
                ("email", &address.to_uppercase()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(by_email(&app, &address).await.len(), 1);
    // A bad contact is refused by field.
    let r = app
        .post(
            &format!("{page}/contacts"),
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("first_name", "No"),
                ("email", "not an address"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-email\""), "{}", r.body);

    // A meeting, a joint event and a speaker.
    let event = app
        .api(
            "POST",
            "/api/v1/events",
            Some(&token),
            Some(
                json!({"title": "Joint coffee morning", "kind": "social", "unit": "women-s-branch",
                "starts_at": "2030-03-08 10:00", "ends_at": "2030-03-08 12:00"}),
            ),
        )
        .await;
    assert_eq!(event.status, StatusCode::CREATED, "{}", event.body);
    let event = event.json()["id"].as_str().unwrap().to_string();
    for (kind, on, ev, note) in [
        (
            "meeting",
            "2026-11-10",
            "",
            "Agreed a joint coffee morning.",
        ),
        ("joint_event", "2026-11-20", event.as_str(), ""),
        (
            "speaker_from_them",
            "2026-11-21",
            "",
            "Their chair spoke at our branch.",
        ),
    ] {
        let r = app
            .post(
                &format!("{page}/dealings"),
                Some(&wo),
                &[
                    ("csrf", &wo.csrf),
                    ("kind", kind),
                    ("on", on),
                    ("event", ev),
                    ("note", note),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
    }
    for (fields, wrong) in [
        (
            vec![("kind", "joint_event"), ("on", "2026-11-20")],
            "e-event",
        ),
        (vec![("kind", "meeting"), ("on", "2031-01-01")], "e-on"),
        (vec![("kind", "lunch"), ("on", "2026-11-20")], "e-kind"),
    ] {
        let mut form = vec![("csrf", wo.csrf.as_str())];
        form.extend(fields);
        let r = app
            .post(&format!("{page}/dealings"), Some(&wo), &form)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains(&format!("id=\"{wrong}\"")),
            "{wrong}: {}",
            r.body
        );
    }
    let shown = app.get(&page, Some(&wo)).await;
    assert_eq!(shown.status, StatusCode::OK);
    for text in [
        "Mina Contact",
        "Chair",
        "Treasurer",
        "A joint event",
        "Joint coffee morning",
        "Their chair spoke at our branch.",
    ] {
        assert!(shown.body.contains(text), "{text}: {}", shown.body);
    }
    let home = app.get("/women", Some(&wo)).await;
    let section = home
        .body
        .split("<h2>Organisations</h2>")
        .nth(1)
        .expect("a section of her page");
    assert!(
        section.contains(&format!("href=\"{page}\"")),
        "on her home page"
    );

    // The API: listed, and its contacts with their consent.
    let listed = app
        .api("GET", "/api/v1/organisations", Some(&token), None)
        .await
        .json();
    assert_eq!(listed["items"][0]["id"], id.as_str());
    let detail = app
        .api(
            "GET",
            &format!("/api/v1/organisations/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let detail = detail.json();
    assert_eq!(detail["contacts"][0]["first_name"], "Mina");
    assert_eq!(detail["contacts"][0]["email_consent"], true);
    assert_eq!(detail["dealings"].as_array().unwrap().len(), 3);
    assert_eq!(detail["dealings"][1]["event"], event.as_str());
    let r = app
        .api(
            "POST",
            "/api/v1/organisations",
            Some(&token),
            Some(
                json!({"name": "Unison Anytown", "kind": "union_branch", "unit": "women-s-branch"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .api(
            "POST",
            "/api/v1/organisations",
            Some(&token),
            Some(json!({"name": "X", "kind": "union_branch", "unit": "local-party"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not her unit");
    assert_eq!(problem_fields(&r.json()), vec!["unit"]);

    // A branch officer does not work with it: not found, on the page and in the API.
    let b = app.sign_in(BRANCH).await;
    assert_eq!(app.get(&page, Some(&b)).await.status, StatusCode::NOT_FOUND);
    let bt = app.token(BRANCH).await;
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/organisations/{id}"),
            Some(&bt),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Nor is it in their lists.
    assert!(!app.get("/organisations", Some(&b)).await.body.contains(&id));
    let theirs = app
        .api("GET", "/api/v1/organisations", Some(&bt), None)
        .await
        .json();
    assert!(
        theirs["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|o| o["id"] != id.as_str()),
        "{theirs}"
    );
    // Taking a contact off keeps their record.
    let r = app
        .post(
            &format!("{page}/contacts/remove"),
            Some(&wo),
            &[("csrf", &wo.csrf), ("person", &mina[0].public_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !app.get(&page, Some(&wo))
            .await
            .body
            .contains("Mina Contact")
    );
    assert_eq!(by_email(&app, "mina.contact@example.net").await.len(), 1);
    let secretary = app.sign_in(SECRETARY).await;
    let log = app.get("/audit", Some(&secretary)).await;
    assert!(log.body.contains("Opened an organisation and its contacts"));
}

crate::both!(the_womens_officer_works_with_a_womens_organisation);
