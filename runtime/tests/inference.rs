//! The inference market on the real runtime, executed natively on the `development` genesis:
//! a model, an executor and jobs go through the models, executors and inference pallets as
//! signed extrinsics, with every transaction extension, fee and hold of the real chain.

use frame_support::traits::fungible::Inspect as _;
use pallet_verity_executors::{HardwareClass, Registration, Service};
use pallet_verity_models::{IoLimits, TierPrices};
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Header as _, Perbill};
use verity_primitives::inference::{
	Evidence, ExecutorSignature, JobInput, JobSpec, JobStatus, ResultStatement, SigningKey,
	VerificationError, VerificationMode,
};
use verity_runtime::{
	configs::{MinExecutorStake, TreasuryAccount},
	currency::{MILLI_UNIT, UNIT},
	signing::sign_extrinsic,
	stable_asset, AccountId, AssetKind, Assets, Balances, Executive, Header, Inference, Runtime,
	RuntimeCall, RuntimeEvent, System,
};

const MODEL: H256 = H256::repeat_byte(0x42);
const USD_MODEL: H256 = H256::repeat_byte(0x43);

fn new_ext() -> sp_io::TestExternalities {
	let storage = verity_runtime::genesis_config_presets::preset_storage("development").unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		Executive::initialize_block(&Header::new(
			1,
			Default::default(),
			Default::default(),
			System::block_hash(0),
			Default::default(),
		));
	});
	ext
}

/// Applies `call` signed by `who`; the call's own result is returned.
fn apply(who: Sr25519Keyring, call: RuntimeCall) -> sp_runtime::DispatchResult {
	let nonce = System::account_nonce(who.to_account_id());
	let xt = sign_extrinsic(&who.pair(), call, nonce, System::block_hash(0));
	Executive::apply_extrinsic(xt).expect("the transaction is valid")
}

fn check_invariants() {
	pallet_verity_inference::Pallet::<Runtime>::do_try_state().unwrap();
	pallet_verity_zk_verifier::Pallet::<Runtime>::do_try_state().unwrap();
	pallet_verity_executors::Pallet::<Runtime>::do_try_state().unwrap();
	pallet_verity_models::Pallet::<Runtime>::do_try_state().unwrap();
	pallet_verity_reexecution::Pallet::<Runtime>::do_try_state().unwrap();
}

fn register_model(owner: Sr25519Keyring, id: H256, asset: AssetKind, price: u128) {
	assert_eq!(
		apply(
			owner,
			RuntimeCall::Models(pallet_verity_models::Call::register_model {
				model: id,
				name: b"digits".to_vec().try_into().unwrap(),
				format: b"verity-int8-mlp".to_vec().try_into().unwrap(),
				limits: IoLimits { max_input_len: 64, max_output_len: 16 },
				asset,
				prices: TierPrices { signed: Some(price), tee: None, zk: Some(3 * price) },
				royalty: Perbill::from_percent(10),
			}),
		),
		Ok(())
	);
}

fn register_executor(who: Sr25519Keyring, services: Vec<Service>) {
	assert_eq!(
		apply(
			who,
			RuntimeCall::Executors(pallet_verity_executors::Call::register_executor {
				registration: Registration {
					endpoint: b"http://127.0.0.1:9955/jobs".to_vec().try_into().unwrap(),
					signing_key: SigningKey::Sr25519(who.public()),
					services: services.try_into().unwrap(),
					hardware: HardwareClass::Gpu,
					capacity: 8,
					stake: MinExecutorStake::get(),
				},
			}),
		),
		Ok(())
	);
}

fn job(model: H256, mode: VerificationMode, max_fee: u128) -> pallet_verity_inference::JobSpecOf<Runtime> {
	JobSpec {
		model,
		mode,
		input: JobInput::Inline(vec![3u8; 64].try_into().unwrap()),
		// Any price: these tests are about the money's moves, not the price cap.
		max_price: u128::MAX,
		max_fee,
		deadline: 50,
	}
}

/// The chain moves to the next block, whose start draws the executors of the jobs submitted in
/// the block before.
fn next_block() {
	use frame_support::traits::Hooks;
	let next = System::block_number() + 1;
	System::set_block_number(next);
	Inference::on_initialize(next);
}

/// `executor` starts job `job_id`, and the chain moves to the next block: a result is accepted
/// only for a job started in an earlier block.
fn start(executor: Sr25519Keyring, job_id: u64) {
	assert_eq!(apply(executor, RuntimeCall::Inference(pallet_verity_inference::Call::start_job { job: job_id })), Ok(()));
	System::set_block_number(System::block_number() + 1);
}

fn result_evidence(executor: &sr25519::Pair, job_id: u64, output: &[u8]) -> Evidence {
	let job = pallet_verity_inference::Jobs::<Runtime>::get(job_id).unwrap();
	let statement = ResultStatement {
		genesis_hash: Inference::genesis_hash(),
		job_id,
		model_id: job.model,
		input_hash: job.input_hash,
		output_hash: H256(sp_io::hashing::blake2_256(output)),
	};
	Evidence::Signed(ExecutorSignature::Sr25519(executor.sign(&statement.signing_payload())))
}

#[test]
fn a_signed_job_runs_across_models_executors_and_inference() {
	new_ext().execute_with(|| {
		let (bob, charlie, dave) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave);
		register_model(bob, MODEL, AssetKind::Native, 10 * MILLI_UNIT);
		register_executor(charlie, vec![Service { model: MODEL, mode: VerificationMode::Signed, fee: 2 * MILLI_UNIT }]);
		check_invariants();

		let issuance = Balances::total_issuance();
		let (bob_before, charlie_before, treasury_before) = (
			Balances::balance(&bob.to_account_id()),
			Balances::balance(&charlie.to_account_id()),
			Balances::balance(&TreasuryAccount::get()),
		);
		let dave_before = Balances::total_balance(&dave.to_account_id());
		let events_before = System::events().len();

		assert_eq!(
			apply(dave, RuntimeCall::Inference(pallet_verity_inference::Call::submit_job {
				spec: job(MODEL, VerificationMode::Signed, 5 * MILLI_UNIT),
			})),
			Ok(())
		);
		let job_id = 0;
		next_block();
		let assigned = pallet_verity_inference::Jobs::<Runtime>::get(job_id).unwrap();
		assert_eq!(assigned.executor, Some(charlie.to_account_id()), "the only eligible executor");
		check_invariants();

		let output = b"digit=3".to_vec();
		start(charlie, job_id);
		let call = RuntimeCall::Inference(pallet_verity_inference::Call::submit_result {
			job: job_id,
			output: output.clone().try_into().unwrap(),
			evidence: result_evidence(&charlie.pair(), job_id, &output),
		});
		// The result is checked before it pays: Bob's key cannot sign for Charlie's job.
		let forged = RuntimeCall::Inference(pallet_verity_inference::Call::submit_result {
			job: job_id,
			output: output.clone().try_into().unwrap(),
			evidence: result_evidence(&bob.pair(), job_id, &output),
		});
		assert!(apply(charlie, forged).is_err());
		assert_eq!(apply(charlie, call), Ok(()));

		let completed = pallet_verity_inference::Jobs::<Runtime>::get(job_id).unwrap();
		assert_eq!(completed.status, JobStatus::Completed);
		let event = System::events()
			.into_iter()
			.rev()
			.find_map(|record| match record.event {
				RuntimeEvent::Inference(e @ pallet_verity_inference::Event::JobCompleted { .. }) => Some(e),
				_ => None,
			})
			.expect("JobCompleted");
		// price 10 mVRT + fee 2 mVRT; royalty 10% of price; protocol 2% of 12 mVRT.
		let royalty = MILLI_UNIT;
		let protocol = 12 * MILLI_UNIT * 2 / 100;
		let executor_paid = 12 * MILLI_UNIT - royalty - protocol;
		assert_eq!(
			event,
			pallet_verity_inference::Event::JobCompleted {
				job: job_id,
				executor: charlie.to_account_id(),
				output_hash: H256(sp_io::hashing::blake2_256(&output)),
				executor_paid,
				royalty,
				protocol_fee: protocol,
				undelivered: 0,
				refund: 3 * MILLI_UNIT,
			}
		);
		let fees_of = |who: &AccountId| -> u128 {
			System::events()[events_before..]
				.iter()
				.filter_map(|record| match &record.event {
					RuntimeEvent::TransactionPayment(
						pallet_transaction_payment::Event::TransactionFeePaid { who: payer, actual_fee, .. },
					) if payer == who => Some(*actual_fee),
					_ => None,
				})
				.sum()
		};
		let (charlie_fees, dave_fees) = (fees_of(&charlie.to_account_id()), fees_of(&dave.to_account_id()));
		assert_eq!(Balances::balance(&TreasuryAccount::get()), treasury_before + protocol);
		assert_eq!(Balances::balance(&bob.to_account_id()), bob_before + royalty);
		// The executor's storage deposit for the output and evidence is held until the job is
		// pruned, a week later.
		assert!(completed.result_deposit > 0);
		assert_eq!(
			Balances::balance(&charlie.to_account_id()),
			charlie_before + executor_paid - charlie_fees - completed.result_deposit
		);
		assert_eq!(
			Balances::total_balance(&dave.to_account_id()),
			dave_before - 12 * MILLI_UNIT - dave_fees,
			"Dave paid the job (price + the executor's fee) and his transaction fee"
		);
		assert!(dave_fees > 0 && dave_fees < UNIT / 100);
		// Nothing minted or burned but the transaction fees.
		assert_eq!(Balances::total_issuance(), issuance - charlie_fees - dave_fees);
		check_invariants();
	});
}

#[test]
fn a_batch_is_atomic_across_tiers_and_assets() {
	new_ext().execute_with(|| {
		let (bob, charlie, dave) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave);
		register_model(bob, MODEL, AssetKind::Native, 10 * MILLI_UNIT);
		register_model(bob, USD_MODEL, AssetKind::WithId(stable_asset::ID), stable_asset::UNIT);
		register_executor(
			charlie,
			vec![
				Service { model: MODEL, mode: VerificationMode::Signed, fee: MILLI_UNIT },
				Service { model: MODEL, mode: VerificationMode::Zk, fee: MILLI_UNIT },
				Service { model: USD_MODEL, mode: VerificationMode::Signed, fee: stable_asset::UNIT / 10 },
			],
		);
		let dave_usd = Assets::balance(stable_asset::ID, &dave.to_account_id());
		let treasury_usd = Assets::balance(stable_asset::ID, &TreasuryAccount::get());

		// This model has no zk verifying key: the whole batch is refused.
		let mixed = vec![job(MODEL, VerificationMode::Signed, MILLI_UNIT), job(MODEL, VerificationMode::Zk, MILLI_UNIT)];
		let result = apply(dave, RuntimeCall::Inference(pallet_verity_inference::Call::submit_jobs {
			specs: mixed.try_into().unwrap(),
		}));
		assert_eq!(
			result.map_err(verification_error),
			Err(Some(VerificationError::NoVerifyingKey))
		);
		assert_eq!(pallet_verity_inference::NextJobId::<Runtime>::get(), 0, "nothing submitted");
		// Served at the zk tier, but without a key the tier is not quoted.
		assert_eq!(Inference::quote(MODEL, VerificationMode::Zk), None);

		// Native and stable-asset jobs in one batch, each escrowed in its own asset.
		let batch = vec![job(MODEL, VerificationMode::Signed, MILLI_UNIT), job(USD_MODEL, VerificationMode::Signed, stable_asset::UNIT)];
		assert_eq!(
			apply(dave, RuntimeCall::Inference(pallet_verity_inference::Call::submit_jobs {
				specs: batch.try_into().unwrap(),
			})),
			Ok(())
		);
		assert_eq!(pallet_verity_inference::NextJobId::<Runtime>::get(), 2);
		assert_eq!(
			Assets::balance(stable_asset::ID, &dave.to_account_id()),
			dave_usd - 2 * stable_asset::UNIT,
			"price + max fee held in vUSD"
		);
		check_invariants();

		next_block();
		let output = b"ok".to_vec();
		start(charlie, 1);
		let call = RuntimeCall::Inference(pallet_verity_inference::Call::submit_result {
			job: 1,
			output: output.clone().try_into().unwrap(),
			evidence: result_evidence(&charlie.pair(), 1, &output),
		});
		assert_eq!(apply(charlie, call), Ok(()));
		// vUSD: royalty 10% of 1 vUSD to Bob, 2% of 1.1 vUSD to the treasury, 0.9 vUSD unspent fee back.
		assert_eq!(
			Assets::balance(stable_asset::ID, &dave.to_account_id()),
			dave_usd - stable_asset::UNIT - stable_asset::UNIT / 10
		);
		assert_eq!(
			Assets::balance(stable_asset::ID, &TreasuryAccount::get()),
			treasury_usd + stable_asset::UNIT * 11 / 10 * 2 / 100
		);
		let quote = Inference::quote(MODEL, VerificationMode::Signed).unwrap();
		assert_eq!((quote.price, quote.min_executor_fee, quote.eligible_executors), (10 * MILLI_UNIT, MILLI_UNIT, 1));
		check_invariants();
	});
}

/// The index of the extrinsic applied last in the current block.
fn last_extrinsic() -> u32 {
	System::extrinsic_index().expect("an extrinsic was applied") - 1
}

#[test]
fn extrinsic_outcomes_are_typed_per_batch_item_and_a_failed_extrinsic_fails_as_a_whole() {
	use verity_primitives::events::{ChainEvent, ExtrinsicOutcome};
	use verity_runtime::events::{call_error, events, extrinsic_outcome};
	new_ext().execute_with(|| {
		let (bob, charlie, dave) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave);
		register_model(bob, MODEL, AssetKind::Native, 10 * MILLI_UNIT);
		register_executor(
			charlie,
			vec![
				Service { model: MODEL, mode: VerificationMode::Signed, fee: MILLI_UNIT },
				Service { model: MODEL, mode: VerificationMode::Zk, fee: MILLI_UNIT },
			],
		);
		let submit = |spec| {
			RuntimeCall::Inference(pallet_verity_inference::Call::submit_jobs { specs: vec![spec].try_into().unwrap() })
		};
		// No verifying key: the zk job is refused.
		let no_key = pallet_verity_inference::Error::<Runtime>::Verification(VerificationError::NoVerifyingKey).into();
		let batch = RuntimeCall::Utility(pallet_utility::Call::force_batch {
			calls: vec![
				submit(job(MODEL, VerificationMode::Signed, MILLI_UNIT)),
				submit(job(MODEL, VerificationMode::Zk, MILLI_UNIT)),
			],
		});
		assert_eq!(apply(dave, batch), Ok(()));
		let submitted = ChainEvent::JobSubmitted { job: 0 };
		assert_eq!(
			extrinsic_outcome(last_extrinsic()),
			Some(ExtrinsicOutcome::Dispatched(vec![Ok(vec![submitted.clone()]), Err(call_error(no_key))]))
		);

		assert!(apply(dave, submit(job(MODEL, VerificationMode::Zk, MILLI_UNIT))).is_err());
		let failed = extrinsic_outcome(last_extrinsic());
		assert_eq!(failed, Some(ExtrinsicOutcome::Failed(call_error(no_key))));
		assert_eq!(call_error(no_key).refusal, verity_primitives::events::Refusal::Other);

		assert_eq!(apply(dave, submit(job(MODEL, VerificationMode::Signed, MILLI_UNIT))), Ok(()));
		let single = ChainEvent::JobSubmitted { job: 1 };
		assert_eq!(extrinsic_outcome(last_extrinsic()), Some(ExtrinsicOutcome::Dispatched(vec![Ok(vec![single.clone()])])));
		assert_eq!(extrinsic_outcome(last_extrinsic() + 1), None);
		let jobs: Vec<_> = events().into_iter().map(|(_, event)| event).collect();
		assert_eq!(jobs, vec![submitted, single]);
		check_invariants();
	});
}

#[test]
fn development_genesis_registers_the_shipped_models_and_an_executor() {
	new_ext().execute_with(|| {
		use verity_runtime::genesis_config_presets::{DIGITS_MLP_ID, MINILM_ID};
		for model in [DIGITS_MLP_ID, MINILM_ID] {
			let quote = Inference::quote(model, VerificationMode::Signed).expect("served out of the box");
			assert_eq!(quote.eligible_executors, 1);
		}
		let ferdie: AccountId = Sr25519Keyring::Ferdie.to_account_id();
		let info = pallet_verity_executors::Executors::<Runtime>::get(&ferdie).expect("registered");
		// One expiry slash (10%) must leave the demo executor eligible.
		assert!(info.stake * 9 / 10 >= MinExecutorStake::get());
		assert!(pallet_verity_executors::AllowPrivateEndpoints::<Runtime>::get());
		check_invariants();
	});
}

/// `offers` answers a 402 in one call: every tier and asset the model is priced at, in order,
/// each agreeing with `quote_in`; an unknown model has none.
#[test]
fn offers_list_every_tier_and_asset_of_a_model_in_one_call() {
	new_ext().execute_with(|| {
		use verity_runtime::genesis_config_presets::{DEMO_EXECUTOR_FEE, DIGITS_MLP_ID};
		let offers = Inference::offers(DIGITS_MLP_ID);
		assert_eq!(offers.at, System::block_number());
		let stable = AssetKind::WithId(stable_asset::ID);
		let tiers: Vec<_> = offers.offers.iter().map(|offer| (offer.mode, offer.asset.clone())).collect();
		assert_eq!(
			tiers,
			vec![
				(VerificationMode::Signed, AssetKind::Native),
				(VerificationMode::Signed, stable.clone()),
				(VerificationMode::Tee, AssetKind::Native),
				(VerificationMode::Tee, stable.clone()),
				(VerificationMode::Zk, AssetKind::Native),
				(VerificationMode::Zk, stable),
			]
		);
		let signed = &offers.offers[0];
		assert_eq!(
			(signed.price, signed.max_fee, signed.serving_executors, signed.eligible_executors),
			(10 * MILLI_UNIT, DEMO_EXECUTOR_FEE, 1, 1)
		);
		// With no executor busy, each offer is its tier's quote (the tee tier has no attested
		// enclave in genesis: nobody serves it yet).
		for offer in &offers.offers {
			let quote = Inference::quote_in(DIGITS_MLP_ID, offer.mode, offer.asset.clone()).unwrap();
			assert_eq!(
				(offer.price, offer.max_fee, offer.serving_executors, offer.eligible_executors),
				(quote.price, quote.max_executor_fee, quote.eligible_executors, quote.eligible_executors)
			);
		}
		assert!(Inference::offers(H256::repeat_byte(9)).offers.is_empty());
	});
}

/// The error a dispatch failed with, by name.
/// The tier verifier's refusal in a call's error, typed.
fn verification_error(error: sp_runtime::DispatchError) -> Option<VerificationError> {
	match verity_runtime::RuntimeError::from_dispatch_error(error)? {
		verity_runtime::RuntimeError::Inference(pallet_verity_inference::Error::Verification(error)) => Some(error),
		_ => None,
	}
}

#[test]
fn a_zk_job_completes_with_an_honest_proof_and_every_tampered_one_is_refused() {
	use frame_support::traits::fungible::InspectHold as _;
	use verity_runtime::genesis_config_presets::{DEMO_EXECUTOR_ZK_FEE, DIGITS_MLP_ID};
	new_ext().execute_with(|| {
		let (dave, ferdie) = (Sr25519Keyring::Dave, Sr25519Keyring::Ferdie);
		let model =
			verity_mlp::QuantizedMlp::from_bytes(include_bytes!("../../models/digits-mlp/model.vmlp")).unwrap();
		let proving_key: verity_zkml::ProvingKey =
			verity_zkml::decode(include_bytes!("../../models/digits-mlp/zk/proving.key")).unwrap();
		let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
		let (input, other_input) = (held_out[0].input_bytes(), held_out[1].input_bytes());
		assert_eq!(Inference::quote(DIGITS_MLP_ID, VerificationMode::Zk).unwrap().eligible_executors, 1);

		let spec = JobSpec {
			model: DIGITS_MLP_ID,
			mode: VerificationMode::Zk,
			input: JobInput::Inline(input.clone().try_into().unwrap()),
			max_price: 100 * MILLI_UNIT,
			max_fee: DEMO_EXECUTOR_ZK_FEE,
			deadline: 50,
		};
		assert_eq!(apply(dave, RuntimeCall::Inference(pallet_verity_inference::Call::submit_job { spec })), Ok(()));
		let job_id = 0;
		next_block();
		assert_eq!(pallet_verity_inference::Jobs::<Runtime>::get(job_id).unwrap().executor, Some(ferdie.to_account_id()));

		start(ferdie, job_id);
		let (output, proof) = verity_zkml::prove(&proving_key, &model, &input).unwrap();
		let (_, proof_of_other_input) = verity_zkml::prove(&proving_key, &model, &other_input).unwrap();
		let submit = |output: &[u8], evidence: Evidence| {
			apply(
				ferdie,
				RuntimeCall::Inference(pallet_verity_inference::Call::submit_result {
					job: job_id,
					output: output.to_vec().try_into().unwrap(),
					evidence,
				}),
			)
		};
		let zk = |proof: &[u8]| Evidence::Zk { proof: proof.to_vec().try_into().unwrap() };
		let held = Balances::total_balance_on_hold(&dave.to_account_id());

		// Each refused precisely, the job left open and the escrow untouched.
		let mut other_output = output.clone();
		other_output[0] ^= 1;
		let mut flipped = proof.clone();
		flipped[100] ^= 1;
		let refusals = [
			(submit(&output, zk(&proof_of_other_input)), VerificationError::BadProof),
			(submit(&other_output, zk(&proof)), VerificationError::BadProof),
			(submit(&output, zk(&proof[..191])), VerificationError::MalformedProof),
			(submit(&output, zk(&[])), VerificationError::MalformedProof),
			(submit(&output, result_evidence(&ferdie.pair(), job_id, &output)), VerificationError::WrongEvidence),
		];
		for (result, expected) in refusals {
			assert_eq!(result.err().and_then(verification_error), Some(expected));
		}
		assert!(matches!(
			submit(&output, zk(&flipped)).err().and_then(verification_error),
			Some(VerificationError::BadProof | VerificationError::MalformedProof)
		));
		assert_eq!(pallet_verity_inference::Jobs::<Runtime>::get(job_id).unwrap().status, JobStatus::Running);
		assert_eq!(Balances::total_balance_on_hold(&dave.to_account_id()), held);
		check_invariants();

		assert_eq!(submit(&output, zk(&proof)), Ok(()));
		assert_eq!(pallet_verity_inference::Jobs::<Runtime>::get(job_id).unwrap().status, JobStatus::Completed);
		assert_eq!(pallet_verity_inference::Outputs::<Runtime>::get(job_id).unwrap().into_inner(), output);
		check_invariants();
	});
}

/// The draws of a block's submitted jobs at the next block's start (item 5 of the hardening
/// issue) are bounded: a full queue of the dearest, all finding nobody, within a third of a block.
#[test]
fn a_full_queue_of_executor_draws_fits_in_a_third_of_a_block() {
	let block = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	for mode in VerificationMode::ALL {
		println!("a {mode:?} job's draw is charged {:?}", Inference::draw_weight(mode));
	}
	let most = Inference::most_draw_weight();
	println!("a full queue of draws takes at most {most:?} of {block:?}");
	assert!(most.ref_time() <= block.ref_time() / 3, "draws take {most:?} of {block:?}");
}

/// Item 7 of the hardening issue. Closed jobs were pruned at 32 per block, below the rate a
/// block can close them, so the jobs kept grew without bound. Now every closing call is charged
/// its job's later prune, and a block prunes as many jobs as `MaxPruneWeight` pays for: at least
/// as many as a block can close (the measured weights say how many), within 40% of the block.
#[test]
fn job_pruning_keeps_up_with_the_most_closes_a_block_holds() {
	use pallet_verity_inference::WeightInfo as _;
	let closes = Inference::max_closes_per_block();
	let prunes = Inference::prunes_per_block();
	println!("a block closes at most {closes} jobs and prunes up to {prunes}");
	assert!(closes > 500, "the weights say a block closes {closes} jobs");
	assert!(prunes >= closes, "{prunes} jobs pruned per block, {closes} closed");
	let pruning = <Runtime as pallet_verity_inference::Config>::WeightInfo::prune_jobs(closes);
	let block = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	assert!(pruning.ref_time() <= block.ref_time() * 2 / 5, "pruning {closes} jobs takes {pruning:?} of {block:?}");
}
