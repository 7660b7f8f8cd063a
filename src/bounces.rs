//! Bounces that come back after a message was accepted: delivery status notifications
//! (RFC 3464) read from a mailbox over IMAP (`ROSETTE_IMAP_URL`) by the `read_bounces`
//! job. Each is matched to the message it returns by Rosette's Message-ID in it, and
//! classified hard or soft (`domain::emails::read_dsn`). Only messages Rosette recognises
//! are removed from the mailbox; anything else (replies, other mail) is left for a person.

use async_imap::Client;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::domain::emails::{SOFT_BOUNCES, read_dsn};
use crate::store::{Db, StoreError, emails, outbox};

#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error("ROSETTE_IMAP_URL is not imap://USER:PASSWORD@HOST[:PORT][/FOLDER] (or imaps://): {0}")]
    Url(String),
    #[error("the bounce mailbox could not be read: {0}")]
    Imap(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where bounces arrive.
#[derive(Debug, Clone)]
pub struct Mailbox {
    host: String,
    port: u16,
    tls: bool,
    user: String,
    password: String,
    folder: String,
}

impl Mailbox {
    /// `imap://user:password@host:143/INBOX` or `imaps://…:993/…`; user and password
    /// percent-encoded as in any URL.
    pub fn from_url(url: &str) -> Result<Mailbox, BounceError> {
        let bad = |why: &str| BounceError::Url(why.to_string());
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let tls = match scheme {
            "imap" => false,
            "imaps" => true,
            _ => return Err(bad("the scheme must be imap or imaps")),
        };
        let (auth, rest) = rest
            .rsplit_once('@')
            .ok_or_else(|| bad("no user and password"))?;
        let (user, password) = auth.split_once(':').ok_or_else(|| bad("no password"))?;
        let (hostport, folder) = rest.split_once('/').unwrap_or((rest, "INBOX"));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad("the port is not a number"))?),
            None => (hostport, if tls { 993 } else { 143 }),
        };
        let decode = |t: &str| {
            percent_encoding::percent_decode_str(t)
                .decode_utf8_lossy()
                .into_owned()
        };
        if host.is_empty() || user.is_empty() {
            return Err(bad("no host or user"));
        }
        Ok(Mailbox {
            host: host.to_string(),
            port,
            tls,
            user: decode(user),
            password: decode(password),
            folder: if folder.is_empty() {
                "INBOX".into()
            } else {
                decode(folder)
            },
        })
    }

    /// The mailbox `ROSETTE_IMAP_URL` names, if it is set.
    pub fn from_env() -> Result<Option<Mailbox>, BounceError> {
        match std::env::var("ROSETTE_IMAP_URL") {
            Ok(url) if !url.trim().is_empty() => Mailbox::from_url(url.trim()).map(Some),
            _ => Ok(None),
        }
    }
}

/// What one reading of the mailbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub hard: usize,
    pub soft: usize,
    /// Addresses suppressed by this reading.
    pub suppressed: usize,
    /// Messages left in the mailbox: not bounces of Rosette's mail.
    pub left: usize,
}

/// Reads every message in the mailbox, records the bounces it recognises and removes
/// those messages; the rest stay.
pub async fn read(db: &Db, mailbox: &Mailbox) -> Result<Read, BounceError> {
    let imap = |e: async_imap::error::Error| BounceError::Imap(e.to_string());
    let tcp = TcpStream::connect((mailbox.host.as_str(), mailbox.port))
        .await
        .map_err(|e| BounceError::Imap(format!("{}:{}: {e}", mailbox.host, mailbox.port)))?;
    if mailbox.tls {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(mailbox.host.clone())
            .map_err(|e| BounceError::Imap(e.to_string()))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| BounceError::Imap(e.to_string()))?;
        session(db, mailbox, Client::new(stream)).await
    } else {
        session(db, mailbox, Client::new(tcp)).await
    }
    .map_err(|e| match e {
        Failure::Imap(e) => imap(e),
        Failure::Store(e) => BounceError::Store(e),
    })
}

enum Failure {
    Imap(async_imap::error::Error),
    Store(StoreError),
}

impl From<async_imap::error::Error> for Failure {
    fn from(e: async_imap::error::Error) -> Self {
        Failure::Imap(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

async fn session<T>(db: &Db, mailbox: &Mailbox, mut client: Client<T>) -> Result<Read, Failure>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    // The server speaks first.
    client
        .read_response()
        .await
        .map_err(async_imap::error::Error::Io)?;
    let mut session = client
        .login(&mailbox.user, &mailbox.password)
        .await
        .map_err(|(e, _)| e)?;
    session.select(&mailbox.folder).await?;
    let mut messages = Vec::new();
    {
        let mut fetched = session.uid_fetch("1:*", "(UID BODY.PEEK[])").await?;
        while let Some(m) = fetched.next().await {
            let m = m?;
            if let (Some(uid), Some(body)) = (m.uid, m.body()) {
                messages.push((uid, String::from_utf8_lossy(body).into_owned()));
            }
        }
    }
    let mut read = Read::default();
    let mut recognised = Vec::new();
    for (uid, text) in &messages {
        let Some(dsn) = read_dsn(text) else {
            read.left += 1;
            continue;
        };
        let mut tx = db.begin().await?;
        let mut known = false;
        for id in &dsn.message_ids {
            let address = match emails::bounced(&mut tx, id, &dsn.reason, dsn.failed).await? {
                Some(a) => Some(a),
                None => outbox::address_of(&mut tx, id).await?,
            };
            let Some(address) = address.filter(|a| !a.is_empty()) else {
                continue;
            };
            known = true;
            if dsn.hard {
                read.hard += 1;
                if !outbox::is_suppressed(&mut tx, &address).await? {
                    outbox::suppress(&mut tx, &address, &format!("bounced: {}", dsn.reason))
                        .await?;
                    read.suppressed += 1;
                }
            } else {
                read.soft += 1;
                if outbox::soft_bounce(&mut tx, &address, &dsn.reason, SOFT_BOUNCES).await? {
                    read.suppressed += 1;
                }
            }
        }
        tx.commit().await?;
        if known {
            recognised.push(uid.to_string());
        } else {
            read.left += 1;
        }
    }
    if !recognised.is_empty() {
        let set = recognised.join(",");
        {
            let mut stored = session.uid_store(&set, "+FLAGS (\\Deleted)").await?;
            while let Some(r) = stored.next().await {
                r?;
            }
        }
        {
            let mut expunged = Box::pin(session.expunge().await?);
            while let Some(r) = expunged.next().await {
                r?;
            }
        }
    }
    session.logout().await?;
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_is_read_from_its_url() {
        let m = Mailbox::from_url("imaps://bounces%40party.org:p%3Ass@mail.example.org/Bounces")
            .unwrap();
        assert_eq!(
            (m.host.as_str(), m.port, m.tls),
            ("mail.example.org", 993, true)
        );
        assert_eq!(
            (m.user.as_str(), m.password.as_str()),
            ("bounces@party.org", "p:ss")
        );
        assert_eq!(m.folder, "Bounces");
        let m = Mailbox::from_url("imap://u:p@127.0.0.1:1143").unwrap();
        assert_eq!((m.port, m.tls, m.folder.as_str()), (1143, false, "INBOX"));
        for bad in [
            "",
            "http://u:p@h",
            "imap://h",
            "imap://u@h",
            "imap://u:p@h:port",
            "imap://:p@h",
        ] {
            assert!(Mailbox::from_url(bad).is_err(), "{bad}");
        }
    }
}
