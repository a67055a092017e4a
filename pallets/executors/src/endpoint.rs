//! Validation of executor endpoint URLs.
//!
//! Clients (monitors, gateways) reach an executor at the URL it registered, so a hostile URL is
//! a server-side request forgery risk against them: it could point them at their own loopback
//! services or at their private network. URLs are therefore checked at registration:
//! `http` or `https` only, bounded length (by the storage bound), and, unless the chain allows
//! it (dev chains do), no loopback, private, link-local or unspecified host.
//!
//! A hostname is accepted as is: the runtime cannot resolve DNS, so a name that resolves to a
//! private address is not caught here: a client that follows registered URLs resolves and checks
//! them itself.

/// Why an endpoint URL was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndpointError {
	/// Not `http://` or `https://`, or not ASCII.
	Scheme,
	/// No host, or a malformed host or port.
	Malformed,
	/// A loopback, private, link-local or unspecified host.
	PrivateHost,
}

/// Checks `url`; `allow_private` lifts the host restriction (dev chains).
pub fn validate(url: &[u8], allow_private: bool) -> Result<(), EndpointError> {
	let url = core::str::from_utf8(url).map_err(|_| EndpointError::Scheme)?;
	if !url.is_ascii() || url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
		return Err(EndpointError::Malformed);
	}
	let rest = url
		.strip_prefix("http://")
		.or_else(|| url.strip_prefix("https://"))
		.ok_or(EndpointError::Scheme)?;
	let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
	if authority.contains('@') {
		// `user@host` hides the real host from a careless reader; never needed here.
		return Err(EndpointError::Malformed);
	}
	let (host, port) = split_host_port(authority)?;
	if let Some(port) = port {
		if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
			return Err(EndpointError::Malformed);
		}
		let port: u32 = port.parse().map_err(|_| EndpointError::Malformed)?;
		if port == 0 || port > 65_535 {
			return Err(EndpointError::Malformed);
		}
	}
	if host.is_empty() {
		return Err(EndpointError::Malformed);
	}
	if allow_private {
		return Ok(());
	}
	let private = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
		is_private_v6(v6)?
	} else if let Some(octets) = parse_v4(host) {
		is_private_v4(octets)
	} else {
		if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
			return Err(EndpointError::Malformed);
		}
		let lower = host.to_ascii_lowercase();
		let lower = lower.trim_end_matches('.');
		// A name whose last label is not alphabetic is an IP address in some other spelling
		// (`127.1`, `0x7f.0.0.1`, `0177.0.0.1`) that the system resolver would accept.
		let tld = lower.rsplit('.').next().unwrap_or_default();
		if tld.is_empty() || !tld.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
			return Err(EndpointError::Malformed);
		}
		lower == "localhost" || lower.ends_with(".localhost") || !lower.contains('.')
	};
	if private {
		Err(EndpointError::PrivateHost)
	} else {
		Ok(())
	}
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), EndpointError> {
	if authority.starts_with('[') {
		let end = authority.find(']').ok_or(EndpointError::Malformed)?;
		let (host, rest) = authority.split_at(end + 1);
		match rest {
			"" => Ok((host, None)),
			_ => rest.strip_prefix(':').map(|p| (host, Some(p))).ok_or(EndpointError::Malformed),
		}
	} else {
		match authority.split_once(':') {
			Some((host, port)) => Ok((host, Some(port))),
			None => Ok((authority, None)),
		}
	}
}

/// Parses a dotted-quad decimal IPv4 literal without leading zeros (which resolvers read as
/// octal). Other spellings (`127.1`, `0x7f.0.0.1`, `2130706433`) fall through to the hostname
/// rules, which refuse them.
fn parse_v4(host: &str) -> Option<[u8; 4]> {
	let mut octets = [0u8; 4];
	let mut parts = host.split('.');
	for octet in octets.iter_mut() {
		let part = parts.next()?;
		if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
			return None;
		}
		if part.len() > 1 && part.starts_with('0') {
			return None;
		}
		*octet = part.parse().ok()?;
	}
	parts.next().is_none().then_some(octets)
}

fn is_private_v4([a, b, c, _]: [u8; 4]) -> bool {
	a == 0 || // "this network"
		a == 10 ||
		a == 127 ||
		(a == 100 && (64..128).contains(&b)) || // carrier-grade NAT
		(a == 169 && b == 254) ||
		(a == 172 && (16..32).contains(&b)) ||
		(a == 192 && b == 168) ||
		(a == 192 && b == 0 && c == 0) ||
		(a == 198 && (b == 18 || b == 19)) || // benchmarking
		a >= 224 // multicast, reserved, broadcast
}

/// Every IPv6 literal that is not plainly global unicast counts as private: loopback,
/// unspecified, unique-local, link-local, multicast and IPv4-mapped/compatible forms.
fn is_private_v6(host: &str) -> Result<bool, EndpointError> {
	if host.is_empty() || !host.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
		return Err(EndpointError::Malformed);
	}
	let lower = host.to_ascii_lowercase();
	if lower.starts_with("::") || lower.contains('.') {
		// `::1`, `::`, `::ffff:127.0.0.1` and friends.
		return Ok(true);
	}
	let first = lower.split(':').next().unwrap_or_default();
	let first = u16::from_str_radix(first, 16).map_err(|_| EndpointError::Malformed)?;
	Ok(first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 || first & 0xff00 == 0xff00)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn public_http_and_https_urls_pass() {
		for url in [
			"https://executor.example.com/jobs",
			"http://203.0.113.7:8080/jobs",
			"https://[2001:db8::1]:443/",
			"https://gpu-1.verity.network",
		] {
			assert_eq!(validate(url.as_bytes(), false), Ok(()), "{url}");
		}
	}

	#[test]
	fn other_schemes_and_malformed_urls_fail() {
		assert_eq!(validate(b"ftp://example.com", false), Err(EndpointError::Scheme));
		assert_eq!(validate(b"file:///etc/passwd", false), Err(EndpointError::Scheme));
		assert_eq!(validate(b"example.com", false), Err(EndpointError::Scheme));
		assert_eq!(validate(&[0xff, 0xfe], false), Err(EndpointError::Scheme));
		for url in [
			"http://",
			"http://:80/",
			"http://example.com:0/",
			"http://example.com:70000/",
			"http://example.com:8a/",
			"http://user@example.com/",
			"http://exa mple.com/",
			"http://[::1/",
			"http://[zz::1]/",
		] {
			assert_eq!(validate(url.as_bytes(), false), Err(EndpointError::Malformed), "{url}");
		}
	}

	#[test]
	fn private_hosts_fail_unless_allowed() {
		for url in [
			"http://localhost:8080/jobs",
			"http://api.localhost/",
			"http://127.0.0.1/",
			"http://10.1.2.3/",
			"http://172.16.0.1/",
			"http://192.168.1.1/",
			"http://169.254.169.254/latest/meta-data",
			"http://0.0.0.0/",
			"http://100.64.0.1/",
			"http://[::1]/",
			"http://[::]/",
			"http://[::ffff:127.0.0.1]/",
			"http://[fd00::1]/",
			"http://[fe80::1]/",
			"http://intranet/",
		] {
			assert_eq!(validate(url.as_bytes(), false), Err(EndpointError::PrivateHost), "{url}");
			assert_eq!(validate(url.as_bytes(), true), Ok(()), "{url} on a dev chain");
		}
	}

	#[test]
	fn other_spellings_of_ip_addresses_are_refused() {
		for url in [
			"http://127.1/",
			"http://0x7f.0.0.1/",
			"http://0177.0.0.1/",
			"http://012.0.0.1/",
			"http://2130706433/",
			"http://example.123/",
		] {
			assert!(validate(url.as_bytes(), false).is_err(), "{url}");
		}
	}
}
