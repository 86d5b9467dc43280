//! Typed accessors over `Headers` for the headers the engine reads (RFC 3261 §20).

use crate::error::HeaderError;
use crate::header::{HeaderName, Headers};
use crate::name_addr::{Contact, NameAddr};
use crate::syntax::{is_lws, parse_u32, parse_u64};
use crate::via::{CSeq, Via};

impl Headers {
    /// The topmost Via.
    pub fn top_via(&self) -> Result<Via, HeaderError> {
        let v = self.get(&HeaderName::Via).ok_or(HeaderError::Missing {
            header: HeaderName::Via,
        })?;
        v.parse::<Via>().map_err(|e| e.in_header(HeaderName::Via))
    }

    /// Every Via, topmost first.
    pub fn vias(&self) -> Result<Vec<Via>, HeaderError> {
        self.get_all(&HeaderName::Via)
            .map(|v| v.parse::<Via>().map_err(|e| e.in_header(HeaderName::Via)))
            .collect()
    }

    /// The From address (exactly one From header required).
    pub fn from(&self) -> Result<NameAddr, HeaderError> {
        self.single_addr(HeaderName::From)
    }

    /// The To address (exactly one To header required).
    pub fn to(&self) -> Result<NameAddr, HeaderError> {
        self.single_addr(HeaderName::To)
    }

    /// The Call-ID (exactly one, non-empty, no white space).
    pub fn call_id(&self) -> Result<&str, HeaderError> {
        let v = self.single(HeaderName::CallId)?;
        if v.is_empty() || v.bytes().any(|b| is_lws(b) || b < 0x20 || b == 0x7f) {
            return Err(HeaderError::Invalid {
                header: HeaderName::CallId,
                reason: "not a word",
            });
        }
        Ok(v)
    }

    /// The CSeq (exactly one).
    pub fn cseq(&self) -> Result<CSeq, HeaderError> {
        let v = self.single(HeaderName::CSeq)?;
        v.parse::<CSeq>().map_err(|e| e.in_header(HeaderName::CSeq))
    }

    /// Max-Forwards, if present (0..=255; larger values are an error, RFC 4475 §3.1.2.4).
    pub fn max_forwards(&self) -> Result<Option<u8>, HeaderError> {
        let Some(v) = self.optional_single(HeaderName::MaxForwards)? else {
            return Ok(None);
        };
        parse_u32(v)
            .and_then(|n| u8::try_from(n).ok())
            .map(Some)
            .ok_or(HeaderError::Invalid {
                header: HeaderName::MaxForwards,
                reason: "not a number in 0..=255",
            })
    }

    /// Expires, if present (32-bit decimal).
    pub fn expires(&self) -> Result<Option<u32>, HeaderError> {
        let Some(v) = self.optional_single(HeaderName::Expires)? else {
            return Ok(None);
        };
        parse_u32(v).map(Some).ok_or(HeaderError::Invalid {
            header: HeaderName::Expires,
            reason: "not a 32-bit decimal",
        })
    }

    /// Every Contact entry.
    pub fn contacts(&self) -> Result<Vec<Contact>, HeaderError> {
        self.get_all(&HeaderName::Contact)
            .map(|v| {
                v.parse::<Contact>()
                    .map_err(|e| e.in_header(HeaderName::Contact))
            })
            .collect()
    }

    /// Every Route entry, in order.
    pub fn routes(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.addr_list(HeaderName::Route)
    }

    /// Every Record-Route entry, in order.
    pub fn record_routes(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.addr_list(HeaderName::RecordRoute)
    }

    /// Content-Length, if present; repeated headers must agree.
    pub fn content_length(&self) -> Result<Option<usize>, HeaderError> {
        let mut found: Option<usize> = None;
        for v in self.get_all(&HeaderName::ContentLength) {
            let n =
                parse_u64(v)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or(HeaderError::Invalid {
                        header: HeaderName::ContentLength,
                        reason: "not a decimal",
                    })?;
            if found.is_some_and(|f| f != n) {
                return Err(HeaderError::Duplicate {
                    header: HeaderName::ContentLength,
                });
            }
            found = Some(n);
        }
        Ok(found)
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Option<&str> {
        self.get(&HeaderName::ContentType)
    }

    /// The only value of a single-valued header; missing or repeated is an error.
    fn single(&self, name: HeaderName) -> Result<&str, HeaderError> {
        match self.optional_single(name.clone())? {
            Some(v) => Ok(v),
            None => Err(HeaderError::Missing { header: name }),
        }
    }

    /// The value of a single-valued header if present; repeated is an error.
    fn optional_single(&self, name: HeaderName) -> Result<Option<&str>, HeaderError> {
        let mut first = None;
        for h in self.iter() {
            if h.name == name {
                if first.is_some() {
                    return Err(HeaderError::Duplicate { header: name });
                }
                first = Some(h.value.as_str());
            }
        }
        Ok(first)
    }

    fn single_addr(&self, name: HeaderName) -> Result<NameAddr, HeaderError> {
        let v = self.single(name.clone())?;
        v.parse::<NameAddr>().map_err(|e| e.in_header(name))
    }

    fn addr_list(&self, name: HeaderName) -> Result<Vec<NameAddr>, HeaderError> {
        self.get_all(&name)
            .map(|v| v.parse::<NameAddr>().map_err(|e| e.in_header(name.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_accessors_rfc3261_20() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "SIP/2.0/UDP a;branch=z9hG4bK1");
        h.push(HeaderName::Via, "SIP/2.0/TCP b");
        h.push(HeaderName::From, "<sip:a@b>;tag=1");
        h.push(HeaderName::CallId, "abc@d");
        h.push(HeaderName::CSeq, "1 INVITE");
        h.push(HeaderName::MaxForwards, "300");
        h.push(HeaderName::ContentLength, "5");
        h.push(HeaderName::ContentLength, "6");
        assert_eq!(h.top_via().map(|v| v.transport), Ok("UDP".to_owned()));
        assert_eq!(h.vias().map(|v| v.len()), Ok(2));
        assert_eq!(
            h.from().map(|f| f.tag().map(str::to_owned)),
            Ok(Some("1".to_owned()))
        );
        assert_eq!(
            h.to(),
            Err(HeaderError::Missing {
                header: HeaderName::To
            })
        );
        assert_eq!(h.call_id(), Ok("abc@d"));
        assert!(h.max_forwards().is_err());
        assert!(h.content_length().is_err());
        assert_eq!(h.expires(), Ok(None));
        h.push(HeaderName::CallId, "x");
        assert_eq!(
            h.call_id(),
            Err(HeaderError::Duplicate {
                header: HeaderName::CallId
            })
        );
    }
}
