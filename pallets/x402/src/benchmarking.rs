//! Benchmarks of the x402 pallet. Signatures are real sr25519 signatures made through the
//! keystore, over the `<Bytes>`-wrapped payload: verification first tries the bare payload and
//! fails, the worst case.

use frame_benchmarking::v2::*;
use frame_support::traits::fungibles::Mutate;
use frame_system::RawOrigin;
use sp_core::{crypto::KeyTypeId, sr25519};
use sp_runtime::traits::{IdentifyAccount, Verify};

use crate::*;

/// Sets up what the benchmarks need from the runtime.
pub trait BenchmarkHelper<T: Config> {
	/// Sets the chain's clock to `seconds` (unix).
	fn set_time(seconds: u64);
	/// An asset accounts can be funded in with `fungibles::Mutate`.
	fn asset() -> T::AssetKind;
}

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"vx42");
/// The benchmarks' clock, in unix seconds.
const NOW: u64 = 1_795_305_600;
const VALUE: Balance = 1_000_000_000;

/// A funded payer's authorization to pay `VALUE` to a funded recipient, and its signature.
fn signed<T: Config>(scheme: PaymentScheme<T::AccountId>, nonce: u8) -> (AuthorizationOf<T>, T::Signature)
where
	T::Signature: From<sr25519::Signature>,
	<T::Signature as Verify>::Signer: From<sr25519::Public>,
{
	T::BenchmarkHelper::set_time(NOW);
	let key = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
	let from = <T::Signature as Verify>::Signer::from(key).into_account();
	let to: T::AccountId = account("recipient", 0, 0);
	let asset = T::BenchmarkHelper::asset();
	T::Currency::set_balance(asset.clone(), &from, VALUE * 1_000);
	T::Currency::set_balance(asset.clone(), &to, VALUE);
	let authorization = PaymentAuthorization {
		network: Pallet::<T>::genesis_hash(),
		scheme,
		asset,
		from,
		to,
		value: VALUE,
		valid_after: NOW - 600,
		valid_before: NOW + 60,
		nonce: [nonce; 32],
	};
	let signature =
		sp_io::crypto::sr25519_sign(KEY_TYPE, &key, &authorization.wrapped_signing_payload()).unwrap();
	(authorization, signature.into())
}

#[benchmarks(where
	T::Signature: From<sr25519::Signature>,
	<T::Signature as Verify>::Signer: From<sr25519::Public>,
)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn settle() {
		let (authorization, signature) = signed::<T>(PaymentScheme::Exact, 1);
		let nonce = authorization.nonce;
		let payer = authorization.from.clone();
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), authorization, signature);
		assert!(UsedNonces::<T>::contains_key(payer, nonce));
	}

	#[benchmark]
	fn settle_upto() {
		let facilitator: T::AccountId = whitelisted_caller();
		let (authorization, signature) =
			signed::<T>(PaymentScheme::Upto { facilitator: facilitator.clone() }, 2);
		let payer = authorization.from.clone();
		#[extrinsic_call]
		_(RawOrigin::Signed(facilitator), authorization, signature, VALUE / 2);
		assert!(UsedNonces::<T>::contains_key(payer, [2; 32]));
	}

	/// Prunes `n` nonces whose window has closed.
	#[benchmark]
	fn prune_nonces(n: Linear<1, { T::MaxPrunesPerBlock::get() }>) {
		let minute = NOW / NONCE_BUCKET_SECS;
		NextPruneMinute::<T>::put(minute);
		for i in 0..n {
			let who: T::AccountId = account("payer", i, 0);
			UsedNonces::<T>::insert(&who, [0; 32], UsedNonce { valid_before: NOW, settled_at: Zero::zero() });
			ExpiringNonces::<T>::insert(minute, (who, [0u8; 32]), ());
		}
		// One more nonce in a later minute keeps the cursor from jumping.
		let later: T::AccountId = account("payer", n, 0);
		UsedNonces::<T>::insert(&later, [0; 32], UsedNonce { valid_before: NOW + 600, settled_at: Zero::zero() });
		ExpiringNonces::<T>::insert(minute + 10, (later, [0u8; 32]), ());
		#[block]
		{
			Pallet::<T>::prune_nonces(NOW + 120);
		}
		assert_eq!(ExpiringNonces::<T>::iter_prefix(minute).count(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
