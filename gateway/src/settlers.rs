//! Who may settle through the gateway's `POST /settle`: resource servers known by a key, each
//! within a rate. Settling spends the node's facilitator fees, so the route is no open relay:
//! a stranger would drain those fees (a zero-value or failing payment still costs the fee), or
//! settle someone's `upto` payment before its resource server does. Payer accounts are free to
//! make, so the limit is per resource server key, not per payer.

use std::collections::HashMap;

use axum::{
	http::{header, HeaderMap, StatusCode},
	response::Response,
};

use crate::{rate::RateLimit, too_many_requests, error};

/// The resource servers allowed to settle, and their rate.
pub struct Settlers {
	/// Names by the BLAKE2-256 of their key, so a lookup's timing says nothing of the key.
	names: HashMap<[u8; 32], String>,
	rate: RateLimit<String>,
}

impl Settlers {
	/// `keys`: `(name, key)` of each resource server; `per_minute`: settlements each may make
	/// per minute.
	pub fn new(keys: impl IntoIterator<Item = (String, String)>, per_minute: u32) -> Self {
		let names = keys.into_iter().map(|(name, key)| (sp_crypto_hashing::blake2_256(key.as_bytes()), name)).collect();
		Self { names, rate: RateLimit::per_minute(per_minute) }
	}

	/// Parses a settlers file: one `name=key` per line; blank lines and `#` comments skipped.
	pub fn parse_file(text: &str) -> Result<Vec<(String, String)>, String> {
		text.lines()
			.map(str::trim)
			.filter(|line| !line.is_empty() && !line.starts_with('#'))
			.map(|line| {
				let (name, key) = line.split_once('=').ok_or_else(|| format!("expected name=key, got {line:?}"))?;
				let (name, key) = (name.trim(), key.trim());
				if name.is_empty() || key.len() < 16 {
					return Err(format!("{name:?}: a settler needs a name and a key of at least 16 characters"));
				}
				Ok((name.to_string(), key.to_string()))
			})
			.collect()
	}

	/// The settler a request's `Authorization: Bearer <key>` names, counted against its rate;
	/// or the answer refusing the request: 403 when no settler is configured, 401 for a missing
	/// or unknown key, 429 (with `Retry-After`) above the rate.
	pub fn admit(&self, headers: &HeaderMap) -> Result<String, Response> {
		if self.names.is_empty() {
			return Err(error(
				StatusCode::FORBIDDEN,
				"this gateway settles only for the resource servers it is configured with (--settlers-file), and has none",
			));
		}
		let key = headers
			.get(header::AUTHORIZATION)
			.and_then(|value| value.to_str().ok())
			.and_then(|value| value.strip_prefix("Bearer "))
			.ok_or_else(|| error(StatusCode::UNAUTHORIZED, "settling needs a resource server key: Authorization: Bearer <key>"))?;
		let name = self
			.names
			.get(&sp_crypto_hashing::blake2_256(key.trim().as_bytes()))
			.ok_or_else(|| error(StatusCode::UNAUTHORIZED, "unknown resource server key"))?;
		self.rate.admit(name.clone()).map_err(|retry_after| {
			too_many_requests(format!("{name} made its {} settlements of this minute", self.rate.limit()), retry_after)
		})?;
		Ok(name.clone())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn bearer(key: &str) -> HeaderMap {
		let mut headers = HeaderMap::new();
		headers.insert(header::AUTHORIZATION, format!("Bearer {key}").parse().unwrap());
		headers
	}

	#[test]
	fn only_known_keys_settle_and_each_within_its_rate() {
		let none = Settlers::new([], 10);
		assert_eq!(none.admit(&bearer("anything-at-all-here")).unwrap_err().status(), StatusCode::FORBIDDEN);

		let keys = Settlers::parse_file("# resource servers\nshop = 0123456789abcdef0123\n\nblog=fedcba9876543210fedc\n").unwrap();
		let settlers = Settlers::new(keys, 2);
		assert_eq!(settlers.admit(&HeaderMap::new()).unwrap_err().status(), StatusCode::UNAUTHORIZED);
		assert_eq!(settlers.admit(&bearer("0123456789abcdef0124")).unwrap_err().status(), StatusCode::UNAUTHORIZED);
		assert_eq!(settlers.admit(&bearer("0123456789abcdef0123")).unwrap(), "shop");
		assert_eq!(settlers.admit(&bearer("0123456789abcdef0123")).unwrap(), "shop");
		let limited = settlers.admit(&bearer("0123456789abcdef0123")).unwrap_err();
		assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
		assert!(limited.headers().contains_key(header::RETRY_AFTER));
		// Another resource server has its own rate.
		assert_eq!(settlers.admit(&bearer("fedcba9876543210fedc")).unwrap(), "blog");

		assert!(Settlers::parse_file("shop").is_err());
		assert!(Settlers::parse_file("shop=short").is_err());
	}
}
