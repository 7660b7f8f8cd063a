//! The audit journal: entries for what list pages show, appended to a local file before
//! the page goes out, and taken into the audit log in batches. A list view then costs a
//! write to a file instead of a database commit; and on SQLite, where every commit makes
//! each reader drop its page cache before its next read, the readers start afresh once a
//! batch instead of once a view.
//!
//! How safe a line is: once `append` returns it is the operating system's, so it
//! survives the process being killed, as a SQLite commit does with `synchronous =
//! NORMAL`; like such a commit, it is not forced to the disk before the page is shown.
//!
//! The journal is a folder of segments, `<uuidv7>.audit`, a line of JSON per entry. The
//! process appending to a segment holds an exclusive lock on it, so that whoever takes
//! segments in (this process, another one, or this one at its next start) only takes a
//! segment nobody is writing to. A segment is taken in by one transaction that also
//! records its name in `audit_segments`, and deleted only after that commit: a crash in
//! between leaves a file whose name the log already has, which is then deleted, not taken
//! in twice.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::Utc;
use sea_query::{Expr, ExprTrait, Query};

use super::audit::{self, Journaled};
use super::schema::AuditSegments;
use super::{Db, Result, StoreError};

/// A segment's extension.
const SEGMENT: &str = "audit";
/// A segment's extension while it is being created, before its lock is held.
const STARTING: &str = "starting";
/// What a segment with lines that could not be read is renamed to once the rest is in.
const DAMAGED: &str = "damaged";

/// The segments of one folder; this process appends to one of them at a time.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    open: Mutex<Segment>,
}

/// The segment being appended to: its file, locked, and how many entries it holds.
#[derive(Debug)]
struct Segment {
    file: File,
    path: PathBuf,
    entries: usize,
}

/// What one `take_in` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TakenIn {
    pub segments: usize,
    pub entries: usize,
    /// Segments with lines that were not entries (`.damaged` files now) and those lines'
    /// numbers: a disk that lost power mid-write, or a file edited by hand.
    pub damaged: Vec<(PathBuf, Vec<usize>)>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Journal {
        path: path.display().to_string(),
        source,
    }
}

impl Segment {
    /// A new segment, locked before it has the name that others look for.
    fn start(dir: &Path) -> Result<Segment> {
        let name = uuid::Uuid::now_v7();
        let starting = dir.join(format!("{name}.{STARTING}"));
        let path = dir.join(format!("{name}.{SEGMENT}"));
        let file = File::options()
            .create_new(true)
            .append(true)
            .open(&starting)
            .map_err(io_error(&starting))?;
        file.try_lock()
            .map_err(|e| io_error(&starting)(std::io::Error::other(e)))?;
        fs::rename(&starting, &path).map_err(io_error(&path))?;
        Ok(Segment {
            file,
            path,
            entries: 0,
        })
    }
}

impl Journal {
    /// Opens the folder (created if missing) and starts this process's segment in it.
    pub fn open(dir: &Path) -> Result<Journal> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            open: Mutex::new(Segment::start(dir)?),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn segment(&self) -> MutexGuard<'_, Segment> {
        // A panic while appending leaves at worst a partial line, which `take_in` reports.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends entries in one write. Returns how many entries the open segment holds.
    pub fn append(&self, entries: &[Journaled]) -> Result<usize> {
        let mut lines = Vec::with_capacity(256 * entries.len());
        for e in entries {
            serde_json::to_writer(&mut lines, e).map_err(|e| {
                StoreError::Invalid(format!("an audit entry could not be written: {e}"))
            })?;
            lines.push(b'\n');
        }
        let mut open = self.segment();
        let path = open.path.clone();
        open.file.write_all(&lines).map_err(io_error(&path))?;
        open.entries += entries.len();
        Ok(open.entries)
    }

    /// Entries appended since the last `take_in` began.
    pub fn pending(&self) -> usize {
        self.segment().entries
    }

    /// Takes into the log everything appended before this call, and any segment another
    /// process left behind and no longer holds.
    pub async fn take_in(&self, db: &Db) -> Result<TakenIn> {
        {
            let mut open = self.segment();
            if open.entries > 0 {
                // The old segment's lock goes with its file, as it is replaced.
                *open = Segment::start(&self.dir)?;
            }
        }
        let dir = self.dir.clone();
        let paths = blocking(move || segments(&dir)).await?;
        let mut taken = TakenIn::default();
        // One segment in memory at a time, however many a long outage left.
        for path in paths {
            let Some(held) = blocking(move || hold(path)).await? else {
                continue;
            };
            let (entries, bad) = read_entries(&held.text);
            let name = held
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut tx = db.begin().await?;
            let already: Option<(String,)> = tx
                .fetch_optional(
                    Query::select()
                        .column(AuditSegments::Name)
                        .from(AuditSegments::Table)
                        .and_where(Expr::col(AuditSegments::Name).eq(name.as_str())),
                )
                .await?;
            if already.is_none() {
                audit::take_in(&mut tx, &entries).await?;
                tx.execute(
                    Query::insert()
                        .into_table(AuditSegments::Table)
                        .columns([
                            AuditSegments::Name,
                            AuditSegments::TakenAt,
                            AuditSegments::Entries,
                        ])
                        .values_panic([
                            name.as_str().into(),
                            Utc::now().into(),
                            i64::try_from(entries.len()).unwrap_or(i64::MAX).into(),
                        ]),
                )
                .await?;
                taken.segments += 1;
                taken.entries += entries.len();
            }
            tx.commit().await?;
            if bad.is_empty() {
                fs::remove_file(&held.path).map_err(io_error(&held.path))?;
            } else {
                let kept = held.path.with_extension(DAMAGED);
                fs::rename(&held.path, &kept).map_err(io_error(&held.path))?;
                taken.damaged.push((kept, bad));
            }
            // The lock is let go only now, so no one else takes the file in meanwhile.
            drop(held.file);
        }
        Ok(taken)
    }
}

/// A closed segment, locked by this process while it is taken in.
struct Held {
    path: PathBuf,
    file: File,
    text: Vec<u8>,
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Invalid(format!("reading the audit journal failed: {e}")))?
}

/// Every segment in the folder, oldest first (their names are UUIDv7s).
fn segments(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io_error(dir))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == SEGMENT))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The segment, locked and read, if nobody else holds it and it is still there.
fn hold(path: PathBuf) -> Result<Option<Held>> {
    let mut file = match File::open(&path) {
        Ok(f) => f,
        // Taken in and deleted by another process since the folder was listed.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path)(e)),
    };
    if file.try_lock().is_err() {
        // Someone is still writing to it, or taking it in.
        return Ok(None);
    }
    if !path.exists() {
        // Taken in by another process between the listing and the lock.
        return Ok(None);
    }
    let mut text = Vec::new();
    file.read_to_end(&mut text).map_err(io_error(&path))?;
    Ok(Some(Held { path, file, text }))
}

/// The entries in a segment's text, and the numbers (from 1) of lines that are not one.
fn read_entries(text: &[u8]) -> (Vec<Journaled>, Vec<usize>) {
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    let mut lines = text.split(|b| *b == b'\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        // The text ends with a line break, after which comes nothing.
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        match serde_json::from_slice::<Journaled>(line) {
            Ok(e) => entries.push(e),
            Err(_) => bad.push(i + 1),
        }
    }
    (entries, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> Journaled {
        Journaled {
            at: Utc::now(),
            actor: "branch@example.org".into(),
            local_party_id: Some(1),
            action: "members.list".into(),
            subject: "search".into(),
            detail: format!("search; {n} people"),
            people: (1..=n).collect(),
        }
    }

    #[test]
    fn lines_read_back_as_the_entries_written_and_bad_lines_are_named() {
        let written = [entry(0), entry(3)];
        let mut text = Vec::new();
        for e in &written {
            serde_json::to_writer(&mut text, e).expect("json");
            text.push(b'\n');
        }
        assert_eq!(read_entries(&text), (written.to_vec(), vec![]));
        assert_eq!(read_entries(b""), (vec![], vec![]));
        // A line cut short (no line break after it) and a line of rubbish are named;
        // the entries around them still count.
        let mut damaged = text.clone();
        damaged.extend_from_slice(b"not an entry\n");
        damaged.extend_from_slice(&text);
        damaged.extend_from_slice(&text[..20]);
        let (entries, bad) = read_entries(&damaged);
        assert_eq!(entries.len(), 4);
        assert_eq!(bad, vec![3, 6]);
        // An empty line in the middle is not an entry either.
        assert_eq!(read_entries(b"\n\n").1, vec![1, 2]);
    }

    /// The segments in `dir` nobody holds, as `take_in` would find them.
    fn free(dir: &Path) -> Vec<Held> {
        segments(dir)
            .expect("list")
            .into_iter()
            .filter_map(|p| hold(p).expect("hold"))
            .collect()
    }

    #[test]
    fn a_segment_being_written_is_not_taken_by_anyone_else() {
        let dir = tempfile::tempdir().expect("dir");
        let writing = Journal::open(dir.path()).expect("journal");
        let written = entry(2);
        writing
            .append(std::slice::from_ref(&written))
            .expect("append");
        assert_eq!(writing.pending(), 1);
        // A second process's view of the folder: the open segment is held.
        assert!(free(dir.path()).is_empty());
        let other = Journal::open(dir.path()).expect("second journal");
        assert!(free(other.dir()).is_empty());
        // Once the first is gone (a crash: nothing taken in), its segment is free.
        drop(writing);
        let left = free(dir.path());
        assert_eq!(left.len(), 1);
        assert_eq!(read_entries(&left[0].text), (vec![written], vec![]));
    }
}
