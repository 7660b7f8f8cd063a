//! Delivering the outbox. Messages are written to the `outbox` table by whatever causes
//! them (in the same transaction), and a worker sends them: by SMTP when `ROSETTE_SMTP_URL`
//! is set (lettre, `smtp://`, `smtps://` or `smtp://…?tls=required`), otherwise into `.eml`
//! files in a folder, which the pages mention so nobody waits for mail that never leaves.

use chrono::{Duration, Utc};
use lettre::message::header::ContentType;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

use crate::store::{Db, StoreError, outbox};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("ROSETTE_SMTP_URL is not a usable SMTP address: {0}")]
    Url(String),
    #[error("ROSETTE_MAIL_FROM '{0}' is not an email address")]
    From(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many times a message is tried before it is given up on.
const MAX_ATTEMPTS: i32 = 8;

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Where mail goes, from the environment.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str, folder: PathBuf) -> Result<Mailer, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::From(from.to_string()))?;
        let transport = match smtp_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Url(e.to_string()))?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build(),
            ),
            None => Transport::Files(folder),
        };
        Ok(Mailer { from, transport })
    }

    /// `ROSETTE_SMTP_URL`, `ROSETTE_MAIL_FROM` and `ROSETTE_MAIL_DIR`.
    pub fn from_env() -> Result<Mailer, MailError> {
        let url = std::env::var("ROSETTE_SMTP_URL").ok();
        let from = std::env::var("ROSETTE_MAIL_FROM")
            .unwrap_or_else(|_| "Rosette <rosette@localhost>".to_string());
        let folder = std::env::var("ROSETTE_MAIL_DIR").unwrap_or_else(|_| "outbox".to_string());
        Mailer::new(url.as_deref(), &from, PathBuf::from(folder))
    }

    /// Said on pages that send mail, when mail is not really sent.
    pub fn file_folder(&self) -> Option<&PathBuf> {
        match &self.transport {
            Transport::Files(dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    async fn send(&self, m: &outbox::Message) -> Result<(), Failure> {
        let to: Mailbox = m
            .to_address
            .parse()
            .map_err(|e| Failure::Permanent(format!("bad address: {e}")))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.as_str())
            .message_id(Some(format!("<{}@rosette>", m.public_id)));
        let email = match (&m.html, &m.calendar) {
            (_, Some(ics)) => builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(m.body.clone()))
                    .singlepart(
                        Attachment::new("event.ics".into()).body(ics.clone(), calendar_type()),
                    ),
            ),
            (Some(html), None) => builder.multipart(MultiPart::alternative_plain_html(
                m.body.clone(),
                html.clone(),
            )),
            (None, None) => builder.body(m.body.clone()),
        }
        .map_err(|e| Failure::Permanent(e.to_string()))?;
        self.transmit(&m.public_id, email).await
    }

    /// Sends one member's copy of an email: text and HTML, from the local party's sender
    /// name at Rosette's address, and for a campaign the RFC 8058 one-click unsubscribe
    /// headers. The Message-ID names the recipient row, so a bounce can be traced to it.
    pub async fn send_to_member(&self, m: Outgoing<'_>) -> Result<(), Failure> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| Failure::Permanent(format!("bad address: {e}")))?;
        let from = Mailbox::new(Some(m.sender_name.to_string()), self.from.email.clone());
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(m.rendered.subject.as_str())
            .message_id(Some(format!("<{}@rosette>", m.id)));
        if let Some(reply) = m.reply_to.and_then(|r| r.parse::<Mailbox>().ok()) {
            builder = builder.reply_to(reply);
        }
        if let Some(url) = m.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
        }
        let email = builder
            .multipart(MultiPart::alternative_plain_html(
                m.rendered.text.clone(),
                m.rendered.html.clone(),
            ))
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        self.transmit(m.id, email).await
    }

    async fn transmit(&self, id: &str, email: Message) -> Result<(), Failure> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(email).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    Failure::Permanent(e.to_string())
                } else {
                    Failure::Transient(e.to_string())
                }
            }),
            Transport::Files(dir) => {
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    tokio::fs::write(dir.join(format!("{id}.eml")), email.formatted()).await
                };
                write.await.map_err(|e| Failure::Transient(e.to_string()))
            }
        }
    }
}

/// An event's calendar file as mail clients offer to add it.
fn calendar_type() -> ContentType {
    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
        .unwrap_or(ContentType::TEXT_PLAIN)
}

/// One member's copy of an email, ready to go.
pub struct Outgoing<'a> {
    /// The recipient row's public id: the Message-ID, and the file name in a mail folder.
    pub id: &'a str,
    pub to: &'a str,
    pub sender_name: &'a str,
    pub reply_to: Option<&'a str>,
    pub rendered: &'a crate::domain::emails::Rendered,
    /// The one-click unsubscribe link (campaigns).
    pub unsubscribe: Option<&'a str>,
}

/// RFC 2369's `List-Unsubscribe`: where a mail client's unsubscribe button goes.
#[derive(Clone)]
struct ListUnsubscribe(String);
/// RFC 8058's `List-Unsubscribe-Post`: the button may POST there, no page in between.
#[derive(Clone)]
struct ListUnsubscribePost(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.into()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost(s.into()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Why a message did not go: `Permanent` is the server's 5xx (a hard bounce), anything
/// else may work later.
#[derive(Debug)]
pub enum Failure {
    Transient(String),
    Permanent(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Transient(e) | Failure::Permanent(e) => f.write_str(e),
        }
    }
}

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The wait before attempt `n + 1`: a minute, doubling, at most six hours.
pub fn backoff(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(1, 10).saturating_sub(1);
    Duration::minutes(minutes.min(360))
}

/// Sends everything due now. Each message is claimed in its own committed transaction
/// before it is sent, so a crash mid-send leaves it `sending`, never `queued`.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> Result<Round, MailError> {
    let mut round = Round::default();
    let now = Utc::now();
    let mut tx = db.begin().await?;
    outbox::mark_interrupted(&mut tx, now, Duration::minutes(10)).await?;
    let due = outbox::due(&mut tx, now, 100).await?;
    tx.commit().await?;
    for m in due {
        let mut tx = db.begin().await?;
        let claimed = outbox::claim(&mut tx, m.id, Utc::now()).await?;
        tx.commit().await?;
        if !claimed {
            continue;
        }
        let attempts = m.attempts + 1;
        let result = mailer.send(&m).await;
        let mut tx = db.begin().await?;
        match result {
            Ok(()) => {
                outbox::mark_sent(&mut tx, m.id).await?;
                round.sent += 1;
            }
            Err(Failure::Permanent(e)) => {
                tracing::warn!(to = %m.to_address, error = %e, "mail refused for good");
                outbox::fail(&mut tx, m.id, &m.to_address, &e).await?;
                round.failed += 1;
            }
            Err(Failure::Transient(e)) if attempts >= MAX_ATTEMPTS => {
                tracing::warn!(to = %m.to_address, error = %e, "mail given up after {attempts} attempts");
                outbox::give_up(&mut tx, m.id, &e).await?;
                round.failed += 1;
            }
            Err(Failure::Transient(e)) => {
                tracing::info!(to = %m.to_address, error = %e, "mail will be retried");
                outbox::retry_at(&mut tx, m.id, Utc::now() + backoff(attempts), &e).await?;
                round.retrying += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(10), Duration::minutes(360));
        assert_eq!(backoff(50), Duration::minutes(360));
    }
}
