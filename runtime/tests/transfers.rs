//! The real runtime, executed natively on the `development` genesis: a native transfer and an
//! asset transfer go through every transaction extension, and fees are charged and burned.

use frame_support::traits::fungible::Inspect;
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{Header as _},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
};
use verity_runtime::{
	currency::UNIT, signing::sign_extrinsic, stable_asset, AccountId, Assets, AssetsCall, Balance,
	Balances, BalancesCall, Executive, Header, Runtime, RuntimeCall, System,
};

fn new_ext() -> sp_io::TestExternalities {
	let storage = verity_runtime::genesis_config_presets::preset_storage("development")
		.expect("the development preset builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		let parent = System::block_hash(0);
		Executive::initialize_block(&Header::new(
			1,
			Default::default(),
			Default::default(),
			parent,
			Default::default(),
		));
	});
	ext
}

fn free(who: &AccountId) -> Balance {
	Balances::balance(who)
}

fn apply_signed(signer: Sr25519Keyring, call: RuntimeCall, nonce: u32) -> Balance {
	let xt = sign_extrinsic(&signer.pair(), call, nonce, System::block_hash(0));
	let before = free(&signer.to_account_id());
	Executive::apply_extrinsic(xt)
		.expect("the transaction is valid")
		.expect("the call succeeds");
	before - free(&signer.to_account_id())
}

#[test]
fn native_transfer_moves_funds_and_burns_the_fee() {
	new_ext().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let dest: AccountId = sr25519::Pair::from_string("//Verity//transfer", None)
			.unwrap()
			.public()
			.into();
		let issuance = Balances::total_issuance();
		let amount = 10 * UNIT;

		let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
			dest: dest.clone().into(),
			value: amount,
		});
		let spent = apply_signed(Sr25519Keyring::Alice, call, 0);

		assert_eq!(free(&dest), amount);
		let fee = spent - amount;
		assert!(fee > 0, "a fee was charged");
		assert!(fee < UNIT / 100, "the fee is a small fraction of a token: {fee}");
		// The fee is burned (no treasury cut yet), so issuance falls by exactly the fee.
		assert_eq!(Balances::total_issuance(), issuance - fee);
		assert_eq!(System::account_nonce(&alice), 1);
	});
}

#[test]
fn asset_transfer_moves_the_stable_asset_and_charges_a_native_fee() {
	new_ext().execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let amount = 25 * stable_asset::UNIT;
		let bob_assets = Assets::balance(stable_asset::ID, &bob);
		let charlie_assets = Assets::balance(stable_asset::ID, &charlie);

		let call = RuntimeCall::Assets(AssetsCall::transfer {
			id: stable_asset::ID.into(),
			target: charlie.clone().into(),
			amount,
		});
		let fee = apply_signed(Sr25519Keyring::Bob, call, 0);

		assert_eq!(Assets::balance(stable_asset::ID, &bob), bob_assets - amount);
		assert_eq!(Assets::balance(stable_asset::ID, &charlie), charlie_assets + amount);
		assert!(fee > 0, "the native fee was charged");
	});
}

#[test]
fn bad_nonce_and_unfunded_signer_are_refused_without_state_change() {
	new_ext().execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let before = free(&alice);
		let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value: UNIT,
		});

		let stale = sign_extrinsic(&Sr25519Keyring::Alice.pair(), call.clone(), 5, System::block_hash(0));
		assert_eq!(
			Executive::apply_extrinsic(stale),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Future))
		);

		let nobody = sr25519::Pair::from_string("//Verity//nobody", None).unwrap();
		let unfunded = sign_extrinsic(&nobody, call, 0, System::block_hash(0));
		assert_eq!(
			Executive::apply_extrinsic(unfunded),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);
		assert_eq!(free(&alice), before);
	});
}

#[test]
fn development_preset_has_the_expected_genesis() {
	new_ext().execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert!(pallet_assets::Asset::<Runtime>::contains_key(stable_asset::ID));
		for account in Sr25519Keyring::well_known() {
			assert!(free(&account.to_account_id()) > 0);
		}
	});
}
