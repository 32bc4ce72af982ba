//! The operator's query as one statement ruralsync can wrap: its trailing `;` and any
//! comments after it removed, and refused when it holds a second statement or ends
//! inside a quoted string or a block comment.
//!
//! ruralsync wraps the query as `SELECT * FROM (\n<query>\n) AS src WHERE … ORDER BY …`.
//! The line breaks matter: a query ending in a `-- comment` (or MySQL's `# comment`)
//! would otherwise swallow the wrapper's closing parenthesis and keyset condition. A
//! `;` must go, but only the statement's own terminator, found by a scan that knows
//! quotes and comments: a `;` inside `';'`, `"a;b"` or `-- x; y` is text.
//!
//! The scan follows both dialects closely enough to find statement boundaries:
//! `'…'` (doubled `''` and backslash escapes, as MySQL and PostgreSQL's `E'…'` have
//! them), `"…"` and `` `…` `` identifiers, `-- ` and `/* */` comments (nested, as in
//! PostgreSQL), and PostgreSQL's dollar quotes (`$$…$$`, `$tag$…$tag$`).

/// The query without its terminating `;` and what follows it (comments, blanks), or why
/// it cannot be wrapped.
///
/// # Errors
/// A sentence for the operator: a second statement after a `;`, or an unclosed quote,
/// identifier, dollar quote or block comment.
pub(super) fn single_statement(query: &str) -> Result<&str, String> {
    let mut scan = Scan::new(query);
    let mut terminator = None;
    while let Some((at, token)) = scan.next_token()? {
        match (token, terminator) {
            (Token::Semicolon, None) => terminator = Some(at),
            (Token::Comment | Token::Semicolon, Some(_)) => {}
            (Token::Other, Some(_)) => {
                return Err("holds more than one statement; give a single SELECT".to_owned())
            }
            (Token::Comment | Token::Other, None) => {}
        }
    }
    Ok(query[..terminator.unwrap_or(query.len())].trim_end())
}

/// The query's first word (comments before it skipped), upper-cased: `SELECT`, `WITH`.
pub(super) fn first_keyword(query: &str) -> String {
    let mut scan = Scan::new(query);
    while let Ok(Some((at, token))) = scan.next_token() {
        if token == Token::Comment {
            continue;
        }
        return query[at..]
            .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
    }
    String::new()
}

/// The wrapped query's base: the operator's query as a derived table `src`, on lines of
/// its own so that a trailing line comment ends before the wrapper's text.
pub(super) fn wrap(query: &str) -> String {
    format!("SELECT * FROM (\n{query}\n) AS src")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Semicolon,
    Comment,
    /// Anything else that is not white space: a word, a literal, punctuation.
    Other,
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Scan<'a> {
        Scan {
            text,
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    /// The next token and where it starts; `None` at the end.
    fn next_token(&mut self) -> Result<Option<(usize, Token)>, String> {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
        let start = self.at;
        let Some(&b) = self.bytes.get(start) else {
            return Ok(None);
        };
        let next = self.bytes.get(start + 1).copied();
        let token = match (b, next) {
            (b';', _) => {
                self.at += 1;
                Token::Semicolon
            }
            (b'-', Some(b'-')) => {
                self.at = self.line_end(start);
                Token::Comment
            }
            (b'/', Some(b'*')) => {
                self.block_comment(start)?;
                Token::Comment
            }
            (b'\'', _) => {
                self.quoted(start, b'\'', true, "a string literal ('…')")?;
                Token::Other
            }
            (b'"', _) => {
                self.quoted(start, b'"', false, "a quoted identifier (\"…\")")?;
                Token::Other
            }
            (b'`', _) => {
                self.quoted(start, b'`', false, "a quoted identifier (`…`)")?;
                Token::Other
            }
            (b'$', _) if self.dollar_tag(start).is_some() => {
                self.dollar_quoted(start)?;
                Token::Other
            }
            _ => {
                self.at += self.text[start..].chars().next().map_or(1, char::len_utf8);
                Token::Other
            }
        };
        Ok(Some((start, token)))
    }

    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(self.bytes.len(), |p| from + p + 1)
    }

    fn block_comment(&mut self, start: usize) -> Result<(), String> {
        let mut depth = 0usize;
        let mut i = start;
        while i + 1 < self.bytes.len() {
            match (self.bytes[i], self.bytes[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        self.at = i;
                        return Ok(());
                    }
                }
                _ => i += 1,
            }
        }
        Err(unclosed(self.text, start, "a /* comment */"))
    }

    fn quoted(
        &mut self,
        start: usize,
        quote: u8,
        backslash: bool,
        what: &str,
    ) -> Result<(), String> {
        let mut i = start + 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\\' if backslash => i += 2,
                b if b == quote && self.bytes.get(i + 1) == Some(&quote) => i += 2,
                b if b == quote => {
                    self.at = i + 1;
                    return Ok(());
                }
                _ => i += 1,
            }
        }
        Err(unclosed(self.text, start, what))
    }

    /// `$tag$` at `start` (the tag may be empty), when `$` does not continue a word.
    fn dollar_tag(&self, start: usize) -> Option<&'a str> {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        if start > 0 && word(self.bytes[start - 1]) {
            return None;
        }
        let rest = &self.bytes[start + 1..];
        let len = rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))?;
        let tag_ok = rest[..len].first().is_none_or(|b| !b.is_ascii_digit());
        (rest[len] == b'$' && tag_ok).then(|| &self.text[start..start + len + 2])
    }

    fn dollar_quoted(&mut self, start: usize) -> Result<(), String> {
        let tag = self.dollar_tag(start).unwrap_or("$$");
        let body = start + tag.len();
        match self.text[body..].find(tag) {
            Some(p) => {
                self.at = body + p + tag.len();
                Ok(())
            }
            None => Err(unclosed(self.text, start, "a dollar-quoted string ($$…$$)")),
        }
    }
}

fn unclosed(text: &str, start: usize, what: &str) -> String {
    let line = text[..start].matches('\n').count() + 1;
    let excerpt: String = text[start..].chars().take(20).collect();
    format!("ends inside {what} opened on line {line} ({excerpt:?}…); close it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminator_and_what_follows_it_are_removed() {
        let cases = [
            ("SELECT 1", "SELECT 1"),
            ("SELECT 1;", "SELECT 1"),
            ("SELECT 1 ;  \n", "SELECT 1"),
            ("SELECT 1; -- the ledger\n", "SELECT 1"),
            ("SELECT 1; /* done */", "SELECT 1"),
            (
                "SELECT 1 -- trailing; comment",
                "SELECT 1 -- trailing; comment",
            ),
            ("SELECT 1 /* a; b */", "SELECT 1 /* a; b */"),
            ("SELECT ';' AS x;", "SELECT ';' AS x"),
            ("SELECT 'it''s;' AS x", "SELECT 'it''s;' AS x"),
            ("SELECT 'a\\';b' AS x;", "SELECT 'a\\';b' AS x"),
            ("SELECT \"a;b\" FROM t;;", "SELECT \"a;b\" FROM t"),
            ("SELECT `a;b` FROM t", "SELECT `a;b` FROM t"),
            ("SELECT $$x; y$$ AS s;", "SELECT $$x; y$$ AS s"),
            ("SELECT $q$ $$; $q$ AS s", "SELECT $q$ $$; $q$ AS s"),
            ("SELECT a$b$ FROM t", "SELECT a$b$ FROM t"),
            (
                "SELECT 1 /* /* nested; */ still; */;",
                "SELECT 1 /* /* nested; */ still; */",
            ),
            ("SELECT 1 -- don't\n FROM t;", "SELECT 1 -- don't\n FROM t"),
        ];
        for (query, body) in cases {
            assert_eq!(single_statement(query), Ok(body), "{query}");
        }
    }

    #[test]
    fn a_second_statement_or_an_unclosed_quote_is_refused() {
        for query in ["SELECT 1; DELETE FROM t", "SELECT 1; -- x\nSELECT 2"] {
            let e = single_statement(query).unwrap_err();
            assert!(e.contains("more than one statement"), "{query}: {e}");
        }
        for (query, what) in [
            ("SELECT 'abc", "string literal"),
            ("SELECT \"abc", "quoted identifier"),
            ("SELECT 1 /* open", "/* comment */"),
            ("SELECT 1 /* /* */", "/* comment */"),
            ("SELECT $t$ abc", "dollar-quoted"),
        ] {
            let e = single_statement(query).unwrap_err();
            assert!(e.contains(what), "{query}: {e}");
        }
    }

    #[test]
    fn the_first_keyword_skips_leading_comments() {
        assert_eq!(first_keyword("-- ledger\n/* v2 */ select 1"), "SELECT");
        assert_eq!(
            first_keyword("WITH(x) AS (SELECT 1) SELECT * FROM x"),
            "WITH"
        );
        assert_eq!(first_keyword("jy_xm"), "JY_XM");
        assert_eq!(first_keyword("  "), "");
    }

    #[test]
    fn a_trailing_line_comment_cannot_swallow_the_wrapper() {
        let wrapped = wrap(single_statement("SELECT 1 AS a -- note").unwrap());
        let sql = format!("{wrapped} WHERE src.a >= 1 ORDER BY src.a");
        let last = sql.lines().last().unwrap();
        assert_eq!(last, ") AS src WHERE src.a >= 1 ORDER BY src.a");
    }
}
