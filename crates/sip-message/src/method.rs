//! SIP request methods (RFC 3261 §7.1, §27.4 method registry; case-sensitive per §7.1).

use std::fmt;
use std::str::FromStr;

use crate::error::HeaderError;

/// A SIP method. Method names are case-sensitive: "invite" is an extension method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE (RFC 3261).
    Invite,
    /// ACK (RFC 3261).
    Ack,
    /// BYE (RFC 3261).
    Bye,
    /// CANCEL (RFC 3261).
    Cancel,
    /// OPTIONS (RFC 3261).
    Options,
    /// REGISTER (RFC 3261).
    Register,
    /// INFO (RFC 6086).
    Info,
    /// UPDATE (RFC 3311).
    Update,
    /// PRACK (RFC 3262).
    Prack,
    /// REFER (RFC 3515).
    Refer,
    /// NOTIFY (RFC 6665).
    Notify,
    /// SUBSCRIBE (RFC 6665).
    Subscribe,
    /// MESSAGE (RFC 3428).
    Message,
    /// PUBLISH (RFC 3903).
    Publish,
    /// Any other token.
    Extension(String),
}

impl Method {
    /// The method name as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Extension(s) => s,
        }
    }

    /// Maps a known method name without allocating; `None` for extension methods.
    pub(crate) fn known(s: &str) -> Option<Method> {
        Some(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            _ => return None,
        })
    }
}

impl FromStr for Method {
    type Err = HeaderError;

    /// Parses a method token (RFC 3261 §25.1 `token`); rejects empty or non-token text.
    fn from_str(s: &str) -> Result<Method, HeaderError> {
        if let Some(m) = Method::known(s) {
            return Ok(m);
        }
        if !crate::syntax::is_token(s) {
            return Err(HeaderError::Malformed {
                what: "method",
                reason: "not a token",
            });
        }
        Ok(Method::Extension(s.to_owned()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_case_sensitive_rfc3261_7_1() {
        assert_eq!("INVITE".parse::<Method>(), Ok(Method::Invite));
        assert_eq!(
            "invite".parse::<Method>(),
            Ok(Method::Extension("invite".into()))
        );
        assert_eq!(
            "RE%47IST%45R".parse::<Method>(),
            Ok(Method::Extension("RE%47IST%45R".into()))
        );
        assert!("BAD METHOD".parse::<Method>().is_err());
        assert!("".parse::<Method>().is_err());
        assert_eq!(Method::Publish.to_string(), "PUBLISH");
    }
}
