use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_runtime::{BoundedVec, Perbill};
use verity_primitives::inference::{ModelProvider, VerificationMode};

use crate::{mock::*, Error, Event, HoldReason, IoLimits, TierPrices};

const MODEL: sp_core::H256 = sp_core::H256::repeat_byte(7);

fn limits() -> IoLimits {
	IoLimits { max_input_len: 256, max_output_len: 64 }
}

fn prices() -> TierPrices {
	TierPrices { signed: Some(10), tee: None, zk: Some(30) }
}

fn name(bytes: &[u8]) -> BoundedVec<u8, ConstNameLen> {
	bytes.to_vec().try_into().unwrap()
}

type ConstNameLen = frame_support::traits::ConstU32<32>;

fn register(owner: u64) -> sp_runtime::DispatchResult {
	Models::register_model(
		RuntimeOrigin::signed(owner),
		MODEL,
		name(b"digits"),
		name(b"verity-int8-mlp"),
		limits(),
		0,
		prices(),
		Perbill::from_percent(10),
	)
}

fn held(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::ModelDeposit.into(), &who)
}

fn check_invariants() {
	crate::Pallet::<Test>::do_try_state().unwrap();
}

#[test]
fn register_holds_the_deposit_and_exposes_terms() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1));
		assert_eq!(held(1), 100);
		System::assert_last_event(Event::ModelRegistered { model: MODEL, owner: 1 }.into());

		let terms = <crate::Pallet<Test> as ModelProvider<u64, u32>>::terms(&MODEL, VerificationMode::Zk)
			.unwrap();
		assert_eq!((terms.owner, terms.price, terms.royalty), (1, Some(30), Perbill::from_percent(10)));
		let tee = <crate::Pallet<Test> as ModelProvider<u64, u32>>::terms(&MODEL, VerificationMode::Tee)
			.unwrap();
		assert_eq!(tee.price, None, "tee is not offered");
		check_invariants();
	});
}

#[test]
fn register_failure_paths_change_nothing() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1));
		assert_noop!(register(2), Error::<Test>::ModelExists);

		let other = sp_core::H256::repeat_byte(8);
		let call = |limits: IoLimits, prices: TierPrices, royalty: u32, who: u64| {
			Models::register_model(
				RuntimeOrigin::signed(who),
				other,
				name(b"x"),
				name(b"y"),
				limits,
				0,
				prices,
				Perbill::from_percent(royalty),
			)
		};
		assert_noop!(call(limits(), TierPrices::default(), 10, 2), Error::<Test>::NoTierOffered);
		assert_noop!(
			call(IoLimits { max_input_len: 0, max_output_len: 1 }, prices(), 10, 2),
			Error::<Test>::InvalidLimits
		);
		assert_noop!(
			call(IoLimits { max_input_len: 1025, max_output_len: 1 }, prices(), 10, 2),
			Error::<Test>::InvalidLimits
		);
		assert_noop!(
			call(IoLimits { max_input_len: 1, max_output_len: 513 }, prices(), 10, 2),
			Error::<Test>::InvalidLimits
		);
		assert_noop!(call(limits(), prices(), 51, 2), Error::<Test>::RoyaltyTooHigh);
		assert_noop!(call(limits(), prices(), 10, 3), Error::<Test>::InsufficientDeposit);
		assert_noop!(
			Models::register_model(
				frame_system::RawOrigin::None.into(),
				other,
				name(b"x"),
				name(b"y"),
				limits(),
				0,
				prices(),
				Perbill::zero()
			),
			sp_runtime::DispatchError::BadOrigin
		);
		check_invariants();
	});
}

#[test]
fn update_changes_terms_for_the_owner_only() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1));
		let new_prices = TierPrices { signed: Some(5), tee: Some(50), zk: None };
		assert_noop!(
			Models::update_model(RuntimeOrigin::signed(2), MODEL, limits(), new_prices, Perbill::zero()),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Models::update_model(
				RuntimeOrigin::signed(1),
				sp_core::H256::zero(),
				limits(),
				new_prices,
				Perbill::zero()
			),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			Models::update_model(RuntimeOrigin::signed(1), MODEL, limits(), TierPrices::default(), Perbill::zero()),
			Error::<Test>::NoTierOffered
		);
		assert_ok!(Models::update_model(
			RuntimeOrigin::signed(1),
			MODEL,
			limits(),
			new_prices,
			Perbill::from_percent(20)
		));
		let info = crate::Models::<Test>::get(MODEL).unwrap();
		assert_eq!((info.prices, info.royalty), (new_prices, Perbill::from_percent(20)));
		System::assert_last_event(Event::ModelUpdated { model: MODEL }.into());
		check_invariants();
	});
}

#[test]
fn retire_releases_the_deposit_and_frees_the_id() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1));
		assert_noop!(Models::retire_model(RuntimeOrigin::signed(2), MODEL), Error::<Test>::NotOwner);
		assert_ok!(Models::retire_model(RuntimeOrigin::signed(1), MODEL));
		assert_eq!(held(1), 0);
		assert!(crate::Models::<Test>::get(MODEL).is_none());
		System::assert_last_event(Event::ModelRetired { model: MODEL }.into());
		assert_noop!(Models::retire_model(RuntimeOrigin::signed(1), MODEL), Error::<Test>::UnknownModel);
		// The id can be registered again.
		assert_ok!(register(2));
		check_invariants();
	});
}

#[test]
fn a_model_priced_in_another_asset_quotes_terms_in_it() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1));
		let stable = TierPrices { signed: Some(4), tee: None, zk: Some(12) };
		assert_ok!(Models::set_asset_prices(RuntimeOrigin::signed(1), MODEL, 5, Some(stable)));
		System::assert_last_event(Event::AssetPricesSet { model: MODEL, asset: 5, prices: Some(stable) }.into());
		check_invariants();

		let terms = <crate::Pallet<Test> as ModelProvider<u64, u32>>::terms_in(&MODEL, VerificationMode::Zk, &5).unwrap();
		assert_eq!((terms.asset, terms.price, terms.model_asset_price), (5, Some(12), Some(30)));
		// An executor fee of 10 in the model's asset is 4 in the other (10 × 12 / 30), and a fee
		// that does not divide evenly rounds up, never paying the executor less than it asked.
		assert_eq!((terms.fee_in_asset(10), terms.fee_in_asset(11)), (Some(4), Some(5)));
		let own = <crate::Pallet<Test> as ModelProvider<u64, u32>>::terms_in(&MODEL, VerificationMode::Zk, &0).unwrap();
		assert_eq!((own.price, own.fee_in_asset(10)), (Some(30), Some(10)));
		let unpriced = <crate::Pallet<Test> as ModelProvider<u64, u32>>::terms_in(&MODEL, VerificationMode::Zk, &6).unwrap();
		assert_eq!((unpriced.price, unpriced.fee_in_asset(10)), (None, None), "asset 6 is not accepted");

		// Repricing replaces, None removes.
		let cheaper = TierPrices { signed: Some(2), tee: None, zk: None };
		assert_ok!(Models::set_asset_prices(RuntimeOrigin::signed(1), MODEL, 5, Some(cheaper)));
		assert_eq!(crate::Models::<Test>::get(MODEL).unwrap().other_prices.into_inner(), vec![(5, cheaper)]);
		assert_ok!(Models::set_asset_prices(RuntimeOrigin::signed(1), MODEL, 5, None));
		assert!(crate::Models::<Test>::get(MODEL).unwrap().other_prices.is_empty());
		System::assert_last_event(Event::AssetPricesSet { model: MODEL, asset: 5, prices: None }.into());
		check_invariants();
	});
}

#[test]
fn prices_in_other_assets_failure_paths_change_nothing() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1));
		let stable = TierPrices { signed: Some(4), tee: None, zk: None };
		let set = |who: u64, model, asset: u32, prices| Models::set_asset_prices(RuntimeOrigin::signed(who), model, asset, prices);
		assert_noop!(set(2, MODEL, 5, Some(stable)), Error::<Test>::NotOwner);
		assert_noop!(set(1, sp_core::H256::zero(), 5, Some(stable)), Error::<Test>::UnknownModel);
		assert_noop!(set(1, MODEL, 0, Some(stable)), Error::<Test>::AssetIsModelAsset);
		assert_noop!(set(1, MODEL, 5, Some(TierPrices::default())), Error::<Test>::NoTierOffered);
		// tee is not priced in the model's own asset, so it cannot be in another.
		let tee = TierPrices { signed: None, tee: Some(9), zk: None };
		assert_noop!(set(1, MODEL, 5, Some(tee)), Error::<Test>::TierNotPricedInModelAsset);
		assert_noop!(set(1, MODEL, 5, None), Error::<Test>::AssetNotPriced);
		// A zero price would make every executor's fee zero in that asset.
		let free = TierPrices { signed: Some(0), tee: None, zk: None };
		assert_noop!(set(1, MODEL, 5, Some(free)), Error::<Test>::TierNotPricedInModelAsset);
		for asset in 1..=4 {
			assert_ok!(set(1, MODEL, asset, Some(stable)));
		}
		assert_noop!(set(1, MODEL, 5, Some(stable)), Error::<Test>::TooManyAssets);
		// Dropping the signed tier from the model's own prices would leave the others unbacked.
		assert_noop!(
			Models::update_model(
				RuntimeOrigin::signed(1),
				MODEL,
				limits(),
				TierPrices { signed: None, tee: None, zk: Some(30) },
				Perbill::zero()
			),
			Error::<Test>::TierNotPricedInModelAsset
		);
		check_invariants();
	});
}
