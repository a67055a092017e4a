//! Benchmarks of the models pallet.

use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_runtime::{BoundedVec, Perbill};

use crate::*;

const MODEL: ModelId = ModelId::repeat_byte(1);

fn funded_owner<T: Config>() -> T::AccountId {
	let owner: T::AccountId = whitelisted_caller();
	T::Currency::set_balance(&owner, T::ModelDeposit::get().saturating_mul(10).saturating_add(1_000_000_000_000_000));
	owner
}

fn full_name<T: Config>() -> BoundedVec<u8, T::MaxNameLen> {
	alloc::vec![b'm'; T::MaxNameLen::get() as usize].try_into().unwrap()
}

fn prices() -> TierPrices {
	TierPrices { signed: Some(1_000), tee: Some(2_000), zk: Some(3_000) }
}

fn limits<T: Config>() -> IoLimits {
	IoLimits { max_input_len: T::MaxInputLen::get(), max_output_len: T::MaxOutputLen::get() }
}

fn registered<T: Config>() -> T::AccountId
where
	T: Config<AssetKind: From<u32>>,
{
	let owner = funded_owner::<T>();
	Pallet::<T>::do_register_model(
		owner.clone(),
		MODEL,
		full_name::<T>(),
		full_name::<T>(),
		limits::<T>(),
		0u32.into(),
		prices(),
		Perbill::from_percent(5),
	)
	.unwrap();
	owner
}

/// Prices the registered model in `count` other assets (ids 1, 2, …).
fn priced_in_other_assets<T>(owner: &T::AccountId, count: u32)
where
	T: Config<AssetKind: From<u32>>,
{
	for id in 1..=count {
		Pallet::<T>::do_set_asset_prices(owner.clone(), MODEL, id.into(), Some(prices())).unwrap();
	}
}

#[benchmarks(where T::AssetKind: From<u32>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model() {
		let owner = funded_owner::<T>();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			MODEL,
			full_name::<T>(),
			full_name::<T>(),
			limits::<T>(),
			0u32.into(),
			prices(),
			Perbill::from_percent(5),
		);
		assert!(Models::<T>::contains_key(MODEL));
	}

	/// Worst case: priced in every other asset allowed, each checked against the new prices.
	#[benchmark]
	fn update_model() {
		let owner = registered::<T>();
		priced_in_other_assets::<T>(&owner, T::MaxOtherAssets::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), MODEL, limits::<T>(), prices(), Perbill::from_percent(7));
		assert_eq!(Models::<T>::get(MODEL).unwrap().royalty, Perbill::from_percent(7));
	}

	#[benchmark]
	fn retire_model() {
		let owner = registered::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), MODEL);
		assert!(!Models::<T>::contains_key(MODEL));
	}

	/// Worst case: the last asset the chain allows, found after searching all the others.
	#[benchmark]
	fn set_asset_prices() {
		let owner = registered::<T>();
		let others = T::MaxOtherAssets::get();
		priced_in_other_assets::<T>(&owner, others.saturating_sub(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), MODEL, others.into(), Some(prices()));
		assert_eq!(Models::<T>::get(MODEL).unwrap().other_prices.len() as u32, others);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
