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

	/// Keeps an offer under `nonce`, dropping expired ones and, when full, the oldest.
	pub fn insert(&mut self, nonce: PaymentNonce, spec: JobSpec<BlockNumber>, salt: [u8; 32], requirements: PaymentRequirements) {
		let now = Instant::now();
		while let Some(oldest) = self.order.front() {
			let expired = self.by_nonce.get(oldest).is_none_or(|offer| offer.expires <= now);
			if !expired && self.order.len() < self.capacity {
				break;
			}
			let oldest = self.order.pop_front().expect("non-empty");
			self.by_nonce.remove(&oldest);
		}
		self.order.push_back(nonce);
		self.by_nonce.insert(nonce, Offer { spec, salt, requirements, expires: now + self.ttl });
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

	#[test]
	fn offers_are_bounded_and_expire() {
		let mut offers = Offers::new(2, Duration::from_secs(60));
		for nonce in 0..3u8 {
			offers.insert([nonce; 32], spec(), [0; 32], requirements());
		}
		assert!(offers.get(&[0; 32]).is_none(), "the oldest is dropped when full");
		assert!(offers.get(&[1; 32]).is_some() && offers.get(&[2; 32]).is_some());

		let mut offers = Offers::new(2, Duration::ZERO);
		offers.insert([0; 32], spec(), [0; 32], requirements());
		assert!(offers.get(&[0; 32]).is_none(), "expired");
	}
}
