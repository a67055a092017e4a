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

use verity_primitives::{
	inference::{JobInput, JobSpec, ModelId, VerificationMode},
	x402::PaymentNonce,
	Balance, BlockNumber,
};
use verity_x402::PaymentRequirements;

/// One offer: the job it pays for, less its input, and the requirements sent. The input is
/// kept as its hash: the paid request carries the input again, and a full book of inputs (up to
/// 16 KiB each) would take about 1.1 GiB.
#[derive(Clone, Debug)]
pub struct Offer {
	pub model: ModelId,
	pub mode: VerificationMode,
	/// BLAKE2-256 of the inline input.
	pub input_hash: [u8; 32],
	pub max_price: Balance,
	pub max_fee: Balance,
	pub deadline: BlockNumber,
	/// The salt of the job nonce.
	pub salt: [u8; 32],
	/// The requirements offered, exactly as sent.
	pub requirements: PaymentRequirements,
	expires: Instant,
}

impl Offer {
	/// The job spec the offer was made for, given the paid request's model, tier and input;
	/// `None` if they are not the offer's.
	pub fn spec_for(&self, model: ModelId, mode: VerificationMode, input: &[u8]) -> Option<JobSpec<BlockNumber>> {
		if model != self.model || mode != self.mode || sp_crypto_hashing::blake2_256(input) != self.input_hash {
			return None;
		}
		Some(JobSpec {
			model,
			mode,
			input: JobInput::Inline(input.to_vec().try_into().ok()?),
			max_price: self.max_price,
			max_fee: self.max_fee,
			deadline: self.deadline,
		})
	}
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

	/// Keeps an offer of `spec` (an inline input) under `nonce`; [`Self::has_room`] said it
	/// fits.
	pub fn insert(&mut self, nonce: PaymentNonce, spec: &JobSpec<BlockNumber>, salt: [u8; 32], requirements: PaymentRequirements) {
		debug_assert!(self.order.len() < self.capacity, "has_room first");
		let JobInput::Inline(input) = &spec.input else { unreachable!("offers are inline") };
		let offer = Offer {
			model: spec.model,
			mode: spec.mode,
			input_hash: sp_crypto_hashing::blake2_256(input),
			max_price: spec.max_price,
			max_fee: spec.max_fee,
			deadline: spec.deadline,
			salt,
			requirements,
			expires: Instant::now() + self.ttl,
		};
		self.order.push_back(nonce);
		self.by_nonce.insert(nonce, offer);
	}

	/// The unexpired offer made under `nonce`.
	pub fn get(&self, nonce: &PaymentNonce) -> Option<Offer> {
		self.by_nonce.get(nonce).filter(|offer| offer.expires > Instant::now()).cloned()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

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
				offers.insert([nonce; 32], &spec(), [0; 32], requirements());
			}
			room
		};
		assert!(offer(&mut offers, 0));
		assert_eq!([1, 2, 3].map(|attacker| offer(&mut offers, attacker)), [true, false, false]);
		assert!(offers.get(&[0; 32]).is_some(), "the first payer's offer is still there");
		assert!(offers.get(&[2; 32]).is_none(), "a request that found the book full got no offer");
	}

	/// #17 item 13: an offer keeps its input's hash, not the input, and gives its spec back only
	/// for that input.
	#[test]
	fn an_offer_keeps_the_input_hash_and_rebuilds_its_spec_from_the_paid_input() {
		let mut offers = Offers::new(1, Duration::from_secs(60));
		let spec = JobSpec { input: JobInput::Inline(vec![7u8; 16 * 1024].try_into().unwrap()), ..spec() };
		offers.insert([0; 32], &spec, [0; 32], requirements());
		let offer = offers.get(&[0; 32]).unwrap();
		assert_eq!(offer.spec_for(spec.model, spec.mode, &[7u8; 16 * 1024]), Some(spec.clone()));
		assert_eq!(offer.spec_for(spec.model, spec.mode, &[8u8; 16 * 1024]), None);
		assert_eq!(offer.spec_for(spec.model, VerificationMode::Zk, &[7u8; 16 * 1024]), None);
		assert!(std::mem::size_of::<Offer>() < 512, "no input inside");
	}

	#[test]
	fn offers_are_bounded_and_expire() {
		let mut offers = Offers::new(2, Duration::from_secs(60));
		for nonce in 0..2u8 {
			assert!(offers.has_room(1));
			offers.insert([nonce; 32], &spec(), [0; 32], requirements());
		}
		assert!(!offers.has_room(1), "full of unexpired offers");
		assert!(offers.get(&[0; 32]).is_some() && offers.get(&[1; 32]).is_some());

		let mut offers = Offers::new(2, Duration::ZERO);
		offers.insert([0; 32], &spec(), [0; 32], requirements());
		assert!(offers.get(&[0; 32]).is_none(), "expired");
		assert!(offers.has_room(2), "an expired offer makes room");
	}
}
