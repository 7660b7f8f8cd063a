//! `rosette demo`: a synthetic local party (or, with many members, a national party of
//! 650 local parties) with years of joins, renewals, lapses, rejoins, resignations and
//! deaths. Deterministic for a seed. Every name, address, phone number and email address
//! is invented: phones are in Ofcom's drama ranges, emails at example domains, postcodes
//! in an area that does not exist.

use chrono::{Days, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

use crate::domain::dates::{add_months, age_on};
use crate::domain::record::{Consents, MembershipDetails, PersonDetails};
use crate::domain::{Event, EventKind, Gender, Kind, LeftReason, Role, Rules, UnitKind};
use crate::store::members::{self, ConsentSource, NewMember, NewPayment};
use crate::store::units::{self, NewUnit};
use crate::store::{Db, Result, Tx};

/// Above this many members the demo becomes a national data set.
pub const NATIONAL_THRESHOLD: usize = 50_000;
pub const NATIONAL_LOCAL_PARTIES: usize = 650;

const WOMEN: &[&str] = &[
    "Ada", "Bea", "Cora", "Dina", "Edie", "Freya", "Gwen", "Hana", "Iris", "Jade", "Kemi", "Lena",
    "Maya", "Nia", "Orla", "Priya", "Rosa", "Sian", "Tara", "Una", "Vera", "Wren", "Yara", "Zoe",
    "Aisha", "Bronwen", "Chloe", "Deepa", "Elif", "Fatima",
];
const MEN: &[&str] = &[
    "Alan", "Ben", "Cai", "Dev", "Emeka", "Finn", "Gareth", "Hari", "Ivan", "Jack", "Kofi", "Liam",
    "Mo", "Nikhil", "Owen", "Pete", "Rhys", "Sam", "Tom", "Umar", "Victor", "Will", "Yusuf",
    "Zack", "Arjun", "Bilal", "Callum", "Dafydd", "Eoin", "Femi",
];
const NEUTRAL: &[&str] = &[
    "Alex", "Charlie", "Jordan", "Robin", "Sasha", "Kit", "Rowan", "Sky",
];
const SURNAMES: &[&str] = &[
    "Abbott",
    "Begum",
    "Carter",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Thomas",
    "Umeh",
    "Vaughan",
    "Walsh",
    "Xu",
    "Young",
    "Zielinski",
    "Ahmed",
    "Brennan",
    "Chowdhury",
    "Doyle",
    "Ellis",
    "Fitzgerald",
    "Gill",
    "Hussain",
    "Jenkins",
    "Kaur",
    "Lloyd",
    "Mensah",
    "Nash",
    "Owusu",
];
const STREETS: &[&str] = &[
    "Bramble", "Chestnut", "Foundry", "Heron", "Kiln", "Linnet", "Mill", "Orchard", "Quarry",
    "Rope", "Saddler", "Tannery", "Weaver", "Willow", "Yarrow",
];
const STREET_KINDS: &[&str] = &["Road", "Street", "Lane", "Close", "Avenue", "Terrace"];
const WARDS: &[&str] = &[
    "Riverside",
    "Hillside",
    "Castle",
    "Market",
    "Northgate",
    "Southfield",
    "Eastbrook",
    "Westmoor",
    "Abbey",
    "Canal",
    "Forest",
    "Harbour",
    "Meadow",
    "Station",
    "Park",
    "Priory",
    "Quayside",
    "Valley",
    "Common",
    "Moorland",
    "Bridge",
    "Chapel",
];
const PLACE_START: &[&str] = &[
    "Ash", "Bram", "Cole", "Dun", "Elm", "Fern", "Glen", "Hart", "Ivy", "Kest", "Lark", "Mill",
    "Nor", "Oak", "Pen", "Quar", "Ros", "Stan", "Thorn", "Wick",
];
const PLACE_END: &[&str] = &[
    "ford", "ley", "bury", "ton", "worth", "field", "ham", "mouth", "bridge", "stead", "wick",
    "by", "dale",
];
const PLACE_SIDE: &[&str] = &["", " North", " South", " East", " West", " Central"];
const REGIONS: &[&str] = &[
    "North Moors",
    "Lakeland",
    "Riverlands",
    "Midshires",
    "Marches",
    "Fenland",
    "Downs",
    "Capital",
    "Coastal",
    "Valleys",
    "Highlands",
    "Borders",
];
const AFFILIATES: &[&str] = &[
    "Example Union of Care Workers",
    "Sample Transport Union",
    "Demonstration Teachers' Association",
];
const TAGS: &[&str] = &[
    "canvasser",
    "driver",
    "leaflets",
    "phone-bank",
    "social-media",
];

/// What the demo created.
#[derive(Debug, Clone, Default)]
pub struct Created {
    pub local_parties: usize,
    pub branches: usize,
    pub members: usize,
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

/// The demo's officers: (email, name, role, whether the role is for a branch).
pub const OFFICERS: &[(&str, &str, Role, bool)] = &[
    (
        "secretary@example.org",
        "Sam Okonjo",
        Role::Secretary,
        false,
    ),
    (
        "membership@example.org",
        "Priya Natarajan",
        Role::MembershipOfficer,
        false,
    ),
    (
        "women@example.org",
        "Joan Whitfield",
        Role::WomensOfficer,
        false,
    ),
    (
        "branch@example.org",
        "Tom Ashworth",
        Role::BranchSecretary,
        true,
    ),
    ("caller@example.org", "Dee Campbell", Role::Caller, false),
    ("caller2@example.org", "Kit Marsh", Role::Caller, false),
    ("chair@example.org", "Ruth Mensah", Role::Chair, false),
    (
        "branch-membership@example.org",
        "Owen Pryce",
        Role::BranchMembershipSecretary,
        true,
    ),
];

/// The demo's shared password: the data is invented, and the demo says so when it starts.
pub const PASSWORD: &str = "rosette demo sign-in";

/// Gives the demo officers their roles in the first local party with branches, and
/// returns the party's slug. Safe to run again.
pub async fn add_officers(
    db: &Db,
    public_url: &str,
) -> std::result::Result<String, crate::app::officers::OfficerError> {
    let mut tx = db.begin().await?;
    let mut chosen = None;
    for u in units::list(&mut tx).await? {
        if u.kind == UnitKind::LocalParty.as_str()
            && let Some(first) = units::branches(&mut tx, u.id).await?.into_iter().next()
        {
            chosen = Some((u.slug, first.slug));
            break;
        }
    }
    let Some((party, branch)) = chosen else {
        return Err(crate::app::officers::OfficerError::Invalid(
            "the demo has no local party with branches".into(),
        ));
    };
    for (email, name, role, for_branch) in OFFICERS {
        let unit = if *for_branch { &branch } else { &party };
        crate::app::officers::add_officer(
            &mut tx,
            email,
            name,
            *role,
            unit,
            Some(PASSWORD),
            public_url,
            "demo",
        )
        .await?;
    }
    tx.commit().await?;
    Ok(party)
}

/// Gives every local party's women's branch the rule `gender = woman` and puts the women
/// in it. Apart from `generate`, which writes only what the oldest schema the upgrade
/// tests start from can hold.
pub async fn women_by_rule(db: &Db, rules: &Rules, today: NaiveDate) -> Result<()> {
    let rule = crate::domain::forums::ForumRule::Gender(Gender::Woman);
    let mut read = db.begin_read().await?;
    let forums: Vec<units::Unit> = units::list(&mut read)
        .await?
        .into_iter()
        .filter(|u| u.is_forum() && u.name.ends_with("Women's Branch"))
        .collect();
    read.commit().await?;
    // A local party a transaction, as a national demo has 650.
    for unit in forums {
        let mut tx = db.begin().await?;
        crate::store::forums::set_rule(&mut tx, unit.id, Some(&rule)).await?;
        let party = units::parent_id(&mut tx, unit.id).await?.unwrap_or(unit.id);
        crate::store::forums::follow_rules(&mut tx, rules, party, None, today).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Fills an empty database: one local party (the default `local-party`) for small
/// numbers, 650 local parties in 12 regions for a national data set.
pub async fn generate(
    db: &Db,
    rules: &Rules,
    total: usize,
    seed: u64,
    today: NaiveDate,
    progress: &dyn Fn(usize),
) -> Result<Created> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut created = Created::default();
    let mut tx = db.begin().await?;
    let source = ConsentSource {
        source: "demo data".into(),
        at: Utc::now(),
    };
    if total <= NATIONAL_THRESHOLD {
        let party = units::get(&mut tx, units::DEFAULT_LOCAL_PARTY).await?;
        let branches = add_branches(&mut tx, &mut rng, &party.slug, "", 8).await?;
        created.branches += branches.len() + 1; // and the women's forum branch
        add_members(
            &mut tx, rules, &mut rng, party.id, &branches, 0, total, today, &source,
        )
        .await?;
        progress(total);
        created.local_parties = 1;
        created.members = total;
        tx.commit().await?;
        return Ok(created);
    }
    let party = units::add(
        &mut tx,
        &NewUnit {
            kind: Some(UnitKind::Party),
            name: "Demo Party".into(),
            ..NewUnit::default()
        },
    )
    .await?;
    let mut regions = Vec::new();
    for r in REGIONS {
        regions.push(
            units::add(
                &mut tx,
                &NewUnit {
                    kind: Some(UnitKind::Region),
                    name: format!("{r} Region"),
                    parent: Some(party.slug.clone()),
                    ..NewUnit::default()
                },
            )
            .await?,
        );
    }
    tx.commit().await?;
    let per_party = total / NATIONAL_LOCAL_PARTIES;
    let mut done = 0;
    for i in 0..NATIONAL_LOCAL_PARTIES {
        let mut tx = db.begin().await?;
        let name = format!(
            "{}{}{}",
            PLACE_START[i % PLACE_START.len()],
            PLACE_END[(i / PLACE_START.len()) % PLACE_END.len()],
            PLACE_SIDE[(i / (PLACE_START.len() * PLACE_END.len())) % PLACE_SIDE.len()]
        );
        let region = &regions[i % regions.len()];
        let lp = units::add(
            &mut tx,
            &NewUnit {
                kind: Some(UnitKind::LocalParty),
                name,
                parent: Some(region.slug.clone()),
                ..NewUnit::default()
            },
        )
        .await?;
        let n_branches = rng.random_range(6..=10);
        let branches = add_branches(
            &mut tx,
            &mut rng,
            &lp.slug,
            &format!("{} ", lp.name),
            n_branches,
        )
        .await?;
        let count = if i + 1 == NATIONAL_LOCAL_PARTIES {
            total - done
        } else {
            per_party
        };
        add_members(
            &mut tx,
            rules,
            &mut rng,
            lp.id,
            &branches,
            i * 1_000_000,
            count,
            today,
            &source,
        )
        .await?;
        tx.commit().await?;
        done += count;
        created.local_parties += 1;
        created.branches += branches.len() + 1; // and the women's forum branch
        progress(done);
    }
    created.members = done;
    Ok(created)
}

/// Branches with two or three wards each, plus a women's forum branch.
async fn add_branches(
    tx: &mut Tx,
    rng: &mut ChaCha8Rng,
    parent: &str,
    prefix: &str,
    n: usize,
) -> Result<Vec<(String, Vec<String>)>> {
    let mut out = Vec::new();
    let start = rng.random_range(0..WARDS.len());
    for b in 0..n {
        let name = WARDS[(start + b) % WARDS.len()];
        let mut wards = vec![name.to_string()];
        let extra = rng.random_range(1..=2);
        for e in 1..=extra {
            wards.push(format!(
                "{name} {}",
                ["North", "South", "Upper", "Lower"][(b + e) % 4]
            ));
        }
        let unit = units::add(
            tx,
            &NewUnit {
                kind: Some(UnitKind::Branch),
                name: format!("{prefix}{name} Branch"),
                parent: Some(parent.into()),
                forum: false,
                wards: wards.clone(),
            },
        )
        .await?;
        out.push((unit.slug, wards));
    }
    units::add(
        tx,
        &NewUnit {
            kind: Some(UnitKind::Branch),
            name: format!("{prefix}Women's Branch"),
            parent: Some(parent.into()),
            forum: true,
            wards: vec![],
        },
    )
    .await?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn add_members(
    tx: &mut Tx,
    rules: &Rules,
    rng: &mut ChaCha8Rng,
    local_party_id: i64,
    branches: &[(String, Vec<String>)],
    number_base: usize,
    count: usize,
    today: NaiveDate,
    source: &ConsentSource,
) -> Result<()> {
    let branch_ids: HashMap<String, i64> = {
        let list = units::branches(tx, local_party_id).await?;
        list.into_iter().map(|u| (u.slug, u.id)).collect()
    };
    let batch = people(rules, rng, branches, number_base, count, today);
    members::insert(tx, local_party_id, &branch_ids, &batch, source, &|_| {}).await?;
    Ok(())
}

/// `count` synthetic people spread over `branches` (slug, wards), numbered from
/// `number_base + 1`. Also used to make benchmark files.
pub fn people(
    rules: &Rules,
    rng: &mut ChaCha8Rng,
    branches: &[(String, Vec<String>)],
    number_base: usize,
    count: usize,
    today: NaiveDate,
) -> Vec<NewMember> {
    let outward = format!("RZ{}", rng.random_range(1..=99));
    (0..count)
        .map(|i| member(rules, rng, branches, &outward, number_base + i + 1, today))
        .collect()
}

/// One synthetic person with a plausible life as a member up to `today`.
fn member(
    rules: &Rules,
    rng: &mut ChaCha8Rng,
    branches: &[(String, Vec<String>)],
    outward: &str,
    number: usize,
    today: NaiveDate,
) -> NewMember {
    let roll: f64 = rng.random();
    let kind = match roll {
        r if r < 0.88 => Kind::Member,
        r if r < 0.93 => Kind::RegisteredSupporter,
        r if r < 0.97 => Kind::AffiliatedSupporter,
        r if r < 0.99 => Kind::Supporter,
        _ => Kind::Contact,
    };
    let g: f64 = rng.random();
    let (gender, first) = match g {
        g if g < 0.47 => (Some(Gender::Woman), pick(rng, WOMEN)),
        g if g < 0.93 => (Some(Gender::Man), pick(rng, MEN)),
        g if g < 0.945 => (Some(Gender::NonBinary), pick(rng, NEUTRAL)),
        g if g < 0.95 => (
            Some(Gender::OwnWords("genderqueer".into())),
            pick(rng, NEUTRAL),
        ),
        _ => {
            let list = if rng.random_bool(0.5) { WOMEN } else { MEN };
            (None, pick(rng, list))
        }
    };
    let last = pick(rng, SURNAMES);
    let age_years = match rng.random::<f64>() {
        a if a < 0.15 => rng.random_range(16..=26),
        a if a < 0.65 => rng.random_range(27..=54),
        _ => rng.random_range(55..=90),
    };
    let born = days_before(today, age_years * 365 + rng.random_range(0..365));
    // Most joined in the last five years; some are long-standing.
    let joined = if rng.random_bool(0.8) {
        days_before(today, rng.random_range(0..5 * 365))
    } else {
        days_before(today, rng.random_range(5 * 365..25 * 365))
    };
    // Nobody joins before they are sixteen.
    let joined = joined.max(add_months(born, 16 * 12)).min(today);
    let age_at_join = age_on(born, joined).unwrap_or(0);
    let mut rate = if kind != Kind::Member {
        String::new()
    } else {
        let r: f64 = rng.random();
        match r {
            _ if (14..=26).contains(&age_at_join) && r < 0.6 => "youth",
            _ if age_at_join >= 55 && r < 0.4 => "retired",
            r if r < 0.62 => "standard",
            r if r < 0.75 => "reduced",
            r if r < 0.82 => "unwaged",
            r if r < 0.83 => "armed_forces",
            _ => "trade_union",
        }
        .to_string()
    };
    let (branch, wards) = &branches[rng.random_range(0..branches.len())];
    let ward = pick(rng, &wards.iter().map(String::as_str).collect::<Vec<_>>()).to_string();

    let mut events = Vec::new();
    let mut payments = Vec::new();
    let mut start = joined;
    let mut paid_until;
    let mut left = None;
    if kind == Kind::Member {
        let price = |rate: &str, on: NaiveDate| rules.rate(rate, on).map_or(0, |r| r.price_pence);
        let cover = |rate: &str, from: NaiveDate| {
            rules
                .rate(rate, from)
                .map_or(from, |r| r.covers_until(from))
        };
        let method = if rng.random_bool(0.7) {
            "direct_debit"
        } else if rng.random_bool(0.8) {
            "card"
        } else {
            "cheque"
        };
        let payment = |rate: &str, paid_on: NaiveDate, from: NaiveDate, to: NaiveDate| NewPayment {
            paid_on,
            amount_pence: price(rate, paid_on),
            method: method.into(),
            period_from: from,
            period_to: to,
        };
        paid_until = cover(&rate, joined);
        events.push(Event::new(EventKind::Joined, joined, Some(paid_until)));
        payments.push(payment(&rate, joined, joined, paid_until));
        let will_leave: f64 = rng.random();
        loop {
            let due = days_after(paid_until, 1);
            if due > today {
                break;
            }
            if will_leave < 0.03 && rng.random_bool(0.3) {
                let on = days_before(due, rng.random_range(0..60));
                left = Some((LeftReason::Resigned, on));
                events.push(Event::new(EventKind::Resigned, on, None));
                break;
            }
            if age_years > 75 && rng.random_bool(0.02) {
                let on = days_before(due, rng.random_range(0..200));
                left = Some((LeftReason::Deceased, on));
                events.push(Event::new(EventKind::Died, on, None));
                break;
            }
            if rng.random_bool(0.86) {
                // Renewed, a little early or a little late.
                let on = days_after(days_before(due, 20), rng.random_range(0..80)).min(today);
                paid_until = cover(&rate, due);
                events.push(Event::new(EventKind::Renewed, on, Some(paid_until)));
                payments.push(payment(&rate, on, due, paid_until));
                continue;
            }
            // Stopped paying. Some come back after lapsing.
            let lapse = rules.status.lapses_on(start, Some(paid_until));
            if lapse < today && rng.random_bool(0.25) {
                let back = days_after(lapse, rng.random_range(1..=700));
                if back <= today {
                    // Age limits apply at rejoining: an aged-out youth member rejoins at the standard rate.
                    if rules
                        .rate(&rate, back)
                        .is_some_and(|r| r.check_age(born, back).is_err())
                    {
                        rate = "standard".into();
                    }
                    start = back;
                    paid_until = cover(&rate, back);
                    events.push(Event::new(EventKind::Rejoined, back, Some(paid_until)));
                    payments.push(payment(&rate, back, back, paid_until));
                    continue;
                }
            }
            break;
        }
    } else {
        // Supporters' registrations run a year from when they were last renewed.
        paid_until = days_after(today, rng.random_range(30..365));
        events.push(Event::new(EventKind::Joined, joined, Some(paid_until)));
    }

    let has_email = rng.random_bool(0.92);
    let has_mobile = rng.random_bool(0.75);
    let email_user = format!(
        "{}.{}{}",
        first.to_lowercase(),
        last.to_lowercase(),
        number % 1000
    );
    let consent =
        |rng: &mut ChaCha8Rng, p: f64, has: bool| if has { Some(rng.random_bool(p)) } else { None };
    let consents = Consents {
        email: consent(rng, 0.8, has_email),
        phone: consent(rng, 0.6, true),
        sms: consent(rng, 0.4, has_mobile),
        post: consent(rng, 0.5, true),
    };
    let tags: Vec<String> = {
        let mut t: Vec<String> = TAGS
            .iter()
            .filter(|_| rng.random_bool(0.06))
            .map(|t| t.to_string())
            .collect();
        t.sort();
        t
    };
    let street = format!(
        "{} {} {}",
        rng.random_range(1..=220),
        pick(rng, STREETS),
        pick(rng, STREET_KINDS)
    );
    let letters = b"ABDEFGHJLNPQRSTUWXYZ";
    let inward = format!(
        "{}{}{}",
        rng.random_range(0..10),
        letters[rng.random_range(0..letters.len())] as char,
        letters[rng.random_range(0..letters.len())] as char
    );
    NewMember {
        person: PersonDetails {
            kind,
            first_name: first.into(),
            last_name: last.into(),
            email: has_email.then(|| {
                format!(
                    "{email_user}@{}",
                    ["example.org", "example.com", "example.net"][number % 3]
                )
            }),
            mobile: has_mobile.then(|| format!("+447700900{:03}", number % 1000)),
            phone: rng
                .random_bool(0.3)
                .then(|| format!("+441632960{:03}", number % 1000)),
            address_line1: Some(street),
            address_line2: None,
            town: Some("Demoton".into()),
            postcode: Some(format!("{outward} {inward}")),
            ward: Some(ward),
            date_of_birth: rng.random_bool(0.85).then_some(born),
            gender,
            affiliate: (kind == Kind::AffiliatedSupporter)
                .then(|| pick(rng, AFFILIATES).to_string()),
            consents,
            tags,
        },
        membership: MembershipDetails {
            number: format!("D{number:07}"),
            rate,
            branch: Some(branch.clone()),
            joined_on: start,
            paid_until: Some(paid_until),
            left,
        },
        events,
        payments,
    }
}

/// Gives the first local party's women's branch the ready-made interests and training
/// survey, answered by about one woman member in four through their own link, so the
/// Women's Officer's results page has something to draw. Safe to run again: a party
/// that has any survey is left as it is.
pub async fn survey_answers(db: &Db, seed: u64) -> Result<usize> {
    use crate::domain::surveys::{QuestionKind, READY_MADE, parse_questions};
    use crate::store::surveys::{self, AnswerRow};
    let Some(ready) = READY_MADE.iter().find(|r| r.key == "women_interests") else {
        return Ok(0);
    };
    let questions = parse_questions(ready.questions).unwrap_or_default();
    let mut tx = db.begin().await?;
    let Some(forum) = units::list(&mut tx)
        .await?
        .into_iter()
        .find(|u| u.is_forum() && u.name.ends_with("Women's Branch"))
    else {
        return Ok(0);
    };
    let party = units::parent_id(&mut tx, forum.id)
        .await?
        .unwrap_or(forum.id);
    if !surveys::of_parties(&mut tx, &[party]).await?.is_empty() {
        return Ok(0);
    }
    let text = crate::domain::surveys::questions_text(&questions);
    let id = surveys::create(
        &mut tx,
        &surveys::New {
            local_party_id: party,
            unit_id: forum.id,
            title: ready.title,
            intro: Some(ready.intro),
            questions: &text,
            public_link: "off",
        },
        "demo",
        Utc::now(),
    )
    .await?;
    let survey = surveys::by_public_id(&mut tx, &id).await?.ok_or_else(|| {
        crate::store::StoreError::Invalid("the demo survey was not stored".into())
    })?;
    let grants = [crate::domain::access::Grant::everyone_in(party)];
    let women: Vec<i64> = crate::store::roster::everyone(&mut tx, &grants, 0)
        .await?
        .into_iter()
        .filter(|l| l.kind == Kind::Member.as_str() && l.gender.as_deref() == Some("woman"))
        .map(|l| l.person_id)
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5u64);
    let said = [
        "Evening meetings are hard with children; a creche would help.",
        "I'd like to help but don't know where to start.",
        "More online meetings, please.",
        "I would love a mentor for standing as a councillor.",
    ];
    let mut answered = 0;
    for person in women {
        if rng.random_range(0..4) != 0 {
            continue;
        }
        let mut rows = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let question = i32::try_from(i + 1).unwrap_or(1);
            let row =
                |choice: Option<String>, point: Option<i32>, answer: Option<String>| AnswerRow {
                    question,
                    choice,
                    point,
                    answer,
                };
            match q.kind {
                QuestionKind::Single => {
                    let o = &q.options[rng.random_range(0..q.options.len())];
                    rows.push(row(Some(o.clone()), None, None));
                }
                QuestionKind::Multiple => {
                    for (j, o) in q.options.iter().enumerate() {
                        // Earlier options are the more popular, so the chart has a shape.
                        if rng.random_range(0..q.options.len() + 2) > j {
                            rows.push(row(Some(o.clone()), None, None));
                        }
                    }
                }
                QuestionKind::Scale => {
                    rows.push(row(None, Some(rng.random_range(1..=5)), None));
                }
                QuestionKind::Text => {
                    if rng.random_range(0..5) == 0 {
                        let s = said[rng.random_range(0..said.len())];
                        rows.push(row(None, None, Some(s.to_string())));
                    }
                }
            }
        }
        surveys::respond(&mut tx, survey.id, Some(person), "link", &rows, Utc::now()).await?;
        answered += 1;
    }
    tx.commit().await?;
    Ok(answered)
}
