//! The four pagination styles of docs/upstream-api.md ("Pagination styles"): their query
//! parameters, the opaque keyset cursor of `/api/v3` and `/api/v4`, and each style's
//! response body. One dataset serves them all; only the window onto it and the wrapping
//! differ.
//!
//! Page number and offset/limit are positions in the list at the moment of the request, so
//! a record updated while a client pages shifts the others and one may be skipped — the
//! weakness of real platforms that clients must live with. The cursor styles are keyset
//! pagination: a page holds the records strictly after the last one served, in
//! (更新时间, 项目编号) order, so an updated record moves behind the cursor and comes later.

use std::fmt::Write;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::NaiveDateTime;

use super::record::UPDATED_FORMAT;
use super::simulator::{error_body, Page, Simulator, Window};

/// Default page size of every style when the request names none (capped by
/// `max_page_size`).
const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest `pageNo` and `offset`: platforms behind this API are Java services with `int`
/// paging.
const MAX_POSITION: u64 = i32::MAX as u64;

/// How a client pages through `GET /api/v{1,2,3,4}/transactions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `/api/v1`: `pageNo`, `pageSize`.
    PageNumber,
    /// `/api/v2`: `offset`, `limit`.
    OffsetLimit,
    /// `/api/v3`: `size`, `cursor` → `nextCursor`, `hasMore`.
    Cursor,
    /// `/api/v4`: `per_page`, `after` inside a `Link: <…>; rel="next"` header.
    LinkHeader,
}

/// A rejected request: HTTP 400 with `{"code":400,"msg":"…","data":null}`, the message
/// naming the parameter and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest(pub String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        json_response(StatusCode::BAD_REQUEST, error_body(400, &self.0))
    }
}

/// The body of a page and, for `/api/v4`, its `Link` header.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub body: String,
    pub link: Option<String>,
}

/// Where a keyset page starts: after the record (`t`, `id`), among records updated at or
/// after `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub t: NaiveDateTime,
    pub id: String,
    pub since: Option<NaiveDateTime>,
}

/// The cursor as clients carry it: base64url (no padding) of this JSON, keys in this order.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct CursorWire {
    t: String,
    id: String,
    s: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let wire = CursorWire {
            t: self.t.format(UPDATED_FORMAT).to_string(),
            id: self.id.clone(),
            s: self
                .since
                .map(|s| s.format(UPDATED_FORMAT).to_string())
                .unwrap_or_default(),
        };
        // Serialising three strings cannot fail.
        let json = serde_json::to_vec(&wire).expect("cursor serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    /// The cursor of `token`, or why it is not one of ours.
    pub fn decode(token: &str) -> Result<Cursor, String> {
        let json = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|e| format!("不是 base64url: {e}"))?;
        let wire: CursorWire =
            serde_json::from_slice(&json).map_err(|e| format!("内容无法解析: {e}"))?;
        let t = parse_updated_since(&wire.t).ok_or("t 不是 yyyy-MM-dd HH:mm:ss")?;
        let since = match wire.s.as_str() {
            "" => None,
            s => Some(parse_updated_since(s).ok_or("s 不是 yyyy-MM-dd HH:mm:ss")?),
        };
        Ok(Cursor {
            t,
            id: wire.id,
            since,
        })
    }
}

/// Check the parameters of a `style` request and render its page. `link_base` starts the
/// `Link` header's URL (`http://<the request's Host>` unless the simulator is told
/// otherwise); with `echo`, the link repeats the request's other parameters.
///
/// # Errors
///
/// [`BadRequest`] naming the parameter that is out of range or malformed.
pub(crate) fn render(
    sim: &Simulator,
    style: Style,
    params: &[(String, String)],
    link_base: &str,
    echo: bool,
) -> Result<Rendered, BadRequest> {
    let max_size = sim.config().max_page_size;
    let size_param = match style {
        Style::PageNumber => "pageSize",
        Style::OffsetLimit => "limit",
        Style::Cursor => "size",
        Style::LinkHeader => "per_page",
    };
    let default_size = DEFAULT_PAGE_SIZE.min(max_size) as u64;
    // Bounded by max_page_size, which is a usize.
    let size = int_param(params, size_param, default_size, 1, max_size as u64)? as usize;
    let since_param = match style {
        Style::LinkHeader => "updated_since",
        _ => "updatedSince",
    };
    let since = updated_since(params, since_param)?;

    Ok(match style {
        Style::PageNumber => {
            let page_no = int_param(params, "pageNo", 1, 1, MAX_POSITION)?;
            let offset = (page_no - 1).saturating_mul(size as u64);
            let page = sim.page(
                since,
                Window::Offset {
                    offset,
                    limit: size,
                },
            );
            let mut body = String::with_capacity(page.records.len() + 128);
            let _ = write!(
                body,
                "{{\"code\":0,\"msg\":\"成功\",\"data\":{{\"total\":{},\"pageNo\":{page_no},\"pageSize\":{size},\"list\":[{}]}}}}",
                page.total, page.records
            );
            Rendered { body, link: None }
        }
        Style::OffsetLimit => {
            let offset = int_param(params, "offset", 0, 0, MAX_POSITION)?;
            let page = sim.page(
                since,
                Window::Offset {
                    offset,
                    limit: size,
                },
            );
            let mut body = String::with_capacity(page.records.len() + 128);
            let _ = write!(
                body,
                "{{\"code\":0,\"msg\":\"成功\",\"data\":{{\"total\":{},\"offset\":{offset},\"limit\":{size},\"rows\":[{}]}}}}",
                page.total, page.records
            );
            Rendered { body, link: None }
        }
        Style::Cursor => {
            let (since, page) = keyset(sim, params, "cursor", since, size)?;
            let next = next_cursor(&page, since);
            let mut body = String::with_capacity(page.records.len() + 128);
            let _ = write!(
                body,
                "{{\"code\":\"0000\",\"message\":\"ok\",\"result\":{{\"records\":[{}],\"nextCursor\":{},\"hasMore\":{}}}}}",
                page.records,
                next.as_ref().map_or("null".to_owned(), |c| format!("\"{c}\"")),
                page.more
            );
            Rendered { body, link: None }
        }
        Style::LinkHeader => {
            let (since, page) = keyset(sim, params, "after", since, size)?;
            let echoed = if echo {
                super::hostile::echoed(params, &["per_page", "updated_since", "after"])
            } else {
                String::new()
            };
            let link = next_cursor(&page, since).map(|after| {
                // The time is validated (digits, '-', ':' and one space), so the space is
                // the only character to escape; the cursor is base64url.
                let since = since
                    .map(|s| s.format(UPDATED_FORMAT).to_string().replace(' ', "%20"))
                    .unwrap_or_default();
                format!(
                    "<{link_base}/api/v4/transactions?{echoed}per_page={size}&updated_since={since}&after={after}>; rel=\"next\""
                )
            });
            Rendered {
                body: format!("[{}]", page.records),
                link,
            }
        }
    })
}

/// A keyset page: after the cursor in parameter `name` if there is one. The filter is the
/// request's `updatedSince` if given, else the one the cursor carries.
fn keyset(
    sim: &Simulator,
    params: &[(String, String)],
    name: &str,
    since: Option<NaiveDateTime>,
    size: usize,
) -> Result<(Option<NaiveDateTime>, Page), BadRequest> {
    let cursor = match param(params, name).filter(|v| !v.is_empty()) {
        None => None,
        Some(token) => Some(Cursor::decode(token).map_err(|why| {
            BadRequest(format!(
                "{name} 无效 ({why}): 应原样传回上一页给出的值 (不透明令牌)"
            ))
        })?),
    };
    let since = since.or(cursor.as_ref().and_then(|c| c.since));
    let after = cursor.as_ref().map(|c| (c.t, c.id.as_str()));
    let page = sim.page(since, Window::After { after, limit: size });
    Ok((since, page))
}

/// The cursor after the last record of `page`, if more records follow.
fn next_cursor(page: &Page, since: Option<NaiveDateTime>) -> Option<String> {
    let (t, id) = page.last.clone().filter(|_| page.more)?;
    Some(Cursor { t, id, since }.encode())
}

/// The first value of a query parameter.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// An integer parameter in `min..=max`, `default` when absent.
pub(crate) fn int_param(
    params: &[(String, String)],
    name: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, BadRequest> {
    let Some(text) = param(params, name) else {
        return Ok(default);
    };
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(BadRequest(format!(
            "{name} 超出范围: 应为 {min} 到 {max} 之间的整数, 收到 \"{text}\""
        ))),
    }
}

/// The time filter in parameter `name`; absent or empty means everything.
fn updated_since(
    params: &[(String, String)],
    name: &str,
) -> Result<Option<NaiveDateTime>, BadRequest> {
    match param(params, name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse_updated_since(text).map(Some).ok_or_else(|| {
            BadRequest(format!(
                "{name} 格式错误: 应为 yyyy-MM-dd HH:mm:ss (Asia/Shanghai 时间), 收到 \"{text}\""
            ))
        }),
    }
}

/// `yyyy-MM-dd HH:mm:ss`, exactly 19 characters (chrono alone would accept "2023-3-1 8:0:0").
pub(crate) fn parse_updated_since(text: &str) -> Option<NaiveDateTime> {
    if text.len() != 19 {
        return None;
    }
    NaiveDateTime::parse_from_str(text, UPDATED_FORMAT).ok()
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updated_since_must_be_zero_padded() {
        assert!(parse_updated_since("2023-03-31 08:00:00").is_some());
        assert!(parse_updated_since("2023-3-31 8:00:00").is_none());
        assert!(parse_updated_since("2023-03-31T08:00:00").is_none());
        assert!(parse_updated_since("2023-02-30 08:00:00").is_none());
    }

    #[test]
    fn cursor_is_base64url_json_as_documented() {
        let t = parse_updated_since("2023-01-05 09:00:00").unwrap();
        let cursor = Cursor {
            t,
            id: "JZ140702202300001".to_owned(),
            since: None,
        };
        let token = cursor.encode();
        assert!(!token.contains('=') && !token.contains('+') && !token.contains('/'));
        let json = URL_SAFE_NO_PAD.decode(&token).unwrap();
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"t":"2023-01-05 09:00:00","id":"JZ140702202300001","s":""}"#
        );
        assert_eq!(Cursor::decode(&token).unwrap(), cursor);

        let since = Cursor {
            since: parse_updated_since("2023-01-01 00:00:00"),
            ..cursor
        };
        assert_eq!(Cursor::decode(&since.encode()).unwrap(), since);

        for bad in [
            "",
            "!!!",
            "e30",                                                   // {}
            &URL_SAFE_NO_PAD.encode(r#"{"t":"x","id":"y","s":""}"#), // bad t
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }
}
