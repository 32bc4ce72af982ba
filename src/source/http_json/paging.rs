//! Which page to ask for next, and which of a page's records to hand on: the pure part of
//! a pull, apart from HTTP so that every rule is unit-tested.
//!
//! - Page number and offset pagination of a *full* pull walk the list; the next page
//!   number or offset is the resume state.
//! - Page number and offset pagination of an *incremental* pull **re-anchor**: a record
//!   updated mid-pull moves to the end of the list and the records behind it move one
//!   place forward, across a page boundary already read, so walking a fixed
//!   `updatedSince` loses records. Instead every request asks for `updatedSince = <update
//!   time of the newest record received>` from the first page again, and the records of
//!   that second already received in this pull are dropped. If a whole page holds nothing
//!   new (more records share one second than a page holds), the next page of the same
//!   `updatedSince` follows. No state is needed: the position says where to resume.
//! - Cursor and Link pagination are keyset-stable; the token or URL is followed as given
//!   and is the resume state.
//!
//! A loop guard stops a pull whose API does not advance: a token or link seen twice, a
//! page identical to the one before it, or more than `max_pages` pages.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use url::Url;

use super::body::quote;
use super::config::{HttpJsonConfig, Pagination};
use super::origin;
use crate::source::{PositionOf, Resume};

/// Where a request points within the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    /// 1-based page number.
    Page(u64),
    /// 0-based record offset.
    Offset(u64),
    /// The cursor token, none on the first page.
    Cursor(Option<String>),
    /// The next link, none on the first page (the configured URL).
    Link(Option<Url>),
}

/// One request of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// `updatedSince`, formatted as the API takes it.
    pub since: Option<String>,
    pub at: At,
}

impl Request {
    /// How the request is described in logs and errors: no origin, no credential (a
    /// link's secret-looking parameters masked), upstream text escaped and shortened.
    pub fn describe(&self) -> String {
        let at = match &self.at {
            At::Page(n) => format!("page number {n}"),
            At::Offset(o) => format!("offset {o}"),
            At::Cursor(None) | At::Link(None) => "first page".to_owned(),
            At::Cursor(Some(t)) => format!("cursor {}", short(&quote(t))),
            At::Link(Some(u)) => {
                let shown = origin::loggable(u);
                format!("next link {}{}", shown.path(), short_query(&shown))
            }
        };
        match &self.since {
            Some(s) => format!("{at}, updated since {s}"),
            None => at,
        }
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 24 {
        format!("{}…", s.chars().take(24).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn short_query(u: &Url) -> String {
    u.query()
        .map(|q| format!("?{}", short(q)))
        .unwrap_or_default()
}

/// What a response says, besides HTTP.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    pub records: Vec<Value>,
    /// The next cursor token (`cursor_path`), if any and not empty.
    pub token: Option<String>,
    /// The `Link: <…>; rel="next"` URL.
    pub link: Option<Url>,
    /// The `has_more_path` boolean.
    pub has_more: Option<bool>,
}

/// Why a pull was stopped as not advancing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoopError {
    /// The token as [`quote`] writes it.
    #[error("the cursor token \"{0}\" came back a second time in this pull: the API is not advancing (check cursor_param and cursor_path)")]
    RepeatedToken(String),
    #[error("the next link {0} came back a second time in this pull: the API is not advancing")]
    RepeatedLink(String),
    #[error("this page is identical to the one before it: the API ignores the paging parameter (check page_param, offset_param, cursor_param)")]
    SamePage,
    #[error("max_pages = {0} pages were fetched in this pull without reaching the end; raise max_pages if the upstream really holds more, else check the pagination settings")]
    MaxPages(u64),
    #[error(
        "the response says more pages follow but has no cursor token at `{0}` (check cursor_path)"
    )]
    NoToken(String),
    /// Incremental page/offset pulls anchor on the newest update time received; a platform
    /// that does not sort by it would have records skipped, so the pull stops instead.
    #[error("record {id} (updated {at}) comes after a record updated {before} on the same page: the API does not return records in update-time order, which incremental page/offset pulls need; set incremental = false (change detection then publishes only what changed)")]
    Unordered {
        id: String,
        at: DateTime<Utc>,
        before: DateTime<Utc>,
    },
    #[error("record {id} (updated {at}) is older than the `since` asked for ({since}): the API ignores the since parameter (check since_param and since_format), or set incremental = false")]
    IgnoresSince {
        id: String,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    },
}

/// What to hand on from one fetched page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub records: Vec<Value>,
    /// Resume state once this page is committed.
    pub state: Option<Value>,
    /// No page follows.
    pub last: bool,
    /// Records already received in this pull, left out.
    pub dropped: usize,
}

/// The course of one pull.
#[derive(Debug)]
pub(crate) struct Plan {
    style: Pagination,
    reanchor: bool,
    page_size: u64,
    max_pages: u64,
    cursor_path: String,
    since_format: String,
    timezone: chrono_tz::Tz,
    next: Option<Request>,
    pages: u64,
    /// Update time of the newest record received (re-anchoring).
    newest: Option<DateTime<Utc>>,
    /// Content hashes of the records received with update time `newest`.
    at_newest: HashSet<u64>,
    /// Content hashes of received records without a readable position.
    unpositioned: HashSet<u64>,
    /// Cursor tokens and links followed.
    followed: HashSet<String>,
    /// The previous request and the hash of its records.
    previous: Option<(Request, u64)>,
}

impl Plan {
    /// The plan of a pull starting at `resume`. Returns a note when the resume state
    /// could not be used (written by another pagination style).
    pub fn new(c: &HttpJsonConfig, resume: &Resume) -> (Plan, Option<String>) {
        let reanchor = c.pull.incremental && c.pagination.positional();
        let since = (resume.position.as_ref())
            .filter(|_| c.pull.incremental)
            .map(|p| format_since(c.pull.lag.start(p.updated_at), c));
        let mut plan = Plan {
            style: c.pagination,
            reanchor,
            page_size: c.pull.page_size as u64,
            max_pages: c.max_pages,
            cursor_path: c.cursor_path.join("."),
            since_format: c.pull.time_format.clone(),
            timezone: c.timezone,
            next: Some(Request {
                since,
                at: first(c.pagination),
            }),
            pages: 0,
            newest: None,
            at_newest: HashSet::new(),
            unpositioned: HashSet::new(),
            followed: HashSet::new(),
            previous: None,
        };
        let mut note = None;
        if let Some(state) = resume.state.as_ref().filter(|_| !reanchor) {
            match request_of_state(c.pagination, state, &c.secret_params) {
                Some(request) => plan.next = Some(request),
                None => {
                    // The state's kind only: an old state may hold a link with a key.
                    let kind = state.get("pagination").and_then(Value::as_str);
                    note = Some(format!(
                        "the checkpoint's resume state (pagination = {:?}) is not one of pagination = {:?}; starting from the first page",
                        kind.map(quote).unwrap_or_else(|| "?".to_owned()),
                        c.pagination.name()
                    ))
                }
            }
        }
        (plan, note)
    }

    /// The next request, counting it against `max_pages`; `None` when the pull is done.
    pub fn next_request(&mut self) -> Result<Option<Request>, LoopError> {
        let Some(next) = self.next.clone() else {
            return Ok(None);
        };
        if self.pages >= self.max_pages {
            return Err(LoopError::MaxPages(self.max_pages));
        }
        self.pages += 1;
        Ok(Some(next))
    }

    /// Take the response to the request last handed out: decide what follows, and which
    /// records to hand on.
    pub fn take(&mut self, parsed: Parsed, position_of: &PositionOf) -> Result<Step, LoopError> {
        let request = self
            .next
            .take()
            .expect("take follows next_request with a request");
        let page_hash = content_hash(&parsed.records);
        if let Some((previous, hash)) = &self.previous {
            let advanced = previous.since == request.since && previous.at != request.at;
            if advanced && *hash == page_hash && !parsed.records.is_empty() {
                return Err(LoopError::SamePage);
            }
        }
        self.previous = Some((request.clone(), page_hash));
        let n = parsed.records.len() as u64;
        let more = match self.style {
            Pagination::Page | Pagination::Offset => {
                n > 0 && parsed.has_more.unwrap_or(n >= self.page_size)
            }
            Pagination::Cursor => match &parsed.token {
                Some(_) => parsed.has_more != Some(false),
                None if parsed.has_more == Some(true) => {
                    return Err(LoopError::NoToken(self.cursor_path.clone()))
                }
                None => false,
            },
            Pagination::Link => parsed.link.is_some() && parsed.has_more != Some(false),
        };
        let (records, dropped, moved_on) = if self.reanchor {
            self.keep_unseen(parsed.records, position_of)?
        } else {
            (parsed.records, 0, false)
        };
        if more {
            let at = match (&request.at, self.reanchor && moved_on) {
                (_, true) => first(self.style),
                (At::Page(p), false) => At::Page(p + 1),
                (At::Offset(o), false) => At::Offset(o + n),
                (At::Cursor(_), _) => {
                    let token = parsed.token.clone().unwrap_or_default();
                    if !self.followed.insert(token.clone()) {
                        return Err(LoopError::RepeatedToken(quote(&token)));
                    }
                    At::Cursor(Some(token))
                }
                (At::Link(_), _) => {
                    let link = parsed.link.clone().expect("more implies a link");
                    if !self.followed.insert(link.to_string()) {
                        return Err(LoopError::RepeatedLink(origin::loggable(&link).to_string()));
                    }
                    At::Link(Some(link))
                }
            };
            let since = match (self.reanchor && moved_on, self.newest) {
                (true, Some(newest)) => Some(self.format(newest)),
                _ => request.since.clone(),
            };
            self.next = Some(Request { since, at });
        }
        let state = if self.reanchor {
            None
        } else {
            self.next.as_ref().map(state_of)
        };
        Ok(Step {
            records,
            state,
            last: self.next.is_none(),
            dropped,
        })
    }

    /// Re-anchoring: drop the records of this pull's newest second already received, and
    /// move the anchor to the newest record kept. Returns the records kept, how many were
    /// dropped, and whether any record with a position was new.
    ///
    /// Refuses pages that would make the anchor skip records: out of update-time order, or
    /// older than the anchor asked for.
    fn keep_unseen(
        &mut self,
        records: Vec<Value>,
        position_of: &PositionOf,
    ) -> Result<(Vec<Value>, usize, bool), LoopError> {
        let mut kept = Vec::with_capacity(records.len());
        let mut dropped = 0;
        let mut fresh: Vec<(DateTime<Utc>, u64)> = Vec::new();
        let mut before: Option<DateTime<Utc>> = None;
        for record in records {
            let hash = content_hash(&record);
            match position_of(&record) {
                None => {
                    if !self.unpositioned.insert(hash) {
                        dropped += 1;
                        continue;
                    }
                }
                Some(p) => {
                    if let Some(before) = before.filter(|b| p.updated_at < *b) {
                        return Err(LoopError::Unordered {
                            id: quote(&p.native_id),
                            at: p.updated_at,
                            before,
                        });
                    }
                    before = Some(p.updated_at);
                    if let Some(since) = self.newest.filter(|n| p.updated_at < *n) {
                        return Err(LoopError::IgnoresSince {
                            id: quote(&p.native_id),
                            at: p.updated_at,
                            since,
                        });
                    }
                    let seen = self.newest == Some(p.updated_at) && self.at_newest.contains(&hash);
                    if seen {
                        dropped += 1;
                        continue;
                    }
                    fresh.push((p.updated_at, hash));
                }
            }
            kept.push(record);
        }
        let moved_on = !fresh.is_empty();
        if let Some(top) = fresh.iter().map(|(t, _)| *t).max() {
            if self.newest.is_none_or(|n| top > n) {
                self.newest = Some(top);
                self.at_newest.clear();
            }
            let newest = top.max(self.newest.unwrap_or(top));
            self.at_newest
                .extend(fresh.iter().filter(|(t, _)| *t == newest).map(|(_, h)| *h));
        }
        Ok((kept, dropped, moved_on))
    }

    fn format(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.timezone)
            .format(&self.since_format)
            .to_string()
    }
}

fn format_since(t: DateTime<Utc>, c: &HttpJsonConfig) -> String {
    t.with_timezone(&c.timezone)
        .format(&c.pull.time_format)
        .to_string()
}

fn first(style: Pagination) -> At {
    match style {
        Pagination::Page => At::Page(1),
        Pagination::Offset => At::Offset(0),
        Pagination::Cursor => At::Cursor(None),
        Pagination::Link => At::Link(None),
    }
}

/// The resume state of a request: `{"pagination":"page","page":5}`, `{"pagination":
/// "offset","offset":400}`, `{"pagination":"cursor","cursor":"…","since":"…"}`,
/// `{"pagination":"link","next":"http://…"}`.
fn state_of(request: &Request) -> Value {
    let mut state = match &request.at {
        At::Page(p) => json!({"pagination": "page", "page": p}),
        At::Offset(o) => json!({"pagination": "offset", "offset": o}),
        At::Cursor(t) => json!({"pagination": "cursor", "cursor": t}),
        At::Link(u) => json!({"pagination": "link", "next": u.as_ref().map(Url::as_str)}),
    };
    if let (Some(since), Some(map)) = (&request.since, state.as_object_mut()) {
        map.insert("since".into(), json!(since));
    }
    state
}

/// The request a resume state names. A stored link is cleaned again: a checkpoint
/// written by an older version may hold one with the source's credentials.
fn request_of_state(style: Pagination, state: &Value, secret_params: &[String]) -> Option<Request> {
    if state.get("pagination")?.as_str()? != style.name() {
        return None;
    }
    let at = match style {
        Pagination::Page => At::Page(state.get("page")?.as_u64().filter(|p| *p >= 1)?),
        Pagination::Offset => At::Offset(state.get("offset")?.as_u64()?),
        Pagination::Cursor => At::Cursor(Some(state.get("cursor")?.as_str()?.to_owned())),
        Pagination::Link => {
            let next = Url::parse(state.get("next")?.as_str()?).ok()?;
            At::Link(Some(origin::clean_url(&next, secret_params)))
        }
    };
    Some(Request {
        since: state
            .get("since")
            .and_then(Value::as_str)
            .map(str::to_owned),
        at,
    })
}

/// A hash of a JSON value's text, to recognise a record or page seen before.
fn content_hash(value: &impl serde::Serialize) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    serde_json::to_vec(value)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;
    use crate::normalize::Position;
    use crate::source::http_json::config::RawHttpJson;

    fn config(extra: &str) -> HttpJsonConfig {
        let raw: RawHttpJson =
            toml::from_str(&format!("url = \"http://h/api\"\npage_size = 3\n{extra}")).unwrap();
        HttpJsonConfig::validate(&raw, chrono_tz::Asia::Shanghai, "http").unwrap()
    }

    /// Records `{"id": "…", "t": <seconds after 2023-01-01 00:00:00 UTC>, "v": …}`.
    fn rec(id: &str, t: i64) -> Value {
        json!({"id": id, "t": t})
    }

    fn position_of() -> PositionOf {
        Arc::new(|r: &Value| {
            Some(Position {
                updated_at: Utc
                    .timestamp_opt(1_672_531_200 + r["t"].as_i64()?, 0)
                    .single()?,
                native_id: r["id"].as_str()?.to_owned(),
            })
        })
    }

    fn page(records: &[Value]) -> Parsed {
        Parsed {
            records: records.to_vec(),
            ..Parsed::default()
        }
    }

    fn ids(step: &Step) -> Vec<&str> {
        step.records
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_full_pull_walks_pages_and_resumes_at_the_page_it_stopped_on() {
        let c = config("incremental = false");
        let (mut plan, note) = Plan::new(&c, &Resume::default());
        assert!(note.is_none());
        let pos = position_of();
        assert_eq!(plan.next_request().unwrap().unwrap().at, At::Page(1));
        let step = plan
            .take(page(&[rec("a", 1), rec("b", 2), rec("c", 3)]), &pos)
            .unwrap();
        assert_eq!(step.state, Some(json!({"pagination": "page", "page": 2})));
        assert!(!step.last);
        assert_eq!(plan.next_request().unwrap().unwrap().at, At::Page(2));
        let step = plan.take(page(&[rec("d", 4)]), &pos).unwrap();
        assert_eq!((step.state, step.last), (None, true));
        assert_eq!(plan.next_request().unwrap(), None);

        let resume = Resume {
            position: None,
            state: Some(json!({"pagination": "page", "page": 7})),
        };
        let (mut plan, _) = Plan::new(&c, &resume);
        assert_eq!(plan.next_request().unwrap().unwrap().at, At::Page(7));
        // A state of another style is not used.
        let resume = Resume {
            position: None,
            state: Some(json!({"pagination": "cursor", "cursor": "x"})),
        };
        let (mut plan, note) = Plan::new(&c, &resume);
        assert!(note
            .unwrap()
            .contains("(pagination = \"cursor\") is not one of pagination = \"page\""));
        assert_eq!(plan.next_request().unwrap().unwrap().at, At::Page(1));
    }

    #[test]
    fn offsets_advance_by_the_records_received() {
        let c = config("incremental = false\npagination = \"offset\"");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        let pos = position_of();
        plan.next_request().unwrap();
        let step = plan
            .take(page(&[rec("a", 1), rec("b", 2), rec("c", 3)]), &pos)
            .unwrap();
        assert_eq!(
            step.state,
            Some(json!({"pagination": "offset", "offset": 3}))
        );
        assert_eq!(plan.next_request().unwrap().unwrap().at, At::Offset(3));
    }

    /// A lag window reaching before chrono's first date overflowed the subtraction and
    /// panicked the pull; it starts at the first date instead.
    #[test]
    fn regression_a_lag_window_before_the_first_date_panicked() {
        let c = config("lag_secs = 60");
        let resume = Resume {
            position: Some(Position {
                updated_at: chrono::DateTime::<Utc>::MIN_UTC + chrono::Duration::seconds(1),
                native_id: "a".into(),
            }),
            state: None,
        };
        let (mut plan, _) = Plan::new(&c, &resume);
        assert!(plan.next_request().unwrap().unwrap().since.is_some());
    }

    /// The loss this re-anchoring fixes: page 1 = [a b c], then `a` is updated and moves to
    /// the end, so the list is [b c d e f a′]; a walk would ask for page 2 = [e f a′] and
    /// never see `d`.
    #[test]
    fn regression_record_updated_mid_pull_shifts_the_next_page_and_a_walk_loses_one() {
        let c = config("lag_secs = 0");
        let position = Position {
            updated_at: Utc.timestamp_opt(1_672_531_200, 0).unwrap(),
            native_id: "z".into(),
        };
        let resume = Resume {
            position: Some(position),
            state: None,
        };
        let (mut plan, _) = Plan::new(&c, &resume);
        let pos = position_of();
        let first = plan.next_request().unwrap().unwrap();
        assert_eq!(first.since.as_deref(), Some("2023-01-01 08:00:00"));
        let step = plan
            .take(page(&[rec("a", 1), rec("b", 2), rec("c", 3)]), &pos)
            .unwrap();
        assert_eq!(ids(&step), ["a", "b", "c"]);
        assert_eq!(
            step.state, None,
            "incremental pulls resume from the position"
        );
        // Re-anchored on c's time, from the first page.
        let next = plan.next_request().unwrap().unwrap();
        assert_eq!(next.since.as_deref(), Some("2023-01-01 08:00:03"));
        assert_eq!(next.at, At::Page(1));
        // Updated meanwhile: a moved to the end. Since c's second: [c d e] — c dropped.
        let step = plan
            .take(page(&[rec("c", 3), rec("d", 4), rec("e", 5)]), &pos)
            .unwrap();
        assert_eq!((ids(&step), step.dropped), (vec!["d", "e"], 1));
        let next = plan.next_request().unwrap().unwrap();
        assert_eq!(next.since.as_deref(), Some("2023-01-01 08:00:05"));
        let step = plan
            .take(page(&[rec("e", 5), rec("f", 6), rec("a", 9)]), &pos)
            .unwrap();
        assert_eq!(ids(&step), ["f", "a"]);
        plan.next_request().unwrap();
        let step = plan.take(page(&[rec("a", 9)]), &pos).unwrap();
        assert!(step.records.is_empty() && step.last);
    }

    #[test]
    fn a_page_of_one_second_already_received_advances_with_the_same_since() {
        let c = config("");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        let pos = position_of();
        assert_eq!(plan.next_request().unwrap().unwrap().since, None);
        // Five records share second 7; pages hold three.
        let group: Vec<Value> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|i| rec(i, 7))
            .collect();
        let step = plan.take(page(&group[..3]), &pos).unwrap();
        assert_eq!(ids(&step), ["a", "b", "c"]);
        let next = plan.next_request().unwrap().unwrap();
        assert_eq!(
            (next.since.as_deref(), &next.at),
            (Some("2023-01-01 08:00:07"), &At::Page(1))
        );
        let step = plan.take(page(&group[..3]), &pos).unwrap();
        assert_eq!((step.records.len(), step.dropped), (0, 3));
        let next = plan.next_request().unwrap().unwrap();
        assert_eq!(
            (next.since.as_deref(), &next.at),
            (Some("2023-01-01 08:00:07"), &At::Page(2))
        );
        let step = plan
            .take(
                page(&[group[3].clone(), group[4].clone(), rec("f", 8)]),
                &pos,
            )
            .unwrap();
        assert_eq!(ids(&step), ["d", "e", "f"]);
        let next = plan.next_request().unwrap().unwrap();
        assert_eq!(
            (next.since.as_deref(), &next.at),
            (Some("2023-01-01 08:00:08"), &At::Page(1))
        );
    }

    #[test]
    fn a_record_changed_again_within_the_newest_second_is_handed_on() {
        let c = config("");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        let pos = position_of();
        plan.next_request().unwrap();
        plan.take(page(&[rec("a", 1), rec("b", 5), rec("c", 5)]), &pos)
            .unwrap();
        plan.next_request().unwrap();
        // `a` changed into second 5 (sorting before b by id), and c changed again.
        let changed_c = json!({"id": "c", "t": 5, "v": 2});
        let step = plan
            .take(page(&[rec("a", 5), rec("b", 5), changed_c.clone()]), &pos)
            .unwrap();
        assert_eq!(step.records, vec![rec("a", 5), changed_c]);
    }

    /// Anchoring on the newest time received is only safe on a platform that sorts by
    /// update time and honours `since`; otherwise the pull stops rather than skip records.
    #[test]
    fn incremental_pages_out_of_update_time_order_or_before_since_stop_the_pull() {
        let c = config("");
        let pos = position_of();
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        plan.next_request().unwrap();
        let unordered = plan.take(page(&[rec("a", 5), rec("b", 2), rec("c", 7)]), &pos);
        assert!(
            matches!(&unordered, Err(LoopError::Unordered { id, .. }) if id == "b"),
            "{unordered:?}"
        );

        let (mut plan, _) = Plan::new(&c, &Resume::default());
        plan.next_request().unwrap();
        plan.take(page(&[rec("a", 1), rec("b", 2), rec("c", 3)]), &pos)
            .unwrap();
        let next = plan.next_request().unwrap().unwrap();
        assert_eq!(next.at, At::Page(1));
        // The platform answered the re-anchored request with records before its since.
        let ignored = plan.take(page(&[rec("a", 1), rec("b", 2), rec("c", 3)]), &pos);
        assert!(
            matches!(&ignored, Err(LoopError::IgnoresSince { id, .. }) if id == "a"),
            "{ignored:?}"
        );
        assert!(ignored
            .unwrap_err()
            .to_string()
            .contains("ignores the since parameter"));
    }

    #[test]
    fn the_loop_guard_stops_repeats() {
        let pos = position_of();
        // A cursor coming back.
        let c = config("pagination = \"cursor\"\ncursor_path = \"next\"");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        let with_token = |r: &[Value], t: &str| Parsed {
            token: Some(t.to_owned()),
            ..page(r)
        };
        plan.next_request().unwrap();
        let step = plan.take(with_token(&[rec("a", 1)], "T1"), &pos).unwrap();
        assert_eq!(
            step.state,
            Some(json!({"pagination": "cursor", "cursor": "T1"}))
        );
        plan.next_request().unwrap();
        plan.take(with_token(&[rec("b", 2)], "T2"), &pos).unwrap();
        plan.next_request().unwrap();
        assert_eq!(
            plan.take(with_token(&[rec("c", 3)], "T1"), &pos),
            Err(LoopError::RepeatedToken("T1".into()))
        );
        // hasMore without a token.
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        plan.next_request().unwrap();
        let parsed = Parsed {
            has_more: Some(true),
            ..page(&[rec("a", 1)])
        };
        assert_eq!(
            plan.take(parsed, &pos),
            Err(LoopError::NoToken("next".into()))
        );

        // An API ignoring the page number.
        let c = config("incremental = false");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        let full = [rec("a", 1), rec("b", 2), rec("c", 3)];
        plan.next_request().unwrap();
        plan.take(page(&full), &pos).unwrap();
        plan.next_request().unwrap();
        assert_eq!(plan.take(page(&full), &pos), Err(LoopError::SamePage));

        // max_pages.
        let c = config("incremental = false\nmax_pages = 2");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        for i in 0..2 {
            plan.next_request().unwrap();
            plan.take(page(&[rec("a", i), rec("b", i), rec("c", i)]), &pos)
                .unwrap();
        }
        assert_eq!(plan.next_request(), Err(LoopError::MaxPages(2)));
    }

    #[test]
    fn links_are_followed_and_kept_as_state_and_end_when_absent() {
        let c = config("pagination = \"link\"\nrecords_path = \"\"");
        let (mut plan, _) = Plan::new(&c, &Resume::default());
        let pos = position_of();
        plan.next_request().unwrap();
        let link = Url::parse("http://h/api?after=X").unwrap();
        let parsed = Parsed {
            link: Some(link.clone()),
            ..page(&[rec("a", 1)])
        };
        let step = plan.take(parsed, &pos).unwrap();
        assert_eq!(
            step.state,
            Some(json!({"pagination": "link", "next": "http://h/api?after=X"}))
        );
        assert_eq!(
            plan.next_request().unwrap().unwrap().at,
            At::Link(Some(link))
        );
        let step = plan.take(page(&[rec("b", 2)]), &pos).unwrap();
        assert!(step.last && step.state.is_none());
    }

    /// A checkpoint written before links were cleaned holds the API key the platform
    /// echoed; resuming from it must not send it twice nor describe it.
    #[test]
    fn a_resumed_link_loses_the_credential_parameters_it_was_stored_with() {
        let c = config(
            "pagination = \"link\"\nrecords_path = \"\"\nallow_insecure_http = true\n[auth]\nkind = \"api_key\"\nkey_env = \"K\"\nquery_param = \"apiKey\"",
        );
        let resume = Resume {
            position: None,
            state: Some(
                json!({"pagination": "link", "next": "http://u:p@h/api?apiKey=KEY&after=X&access_token=T"}),
            ),
        };
        let (mut plan, _) = Plan::new(&c, &resume);
        let request = plan.next_request().unwrap().unwrap();
        let At::Link(Some(url)) = &request.at else {
            panic!("{request:?}")
        };
        assert_eq!(url.as_str(), "http://h/api?after=X&access_token=T");
        assert_eq!(
            request.describe(),
            "next link /api?after=X&access_token=***"
        );
    }
}
