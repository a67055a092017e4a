//! x402 on the real runtime, executed natively on the `development` genesis: an agent that
//! holds only vUSD pays for a job with a signed authorization that a relayer submits
//! (`inference.submit_paid`); the relayer pays only the transaction fee, a replay is refused,
//! and an unserved job refunds the agent, not the relayer. Plain `x402.settle` transfers too.

use frame_support::traits::{fungible::Inspect as _, fungibles::Inspect as _, Hooks};
use pallet_verity_executors::{HardwareClass, Registration, Service};
use pallet_verity_models::{IoLimits, TierPrices};
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Header as _, Perbill};
use verity_primitives::{
	inference::{JobInput, JobSpec, JobStatus, SigningKey, VerificationMode},
	x402::{job_nonce, PaymentAuthorization, PaymentError, PaymentScheme},
};
use verity_runtime::{
	configs::{JobEscrowBinding, MinExecutorStake},
	signing::sign_extrinsic,
	stable_asset, AccountId, AssetKind, Assets, Balances, Executive, Header, Inference, Runtime,
	RuntimeCall, Signature, System, X402,
};

const MODEL: H256 = H256::repeat_byte(0x44);
const PRICE: u128 = stable_asset::UNIT;
const FEE: u128 = stable_asset::UNIT / 10;
/// The chain's clock in these tests, unix seconds.
const NOW: u64 = 1_795_305_600;

fn new_ext() -> sp_io::TestExternalities {
	let storage = verity_runtime::genesis_config_presets::preset_storage("development").unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		Executive::initialize_block(&Header::new(1, Default::default(), Default::default(), System::block_hash(0), Default::default()));
		pallet_timestamp::Now::<Runtime>::put(NOW * 1_000);
	});
	ext
}

fn apply(who: Sr25519Keyring, call: RuntimeCall) -> sp_runtime::DispatchResult {
	let nonce = System::account_nonce(who.to_account_id());
	let xt = sign_extrinsic(&who.pair(), call, nonce, System::block_hash(0));
	Executive::apply_extrinsic(xt).expect("the transaction is valid")
}

fn vusd(who: &AccountId) -> u128 {
	Assets::balance(stable_asset::ID, who)
}

fn agent_key() -> sr25519::Pair {
	sr25519::Pair::from_string("//Verity//agent", None).unwrap()
}

/// A vUSD model of Bob's, served by Dave; an agent holding 100 vUSD and no native token.
fn market() -> AccountId {
	let (bob, dave) = (Sr25519Keyring::Bob, Sr25519Keyring::Dave);
	let usd = AssetKind::WithId(stable_asset::ID);
	assert_eq!(
		apply(bob, RuntimeCall::Models(pallet_verity_models::Call::register_model {
			model: MODEL,
			name: b"digits".to_vec().try_into().unwrap(),
			format: b"verity-int8-mlp".to_vec().try_into().unwrap(),
			limits: IoLimits { max_input_len: 64, max_output_len: 16 },
			asset: usd,
			prices: TierPrices { signed: Some(PRICE), tee: None, zk: None },
			royalty: Perbill::from_percent(10),
		})),
		Ok(())
	);
	assert_eq!(
		apply(dave, RuntimeCall::Executors(pallet_verity_executors::Call::register_executor {
			registration: Registration {
				endpoint: b"http://127.0.0.1:9955/jobs".to_vec().try_into().unwrap(),
				signing_key: SigningKey::Sr25519(dave.public()),
				services: vec![Service { model: MODEL, mode: VerificationMode::Signed, fee: FEE }].try_into().unwrap(),
				hardware: HardwareClass::Gpu,
				capacity: 8,
				stake: MinExecutorStake::get(),
			},
		})),
		Ok(())
	);
	let agent: AccountId = agent_key().public().into();
	assert_eq!(
		apply(Sr25519Keyring::Alice, RuntimeCall::Assets(pallet_assets::Call::transfer {
			id: codec::Compact(stable_asset::ID),
			target: agent.clone().into(),
			amount: 100 * PRICE,
		})),
		Ok(())
	);
	assert_eq!(Balances::balance(&agent), 0, "the agent has no native token");
	agent
}

fn spec() -> pallet_verity_inference::JobSpecOf<Runtime> {
	JobSpec { model: MODEL, mode: VerificationMode::Signed, input: JobInput::Inline(vec![3u8; 64].try_into().unwrap()), max_price: PRICE, max_fee: FEE, deadline: 20 }
}

/// The agent's authorization to pay for `spec()` with `salt`, and its wallet-style signature.
fn paid(salt: [u8; 32]) -> (pallet_verity_inference::PaymentAuthorizationOf<Runtime>, Signature) {
	let authorization = PaymentAuthorization {
		network: System::block_hash(0),
		scheme: PaymentScheme::Exact,
		asset: AssetKind::WithId(stable_asset::ID),
		from: agent_key().public().into(),
		to: JobEscrowBinding::get(),
		value: PRICE + FEE,
		valid_after: NOW - 600,
		valid_before: NOW + 60,
		nonce: job_nonce(&spec(), &salt),
	};
	// As a browser wallet signs raw bytes: wrapped in <Bytes>…</Bytes>.
	let signature = agent_key().sign(&authorization.wrapped_signing_payload()).into();
	(authorization, signature)
}

fn check_invariants() {
	pallet_verity_inference::Pallet::<Runtime>::do_try_state().unwrap();
	pallet_verity_x402::Pallet::<Runtime>::do_try_state().unwrap();
}

#[test]
fn an_agent_pays_for_a_job_through_a_relayer_and_an_unserved_job_refunds_the_agent() {
	new_ext().execute_with(|| {
		let agent = market();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let usd_issuance = Assets::total_issuance(stable_asset::ID);
		let charlie_usd = vusd(&charlie);

		let (authorization, signature) = paid([1; 32]);
		let submit = |authorization: &pallet_verity_inference::PaymentAuthorizationOf<Runtime>, signature: &Signature, salt| {
			RuntimeCall::Inference(pallet_verity_inference::Call::submit_paid {
				spec: spec(),
				salt,
				authorization: authorization.clone(),
				signature: signature.clone(),
			})
		};
		assert_eq!(apply(Sr25519Keyring::Charlie, submit(&authorization, &signature, [1; 32])), Ok(()));
		// The next block draws the executor.
		System::set_block_number(2);
		Inference::on_initialize(2);
		let job = pallet_verity_inference::Jobs::<Runtime>::get(0).unwrap();
		assert_eq!((job.payer.clone(), job.executor.clone()), (agent.clone(), Some(Sr25519Keyring::Dave.to_account_id())));
		// The escrow is held on the agent; the relayer's vUSD is untouched.
		assert_eq!(vusd(&agent), 100 * PRICE - PRICE - FEE);
		assert_eq!(vusd(&charlie), charlie_usd);
		assert!(pallet_verity_x402::UsedNonces::<Runtime>::contains_key(&agent, authorization.nonce));
		check_invariants();

		// A replay, by anyone, is refused.
		assert_eq!(
			apply(Sr25519Keyring::Eve, submit(&authorization, &signature, [1; 32])),
			Err(pallet_verity_inference::Error::<Runtime>::Payment(PaymentError::NonceUsed).into())
		);
		// The payment cannot be redirected into a plain transfer to the escrow binding.
		let (other, other_signature) = paid([2; 32]);
		assert_eq!(
			apply(Sr25519Keyring::Charlie, RuntimeCall::X402(pallet_verity_x402::Call::settle {
				authorization: other,
				signature: other_signature,
			})),
			Err(pallet_verity_x402::Error::<Runtime>::EscrowOnly.into())
		);

		// Nobody serves it: at expiry the agent, not the relayer, is refunded in full.
		System::set_block_number(21);
		Inference::on_initialize(21);
		assert_eq!(pallet_verity_inference::Jobs::<Runtime>::get(0).unwrap().status, JobStatus::Expired);
		assert_eq!(vusd(&agent), 100 * PRICE);
		assert_eq!(vusd(&charlie), charlie_usd);
		assert_eq!(Assets::total_issuance(stable_asset::ID), usd_issuance, "no vUSD minted or burned");
		check_invariants();
	});
}

#[test]
fn settle_transfers_exactly_and_prunes_its_nonce_after_the_window() {
	new_ext().execute_with(|| {
		let agent = market();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let bob_usd = vusd(&bob);
		let authorization = PaymentAuthorization {
			network: System::block_hash(0),
			scheme: PaymentScheme::Exact,
			asset: AssetKind::WithId(stable_asset::ID),
			from: agent.clone(),
			to: bob.clone(),
			value: 3 * PRICE,
			valid_after: NOW - 600,
			valid_before: NOW + 60,
			nonce: [9; 32],
		};
		let signature: Signature = agent_key().sign(&authorization.signing_payload()).into();
		let call = RuntimeCall::X402(pallet_verity_x402::Call::settle { authorization, signature });
		assert_eq!(apply(Sr25519Keyring::Charlie, call.clone()), Ok(()));
		assert_eq!(vusd(&bob), bob_usd + 3 * PRICE);
		assert_eq!(vusd(&agent), 97 * PRICE);
		assert_eq!(apply(Sr25519Keyring::Charlie, call), Err(pallet_verity_x402::Error::<Runtime>::Payment(PaymentError::NonceUsed).into()));
		check_invariants();

		// Two minutes after the window closed, the nonce is gone from storage.
		System::set_block_number(2);
		pallet_timestamp::Now::<Runtime>::put((NOW + 1) * 1_000);
		X402::on_initialize(2);
		System::set_block_number(3);
		pallet_timestamp::Now::<Runtime>::put((NOW + 180) * 1_000);
		X402::on_initialize(3);
		assert_eq!(pallet_verity_x402::UsedNonces::<Runtime>::iter().count(), 0);
		check_invariants();
	});
}

#[test]
fn the_escrow_binding_is_the_documented_address() {
	use sp_core::crypto::Ss58Codec;
	let documented = "5EYCAe5jw99vbMLHNL61pxL4JwsCAWskUYJ7o7nZNzbTGaFh";
	assert_eq!(JobEscrowBinding::get().to_ss58check(), documented);
	assert_eq!(verity_x402::job_escrow_binding(), JobEscrowBinding::get(), "the off-chain crates agree");
	assert!(include_str!("../../docs/x402.md").contains(documented));
}

/// Item 9 of the hardening issue. Used nonces were pruned at 256 per block while about 2,800
/// settlements fit in one, so under sustained load the nonces kept grew without bound, past
/// the "one validity window" the docs promised. Now a block prunes at least as many nonces as a
/// block can use (the measured weights say how many), and pruning that many still leaves most
/// of the block to extrinsics.
#[test]
fn nonce_pruning_keeps_up_with_the_most_settlements_a_block_holds() {
	use frame_support::traits::Get;
	use pallet_verity_x402::WeightInfo as _;
	let most_used = X402::most_nonces_used_per_block();
	assert!(most_used > 1_000, "the weights say a block holds {most_used} settlements");
	let pruned = <<Runtime as pallet_verity_x402::Config>::MaxPrunesPerBlock as Get<u32>>::get();
	assert!(pruned as u64 >= most_used, "{pruned} nonces pruned per block, {most_used} used");
	let pruning = <Runtime as pallet_verity_x402::Config>::WeightInfo::prune_nonces(pruned);
	let block = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	println!("a block uses at most {most_used} nonces and prunes up to {pruned} in {pruning:?}");
	assert!(pruning.ref_time() < block.ref_time() / 4, "pruning {pruned} nonces takes {pruning:?} of {block:?}");
}
