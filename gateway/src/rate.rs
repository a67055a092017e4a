//! Fixed-window rate limits by key: how many requests each key (a client address, a resource
//! server) may make per minute.

use std::{
	collections::HashMap,
	hash::Hash,
	sync::Mutex,
	time::{Duration, Instant},
};

/// The window rates are counted over.
const WINDOW: Duration = Duration::from_secs(60);
/// Keys remembered before the windows that closed are dropped: bounds the memory a stream of
/// new keys (addresses) can take.
const PRUNE_AT: usize = 65_536;

/// Requests per key per minute.
pub struct RateLimit<K> {
	per_minute: u32,
	windows: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Eq + Hash> RateLimit<K> {
	/// At most `per_minute` requests per key per minute.
	pub fn per_minute(per_minute: u32) -> Self {
		Self { per_minute, windows: Mutex::default() }
	}

	/// The limit per key per minute.
	pub fn limit(&self) -> u32 {
		self.per_minute
	}

	/// Counts a request by `key`: `Ok`, or the seconds until its window reopens.
	pub fn admit(&self, key: K) -> Result<(), u64> {
		let mut windows = self.windows.lock().expect("not poisoned");
		let now = Instant::now();
		if windows.len() >= PRUNE_AT {
			windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
		}
		let (started, count) = windows.entry(key).or_insert((now, 0));
		if now.duration_since(*started) >= WINDOW {
			(*started, *count) = (now, 0);
		}
		if *count >= self.per_minute {
			return Err(WINDOW.saturating_sub(now.duration_since(*started)).as_secs().max(1));
		}
		*count += 1;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn each_key_gets_its_own_window() {
		let limit = RateLimit::per_minute(2);
		assert_eq!((limit.admit("a"), limit.admit("a")), (Ok(()), Ok(())));
		assert!(matches!(limit.admit("a"), Err(seconds) if (1..=60).contains(&seconds)));
		assert_eq!(limit.admit("b"), Ok(()));
	}
}
