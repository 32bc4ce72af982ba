//! `ruralsync status`: the sources API of a running daemon, as a table.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;

/// Why the daemon could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no [admin] table in the config (or enabled = false): a daemon with this config serves no admin API to ask")]
    NoAdmin,
    #[error("cannot ask the daemon at http://{addr}/api/v1/sources (admin.listen): {error}; is `ruralsync run` running with this config?")]
    Unreachable { addr: SocketAddr, error: String },
}

/// The address to ask: a daemon listening on every address answers on loopback.
fn target(listen: SocketAddr) -> SocketAddr {
    match listen {
        SocketAddr::V4(a) if a.ip().is_unspecified() => ([127, 0, 0, 1], a.port()).into(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => {
            (std::net::Ipv6Addr::LOCALHOST, a.port()).into()
        }
        other => other,
    }
}

/// The sources' states as the daemon listening on `listen` reports them.
///
/// # Errors
/// [`StatusError::Unreachable`] when it does not answer with its sources within 10 s.
pub async fn fetch(listen: SocketAddr) -> Result<Vec<Value>, StatusError> {
    let addr = target(listen);
    let fail = |error: String| StatusError::Unreachable { addr, error };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let body: Value = client
        .get(format!("http://{addr}/api/v1/sources"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| fail(e.to_string()))?
        .json()
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(body["sources"].as_array().cloned().unwrap_or_default())
}

/// One line per source under a header, columns padded to their widest cell.
pub fn table(sources: &[Value]) -> String {
    let header = [
        "SOURCE",
        "STATE",
        "LAST CYCLE",
        "PUBLISHED",
        "DEAD",
        "LAST SUCCESS",
        "NEXT FIRE",
        "POSITION",
    ];
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let rows: Vec<Vec<String>> = sources
        .iter()
        .map(|s| {
            let cycle = &s["last_cycle"];
            vec![
                text(&s["name"]),
                text(&s["status"]),
                cycle["outcome"]
                    .as_str()
                    .map_or("-".into(), |o| format!("{o} ({})", text(&cycle["trigger"]))),
                cycle["published"]
                    .as_u64()
                    .map_or("-".into(), |n| n.to_string()),
                cycle["dead_letters"]
                    .as_u64()
                    .map_or("-".into(), |n| n.to_string()),
                text(&s["last_success_at"]),
                text(&s["next_fire_at"]),
                text(&s["checkpoint"]["position"]["updated_at"]),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(header.iter().map(|h| (*h).to_owned()).collect())];
    out.extend(rows.into_iter().map(line));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_the_sources_api() {
        let sources = serde_json::json!([
            {"name": "jz", "status": "idle", "last_cycle": {"outcome": "success", "trigger": "schedule", "published": 120, "dead_letters": 3},
             "last_success_at": "2026-05-01T08:00:01Z", "next_fire_at": "2026-05-01T08:05:00Z",
             "checkpoint": {"position": {"updated_at": "2026-05-01T07:59:58Z", "native_id": "x"}}},
            {"name": "taigu_ledger", "status": "failing", "last_cycle": null, "last_success_at": null, "next_fire_at": null, "checkpoint": null}
        ]);
        let t = table(sources.as_array().unwrap());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("SOURCE        STATE    LAST CYCLE"),
            "{t}"
        );
        assert!(
            lines[1].starts_with("jz            idle     success (schedule)  120        3"),
            "{t}"
        );
        assert!(lines[2].starts_with("taigu_ledger  failing  -"), "{t}");
    }

    #[test]
    fn a_daemon_on_every_address_is_asked_on_loopback() {
        assert_eq!(
            target("0.0.0.0:9780".parse().unwrap()).to_string(),
            "127.0.0.1:9780"
        );
        assert_eq!(
            target("10.0.0.5:9780".parse().unwrap()).to_string(),
            "10.0.0.5:9780"
        );
    }
}
