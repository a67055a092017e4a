//! # x402 pallet
//!
//! Settles [x402](https://x402.org) payments: a payer signs a [`PaymentAuthorization`] off chain
//! and anyone (a facilitator, who pays the transaction fee) submits it here.
//!
//! - [`Pallet::settle`], scheme `exact`: moves exactly `value` of `asset` from `from` to `to`.
//! - [`Pallet::settle_upto`], scheme `upto`: the payer signed a maximum and the facilitator it
//!   named; that facilitator settles the actual amount, at most the maximum, after the work.
//! - Job payments: the inference pallet's `submit_paid` uses up an `exact` authorization
//!   through [`PaymentAuthorizer`] and holds the funds as the job's escrow. Authorizations to the
//!   escrow binding ([`Config::JobEscrow`]) can only be spent that way, never transferred to it.
//!
//! ## Checks
//! Each failure has its own [`PaymentError`], carried as [`Error::Payment`] (a payment to the
//! escrow binding is [`Error::EscrowOnly`]), and changes nothing: scheme, network (genesis
//! hash), window against `pallet-timestamp` (`valid_after < now < valid_before`, unix seconds),
//! window length ([`Config::MaxValidity`]), nonce unused by this payer, signature (a
//! `MultiSignature` over [`PaymentAuthorization::signing_payload`], bare or wrapped in
//! `<Bytes>…</Bytes>`), a non-zero amount, balance, transfer. [`Pallet::verify_payment`] answers
//! whether a payment settles in the next block: its window must stay open
//! [`Config::SettlementMargin`] more seconds, the transfer is dry-run, and the caller's
//! settlements in flight count as spent.
//!
//! ## Bounded storage
//! A used nonce is kept until its window has closed, then pruned in `on_initialize`, at most
//! [`Config::MaxPrunesPerBlock`] per block. That is at least as many nonces as the most
//! settlements one block holds ([`Pallet::most_nonces_used_per_block`]; the runtime's tests check
//! it against the runtime's weights), so pruning keeps
//! up under any sustained load, and because a window is at most `MaxValidity` long, the nonces
//! kept are at most the settlements of one `MaxValidity` and one block.
//!
//! ## Who pays the fee
//! The submitter of the extrinsic: a facilitator, a relayer or the payer. There is no fee-less
//! (unsigned) path; see `docs/x402.md` for why.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungibles,
		tokens::{DepositConsequence, Fortitude, Preservation, Provenance},
		Time,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::traits::{IdentifyAccount, Saturating, Verify, Zero};
use verity_primitives::{
	x402::{
		PaymentAuthorization, PaymentAuthorizer, PaymentError, PaymentNonce, PaymentPayload,
		PaymentRequirements, PaymentScheme, SchemeKind, SupportedKind,
	},
	Balance, Hash,
};

/// A payment authorization of this runtime.
pub type AuthorizationOf<T> =
	PaymentAuthorization<<T as frame_system::Config>::AccountId, <T as Config>::AssetKind>;

/// Seconds per bucket of [`ExpiringNonces`].
pub const NONCE_BUCKET_SECS: u64 = 60;

/// What is kept of a used nonce until its window closes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct UsedNonce<BlockNumber> {
	/// When the authorization's window closes (unix seconds); then the nonce is pruned.
	pub valid_before: u64,
	/// The block in which it was settled.
	pub settled_at: BlockNumber,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	/// The layout of this pallet's storage. Bump it whenever the layout changes, with a
	/// migration in the runtime's `Migrations` (the runtime's storage-layout test says when).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// A test configuration: `#[derive_impl(config_preludes::TestDefaultConfig)]` in a mock
	/// leaves the assets, funds, signature, clock and escrow binding to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl,
			traits::{ConstU32, ConstU64},
		};

		/// Windows of up to an hour; 3 nonce prunes per block.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxValidity = ConstU64<3_600>;
			type SettlementMargin = ConstU64<12>;
			type MaxPrunesPerBlock = ConstU32<3>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The kind of asset payments are made in: the native token or an asset id.
		#[pallet::no_default]
		type AssetKind: Parameter + DecodeWithMemTracking + MaxEncodedLen + Ord;

		/// The funds payments move: every payment asset.
		#[pallet::no_default]
		type Currency: fungibles::Mutate<Self::AccountId, AssetId = Self::AssetKind, Balance = Balance>;

		/// A payer's signature: verifies against the payer's account.
		#[pallet::no_default]
		type Signature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ DecodeWithMemTracking
			+ MaxEncodedLen;

		/// The chain's clock (milliseconds since the unix epoch).
		#[pallet::no_default]
		type Time: Time<Moment = u64>;

		/// The escrow binding of job payments: authorizations to it are spent only by the
		/// inference pallet, into a job's escrow, and never transferred.
		#[pallet::constant]
		#[pallet::no_default]
		type JobEscrow: Get<Self::AccountId>;

		/// The assets payments may be made in, as listed by `X402Api::supported`.
		#[pallet::no_default]
		type SupportedAssets: Get<Vec<Self::AssetKind>>;

		/// Longest window from now to `valid_before`, in seconds: bounds how long a nonce is kept.
		#[pallet::constant]
		type MaxValidity: Get<u64>;

		/// Seconds a payment must stay valid after `verify` answers (`now + margin <
		/// valid_before`): its settlement lands in a later block, with a later timestamp.
		#[pallet::constant]
		type SettlementMargin: Get<u64>;

		/// Most storage items the nonce pruning touches in one block: at least the most nonces
		/// one block can use, so that pruning keeps up.
		#[pallet::constant]
		type MaxPrunesPerBlock: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets the clock and funds accounts for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self>;
	}

	/// The nonces each payer has used, until their window closes.
	#[pallet::storage]
	pub type UsedNonces<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Identity,
		PaymentNonce,
		UsedNonce<BlockNumberFor<T>>,
	>;

	/// Used nonces by the minute their window closes (`valid_before / 60`), for pruning.
	#[pallet::storage]
	pub type ExpiringNonces<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		u64,
		Blake2_128Concat,
		(T::AccountId, PaymentNonce),
		(),
	>;

	/// The first minute of [`ExpiringNonces`] not yet pruned; `None` before the clock is set.
	#[pallet::storage]
	pub type NextPruneMinute<T: Config> = StorageValue<_, u64>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A payment was settled: `amount` of `asset` moved from `payer` to `to`.
		Settled {
			payer: T::AccountId,
			to: T::AccountId,
			asset: T::AssetKind,
			amount: Balance,
			nonce: PaymentNonce,
			scheme: SchemeKind,
		},
		/// A payment was taken into a job's escrow (the inference pallet holds it).
		SpentOnJob { payer: T::AccountId, asset: T::AssetKind, amount: Balance, nonce: PaymentNonce },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The payment is refused; the nested error is its x402 reason
		/// ([`PaymentError::reason`]).
		Payment(PaymentError),
		/// The recipient is the job-escrow binding: pay it with `inference.submit_paid`.
		EscrowOnly,
	}

	impl<T> Error<T> {
		/// The x402 reason of this error.
		pub fn payment_error(&self) -> PaymentError {
			match self {
				Error::Payment(error) => *error,
				Error::EscrowOnly => PaymentError::RecipientMismatch,
				_ => PaymentError::InvalidPayload,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_: BlockNumberFor<T>) -> Weight {
			let touched = Self::prune_nonces(Self::now());
			T::WeightInfo::prune_nonces(touched)
		}

		fn integrity_test() {
			assert!(T::MaxValidity::get() > 0, "MaxValidity must allow a window");
			assert!(T::MaxPrunesPerBlock::get() > 0, "MaxPrunesPerBlock must allow pruning");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Settles an `exact` authorization: moves exactly `value` of `asset` from `from` to
		/// `to`. Anyone may submit it; the submitter pays the transaction fee.
		#[pallet::call_index(0)]
		pub fn settle(
			origin: OriginFor<T>,
			authorization: AuthorizationOf<T>,
			signature: T::Signature,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_settle(authorization, signature)
		}

		/// Settles an `upto` authorization for `amount` (at most the signed maximum). Only the
		/// facilitator the payer named may submit it.
		#[pallet::call_index(1)]
		pub fn settle_upto(
			origin: OriginFor<T>,
			authorization: AuthorizationOf<T>,
			signature: T::Signature,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let facilitator = ensure_signed(origin)?;
			Self::do_settle_upto(facilitator, authorization, signature, amount)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// [`Pallet::settle`] after the origin check.
	pub fn do_settle(authorization: AuthorizationOf<T>, signature: T::Signature) -> DispatchResult {
		ensure!(authorization.scheme == PaymentScheme::Exact, Error::<T>::Payment(PaymentError::InvalidScheme));
		let value = authorization.value;
		Self::transfer(authorization, &signature, value, SchemeKind::Exact)
	}

	/// [`Pallet::settle_upto`] after the origin check.
	pub fn do_settle_upto(
		facilitator: T::AccountId,
		authorization: AuthorizationOf<T>,
		signature: T::Signature,
		amount: Balance,
	) -> DispatchResult {
		let PaymentScheme::Upto { facilitator: authorized } = &authorization.scheme else {
			return Err(Error::<T>::Payment(PaymentError::InvalidScheme).into());
		};
		ensure!(*authorized == facilitator, Error::<T>::Payment(PaymentError::FacilitatorMismatch));
		ensure!(amount <= authorization.value, Error::<T>::Payment(PaymentError::AmountExceedsMaximum));
		Self::transfer(authorization, &signature, amount, SchemeKind::Upto)
	}

	/// Checks `authorization`, moves `amount` and uses up the nonce.
	fn transfer(
		authorization: AuthorizationOf<T>,
		signature: &T::Signature,
		amount: Balance,
		scheme: SchemeKind,
	) -> DispatchResult {
		ensure!(authorization.to != T::JobEscrow::get(), Error::<T>::EscrowOnly);
		ensure!(!amount.is_zero(), Error::<T>::Payment(PaymentError::ZeroAmount));
		Self::check(&authorization, signature, Self::now()).map_err(Error::<T>::Payment)?;
		let PaymentAuthorization { asset, from, to, nonce, .. } = &authorization;
		ensure!(Self::can_pay(asset, from, amount), Error::<T>::Payment(PaymentError::InsufficientFunds));
		<T::Currency as fungibles::Mutate<_>>::transfer(asset.clone(), from, to, amount, Preservation::Preserve)
			.map_err(|_| Error::<T>::Payment(PaymentError::TransferFailed))?;
		Self::use_nonce(&authorization);
		Self::deposit_event(Event::Settled {
			payer: from.clone(),
			to: to.clone(),
			asset: asset.clone(),
			amount,
			nonce: *nonce,
			scheme,
		});
		Ok(())
	}

	/// Every check of an authorization that does not depend on the amount: network, listed
	/// asset, window, nonce, then (the costliest) signature.
	pub fn check(
		authorization: &AuthorizationOf<T>,
		signature: &T::Signature,
		now: u64,
	) -> Result<(), PaymentError> {
		ensure!(authorization.network == Self::genesis_hash(), PaymentError::InvalidNetwork);
		ensure!(T::SupportedAssets::get().contains(&authorization.asset), PaymentError::UnsupportedAsset);
		ensure!(now > authorization.valid_after, PaymentError::NotYetValid);
		ensure!(now < authorization.valid_before, PaymentError::Expired);
		ensure!(
			authorization.valid_before <= now.saturating_add(T::MaxValidity::get()),
			PaymentError::WindowTooLong
		);
		ensure!(
			!UsedNonces::<T>::contains_key(&authorization.from, authorization.nonce),
			PaymentError::NonceUsed
		);
		ensure!(Self::signature_matches(authorization, signature), PaymentError::InvalidSignature);
		Ok(())
	}

	/// Whether `signature` is the payer's signature of the authorization's signing payload,
	/// bare or wrapped in `<Bytes>…</Bytes>`.
	pub fn signature_matches(authorization: &AuthorizationOf<T>, signature: &T::Signature) -> bool {
		let signer = &authorization.from;
		signature.verify(&authorization.signing_payload()[..], signer) ||
			signature.verify(&authorization.wrapped_signing_payload()[..], signer)
	}

	/// Whether `who` can pay `amount` of `asset` and keep its account alive.
	fn can_pay(asset: &T::AssetKind, who: &T::AccountId, amount: Balance) -> bool {
		<T::Currency as fungibles::Inspect<_>>::reducible_balance(
			asset.clone(),
			who,
			Preservation::Preserve,
			Fortitude::Polite,
		) >= amount
	}

	fn use_nonce(authorization: &AuthorizationOf<T>) {
		let PaymentAuthorization { from, nonce, valid_before, .. } = authorization;
		UsedNonces::<T>::insert(
			from,
			nonce,
			UsedNonce {
				valid_before: *valid_before,
				settled_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		ExpiringNonces::<T>::insert(valid_before / NONCE_BUCKET_SECS, (from.clone(), *nonce), ());
	}

	/// Removes the used nonces whose window closed before `now` (unix seconds), touching at
	/// most `MaxPrunesPerBlock` storage items (nonces removed and minutes stepped over).
	/// Returns how many it touched, for the weight.
	pub(crate) fn prune_nonces(now: u64) -> u32 {
		// Zero only before the first timestamp is set (genesis): nothing to prune yet.
		if now == 0 {
			return 0;
		}
		let current = now / NONCE_BUCKET_SECS;
		let Some(mut minute) = NextPruneMinute::<T>::get() else {
			NextPruneMinute::<T>::put(current);
			return 1;
		};
		let limit = T::MaxPrunesPerBlock::get();
		let mut touched = 0u32;
		// Minute `m` holds windows closing in [60m, 60m + 60): all closed once `m < current`.
		while minute < current && touched < limit {
			if ExpiringNonces::<T>::iter_keys().next().is_none() {
				// Nothing kept at all (e.g. after a halt): jump instead of walking every minute.
				minute = current;
				touched.saturating_inc();
				break;
			}
			for (who, nonce) in ExpiringNonces::<T>::drain_prefix(minute)
				.map(|(key, ())| key)
				.take((limit - touched) as usize)
			{
				UsedNonces::<T>::remove(who, nonce);
				touched.saturating_inc();
			}
			if touched >= limit || ExpiringNonces::<T>::iter_prefix(minute).next().is_some() {
				break;
			}
			minute.saturating_inc();
			touched.saturating_inc();
		}
		NextPruneMinute::<T>::put(minute);
		touched
	}

	/// The chain's time in unix seconds.
	pub fn now() -> u64 {
		T::Time::now() / 1_000
	}

	/// The chain's genesis hash: the `network` every authorization must carry.
	pub fn genesis_hash() -> Hash {
		let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		Hash::from_slice(hash.as_ref())
	}

	/// `X402Api::verify_with_pending`: whether `payload` would settle `requirements` in the
	/// next block through [`Pallet::settle`] or [`Pallet::settle_upto`], with `pending` of the
	/// payer's asset already spent by settlements in flight. Nothing is written. Beyond
	/// `settle`'s own checks: the window stays open for [`Config::SettlementMargin`] more
	/// seconds, and the transfer is dry-run (the recipient can take it). Payments to the
	/// job-escrow binding are refused (`RecipientMismatch`): they settle only through
	/// `inference.submit_paid`.
	pub fn verify_payment(
		payload: &PaymentPayload<T::AccountId, T::AssetKind, T::Signature>,
		requirements: &PaymentRequirements<T::AccountId, T::AssetKind>,
		pending: Balance,
	) -> Result<T::AccountId, PaymentError> {
		let authorization = &payload.authorization;
		ensure!(
			SchemeKind::from(&authorization.scheme) == requirements.scheme,
			PaymentError::InvalidScheme
		);
		ensure!(authorization.asset == requirements.asset, PaymentError::AssetMismatch);
		ensure!(authorization.to == requirements.pay_to, PaymentError::RecipientMismatch);
		ensure!(authorization.to != T::JobEscrow::get(), PaymentError::RecipientMismatch);
		ensure!(!requirements.amount.is_zero(), PaymentError::ZeroAmount);
		match requirements.scheme {
			SchemeKind::Exact =>
				ensure!(authorization.value == requirements.amount, PaymentError::ValueMismatch),
			SchemeKind::Upto => ensure!(
				requirements.amount <= authorization.value,
				PaymentError::AmountExceedsMaximum
			),
		}
		let now = Self::now();
		Self::check(authorization, &payload.signature, now)?;
		ensure!(
			now.saturating_add(T::SettlementMargin::get()) < authorization.valid_before,
			PaymentError::Expired
		);
		ensure!(
			Self::can_pay(
				&authorization.asset,
				&authorization.from,
				requirements.amount.saturating_add(pending)
			),
			PaymentError::InsufficientFunds
		);
		ensure!(
			<T::Currency as fungibles::Inspect<_>>::can_deposit(
				authorization.asset.clone(),
				&authorization.to,
				requirements.amount,
				Provenance::Extant,
			) == DepositConsequence::Success,
			PaymentError::TransferFailed
		);
		Ok(authorization.from.clone())
	}

	/// The most nonces one block's normal extrinsics can use: its weight over the cheapest call
	/// that uses one (`settle` or `settle_upto`; a paid job costs more). 0 without weights.
	pub fn most_nonces_used_per_block() -> u64 {
		let cheapest = T::WeightInfo::settle().ref_time().min(T::WeightInfo::settle_upto().ref_time());
		let block = T::BlockWeights::get();
		let normal = block.get(frame_support::dispatch::DispatchClass::Normal).max_total.unwrap_or(block.max_block);
		normal.ref_time().checked_div(cheapest).unwrap_or(0)
	}

	/// `X402Api::supported`: both schemes in every supported asset.
	pub fn supported() -> Vec<SupportedKind<T::AssetKind>> {
		T::SupportedAssets::get()
			.into_iter()
			.flat_map(|asset| {
				[SchemeKind::Exact, SchemeKind::Upto]
					.map(|scheme| SupportedKind { scheme, asset: asset.clone() })
			})
			.collect()
	}

	/// Invariants:
	/// - [`UsedNonces`] and [`ExpiringNonces`] hold the same (payer, nonce) pairs, each filed
	///   under the minute its window closes;
	/// - nothing is filed before [`NextPruneMinute`] (it would never be pruned).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let first = NextPruneMinute::<T>::get().unwrap_or_default();
		let mut expiring = 0u64;
		for (minute, (who, nonce), ()) in ExpiringNonces::<T>::iter() {
			ensure!(minute >= first, "a nonce filed before the pruning cursor");
			let used = UsedNonces::<T>::get(&who, nonce).ok_or("an expiring nonce is not used")?;
			ensure!(used.valid_before / NONCE_BUCKET_SECS == minute, "a nonce filed in the wrong minute");
			expiring += 1;
		}
		ensure!(
			UsedNonces::<T>::iter_keys().count() as u64 == expiring,
			"a used nonce is not filed for pruning"
		);
		Ok(())
	}
}

impl<T: Config> PaymentAuthorizer<T::AccountId, T::AssetKind> for Pallet<T> {
	type Signature = T::Signature;

	fn consume(authorization: &AuthorizationOf<T>, signature: &T::Signature) -> Result<(), PaymentError> {
		ensure!(authorization.scheme == PaymentScheme::Exact, PaymentError::InvalidScheme);
		Self::check(authorization, signature, Self::now())?;
		Self::use_nonce(authorization);
		Self::deposit_event(Event::SpentOnJob {
			payer: authorization.from.clone(),
			asset: authorization.asset.clone(),
			amount: authorization.value,
			nonce: authorization.nonce,
		});
		Ok(())
	}
}
