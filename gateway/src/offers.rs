//! The offers the gateway made in its 402 answers, until they are paid or expire.
//!
//! A job payment's nonce is `job_nonce(spec, salt)` (`docs/x402.md`): the offer fixes the job
//! (model, tier, input, fee cap, deadline) and a fresh salt, and carries the nonce the payer
//! must sign in `extra.nonce`. The paid retry names its offer by that nonce, and its `accepted`
//! must deep-equal what was offered.

use std::{
	collections::{HashMap, VecDeque},
	time::{Duration, Instant},
};

use verity_primitives::{inference::JobSpec, x402::PaymentNonce, BlockNumber};
use verity_x402::PaymentRequirements;

/// One offer: the job it pays for and the requirements sent.
#[derive(Clone, Debug)]
pub struct Offer {
	/// The job the payment submits.
	pub spec: JobSpec<BlockNumber>,
	/// The salt of the job nonce.
	pub salt: [u8; 32],
	/// The requirements offered, exactly as sent.
	pub requirements: PaymentRequirements,
	expires: Instant,
}

/// Offers by nonce, bounded in number and in time.
pub struct Offers {
	by_nonce: HashMap<PaymentNonce, Offer>,
	order: VecDeque<PaymentNonce>,
	capacity: usize,
	ttl: Duration,
}

impl Offers {
	/// At most `capacity` offers, each kept for `ttl`.
	pub fn new(capacity: usize, ttl: Duration) -> Self {
		Self { by_nonce: HashMap::new(), order: VecDeque::new(), capacity, ttl }
	}

	/// Drops the expired offers, then says whether `count` more fit. An unexpired offer is never
	/// dropped to make room: unpaid requests cost nothing, so they must not push out offers a
	/// payer is about to pay. (Every offer lives `ttl`, so the oldest expire first.)
	pub fn has_room(&mut self, count: usize) -> bool {
		let now = Instant::now();
		while let Some(oldest) = self.order.front() {
			if self.by_nonce.get(oldest).is_some_and(|offer| offer.expires > now) {
				break;
			}
			let oldest = self.order.pop_front().expect("non-empty");
			self.by_nonce.remove(&oldest);
		}
		self.order.len().saturating_add(count) <= self.capacity
	}

	/// Keeps an offer under `nonce`; [`Self::has_room`] said it fits.
	pub fn insert(&mut self, nonce: PaymentNonce, spec: JobSpec<BlockNumber>, salt: [u8; 32], requirements: PaymentRequirements) {
		debug_assert!(self.order.len() < self.capacity, "has_room first");
		self.order.push_back(nonce);
		self.by_nonce.insert(nonce, Offer { spec, salt, requirements, expires: Instant::now() + self.ttl });
	}

	/// The unexpired offer made under `nonce`.
	pub fn get(&self, nonce: &PaymentNonce) -> Option<Offer> {
		self.by_nonce.get(nonce).filter(|offer| offer.expires > Instant::now()).cloned()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use verity_primitives::inference::{JobInput, ModelId, VerificationMode};

	fn spec() -> JobSpec<BlockNumber> {
		JobSpec {
			model: ModelId::repeat_byte(1),
			mode: VerificationMode::Signed,
			input: JobInput::Inline(Default::default()),
			max_price: 1,
			max_fee: 1,
			deadline: 10,
		}
	}

	fn requirements() -> PaymentRequirements {
		PaymentRequirements {
			scheme: "exact".into(),
			network: "polkadot:00".into(),
			amount: "1".into(),
			asset: "native".into(),
			pay_to: "5".into(),
			max_timeout_seconds: 60,
			extra: None,
		}
	}

	/// #17 item 13: unpaid requests, which cost the requester nothing, must not push out offers
	/// a payer is about to pay.
	#[test]
	fn unpaid_requests_filling_the_book_cannot_evict_unexpired_offers() {
		let mut offers = Offers::new(2, Duration::from_secs(60));
		let offer = |offers: &mut Offers, nonce: u8| {
			let room = offers.has_room(1);
			if room {
				offers.insert([nonce; 32], spec(), [0; 32], requirements());
			}
			room
		};
		assert!(offer(&mut offers, 0));
		assert_eq!([1, 2, 3].map(|attacker| offer(&mut offers, attacker)), [true, false, false]);
		assert!(offers.get(&[0; 32]).is_some(), "the first payer's offer is still there");
		assert!(offers.get(&[2; 32]).is_none(), "a request that found the book full got no offer");
	}

	#[test]
	fn offers_are_bounded_and_expire() {
		let mut offers = Offers::new(2, Duration::from_secs(60));
		for nonce in 0..2u8 {
			assert!(offers.has_room(1));
			offers.insert([nonce; 32], spec(), [0; 32], requirements());
		}
		assert!(!offers.has_room(1), "full of unexpired offers");
		assert!(offers.get(&[0; 32]).is_some() && offers.get(&[1; 32]).is_some());

		let mut offers = Offers::new(2, Duration::ZERO);
		offers.insert([0; 32], spec(), [0; 32], requirements());
		assert!(offers.get(&[0; 32]).is_none(), "expired");
		assert!(offers.has_room(2), "an expired offer makes room");
	}
}
