//! Surveys: made and changed by whoever organises for a unit (its officers, the Women's
//! Officer for a women's branch), sent by email with a personal link each (answers kept
//! against the person), or answered through a public link, anonymously or with contact
//! details and consent; their results counted for a page drawn on the server.

use chrono::{DateTime, NaiveDate, Utc};

use super::signups::SignUpForm;
use super::{AppError, Principal, Result};
use crate::domain::Rules;
use crate::domain::fields::check_text;
use crate::domain::filter::FieldProblem;
use crate::domain::surveys::{
    Answer, Question, QuestionKind, READY_MADE, ReadyMade, Tally, parse_questions, read_answers,
    tally,
};
use crate::secrets;
use crate::store::surveys::{self, AnswerRow, New, Stored};
use crate::store::{Mode, Tx, emails, units};

/// The name of the server key that signs personal survey links.
pub const LINK_KEY: &str = "survey_links";

/// The address one recipient of a survey's email answers it at: their answers are kept
/// against them.
pub fn personal_url(key: &str, public_url: &str, survey: &str, recipient: &str) -> String {
    format!(
        "{}/s/{survey}?i={}",
        public_url.trim_end_matches('/'),
        secrets::sign(key, &format!("survey:{recipient}"))
    )
}

/// Who may answer through a survey's public link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicLink {
    /// Nobody: only personal links.
    Off,
    /// Anyone, naming nobody.
    Anonymous,
    /// Anyone who gives their name and email address (and chooses their consents).
    Contact,
}

impl PublicLink {
    pub const ALL: [PublicLink; 3] = [PublicLink::Off, PublicLink::Anonymous, PublicLink::Contact];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicLink::Off => "off",
            PublicLink::Anonymous => "anonymous",
            PublicLink::Contact => "contact",
        }
    }

    pub fn parse(text: &str) -> Option<PublicLink> {
        PublicLink::ALL
            .into_iter()
            .find(|p| p.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            PublicLink::Off => "None: only each person's own link",
            PublicLink::Anonymous => "Yes, answered anonymously",
            PublicLink::Contact => "Yes, asking for name, email, consent",
        }
    }
}

/// What the survey form (or the API) sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SurveyInput {
    /// The unit's slug.
    pub unit: String,
    pub title: String,
    pub intro: String,
    pub questions: String,
    pub public_link: String,
}

impl SurveyInput {
    /// A ready-made survey's words, for the form to start from.
    pub fn ready_made(r: &ReadyMade) -> SurveyInput {
        SurveyInput {
            unit: String::new(),
            title: r.title.into(),
            intro: r.intro.into(),
            questions: r.questions.into(),
            public_link: PublicLink::Off.as_str().into(),
        }
    }
}

/// The ready-made survey with this key.
pub fn ready_made(key: &str) -> Option<&'static ReadyMade> {
    READY_MADE.iter().find(|r| r.key == key)
}

/// A survey's fields, each checked; the questions read (their mistakes named by line).
struct Valid {
    party: i64,
    unit_id: i64,
    title: String,
    intro: Option<String>,
    questions: String,
    public_link: PublicLink,
}

async fn check(tx: &mut Tx, who: &Principal, input: &SurveyInput) -> Result<Valid> {
    let mut problems = Vec::new();
    let mut bad = |field: &str, message: String| {
        problems.push(FieldProblem {
            field: field.into(),
            message,
        })
    };
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Err(e) = check_text(&title, false) {
        bad("title", e);
    } else if title.is_empty() || title.chars().count() > 200 {
        bad("title", "give it a title of at most 200 characters".into());
    }
    let intro = input.intro.trim();
    if let Err(e) = check_text(intro, true) {
        bad("intro", e);
    } else if intro.chars().count() > 2000 {
        bad("intro", "write at most 2,000 characters".into());
    }
    let questions = match parse_questions(&input.questions) {
        Ok(q) => crate::domain::surveys::questions_text(&q),
        Err(lines) => {
            bad(
                "questions",
                lines
                    .iter()
                    .map(|p| format!("line {}: {}", p.line, p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            String::new()
        }
    };
    let public_link = PublicLink::parse(&input.public_link).unwrap_or_else(|| {
        bad(
            "public_link",
            "choose off, anonymous or contact".to_string(),
        );
        PublicLink::Off
    });
    let (party, unit_id) = match super::events::placed(tx, who, &input.unit).await? {
        Some(p) => p,
        None => {
            bad(
                "unit",
                "choose a unit you organise for: your own branch or local party".into(),
            );
            (0, 0)
        }
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(Valid {
        party,
        unit_id,
        title,
        intro: Some(intro.to_string()).filter(|s| !s.is_empty()),
        questions,
        public_link,
    })
}

impl Valid {
    fn to_store(&self) -> New<'_> {
        New {
            local_party_id: self.party,
            unit_id: self.unit_id,
            title: &self.title,
            intro: self.intro.as_deref(),
            questions: &self.questions,
            public_link: self.public_link.as_str(),
        }
    }
}

/// Makes a survey for a unit `who` organises for; returns its id.
pub async fn create(
    tx: &mut Tx,
    who: &Principal,
    input: &SurveyInput,
    now: DateTime<Utc>,
) -> Result<String> {
    let v = check(tx, who, input).await?;
    let id = surveys::create(tx, &v.to_store(), who.actor(), now).await?;
    super::audit::note(tx, who, Some(v.party), "survey.create", &id, &v.title, &[]).await?;
    Ok(id)
}

/// A survey `who` organises for (others' are not found, so they cannot be probed).
pub async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Stored> {
    let found = surveys::by_public_id(tx, id).await?;
    super::events::find_organised(tx, who, found).await
}

/// Changes a survey. Once anyone has answered, its questions stay as they were (the
/// answers are counted against them); its words, unit and public link may still change.
pub async fn update(tx: &mut Tx, who: &Principal, id: &str, input: &SurveyInput) -> Result<()> {
    let before = find(tx, who, id).await?;
    let v = check(tx, who, input).await?;
    if before.responses > 0 && v.questions != before.questions {
        return Err(AppError::field(
            "questions",
            "people have answered already, so the questions stay as they are: make a new survey to ask others",
        ));
    }
    surveys::update(tx, before.id, &v.to_store()).await?;
    super::audit::note(
        tx,
        who,
        Some(v.party),
        "survey.update",
        &before.public_id,
        &v.title,
        &[],
    )
    .await
}

/// Closes a survey to answers, or opens it again.
pub async fn set_closed(
    tx: &mut Tx,
    who: &Principal,
    id: &str,
    closed: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let s = find(tx, who, id).await?;
    surveys::set_closed(tx, s.id, closed.then_some(now)).await?;
    super::audit::note(
        tx,
        who,
        Some(s.local_party_id),
        "survey.update",
        &s.public_id,
        if closed {
            "closed to answers"
        } else {
            "opened again"
        },
        &[],
    )
    .await
}

/// The surveys `who` organises for, newest first.
pub async fn list(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<Stored>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let all = surveys::of_parties(tx, &who.scope.local_parties).await?;
    super::events::organised_only(tx, who, all).await
}

/// A survey's questions, as stored (checked when they were saved).
pub fn questions_of(s: &Stored) -> Vec<Question> {
    parse_questions(&s.questions).unwrap_or_default()
}

/// A survey's results: each question's counts, and how many answered by name and
/// anonymously.
pub struct Results {
    pub survey: Stored,
    pub questions: Vec<Question>,
    pub tallies: Vec<Tally>,
    pub named: usize,
    pub anonymous: usize,
}

/// Reads a survey's answers as answers to its questions: each response's id and its
/// answers in question order.
fn responses_of(
    questions: &[Question],
    rows: impl IntoIterator<Item = (i64, AnswerRow)>,
) -> Vec<(i64, Vec<Option<Answer>>)> {
    let mut out: Vec<(i64, Vec<Option<Answer>>)> = Vec::new();
    for (response, row) in rows {
        if out.last().is_none_or(|(r, _)| *r != response) {
            out.push((response, vec![None; questions.len()]));
        }
        let Some(slot) = usize::try_from(row.question)
            .ok()
            .and_then(|q| q.checked_sub(1))
            .and_then(|q| out.last_mut().and_then(|(_, r)| r.get_mut(q)))
        else {
            continue;
        };
        match (row.choice, row.point, row.answer) {
            (Some(c), _, _) => match slot {
                Some(Answer::Chosen(chosen)) => chosen.push(c),
                _ => *slot = Some(Answer::Chosen(vec![c])),
            },
            (_, Some(p), _) => *slot = u8::try_from(p).ok().map(Answer::Scale),
            (_, _, Some(t)) => *slot = Some(Answer::Text(t)),
            _ => {}
        }
    }
    out
}

/// Each answered question's prompt and the answer in words.
fn in_words(questions: &[Question], answers: Vec<Option<Answer>>) -> Vec<(String, String)> {
    questions
        .iter()
        .zip(answers)
        .filter_map(|(q, a)| {
            let words = match a? {
                Answer::Chosen(c) => c.join("; "),
                Answer::Scale(n) => format!("{n} out of {}", crate::domain::surveys::SCALE_TOP),
                Answer::Text(t) => t,
            };
            Some((q.prompt.clone(), words))
        })
        .collect()
}

/// A survey's results for `who`: counts only, and free-text answers without names.
pub async fn results(tx: &mut Tx, who: &Principal, id: &str) -> Result<Results> {
    let survey = find(tx, who, id).await?;
    let questions = questions_of(&survey);
    let rows = surveys::answers(tx, survey.id).await?;
    let named = rows
        .iter()
        .filter(|g| g.person_id.is_some())
        .map(|g| g.response_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let responses: Vec<Vec<Option<Answer>>> = responses_of(
        &questions,
        rows.into_iter().map(|g| (g.response_id, g.answer)),
    )
    .into_iter()
    .map(|(_, a)| a)
    .collect();
    super::audit::note(
        tx,
        who,
        Some(survey.local_party_id),
        "survey.results",
        &survey.public_id,
        &survey.title,
        &[],
    )
    .await?;
    Ok(Results {
        tallies: tally(&questions, &responses),
        anonymous: responses.len().saturating_sub(named),
        named,
        questions,
        survey,
    })
}

/// Drafts the email that asks an audience (a segment or a filter) to answer a survey:
/// a campaign email, so it goes only to those who agreed to email, each copy with its
/// recipient's own link. Returns the draft's id.
pub async fn invite(tx: &mut Tx, who: &Principal, id: &str, audience: &str) -> Result<String> {
    let s = find(tx, who, id).await?;
    if s.closed_at.is_some() {
        return Err(AppError::field(
            "survey",
            "it is closed: open it again first",
        ));
    }
    let clean = |t: &str| t.replace(['{', '}'], "");
    let mut body = "Dear {{ first_name }},\n\n".to_string();
    if let Some(intro) = &s.intro {
        body.push_str(&format!("{}\n\n", clean(intro)));
    }
    body.push_str(&format!(
        "It takes a few minutes: [answer \"{}\" here]({{{{ survey_url }}}}). The link is yours alone, so please don't pass it on.\n",
        clean(&s.title)
    ));
    let draft = super::emails::Draft {
        subject: s.title.clone(),
        body,
        purpose: crate::domain::emails::Purpose::Campaign
            .as_str()
            .to_string(),
        audience: audience.to_string(),
        survey: Some(s.id),
        ..Default::default()
    };
    let email = super::emails::create(tx, who, &draft).await?;
    super::audit::note(
        tx,
        who,
        Some(s.local_party_id),
        "survey.invite",
        &s.public_id,
        &format!("drafted email {email}"),
        &[],
    )
    .await?;
    Ok(email)
}

/// Whom a personal link names.
#[derive(Debug, Clone)]
pub struct Respondent {
    pub person_id: i64,
    pub person_public_id: String,
    pub first_name: String,
}

/// A survey as its public page shows it.
pub struct PublicSurvey {
    pub survey: Stored,
    pub questions: Vec<Question>,
    pub party: String,
    /// Whom the personal link names, when the page was opened through one.
    pub respondent: Option<Respondent>,
    pub link: PublicLink,
}

/// The recipient a personal link token names, if Rosette signed it for this survey.
async fn respondent(tx: &mut Tx, survey: &Stored, token: &str) -> Result<Option<Respondent>> {
    let key = emails::server_key(tx, LINK_KEY).await?;
    let Some(recipient) = secrets::signed(&key, token).and_then(|m| m.strip_prefix("survey:"))
    else {
        return Ok(None);
    };
    Ok(emails::link(tx, recipient)
        .await?
        .filter(|l| l.survey_id == Some(survey.id))
        .map(|l| Respondent {
            person_id: l.person_id,
            person_public_id: l.person_public_id,
            first_name: l.first_name,
        }))
}

/// A survey's page: through a personal link, or its public link if it has one (otherwise
/// it is not found).
pub async fn public_survey(tx: &mut Tx, id: &str, token: Option<&str>) -> Result<PublicSurvey> {
    let survey = surveys::by_public_id(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let respondent = match token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => respondent(tx, &survey, t).await?,
        None => None,
    };
    let link = PublicLink::parse(&survey.public_link).unwrap_or(PublicLink::Off);
    if respondent.is_none() && link == PublicLink::Off {
        return Err(AppError::NotFound);
    }
    let party = units::name_of(tx, survey.local_party_id).await?;
    Ok(PublicSurvey {
        questions: questions_of(&survey),
        survey,
        party,
        respondent,
        link,
    })
}

/// What was stored from a survey's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// They had answered before, and these answers replace those.
    pub again: bool,
}

/// Stores answers from a survey's page: against the person a personal link names, or
/// the person a contact form describes (found by email, never entered twice), or nobody.
/// `None` when a bot filled the hidden field: nothing is stored.
pub async fn answer(
    tx: &mut Tx,
    rules: &Rules,
    (today, now): (NaiveDate, DateTime<Utc>),
    id: &str,
    pairs: &[(String, String)],
) -> Result<Option<Answered>> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = public_survey(tx, id, Some(&get("invitation"))).await?;
    if page.survey.closed_at.is_some() {
        return Err(AppError::field("survey", "this survey has closed"));
    }
    if !get("website").trim().is_empty() {
        tracing::info!(survey = %page.survey.public_id, "an answer filled the hidden field: ignored");
        return Ok(None);
    }
    let answers = read_answers(&page.questions, pairs);
    let contact = SignUpForm {
        first_name: get("first_name"),
        last_name: get("last_name"),
        email: get("email"),
        phone: get("phone"),
        agree_email: pairs
            .iter()
            .any(|(k, _)| k == "agree_email")
            .then(String::new),
        agree_phone: pairs
            .iter()
            .any(|(k, _)| k == "agree_phone")
            .then(String::new),
        ..SignUpForm::default()
    };
    let s = &page.survey;
    let (person, via) = match (&page.respondent, page.link) {
        (Some(r), _) => (Some((r.person_id, r.person_public_id.clone())), "link"),
        (None, PublicLink::Contact) => {
            // Answers and contact details are checked together, so every mistake shows at once.
            let answers_problems = answers.as_ref().err().cloned().unwrap_or_default();
            let page_name = format!("the survey '{}'", s.title);
            let found = super::signups::person_from_form(
                tx,
                rules,
                (today, now),
                (s.local_party_id, &page.party, &page_name),
                &contact,
            )
            .await;
            match found {
                Ok(p) if answers_problems.is_empty() => (Some(p), "public"),
                Ok(_) => return Err(AppError::Invalid(answers_problems)),
                Err(AppError::Invalid(mut more)) => {
                    more.extend(answers_problems);
                    return Err(AppError::Invalid(more));
                }
                Err(e) => return Err(e),
            }
        }
        (None, _) => (None, "public"),
    };
    let answers = answers.map_err(AppError::Invalid)?;
    let rows = rows_of(&page.questions, &answers);
    let again = surveys::respond(
        tx,
        s.id,
        person.as_ref().map(|(id, _)| *id),
        via,
        &rows,
        now,
    )
    .await?;
    let named: Vec<i64> = person.iter().map(|(id, _)| *id).collect();
    crate::store::audit::record(
        tx,
        crate::store::audit::Note {
            actor: "survey page",
            local_party_id: Some(s.local_party_id),
            action: "survey.answer",
            subject: person.as_ref().map_or("anonymous", |(_, p)| p.as_str()),
            detail: &format!("{} (through {via})", s.title),
            people: &named,
        },
    )
    .await?;
    Ok(Some(Answered { again }))
}

/// Answers as stored rows: a row per chosen option, one for a point or a text.
fn rows_of(questions: &[Question], answers: &[Option<Answer>]) -> Vec<AnswerRow> {
    let mut rows = Vec::new();
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        let question = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let row = |choice: Option<String>, point: Option<i32>, answer: Option<String>| AnswerRow {
            question,
            choice,
            point,
            answer,
        };
        match (q.kind, a) {
            (_, None) => {}
            (_, Some(Answer::Chosen(chosen))) => {
                rows.extend(chosen.iter().map(|c| row(Some(c.clone()), None, None)))
            }
            (_, Some(Answer::Scale(n))) => rows.push(row(None, Some(i32::from(*n)), None)),
            (QuestionKind::Text, Some(Answer::Text(t))) => {
                rows.push(row(None, None, Some(t.clone())))
            }
            (_, Some(Answer::Text(_))) => {}
        }
    }
    rows
}

/// One answered survey on a person's page: each question with their answer in words.
#[derive(Debug, Clone)]
pub struct OnRecord {
    pub survey_public_id: String,
    pub title: String,
    pub answered_at: DateTime<Utc>,
    pub answers: Vec<(String, String)>,
}

/// The surveys a person answered, with their answers, for their page (whose read is
/// audited by the page itself).
pub async fn of_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<OnRecord>> {
    let mut out = Vec::new();
    for a in surveys::of_person(tx, person_id).await? {
        let questions = parse_questions(&a.questions).unwrap_or_default();
        let answers = responses_of(&questions, a.answers.into_iter().map(|r| (0, r)))
            .pop()
            .map(|(_, a)| a)
            .unwrap_or_default();
        out.push(OnRecord {
            survey_public_id: a.survey_public_id,
            title: a.title,
            answered_at: a.answered_at,
            answers: in_words(&questions, answers),
        });
    }
    Ok(out)
}

/// One person's answers to a survey, for its organisers.
pub struct RespondentAnswers {
    pub person: crate::store::roster::Listed,
    pub answered_at: DateTime<Utc>,
    pub answers: Vec<(String, String)>,
}

/// The answers of everyone who answered a survey by name and whom `who` may see,
/// newest first (audited, naming each of them).
pub async fn answers(tx: &mut Tx, who: &Principal, id: &str) -> Result<Vec<RespondentAnswers>> {
    let survey = find(tx, who, id).await?;
    let questions = questions_of(&survey);
    let rows = surveys::answers(tx, survey.id).await?;
    let mut people: Vec<i64> = rows.iter().filter_map(|g| g.person_id).collect();
    people.sort_unstable();
    people.dedup();
    let listed = crate::store::roster::by_people(tx, &who.scope.read, who.user.id, &people).await?;
    let by_id: std::collections::HashMap<i64, &crate::store::roster::Listed> =
        listed.iter().map(|l| (l.person_id, l)).collect();
    let mut whose = std::collections::HashMap::new();
    for g in &rows {
        if let Some(p) = g.person_id.filter(|p| by_id.contains_key(p)) {
            whose.insert(g.response_id, (p, g.answered_at));
        }
    }
    let mut out = Vec::new();
    for (response, answers) in responses_of(
        &questions,
        rows.into_iter()
            .filter(|g| whose.contains_key(&g.response_id))
            .map(|g| (g.response_id, g.answer)),
    ) {
        let Some((person_id, answered_at)) = whose.get(&response) else {
            continue;
        };
        if let Some(l) = by_id.get(person_id) {
            out.push(RespondentAnswers {
                person: (*l).clone(),
                answered_at: *answered_at,
                answers: in_words(&questions, answers),
            });
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.answered_at));
    let shown: Vec<crate::store::roster::Listed> = out.iter().map(|r| r.person.clone()).collect();
    super::audit::listed(
        tx,
        who,
        "survey.answers",
        &format!("answers to '{}'", survey.title),
        &shown,
    )
    .await?;
    Ok(out)
}

impl super::events::ForUnit for Stored {
    fn made_for(&self) -> (i64, &str) {
        (self.local_party_id, &self.unit_slug)
    }
}
