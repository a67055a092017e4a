//! The real runtime's tee trust settings, executed natively on its genesis presets: the dev
//! preset trusts the TEST ONLY PKI (and says so), registers a test-PKI enclave, and the
//! production preset trusts Intel's root and refuses test-PKI quotes. And the lifecycle
//! fan-out: a retired model and a removed executor take their tee (and zk) state with them.

use codec::Encode;
use sp_keyring::Sr25519Keyring;
use verity_primitives::{
	attestation::{EnclaveKeys, MeasurementKey},
	inference::SigningKey,
};
use pallet_verity_attestation::{EnclaveCollateral, Enclaves, ModelEnclaveRequirements, ModelRequirements};
use verity_runtime::{
	genesis_config_presets::{self, DIGITS_MLP_ID},
	Attestation, Executors, Models, Runtime, System, HOURS,
};
use verity_tee::test_pki::TestEnclave;

const EXECUTOR_ENCLAVE: TestEnclave =
	TestEnclave { mr_enclave: verity_tee::TEST_EXECUTOR_MR_ENCLAVE, mr_signer: [1; 32], isv_prod_id: 1, isv_svn: 1 };

fn ext(preset: &str) -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new(genesis_config_presets::preset_storage(preset).unwrap());
	ext.execute_with(|| {
		System::set_block_number(1);
		// 2026-11-22.
		pallet_timestamp::Now::<Runtime>::put(1_795_305_600_000);
	});
	ext
}

/// Ferdie (the development genesis' executor) registers `EXECUTOR_ENCLAVE` with a test-PKI quote.
fn register_test_enclave() -> sp_runtime::DispatchResult {
	let ferdie = Sr25519Keyring::Ferdie.to_account_id();
	let keys = EnclaveKeys { signing: SigningKey::Ed25519(sp_core::ed25519::Public::from_raw([1; 32])), encryption: [2; 32] };
	let genesis = sp_core::H256::from_slice(System::block_hash(0).as_ref());
	let quote = EXECUTOR_ENCLAVE.quote(&keys.report_data(genesis, &ferdie));
	Attestation::do_register_enclave(
		ferdie,
		quote.try_into().unwrap(),
		verity_tee::test_pki::collateral().encode().try_into().unwrap(),
		keys,
	)
}

#[test]
fn the_dev_preset_trusts_the_test_pki_says_so_and_registers_a_test_enclave() {
	let preset = String::from_utf8(
		genesis_config_presets::get_preset(&sp_genesis_builder::PresetId::from("development")).unwrap(),
	)
	.unwrap();
	assert!(preset.contains("TEST ONLY: Verity test PKI root"), "the chain spec names the test root");
	ext("development").execute_with(|| {
		assert_eq!(
			pallet_verity_attestation::TrustedRoot::<Runtime>::get().unwrap().into_inner(),
			verity_tee::TEST_ROOT_CA_DER
		);
		assert!(pallet_verity_attestation::AllowedMeasurements::<Runtime>::contains_key(MeasurementKey::SgxEnclave(
			verity_tee::TEST_EXECUTOR_MR_ENCLAVE
		)));
		register_test_enclave().unwrap();
		Attestation::do_try_state().unwrap();
	});
}

#[test]
fn the_production_preset_trusts_intels_root_and_refuses_test_pki_quotes() {
	ext(genesis_config_presets::PRODUCTION_PRESET).execute_with(|| {
		// The production genesis has no model and no executor: Ferdie registers both, as an
		// owner and an operator would after launch.
		use frame_support::traits::fungible::Mutate;
		use pallet_verity_executors::{HardwareClass, Registration, Service};
		use verity_primitives::inference::VerificationMode;
		let ferdie = Sr25519Keyring::Ferdie;
		verity_runtime::Balances::mint_into(&ferdie.to_account_id(), 1_000_000 * verity_primitives::currency::UNIT).unwrap();
		Models::do_register_model(
			ferdie.to_account_id(),
			DIGITS_MLP_ID,
			b"digits-mlp".to_vec().try_into().unwrap(),
			b"int8-mlp".to_vec().try_into().unwrap(),
			pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 40 },
			verity_runtime::AssetKind::Native,
			pallet_verity_models::TierPrices { signed: None, tee: Some(1), zk: None },
			Default::default(),
		)
		.unwrap();
		let registration = Registration {
			endpoint: b"https://executor.example.com/jobs".to_vec().try_into().unwrap(),
			signing_key: SigningKey::Sr25519(ferdie.public()),
			services: vec![Service { model: DIGITS_MLP_ID, mode: VerificationMode::Tee, fee: 1 }].try_into().unwrap(),
			hardware: HardwareClass::Cpu,
			capacity: 1,
			stake: verity_runtime::configs::MinExecutorStake::get(),
		};
		Executors::do_register(ferdie.to_account_id(), registration).unwrap();
		assert_eq!(
			pallet_verity_attestation::TrustedRoot::<Runtime>::get().unwrap().into_inner(),
			verity_tee::INTEL_SGX_ROOT_CA_DER
		);
		assert_eq!(pallet_verity_attestation::AllowedMeasurements::<Runtime>::iter().count(), 0);
		assert_eq!(
			register_test_enclave(),
			Err(pallet_verity_attestation::Error::<Runtime>::UntrustedCertificateChain.into())
		);
		// #19 item 4: a production chain, which not even governance can switch to the test root.
		assert!(pallet_verity_attestation::ProductionChain::<Runtime>::get());
		let test_root = verity_tee::TEST_ROOT_CA_DER.to_vec().try_into().unwrap();
		assert_eq!(
			Attestation::set_trusted_root(verity_runtime::RuntimeOrigin::root(), test_root),
			Err(pallet_verity_attestation::Error::<Runtime>::TestRootOnProductionChain.into())
		);
	});
}

/// #17 item 19: the `production` preset used to register the seed-1 digits zk key (whose setup
/// randomness is public: anyone could forge digits results), name //Alice as sudo, take the dev
/// authorities and endowments, run Ferdie as an executor and allow private endpoints. Every
/// account, authority, sudo key, asset role, executor, model, zk key and trust root of it is
/// listed here, and none may be one anyone can derive.
#[test]
fn the_production_preset_holds_no_key_account_or_root_anyone_can_derive() {
	use std::collections::BTreeSet;
	fn bytes(key: &impl AsRef<[u8]>) -> [u8; 32] {
		key.as_ref().try_into().expect("32-byte keys")
	}
	let derivable: BTreeSet<[u8; 32]> = Sr25519Keyring::iter()
		.map(|k| k.public().0)
		.chain(sp_keyring::Ed25519Keyring::iter().map(|k| k.public().0))
		.collect();
	ext(genesis_config_presets::PRODUCTION_PRESET).execute_with(|| {
		let mut keys: Vec<(&str, [u8; 32])> = Vec::new();
		keys.extend(frame_system::Account::<Runtime>::iter_keys().map(|who| ("account", bytes(&who))));
		keys.extend(pallet_aura::Authorities::<Runtime>::get().iter().map(|a| ("aura authority", bytes(a))));
		keys.extend(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().iter().map(|(a, _)| ("grandpa authority", bytes(a))));
		keys.extend(pallet_sudo::Key::<Runtime>::get().map(|key| ("sudo key", bytes(&key))));
		for (_, asset) in pallet_assets::Asset::<Runtime>::iter() {
			keys.extend([asset.owner, asset.issuer, asset.admin, asset.freezer].iter().map(|who| ("asset role", bytes(who))));
		}
		keys.extend(pallet_assets::Account::<Runtime>::iter_keys().map(|(_, who)| ("asset account", bytes(&who))));
		keys.extend(pallet_verity_executors::Executors::<Runtime>::iter_keys().map(|who| ("executor", bytes(&who))));
		keys.extend(pallet_verity_models::Models::<Runtime>::iter().map(|(_, model)| ("model owner", bytes(&model.owner))));
		for (what, key) in &keys {
			assert!(!derivable.contains(key), "the production preset's {what} {key:?} is a dev keyring key");
		}
		// What is there: only the keyless treasury's accounts.
		let treasury = bytes(&verity_runtime::configs::TreasuryAccount::get());
		assert!(keys.iter().all(|(_, key)| *key == treasury), "{keys:?}");
		assert!(pallet_aura::Authorities::<Runtime>::get().is_empty() && pallet_sudo::Key::<Runtime>::get().is_none());
		// No zk key (the shipped one's setup randomness is public), no model, no test trust.
		assert_eq!(pallet_verity_zk_verifier::VerifyingKeys::<Runtime>::iter().count(), 0);
		assert_eq!(pallet_verity_models::Models::<Runtime>::iter().count(), 0);
		assert_eq!(
			pallet_verity_attestation::TrustedRoot::<Runtime>::get().unwrap().into_inner(),
			verity_tee::INTEL_SGX_ROOT_CA_DER
		);
		assert_eq!(pallet_verity_attestation::AllowedMeasurements::<Runtime>::iter().count(), 0);
		assert!(!pallet_verity_executors::AllowPrivateEndpoints::<Runtime>::get());
	});
}

/// The owner sets enclave requirements on the digits model (which also has a zk key), retires
/// it, and registers it again under the same id: neither the requirements nor the key survive,
/// so they cannot bind a model registered later by someone else.
#[test]
fn a_retired_model_takes_its_enclave_requirements_and_zk_key_with_it() {
	ext("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let requirements = ModelRequirements {
			measurements: vec![MeasurementKey::SgxEnclave(verity_tee::TEST_EXECUTOR_MR_ENCLAVE)].try_into().unwrap(),
			quote_per_job: true,
		};
		Attestation::do_set_model_requirements(alice.clone(), DIGITS_MLP_ID, Some(requirements)).unwrap();
		assert!(pallet_verity_zk_verifier::VerifyingKeys::<Runtime>::contains_key(DIGITS_MLP_ID));
		let model = pallet_verity_models::Models::<Runtime>::get(DIGITS_MLP_ID).unwrap();

		Models::do_retire_model(alice.clone(), DIGITS_MLP_ID).unwrap();
		assert!(!ModelEnclaveRequirements::<Runtime>::contains_key(DIGITS_MLP_ID));
		assert!(!pallet_verity_zk_verifier::VerifyingKeys::<Runtime>::contains_key(DIGITS_MLP_ID));

		let bob = Sr25519Keyring::Bob.to_account_id();
		Models::do_register_model(bob, DIGITS_MLP_ID, model.name, model.format, model.limits, model.asset, model.prices, model.royalty)
			.unwrap();
		assert!(!ModelEnclaveRequirements::<Runtime>::contains_key(DIGITS_MLP_ID));
		Attestation::do_try_state().unwrap();
		pallet_verity_zk_verifier::Pallet::<Runtime>::do_try_state().unwrap();
		pallet_verity_models::Pallet::<Runtime>::do_try_state().unwrap();
	});
}

/// Ferdie attests an enclave, deregisters and withdraws its stake: its enclave keys and
/// collateral go with it, so the account must attest again if it registers again.
#[test]
fn a_withdrawn_executor_takes_its_enclave_keys_with_it() {
	ext("development").execute_with(|| {
		let ferdie = Sr25519Keyring::Ferdie.to_account_id();
		register_test_enclave().unwrap();
		assert!(Enclaves::<Runtime>::contains_key(&ferdie));

		Executors::do_deregister(ferdie.clone()).unwrap();
		System::set_block_number(1 + HOURS);
		Executors::do_withdraw(ferdie.clone()).unwrap();
		assert!(!Enclaves::<Runtime>::contains_key(&ferdie));
		assert!(!EnclaveCollateral::<Runtime>::contains_key(&ferdie));
		Attestation::do_try_state().unwrap();
		pallet_verity_executors::Pallet::<Runtime>::do_try_state().unwrap();
	});
}

/// #19 item 1: the runtime calls version 1 of the quote check's host function. Version 2 is
/// registered by nodes first and called only by a later runtime, once every validator's node
/// serves it (the rollout in docs/tee.md); a runtime that called it now would stop every node
/// that does not.
#[test]
fn the_runtime_calls_the_released_version_of_the_quote_check() {
	let wasm = verity_runtime::WASM_BINARY_BLOATY.expect("the wasm runtime is built");
	let imports = |name: &str| wasm.windows(name.len()).any(|window| window == name.as_bytes());
	assert!(imports("ext_dcap_verify_quote_version_1"));
	assert!(!imports("ext_dcap_verify_quote_version_2"));
}
