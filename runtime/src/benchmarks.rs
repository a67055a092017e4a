//! The pallets whose benchmarks `verity-node benchmark pallet` can run.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_assets, Assets]
	[pallet_verity_models, Models]
	[pallet_verity_executors, Executors]
	[pallet_verity_inference, Inference]
	[pallet_verity_zk_verifier, ZkVerifier]
	[pallet_verity_attestation, Attestation]
	[pallet_verity_reexecution, Reexecution]
	[pallet_verity_x402, X402]
);

/// Sets up models and executors for the Verity pallets' benchmarks on this runtime.
pub struct VerityBenchmarkHelper;

mod helper {
	use frame_support::traits::fungible::Mutate;
	use pallet_verity_executors::{HardwareClass, Registration, Service};
	use pallet_verity_models::{IoLimits, TierPrices};
	use sp_runtime::Perbill;
	use verity_primitives::inference::{ModelId, SigningKey, VerificationMode};

	use super::VerityBenchmarkHelper;
	use crate::{currency::UNIT, AccountId, AssetKind, Balance, Balances, Runtime};

	const PLENTY: Balance = 1_000_000_000 * UNIT;

	fn owner() -> AccountId {
		frame_benchmarking::account("model-owner", 0, 0)
	}

	/// Registers model number `index` (native token, every tier, the largest limits).
	fn register_model(index: u32) -> ModelId {
		let mut id = [0xbe; 32];
		id[28..].copy_from_slice(&index.to_be_bytes());
		let model = ModelId::from(id);
		if !pallet_verity_models::Models::<Runtime>::contains_key(model) {
			register(owner(), model, LARGEST, AssetKind::Native, UNIT);
		}
		model
	}

	/// The largest limits a model may have.
	const LARGEST: IoLimits = IoLimits { max_input_len: 16 * 1024, max_output_len: 8 * 1024 };

	/// Registers `model` with `limits` for `owner`, funding it, every tier at `price` in `asset`.
	fn register(owner: AccountId, model: ModelId, limits: IoLimits, asset: AssetKind, price: Balance) {
		Balances::set_balance(&owner, PLENTY);
		pallet_verity_models::Pallet::<Runtime>::do_register_model(
			owner,
			model,
			b"bench".to_vec().try_into().unwrap(),
			b"bench".to_vec().try_into().unwrap(),
			limits,
			asset,
			TierPrices { signed: Some(price), tee: Some(price), zk: Some(price) },
			Perbill::from_percent(10),
		)
		.unwrap();
	}

	impl pallet_verity_zk_verifier::BenchmarkHelper<AccountId> for VerityBenchmarkHelper {
		fn register_model(owner: &AccountId, model: &ModelId, (input, output): (u32, u32)) {
			register(owner.clone(), *model, IoLimits { max_input_len: input, max_output_len: output }, AssetKind::Native, UNIT);
		}
	}

	impl pallet_verity_reexecution::BenchmarkHelper<AccountId> for VerityBenchmarkHelper {
		fn register_model(owner: &AccountId, model: &ModelId, (input, output): (u32, u32)) {
			register(owner.clone(), *model, IoLimits { max_input_len: input, max_output_len: output }, AssetKind::Native, UNIT);
		}
	}

	impl pallet_verity_attestation::BenchmarkHelper<AccountId> for VerityBenchmarkHelper {
		fn executor() -> AccountId {
			let executor: AccountId = frame_benchmarking::account("enclave-executor", 0, 0);
			let key = SigningKey::Ed25519(sp_core::ed25519::Public::from_raw([7; 32]));
			<Self as pallet_verity_inference::benchmarking::BenchmarkHelper<Runtime>>::executor(&executor, key, register_model(0));
			executor
		}

		fn model_owned_by() -> (ModelId, AccountId) {
			(register_model(0), owner())
		}

		fn set_time(now_secs: u64) {
			pallet_timestamp::Now::<Runtime>::put(now_secs * 1_000);
		}
	}

	impl pallet_verity_executors::benchmarking::BenchmarkHelper for VerityBenchmarkHelper {
		fn model_offering(index: u32, _mode: VerificationMode) -> ModelId {
			register_model(index)
		}
	}

	impl pallet_verity_inference::benchmarking::BenchmarkHelper<Runtime> for VerityBenchmarkHelper {
		fn model(payer: &AccountId) -> ModelId {
			Balances::set_balance(payer, PLENTY);
			register_model(0)
		}

		/// Priced in the stable asset (vUSD); its owner and executors hold none of it, so a
		/// completed job creates the owner's account and sends the executor's fee, below the
		/// minimum balance, to the treasury: the most storage a payout touches.
		fn stable_model(payer: &AccountId) -> ModelId {
			use frame_support::traits::fungibles::Mutate;
			use verity_primitives::stable_asset;
			let model = ModelId::from([0x5d; 32]);
			if !pallet_verity_models::Models::<Runtime>::contains_key(model) {
				register(owner(), model, LARGEST, AssetKind::WithId(stable_asset::ID), stable_asset::UNIT);
			}
			Balances::set_balance(payer, PLENTY);
			crate::Assets::mint_into(stable_asset::ID, payer, 1_000_000_000 * stable_asset::UNIT).unwrap();
			model
		}

		fn fund_stake(who: &AccountId) {
			Balances::set_balance(who, PLENTY);
		}

		fn executor(executor: &AccountId, key: SigningKey, model: ModelId) {
			Balances::set_balance(executor, PLENTY);
			pallet_verity_executors::Pallet::<Runtime>::do_register(
				executor.clone(),
				Registration {
					endpoint: b"https://executor.example.com/jobs".to_vec().try_into().unwrap(),
					signing_key: key,
					services: alloc::vec![Service { model, mode: VerificationMode::Signed, fee: 1 }]
						.try_into()
						.unwrap(),
					hardware: HardwareClass::Gpu,
					capacity: 64,
					stake: crate::configs::MinExecutorStake::get(),
				},
			)
			.unwrap();
		}

		fn executors_per_service() -> u32 {
			64
		}

		fn asset_of(index: u32) -> AssetKind {
			AssetKind::WithId(index)
		}

		fn payment_signer(now: u64) -> AccountId {
			<VerityBenchmarkHelper as pallet_verity_x402::benchmarking::BenchmarkHelper<Runtime>>::set_time(now);
			payment_key().into()
		}

		fn sign_payment(
			authorization: &pallet_verity_inference::PaymentAuthorizationOf<Runtime>,
		) -> crate::Signature {
			// The wrapped form is the worst case: the bare form is tried first and fails.
			let payload = authorization.wrapped_signing_payload();
			sp_io::crypto::sr25519_sign(PAYMENT_KEY_TYPE, &payment_key(), &payload).unwrap().into()
		}

		/// The smallest network the re-execution benchmarks build: `challenge` is charged its
		/// model's re-run apart.
		fn rerunnable_model(payer: &AccountId) -> Option<(ModelId, alloc::vec::Vec<u8>)> {
			Balances::set_balance(payer, PLENTY);
			let file = pallet_verity_reexecution::benchmarking::network(1).to_bytes();
			let model = ModelId::from(sp_io::hashing::sha2_256(&file));
			if !pallet_verity_models::Models::<Runtime>::contains_key(model) {
				register(owner(), model, IoLimits { max_input_len: 64, max_output_len: 4 }, AssetKind::Native, UNIT);
				pallet_verity_reexecution::Pallet::<Runtime>::store(None, file.try_into().unwrap()).unwrap();
			}
			Some((model, alloc::vec![7; 64]))
		}
	}

	const PAYMENT_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"vpay");

	/// The benchmarks' payer key, made in (and signing through) the benchmark's keystore.
	fn payment_key() -> sp_core::sr25519::Public {
		sp_io::crypto::sr25519_generate(PAYMENT_KEY_TYPE, Some(b"//verity-benchmark-payer".to_vec()))
	}

	impl pallet_verity_x402::benchmarking::BenchmarkHelper<Runtime> for VerityBenchmarkHelper {
		fn set_time(seconds: u64) {
			pallet_timestamp::Now::<Runtime>::put(seconds * 1_000);
		}

		/// The stable asset: an asset transfer touches more storage than a native one.
		fn asset() -> AssetKind {
			AssetKind::WithId(verity_primitives::stable_asset::ID)
		}
	}
}
