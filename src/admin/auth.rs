//! The admin token: mutating endpoints require `Authorization: Bearer <token>`.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The configured token, kept as its SHA-256 so that comparing takes the same time
/// whatever the length and content of what is offered.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    pub fn new(secret: &str) -> Token {
        Token {
            digest: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    /// Whether an `Authorization` header value carries this token (constant time).
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(offered) = authorization.and_then(|v| v.strip_prefix("Bearer ")) else {
            return false;
        };
        let offered: [u8; 32] = Sha256::digest(offered.trim().as_bytes()).into();
        self.digest.ct_eq(&offered).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bearer_token_itself_is_accepted() {
        let token = Token::new("0123456789abcdef0123");
        assert!(token.accepts(Some("Bearer 0123456789abcdef0123")));
        assert!(!token.accepts(Some("Bearer 0123456789abcdef012")));
        assert!(!token.accepts(Some("Basic 0123456789abcdef0123")));
        assert!(!token.accepts(Some("0123456789abcdef0123")));
        assert!(!token.accepts(None));
        assert_eq!(format!("{token:?}"), "Token(***)");
    }
}
