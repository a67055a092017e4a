//! Jobs really get served: the real `verity-node` (instant seal) and the real `verity-executor`
//! (the dev chain's executor Ferdie, on its registered endpoint `127.0.0.1:9955`) on loopback,
//! with the shipped models from the models directory that `scripts/setup.sh` fills.
//!
//! The tests share the port of the genesis endpoint, so they run one at a time.

mod common;

use std::{
	path::Path,
	sync::{Mutex, MutexGuard},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use common::{models_dir, Node, Service as Executor, TempDir};
use serde_json::{json, Value};
use sp_core::{Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::ConstU32, BoundedVec};
use verity_primitives::{
	currency::MILLI_UNIT,
	attestation::{AllowedMeasurement, MeasurementKey},
	inference::{
		Evidence, ExecutorSignature, JobId, JobInput, JobSpec, JobStatus, ModelId, VerificationError, VerificationMode,
	},
	x402::PaymentError,
	AccountId, Balance, BlockNumber,
};
use verity_runtime::{
	configs::TreasuryAccount,
	genesis_config_presets::{
		DEMO_EXECUTOR_FEE, DEMO_EXECUTOR_STAKE, DEMO_EXECUTOR_TEE_FEE, DEMO_EXECUTOR_ZK_FEE, DIGITS_MLP_ID, MINILM_ID,
	},
	signing::sign_extrinsic,
	Runtime, RuntimeCall, RuntimeEvent,
};

const TIMEOUT: Duration = Duration::from_secs(120);
/// The genesis executor's endpoint port.
const EXECUTOR_PORT: u16 = 9955;
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The genesis executor Ferdie's service, or another executor on `port`.
fn start_executor(node: &Node, dir: &Path, key: &str) -> Executor {
	start_executor_with(node, dir, key, EXECUTOR_PORT, &[])
}

fn start_executor_with(node: &Node, dir: &Path, key: &str, port: u16, extra: &[&str]) -> Executor {
	start_binary("verity-executor", node, dir, key, port, extra)
}

/// TEST ONLY: the dev chain's executor Ferdie as `verity-executor-dishonest`, falsifying every
/// signed-tier result (`--lie-probability 1`).
fn start_lying_executor(node: &Node, dir: &Path) -> Executor {
	start_binary("verity-executor-dishonest", node, dir, "//Ferdie", EXECUTOR_PORT, &["--lie-probability", "1"])
}

fn start_binary(binary: &'static str, node: &Node, dir: &Path, key: &str, port: u16, extra: &[&str]) -> Executor {
	let models = models_dir();
	let mut args = vec!["--key", key, "--listen"];
	let listen = format!("127.0.0.1:{port}");
	args.push(&listen);
	args.push("--models-dir");
	args.push(models.to_str().unwrap());
	args.extend(extra);
	Executor::start(binary, node, dir, port, &args)
}

fn next_nonce(node: &Node, who: &AccountId) -> u32 {
	let ss58 = sp_core::crypto::Ss58Codec::to_ss58check(who);
	node.call("system_accountNextIndex", json!([ss58])).unwrap().as_u64().unwrap() as u32
}

/// Signs and submits `call` as `who` (nonce from the pool-aware RPC).
fn submit(node: &Node, who: Sr25519Keyring, call: RuntimeCall) {
	let nonce = next_nonce(node, &who.to_account_id());
	let extrinsic = sign_extrinsic(&who.pair(), call, nonce, node.genesis_hash());
	node.submit(&extrinsic.encode()).unwrap_or_else(|e| panic!("submit: {e}; log:\n{}", node.log_tail()));
}

fn job(node: &Node, id: JobId) -> Option<pallet_verity_inference::Job<Runtime>> {
	node.storage(&pallet_verity_inference::Jobs::<Runtime>::hashed_key_for(id), None)
		.map(|bytes| Decode::decode(&mut &bytes[..]).unwrap())
}

fn next_job_id(node: &Node) -> JobId {
	node.storage(&pallet_verity_inference::NextJobId::<Runtime>::hashed_key(), None)
		.map(|bytes| Decode::decode(&mut &bytes[..]).unwrap())
		.unwrap_or_default()
}

fn output(node: &Node, id: JobId) -> Vec<u8> {
	let bytes = node.storage(&pallet_verity_inference::Outputs::<Runtime>::hashed_key_for(id), None).expect("an output");
	Vec::<u8>::decode(&mut &bytes[..]).unwrap()
}

fn wait_closed(node: &mut Node, executor: &mut Executor, id: JobId) -> JobStatus {
	let start = Instant::now();
	loop {
		if let Some(job) = job(node, id).filter(|j| !j.status.is_open()) {
			return job.status;
		}
		if start.elapsed() > TIMEOUT {
			panic!("job {id} still open; executor log:\n{}\nnode log:\n{}", executor.log_tail(), node.log_tail());
		}
		std::thread::sleep(Duration::from_millis(200));
	}
}

/// Every event of every block so far.
fn all_events(node: &Node) -> Vec<RuntimeEvent> {
	// `frame_system::Events` is private; its key is the pallet's and the item's name hashes.
	let key = [sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
	(1..=node.best_number().unwrap())
		.flat_map(|number| {
			let hash = node.block_hash(number).unwrap();
			node.storage(&key, Some(&hash))
				.map(|bytes| {
					Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(&mut &bytes[..]).unwrap()
				})
				.unwrap_or_default()
		})
		.map(|record| record.event)
		.collect()
}

/// Transaction fees `who` paid so far (they are burned).
fn fees_paid(events: &[RuntimeEvent], who: &AccountId) -> Balance {
	events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::TransactionPayment(pallet_transaction_payment::Event::TransactionFeePaid {
				who: payer,
				actual_fee,
				..
			}) if payer == who => Some(*actual_fee),
			_ => None,
		})
		.sum()
}

fn spec(node: &Node, model: ModelId, input: &[u8], deadline_in: u32) -> JobSpec<BlockNumber> {
	JobSpec {
		model,
		mode: VerificationMode::Signed,
		input: JobInput::Inline(input.to_vec().try_into().unwrap()),
		max_price: price(model),
		max_fee: DEMO_EXECUTOR_FEE,
		deadline: node.best_number().unwrap() + deadline_in,
	}
}

/// A zk-tier job: proved by the executor, the proof verified by the runtime.
fn zk_spec(node: &Node, model: ModelId, input: &[u8], deadline_in: u32) -> JobSpec<BlockNumber> {
	JobSpec {
		mode: VerificationMode::Zk,
		max_price: 100 * MILLI_UNIT,
		max_fee: DEMO_EXECUTOR_ZK_FEE,
		..spec(node, model, input, deadline_in)
	}
}

fn submit_jobs(node: &Node, payer: Sr25519Keyring, specs: Vec<JobSpec<BlockNumber>>) {
	let specs: BoundedVec<_, _> = specs.try_into().unwrap();
	submit(node, payer, RuntimeCall::Inference(pallet_verity_inference::Call::submit_jobs { specs }));
}

/// A held-out digit of the vendored data set, and its label.
fn a_digit() -> (Vec<u8>, u8) {
	let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
	let sample = &held_out[3];
	(sample.input_bytes(), sample.label)
}

fn reference_embedding() -> (String, Vec<f32>) {
	let reference: Value =
		serde_json::from_str(include_str!("../../executor/tests/data/minilm-reference.json")).unwrap();
	let case = &reference["cases"][0];
	let vector = case["embedding"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
	(case["input"].as_str().unwrap().to_owned(), vector)
}

/// The dev chain (instant seal) and its executor Ferdie on the genesis endpoint, with the lock
/// that keeps tests on that port one at a time.
fn dev_chain_with_ferdie(tag: &str) -> (MutexGuard<'static, ()>, TempDir, Node, Executor) {
	let serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let dir = TempDir::new(tag);
	let node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
	let executor = start_executor(&node, dir.path(), "//Ferdie");
	(serial, dir, node, executor)
}

/// `who`'s record in the executors pallet, if registered.
fn registration(node: &Node, who: &AccountId) -> Option<pallet_verity_executors::ExecutorInfo<Runtime>> {
	node.storage(&pallet_verity_executors::Executors::<Runtime>::hashed_key_for(who), None)
		.map(|bytes| Decode::decode(&mut &bytes[..]).unwrap())
}

fn price(model: ModelId) -> Balance {
	if model == DIGITS_MLP_ID { 10 * MILLI_UNIT } else { 20 * MILLI_UNIT }
}

#[test]
fn the_executor_serves_both_shipped_models_and_the_money_moves_exactly() {
	let (_serial, _dir, mut node, mut executor) = dev_chain_with_ferdie("executor-e2e");
	let (bob, alice, ferdie) = (Sr25519Keyring::Bob, Sr25519Keyring::Alice, Sr25519Keyring::Ferdie);
	// Owned (free and held): storage deposits stay the payer's and the executor's.
	let balance = |node: &Node, who: &AccountId| node.owned_balance(who, None);
	let treasury = TreasuryAccount::get();
	let before: Vec<Balance> = [bob.to_account_id(), alice.to_account_id(), ferdie.to_account_id(), treasury.clone()]
		.iter()
		.map(|who| balance(&node, who))
		.collect();

	// One transaction, two jobs: a digit for the integer MLP, a sentence for MiniLM.
	let (digit, label) = a_digit();
	let (sentence, reference) = reference_embedding();
	let first = next_job_id(&node);
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &digit, 50), spec(&node, MINILM_ID, sentence.as_bytes(), 50)]);
	// The digits model has a zk key: its signed result is provisional until its challenge window
	// closes (then paid out); MiniLM's is final at once.
	assert_eq!(wait_closed(&mut node, &mut executor, first), JobStatus::Provisional);
	assert_eq!(wait_closed(&mut node, &mut executor, first + 1), JobStatus::Completed);
	close_challenge_window(&node, first);

	let logits = verity_mlp::logits_from_bytes(&output(&node, first)).expect("i32 logits");
	assert_eq!(logits.len(), 10);
	assert_eq!(verity_mlp::argmax(&logits), label as usize, "the MLP classifies the digit");
	let embedding: Vec<f32> =
		output(&node, first + 1).chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
	assert_eq!(embedding.len(), 384);
	let cosine: f32 = embedding.iter().zip(&reference).map(|(a, b)| a * b).sum();
	let max_diff = embedding.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
	assert!(cosine > 0.9999 && max_diff < 1e-3, "embedding vs reference: cosine {cosine}, max diff {max_diff}");

	// Exact money: the payer pays price + fee per job and its transaction fee; the owner gets
	// 10% of the price; the treasury 2% of price + fee; the executor the rest, less its fees.
	let events = all_events(&node);
	let mut expected = [0i128; 4];
	for model in [DIGITS_MLP_ID, MINILM_ID] {
		let charged = price(model) + DEMO_EXECUTOR_FEE;
		let (royalty, protocol) = (price(model) / 10, charged * 2 / 100);
		expected[0] -= charged as i128;
		expected[1] += royalty as i128;
		expected[2] += (charged - royalty - protocol) as i128;
		expected[3] += protocol as i128;
	}
	expected[0] -= fees_paid(&events, &bob.to_account_id()) as i128;
	expected[1] -= fees_paid(&events, &alice.to_account_id()) as i128;
	expected[2] -= fees_paid(&events, &ferdie.to_account_id()) as i128;
	let after: Vec<i128> = [bob.to_account_id(), alice.to_account_id(), ferdie.to_account_id(), treasury]
		.iter()
		.zip(&before)
		.map(|(who, before)| balance(&node, who) as i128 - *before as i128)
		.collect();
	assert_eq!(after, expected.to_vec(), "balance changes of payer, owner, executor, treasury");
	assert!(fees_paid(&events, &ferdie.to_account_id()) > 0, "the executor paid for its result transaction");

	executor.wait_for_metric("verity_executor_jobs_total{outcome=\"completed\",tier=\"signed\"} 2");
	assert!(executor.interrupt().success(), "graceful shutdown exits 0");
}

#[test]
fn zk_jobs_complete_alone_and_batched_with_signed_ones_and_the_runtime_checks_each_proof() {
	let (_serial, _dir, mut node, mut executor) = dev_chain_with_ferdie("executor-zk");
	let bob = Sr25519Keyring::Bob;
	let (digit, label) = a_digit();
	let (other_digit, _) = {
		let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
		(held_out[7].input_bytes(), held_out[7].label)
	};

	// A zk job alone, then one transaction mixing a signed job and a zk job.
	let first = next_job_id(&node);
	submit_jobs(&node, bob, vec![zk_spec(&node, DIGITS_MLP_ID, &digit, 50)]);
	assert_eq!(wait_closed(&mut node, &mut executor, first), JobStatus::Completed);
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &other_digit, 50), zk_spec(&node, DIGITS_MLP_ID, &digit, 50)]);
	assert_eq!(wait_closed(&mut node, &mut executor, first + 1), JobStatus::Provisional);
	assert_eq!(wait_closed(&mut node, &mut executor, first + 2), JobStatus::Completed);
	close_challenge_window(&node, first + 1);

	// The proved output is the model's output, the same bytes as the signed tier gives.
	let logits = verity_mlp::logits_from_bytes(&output(&node, first)).expect("i32 logits");
	assert_eq!(verity_mlp::argmax(&logits), label as usize, "the proved run classifies the digit");
	assert_eq!(output(&node, first), output(&node, first + 2));
	let paid: std::collections::BTreeMap<JobId, Balance> = all_events(&node)
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Inference(pallet_verity_inference::Event::JobCompleted { job, executor_paid, .. }) =>
				Some((job, executor_paid)),
			_ => None,
		})
		.collect();
	assert_eq!(paid.len(), 3);
	assert_eq!(paid[&first], paid[&(first + 2)]);
	assert!(paid[&first] > paid[&(first + 1)], "a zk job pays the executor its zk fee, above the signed one");

	// MiniLM offers no zk tier: refused at submission, nothing held.
	let before = node.free_balance(&bob.to_account_id(), None);
	let next = next_job_id(&node);
	let refused = zk_spec(&node, MINILM_ID, b"text", 50);
	let specs: BoundedVec<_, _> = vec![refused].try_into().unwrap();
	submit(&node, bob, RuntimeCall::Inference(pallet_verity_inference::Call::submit_jobs { specs }));
	node.wait_for(TIMEOUT, "the refused submission's block", |n| {
		(n.free_balance(&bob.to_account_id(), None) < before).then_some(())
	});
	assert_eq!(next_job_id(&node), next, "no job was created");

	executor.wait_for_metric("verity_executor_jobs_total{outcome=\"completed\",tier=\"zk\"} 2");
	executor.wait_for_metric("verity_executor_jobs_total{outcome=\"completed\",tier=\"signed\"} 1");
}

#[test]
fn inputs_a_model_cannot_take_fail_on_chain_with_a_reason_and_refund_the_payer() {
	let (_serial, _dir, mut node, mut executor) = dev_chain_with_ferdie("executor-bad-input");
	let bob = Sr25519Keyring::Bob;
	let before = node.owned_balance(&bob.to_account_id(), None);

	let first = next_job_id(&node);
	// Ten bytes for a model of 64 inputs; bytes that are not UTF-8 for a text model.
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &[1; 10], 50), spec(&node, MINILM_ID, &[0xff, 0xfe, 0x00], 50)]);
	for id in [first, first + 1] {
		assert_eq!(wait_closed(&mut node, &mut executor, id), JobStatus::Failed);
	}
	// The two failures are reported in whichever order the jobs finish.
	let mut reasons: Vec<String> = all_events(&node)
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Inference(pallet_verity_inference::Event::JobFailed { reason, refund, .. }) => {
				assert!(refund > 0);
				Some(String::from_utf8(reason.into_inner()).unwrap())
			},
			_ => None,
		})
		.collect();
	reasons.sort();
	assert_eq!(
		reasons,
		vec!["input must be 64 int8 values (64 bytes), got 10 bytes".to_owned(), "input must be UTF-8 text".to_owned()]
	);
	// Refunded in full: only the transaction fee is gone (the storage deposit is held, not spent).
	let fees = fees_paid(&all_events(&node), &bob.to_account_id());
	assert_eq!(node.owned_balance(&bob.to_account_id(), None), before - fees);
}

/// The README's `examples/job` commands, run as printed (fees from the chain's quote), and a
/// refusal that reads as words: the pallet error by name with its doc line, no backtrace.
#[test]
fn the_readme_job_commands_succeed_as_printed_and_a_refusal_reads_as_words() {
	let (_serial, _dir, node, _executor) = dev_chain_with_ferdie("executor-readme");
	let job = Path::new(env!("CARGO_BIN_EXE_verity-node")).with_file_name("examples").join("job");
	assert!(job.is_file(), "{} is not built: build the workspace", job.display());
	let run = |args: &[&str]| {
		let output = std::process::Command::new(&job)
			.args(args)
			.args(["--node-url", &format!("ws://127.0.0.1:{}", node.rpc_port)])
			.arg("--models-dir")
			.arg(models_dir())
			.env("RUST_BACKTRACE", "1")
			.output()
			.expect("the job example runs");
		(output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
	};
	for args in [
		&["digits-mlp", "--digit", "3"][..],
		&["digits-mlp", "--digit", "3", "--tier", "zk"],
		&["all-minilm-l6-v2", "--text", "A man is eating food."],
	] {
		let (ok, stdout, stderr) = run(args);
		// A signed digits result is provisional (challengeable) for a while; the others final.
		assert!(ok && (stdout.contains("Completed") || stdout.contains("Provisional")), "job {args:?}:\n{stdout}\n{stderr}");
	}
	let (ok, _, stderr) = run(&["digits-mlp", "--digit", "3", "--max-fee", "0"]);
	assert!(!ok);
	assert_eq!(
		stderr.trim(),
		"error: the chain refused the job: Inference.FeeTooLow: No eligible executor asks a fee at most `max_fee`."
	);
}

/// Signs and submits `call` as `who`, paying `tip` to jump ahead of others in the pool.
fn submit_tipped(node: &Node, who: Sr25519Keyring, call: RuntimeCall, tip: Balance) {
	use verity_runtime::signing::tx_extension;
	let nonce = next_nonce(node, &who.to_account_id());
	let genesis = node.genesis_hash();
	let extension = tx_extension(nonce, tip);
	let version = verity_runtime::VERSION;
	let implicit = ((), (), version.spec_version, version.transaction_version, genesis, genesis, (), (), (), None, ());
	let payload = verity_runtime::SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| who.pair().sign(bytes));
	let extrinsic = verity_runtime::UncheckedExtrinsic::new_signed(
		call,
		verity_runtime::Address::Id(who.to_account_id()),
		verity_runtime::Signature::Sr25519(signature),
		extension,
	);
	node.submit(&extrinsic.encode()).unwrap_or_else(|e| panic!("submit: {e}; log:\n{}", node.log_tail()));
}

/// Whether the pool holds `submit_result` for job `id`, alone or in a batch.
/// Whether job `id`'s result is in `pending` (one snapshot of the pool, so that the caller seals
/// only what it looked at).
fn result_in_pool(pending: &serde_json::Value, id: JobId) -> bool {
	let is_result = |call: &RuntimeCall| {
		matches!(call, RuntimeCall::Inference(pallet_verity_inference::Call::submit_result { job, .. }) if *job == id)
	};
	pending.as_array().unwrap().iter().any(|hex| {
		let bytes = common::decode_hex(hex.as_str().unwrap());
		let extrinsic = verity_runtime::UncheckedExtrinsic::decode(&mut &bytes[..]).unwrap();
		match &extrinsic.function {
			RuntimeCall::Utility(pallet_utility::Call::force_batch { calls }) => calls.iter().any(is_result),
			call => is_result(call),
		}
	})
}

/// Item 2 of the hardening issue, on the real node with manual sealing. Before the fix the
/// executor sent its result for a job it had not started: the payer saw it in the pool, sent
/// `cancel` with a higher tip, which the next block ordered first, and was refunded in full for
/// an output it had read. Now the executor sends the result only once its start is in a block,
/// so the cancel fails and the payer is charged.
#[test]
fn a_payer_who_reads_the_result_in_the_pool_and_cancels_with_a_higher_tip_is_still_charged() {
	let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let dir = TempDir::new("executor-cancel-race");
	let node = Node::start(dir.path(), &["--dev", "--sealing", "manual"]);
	let seal = |node: &Node| node.call("engine_createBlock", json!([true, true, null])).expect("a block");
	seal(&node);
	let mut executor = start_executor(&node, dir.path(), "//Ferdie");
	let bob = Sr25519Keyring::Bob;
	let before = node.owned_balance(&bob.to_account_id(), None);
	let (digit, _) = a_digit();
	let id = next_job_id(&node);
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &digit, 20)]);

	// Blocks are sealed while the pool holds anything but the result; once the result shows,
	// the payer, who reads it there, cancels with a tip.
	let start = Instant::now();
	loop {
		assert!(start.elapsed() < TIMEOUT, "no result in the pool; executor log:\n{}", executor.log_tail());
		let pending = node.call("author_pendingExtrinsics", json!([])).unwrap();
		if result_in_pool(&pending, id) {
			break;
		}
		// The job waits for the block after its own to draw its executor.
		let undrawn = job(&node, id).is_some_and(|job| job.status == JobStatus::Pending);
		if undrawn || !pending.as_array().unwrap().is_empty() {
			// Looked for in the same snapshot that decided to seal: only a result that arrives in
			// the milliseconds before the seal call can slip into the block unseen (the check and
			// a second look used to be apart, and once were).
			seal(&node);
		}
		std::thread::sleep(Duration::from_millis(100));
	}
	submit_tipped(&node, bob, RuntimeCall::Inference(pallet_verity_inference::Call::cancel { job: id }), MILLI_UNIT);
	seal(&node);
	assert!(job(&node, id).unwrap().status.has_result(), "the result landed; the cancel did not");
	// The digits result is provisional: the escrow is paid out when its challenge window closes.
	for _ in 0..challenge_period() {
		seal(&node);
	}
	assert_eq!(job(&node, id).unwrap().status, JobStatus::Completed);

	let events = all_events(&node);
	let charge = price(DIGITS_MLP_ID) + DEMO_EXECUTOR_FEE;
	assert_eq!(
		node.owned_balance(&bob.to_account_id(), None),
		before - charge - fees_paid(&events, &bob.to_account_id()),
		"the payer is charged for the inference it read"
	);
	assert!(executor.interrupt().success());
}

/// Item 1 of the hardening issue: a job whose deadline is exactly `MinJobDuration` (4) blocks
/// after the block holding it completes under the real consensus (Aura, 6-second slots): the
/// next block draws its executor, the start lands in the one after, the result in the one
/// after that, with a block to spare.
#[test]
fn a_job_at_exactly_the_minimum_duration_completes_under_six_second_aura_blocks() {
	let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let dir = TempDir::new("executor-aura-minimum");
	let mut node = Node::start(dir.path(), &["--dev"]);
	node.wait_for(TIMEOUT, "the first block", |n| n.best_number().filter(|b| *b >= 1));
	let mut executor = start_executor(&node, dir.path(), "//Ferdie");
	// Sent just after a block is imported, so that it lands in the next one.
	let best = node.best_number().unwrap();
	node.wait_for(TIMEOUT, "a new block", |n| n.best_number().filter(|b| *b > best));
	let (digit, _) = a_digit();
	let id = next_job_id(&node);
	let included_at = node.best_number().unwrap() + 1;
	let spec = JobSpec { deadline: included_at + 4, ..spec(&node, DIGITS_MLP_ID, &digit, 0) };
	submit_jobs(&node, Sr25519Keyring::Bob, vec![spec]);
	assert_eq!(wait_closed(&mut node, &mut executor, id), JobStatus::Provisional);
	let submitted_at = (1..=node.best_number().unwrap())
		.find(|number| {
			let hash = node.block_hash(*number).unwrap();
			let key = [sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
			node.storage(&key, Some(&hash)).is_some_and(|bytes| {
				Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(&mut &bytes[..]).unwrap().iter().any(|r| {
					matches!(r.event, RuntimeEvent::Inference(pallet_verity_inference::Event::JobSubmitted { job, .. }) if job == id)
				})
			})
		})
		.expect("the job's block");
	assert_eq!(submitted_at + 4, job(&node, id).unwrap().deadline, "the deadline was the nearest allowed");
	assert!(executor.interrupt().success());
}

/// Item 1 of the hardening issue: an executor that sees a job too late to start and finish it
/// (it was down) reports a failure, refunding the payer at no cost to its stake, instead of
/// letting the job expire.
#[test]
fn an_executor_too_late_to_finish_a_job_reports_its_failure_instead_of_letting_it_expire() {
	let (_serial, dir, mut node, mut executor) = dev_chain_with_ferdie("executor-too-late");
	executor.kill();
	let (bob, charlie, ferdie) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie);
	let stake = registration(&node, &ferdie.to_account_id()).unwrap().stake;
	let (digit, _) = a_digit();
	let id = next_job_id(&node);
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &digit, 5)]);
	let deadline = node.wait_for(TIMEOUT, "the job", |n| job(n, id)).deadline;
	// Blocks pass (Charlie's remarks seal them) until one block is left before the deadline.
	while node.best_number().unwrap() + 1 < deadline {
		let best = node.best_number().unwrap();
		submit(&node, charlie, RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		node.wait_for(TIMEOUT, "a block", |n| n.best_number().filter(|b| *b > best));
	}
	let mut executor = start_executor(&node, dir.path(), "//Ferdie");
	assert_eq!(wait_closed(&mut node, &mut executor, id), JobStatus::Failed);
	assert_eq!(registration(&node, &ferdie.to_account_id()).unwrap().stake, stake, "nothing slashed");
	executor.wait_for_metric("verity_executor_jobs_total{outcome=\"failed\",tier=\"signed\"} 1");
}

#[test]
fn a_crashed_executor_is_slashed_its_payer_refunded_and_a_restarted_one_serves_again() {
	let (_serial, dir, mut node, mut executor) = dev_chain_with_ferdie("executor-fault");
	executor.kill();

	let (bob, charlie, ferdie) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie);
	let before = node.owned_balance(&bob.to_account_id(), None);
	let (digit, _) = a_digit();
	let id = next_job_id(&node);
	// The nearest deadline allowed: `MinJobDuration` (4) blocks after the block holding the job.
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &digit, 5)]);
	node.wait_for(TIMEOUT, "the job", |n| job(n, id));
	// Nobody serves it: blocks pass (Charlie's remarks seal them) until it expires.
	while job(&node, id).unwrap().status.is_open() {
		submit(&node, charlie, RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		std::thread::sleep(Duration::from_millis(300));
	}
	assert_eq!(job(&node, id).unwrap().status, JobStatus::Expired);
	let events = all_events(&node);
	let (refund, compensation, forfeit) = events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Inference(pallet_verity_inference::Event::JobExpired {
				refund, compensation, forfeit, ..
			}) => Some((*refund, *compensation, *forfeit)),
			_ => None,
		})
		.expect("JobExpired");
	let charge = price(DIGITS_MLP_ID) + DEMO_EXECUTOR_FEE;
	assert_eq!(refund, charge, "the escrow comes back in full");
	// Ten times the charge (far below 10% of the stake): the charge to the payer, the rest to
	// the treasury.
	assert_eq!((compensation, forfeit), (charge, 9 * charge));
	assert_eq!(
		node.owned_balance(&bob.to_account_id(), None),
		before - fees_paid(&events, &bob.to_account_id()) + compensation,
		"the payer gets the escrow back and the compensation"
	);
	assert_eq!(registration(&node, &ferdie.to_account_id()).unwrap().stake, DEMO_EXECUTOR_STAKE - 10 * charge);

	// Restarted, it serves new jobs.
	let mut executor = start_executor(&node, dir.path(), "//Ferdie");
	let id = next_job_id(&node);
	submit_jobs(&node, bob, vec![spec(&node, DIGITS_MLP_ID, &digit, 50)]);
	assert_eq!(wait_closed(&mut node, &mut executor, id), JobStatus::Provisional);
}

#[test]
fn a_new_executor_registers_itself_and_serves_its_jobs() {
	let dir = TempDir::new("executor-register");
	let mut node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
	let port = common::free_port();
	// Eve asks no fee; a job that offers none can only go to her.
	let mut executor = start_executor_with(&node, dir.path(), "//Eve", port, &["--register", "--fee", "0"]);
	let eve = Sr25519Keyring::Eve.to_account_id();
	let registration = registration(&node, &eve).expect("registered");
	assert_eq!(registration.endpoint.to_vec(), format!("http://127.0.0.1:{port}").into_bytes());
	let services: Vec<(ModelId, VerificationMode)> = registration.services.iter().map(|s| (s.model, s.mode)).collect();
	assert_eq!(
		services.len(),
		3,
		"every loaded model at the signed tier, and the one with a proving key at the zk tier: {services:?}"
	);
	assert!(services.contains(&(DIGITS_MLP_ID, VerificationMode::Zk)));

	let id = next_job_id(&node);
	let mut job_spec = spec(&node, MINILM_ID, b"Who serves this?", 50);
	job_spec.max_fee = 0;
	submit_jobs(&node, Sr25519Keyring::Bob, vec![job_spec]);
	assert_eq!(wait_closed(&mut node, &mut executor, id), JobStatus::Completed);
	assert_eq!(job(&node, id).unwrap().executor, Some(eve));
	// Started again, it finds its registration and does not register twice.
	assert!(executor.interrupt().success());
	let _again = start_executor_with(&node, dir.path(), "//Eve", port, &["--register", "--fee", "0"]);
}

/// `who`'s attested enclave, if any.
fn enclave(node: &Node, who: &AccountId) -> Option<pallet_verity_attestation::Enclave> {
	node.storage(&pallet_verity_attestation::Enclaves::<Runtime>::hashed_key_for(who), None)
		.map(|bytes| Decode::decode(&mut &bytes[..]).unwrap())
}

fn tee_spec(node: &Node, input: JobInput) -> JobSpec<BlockNumber> {
	JobSpec {
		mode: VerificationMode::Tee,
		max_price: 50 * MILLI_UNIT,
		max_fee: DEMO_EXECUTOR_TEE_FEE,
		input,
		..spec(node, DIGITS_MLP_ID, &[], 50)
	}
}

/// Submits `call` as sudo (Alice).
fn sudo(node: &Node, call: pallet_verity_attestation::Call<Runtime>) {
	let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(RuntimeCall::Attestation(call)) });
	submit(node, Sr25519Keyring::Alice, call);
}

/// Submits one job and waits for its block: the job's id if it was created, `None` if refused.
fn try_submit(node: &mut Node, spec: impl FnOnce(&Node) -> JobSpec<BlockNumber>) -> Option<JobId> {
	let bob = Sr25519Keyring::Bob;
	let (id, best) = (next_job_id(node), node.best_number().unwrap());
	submit_jobs(node, bob, vec![spec(node)]);
	node.wait_for(TIMEOUT, "the submission's block", |n| (n.best_number().unwrap() > best).then_some(()));
	(next_job_id(node) > id).then_some(id)
}

/// Calls every runtime API the off-chain crates read, through `verity-client` as they do, on a
/// dev chain holding one of each: a completed tee job with output and evidence (`job`), an
/// attested enclave and per-job quotes (`executor`), the digits model's zk key, and models
/// priced in two assets; each answer is checked against the chain's own storage.
fn every_api_the_services_read_answers_in_its_shape(node: &Node, job: JobId, executor: &AccountId) {
	let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
	runtime.block_on(async {
		let chain = verity_client::chain::Chain::connect(&format!("ws://127.0.0.1:{}", node.rpc_port)).await.unwrap();
		let best = chain.best_hash().await.unwrap();

		// A nested pallet error reads to its inner variant and that variant's doc line, from the
		// chain's metadata.
		let nested = |error: pallet_verity_inference::Error<Runtime>| sp_runtime::DispatchError::from(error);
		assert_eq!(
			chain.explain_error(&nested(pallet_verity_inference::Error::Payment(PaymentError::NonceUsed))).await,
			"Inference.Payment(NonceUsed): The payer already used this nonce."
		);
		assert_eq!(
			chain.error_name(&nested(pallet_verity_inference::Error::Verification(VerificationError::BadProof))).await,
			"Inference.Verification(BadProof)"
		);

		let summary = chain.job_at(job, best).await.unwrap().expect("InferenceApi::job");
		assert_eq!(summary.status, JobStatus::Completed);
		let result = chain.result_at(job, best).await.unwrap().expect("InferenceApi::result");
		assert_eq!(result.output, output(node, job));
		assert!(matches!(result.evidence, Evidence::Tee { quote: Some(_), .. }));
		assert_eq!(chain.open_jobs(executor).await.unwrap(), Vec::<JobId>::new(), "InferenceApi::open_jobs");
		let (bucket_ms, stats) = chain.tier_stats().await.unwrap();
		assert!(bucket_ms > 0 && stats.iter().any(|e| e.mode == VerificationMode::Tee && e.counters.completed > 0), "InferenceApi::recent_tier_stats");
		let offers = chain.offers(DIGITS_MLP_ID).await.unwrap();
		assert!(offers.offers.len() > 3, "InferenceApi::offers: tiers in two assets: {offers:?}");
		assert!(chain.quote(DIGITS_MLP_ID, VerificationMode::Signed).await.unwrap().is_some(), "InferenceApi::quote");

		let models = chain.models().await.unwrap();
		let digits = chain.model(DIGITS_MLP_ID).await.unwrap().expect("ModelsApi::model");
		assert!(models.contains(&digits) && models.iter().any(|m| m.id == MINILM_ID), "ModelsApi::models");
		assert!(!digits.other_prices.is_empty(), "priced in a second asset");
		assert!(chain.zk_key(DIGITS_MLP_ID).await.unwrap().is_some(), "ZkVerifierApi::verifying_key");
		assert!(digits.zk_verifying_key.is_some());

		let ferdie = chain.executor(executor).await.unwrap().expect("ExecutorsApi::executor");
		assert_eq!(Some(ferdie.stake), registration(node, executor).map(|r| r.stake));
		assert!(ferdie.services.iter().any(|s| s.mode == VerificationMode::Tee));
		assert!(chain.executors().await.unwrap().contains(&ferdie), "ExecutorsApi::executors");

		let attested = chain.enclave(executor).await.unwrap().expect("AttestationApi::enclave");
		let stored = enclave(node, executor).unwrap();
		assert_eq!((attested.keys, attested.expires_at), (stored.keys, stored.expires_at));
		assert!(chain.enclave_requirements(DIGITS_MLP_ID).await.unwrap().quote_per_job, "AttestationApi::enclave_requirements");
		assert_eq!(chain.trusted_root().await.unwrap().as_deref(), Some(verity_tee::TEST_ROOT_CA_DER), "AttestationApi::trusted_root");

		// `EventsApi`: the block that completed the job says so, typed.
		let mut number = chain.best_number().await.unwrap();
		let completed_in = loop {
			let hash = chain.block_hash(number).await.unwrap();
			let events = chain.events_at(hash).await.unwrap();
			if events.iter().any(|(_, event)| *event == verity_primitives::events::ChainEvent::JobCompleted { job }) {
				break hash;
			}
			number -= 1;
		};
		assert_eq!(chain.job_at(job, completed_in).await.unwrap().unwrap().status, JobStatus::Completed);
	});
}

#[test]
fn the_tee_tier_serves_attested_keys_and_sealed_inputs_and_refuses_revoked_expired_and_unattested_keys() {
	let serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let dir = TempDir::new("executor-tee");
	let mut node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
	let ferdie = Sr25519Keyring::Ferdie.to_account_id();
	let mut executor = start_executor_with(&node, dir.path(), "//Ferdie", EXECUTOR_PORT, &["--attestor", "test-pki"]);
	let attested = node.wait_for(TIMEOUT, "Ferdie's enclave attestation", |n| enclave(n, &ferdie));
	assert_eq!(attested.measurement, MeasurementKey::SgxEnclave(verity_tee::TEST_EXECUTOR_MR_ENCLAVE));
	assert_eq!(attested.tcb_status, verity_tee::TcbStatus::UpToDate);
	let (digit, label) = a_digit();

	// A tee job: signed by the attested enclave key, verified by the runtime.
	let plain = try_submit(&mut node, |n| tee_spec(n, JobInput::Inline(digit.clone().try_into().unwrap()))).expect("a tee job");
	assert_eq!(wait_closed(&mut node, &mut executor, plain), JobStatus::Completed);
	let logits = verity_mlp::logits_from_bytes(&output(&node, plain)).expect("i32 logits");
	assert_eq!(verity_mlp::argmax(&logits), label as usize);

	// The model's owner (Alice) asks for a fresh quote per job: the enclave quotes each result
	// statement, and the runtime verifies that quote too.
	let best = node.best_number().unwrap();
	submit(&node, Sr25519Keyring::Alice, RuntimeCall::Attestation(pallet_verity_attestation::Call::set_model_requirements {
		model: DIGITS_MLP_ID,
		requirements: Some(pallet_verity_attestation::ModelRequirements { measurements: Default::default(), quote_per_job: true }),
	}));
	node.wait_for(TIMEOUT, "the requirements' block", |n| (n.best_number().unwrap() > best).then_some(()));
	let quoted = try_submit(&mut node, |n| tee_spec(n, JobInput::Inline(digit.clone().try_into().unwrap()))).expect("a tee job");
	assert_eq!(wait_closed(&mut node, &mut executor, quoted), JobStatus::Completed);
	let evidence = node
		.storage(&pallet_verity_inference::Evidences::<Runtime>::hashed_key_for(quoted), None)
		.map(|bytes| Evidence::decode(&mut &bytes[..]).unwrap());
	assert!(matches!(evidence, Some(Evidence::Tee { quote: Some(_), .. })), "the result carries its quote: {evidence:?}");
	assert_eq!(output(&node, quoted), output(&node, plain));
	every_api_the_services_read_answers_in_its_shape(&node, quoted, &ferdie);

	// A confidential input, sealed to the enclave's key: the chain holds only ciphertext and
	// commitment; the enclave opens it and the output is the same.
	let sealed_input = verity_client::sealed::seal(attested.keys.encryption, &digit).unwrap();
	let JobInput::Sealed { ciphertext, commitment, recipient } = &sealed_input else { unreachable!() };
	assert!(!ciphertext.windows(digit.len()).any(|w| w == digit.as_slice()), "the digit is not on chain in the clear");
	let sealed = try_submit(&mut node, |n| tee_spec(n, sealed_input.clone())).expect("a sealed tee job");
	assert_eq!(wait_closed(&mut node, &mut executor, sealed), JobStatus::Completed);
	assert_eq!(output(&node, sealed), output(&node, plain));
	assert_eq!(job(&node, sealed).unwrap().input_hash, *commitment);
	// A tampered ciphertext: the enclave refuses it, the job fails and the payer is refunded.
	let mut tampered = ciphertext.clone().into_inner();
	tampered[40] ^= 1;
	let tampered = JobInput::Sealed { recipient: *recipient, ciphertext: tampered.try_into().unwrap(), commitment: *commitment };
	let refused = try_submit(&mut node, |n| tee_spec(n, tampered)).expect("a tampered sealed job");
	assert_eq!(wait_closed(&mut node, &mut executor, refused), JobStatus::Failed);
	// A sealed input at the signed tier, or sealed to another key: refused at submission.
	assert_eq!(try_submit(&mut node, |n| JobSpec { mode: VerificationMode::Signed, max_fee: DEMO_EXECUTOR_FEE, ..tee_spec(n, sealed_input.clone()) }), None);
	let elsewhere = verity_client::sealed::seal([9; 32], &digit).unwrap();
	assert_eq!(try_submit(&mut node, |n| tee_spec(n, elsewhere)), None);

	// A result signed by a key that is not the attested one is refused. The executor is stopped
	// so that the test answers the job as Ferdie.
	executor.kill();
	let unanswered = try_submit(&mut node, |n| tee_spec(n, JobInput::Inline(digit.clone().try_into().unwrap()))).expect("a tee job");
	let statement = verity_primitives::inference::ResultStatement {
		genesis_hash: node.genesis_hash(),
		job_id: unanswered,
		model_id: DIGITS_MLP_ID,
		input_hash: job(&node, unanswered).unwrap().input_hash,
		output_hash: H256(sp_io::hashing::blake2_256(&output(&node, plain))),
	};
	let stranger = sp_core::ed25519::Pair::from_seed(&[3; 32]);
	let evidence = Evidence::Tee { signature: ExecutorSignature::Ed25519(stranger.sign(&statement.signing_payload())), quote: None };
	submit(&node, Sr25519Keyring::Ferdie, RuntimeCall::Inference(pallet_verity_inference::Call::start_job { job: unanswered }));
	node.wait_for(TIMEOUT, "the start", |n| (job(n, unanswered).unwrap().status == JobStatus::Running).then_some(()));
	let best = node.best_number().unwrap();
	submit(&node, Sr25519Keyring::Ferdie, RuntimeCall::Inference(pallet_verity_inference::Call::submit_result {
		job: unanswered,
		output: output(&node, plain).try_into().unwrap(),
		evidence,
	}));
	node.wait_for(TIMEOUT, "the result's block", |n| (n.best_number().unwrap() > best).then_some(()));
	assert!(job(&node, unanswered).unwrap().status.is_open(), "a result signed by an unattested key is refused");
	assert!(all_events(&node).iter().any(|e| matches!(
		e,
		RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. })
			if matches!(
				verity_runtime::RuntimeError::from_dispatch_error(*dispatch_error),
				Some(verity_runtime::RuntimeError::Inference(pallet_verity_inference::Error::Verification(
					VerificationError::BadSignature
				)))
			)
	)));

	// Revoking the measurement invalidates the key at once: no executor for tee jobs.
	let measurement = attested.measurement;
	sudo(&node, pallet_verity_attestation::Call::revoke_measurement { measurement });
	node.wait_for(TIMEOUT, "the revocation", |n| {
		(!n.storage(&pallet_verity_attestation::AllowedMeasurements::<Runtime>::hashed_key_for(measurement), None).is_some()).then_some(())
	});
	assert_eq!(try_submit(&mut node, |n| tee_spec(n, JobInput::Inline(digit.clone().try_into().unwrap()))), None);

	// Allowed again with attestations lasting 60 s (ten instant-sealed blocks: each job takes
	// three, submission, start and result): a restarted executor attests anew, serves,
	// and once the chain's clock (6 s a block) passes the expiry, no executor is eligible.
	sudo(&node, pallet_verity_attestation::Call::allow_measurement {
		rule: AllowedMeasurement::SgxEnclave { mr_enclave: verity_tee::TEST_EXECUTOR_MR_ENCLAVE },
	});
	sudo(&node, pallet_verity_attestation::Call::set_policy {
		policy: pallet_verity_attestation::AttestationPolicy { accepted_advisories: Default::default(), validity_secs: 60 },
	});
	let previous = enclave(&node, &ferdie).unwrap().attested_at;
	node.wait_for(TIMEOUT, "the policy", |n| {
		n.storage(&pallet_verity_attestation::Policy::<Runtime>::hashed_key(), None)
			.map(|bytes| pallet_verity_attestation::AttestationPolicy::<ConstU32<32>>::decode(&mut &bytes[..]).unwrap())
			.filter(|policy| policy.validity_secs == 60)
	});
	let mut executor = start_executor_with(&node, dir.path(), "//Ferdie", EXECUTOR_PORT, &["--attestor", "test-pki"]);
	let renewed = node.wait_for(TIMEOUT, "the new attestation", |n| enclave(n, &ferdie).filter(|e| e.attested_at > previous));
	assert_eq!(renewed.expires_at, renewed.attested_at + 60);
	let fresh = try_submit(&mut node, |n| tee_spec(n, JobInput::Inline(digit.clone().try_into().unwrap()))).expect("a tee job");
	assert_eq!(wait_closed(&mut node, &mut executor, fresh), JobStatus::Completed);
	// The job whose forged result was refused is answered by the enclave after all.
	assert_eq!(wait_closed(&mut node, &mut executor, unanswered), JobStatus::Completed);
	let chain_secs = |n: &Node| {
		n.storage(&pallet_timestamp::Now::<Runtime>::hashed_key(), None).map_or(0, |b| u64::decode(&mut &b[..]).unwrap() / 1_000)
	};
	while chain_secs(&node) < renewed.expires_at {
		let best = node.best_number().unwrap();
		submit(&node, Sr25519Keyring::Dave, RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		node.wait_for(TIMEOUT, "a block", |n| (n.best_number().unwrap() > best).then_some(()));
	}
	assert_eq!(try_submit(&mut node, |n| tee_spec(n, JobInput::Inline(digit.try_into().unwrap()))), None);
	executor.wait_for_metric("verity_executor_jobs_total{outcome=\"completed\",tier=\"tee\"} 2");
	drop(serial);
}

/// The digits model's file, which makes its signed results challengeable once stored.
const DIGITS_FILE: &[u8] = include_bytes!("../../models/digits-mlp/model.vmlp");

/// Issue #18 on the real node: the digits model's file is stored on chain, so its signed results
/// are provisional and a challenge re-runs the model in the runtime. Ferdie's executor process
/// serves two jobs: the first as the TEST ONLY lying build, whose lie the challenge overturns
/// (the payer refunded, Ferdie slashed), the second as the honest `verity-executor`, whose
/// challenged result stands (the challenger's bond paid to Ferdie, the result final at once).
#[test]
fn a_lie_about_a_digit_is_overturned_by_the_runtime_and_an_honest_result_survives_a_challenge() {
	use verity_runtime::configs::{ChallengeBond, MinLieSlash};
	let serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let dir = TempDir::new("challenges");
	let mut node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
	let (bob, charlie, ferdie) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie);
	submit(
		&node,
		Sr25519Keyring::Dave,
		RuntimeCall::Reexecution(pallet_verity_reexecution::Call::store_model {
			file: DIGITS_FILE.to_vec().try_into().unwrap(),
		}),
	);
	let stored = |node: &Node| {
		node.storage(&pallet_verity_reexecution::ModelFiles::<Runtime>::hashed_key_for(DIGITS_MLP_ID), None).is_some()
	};
	wait_until(&node, "the digits file is stored", || stored(&node));

	let (digit, _) = a_digit();
	let native = verity_mlp::QuantizedMlp::from_bytes(DIGITS_FILE).unwrap().run_bytes(&digit).unwrap();
	// Ferdie's real executor process serves one job: lying (the TEST ONLY dishonest build, every
	// signed result falsified) or honest.
	let provisional = |node: &mut Node, lying: bool| -> JobId {
		let mut ferdie =
			if lying { start_lying_executor(node, dir.path()) } else { start_executor(node, dir.path(), "//Ferdie") };
		let id = next_job_id(node);
		submit(node, bob, RuntimeCall::Inference(pallet_verity_inference::Call::submit_job { spec: spec(node, DIGITS_MLP_ID, &digit, 20) }));
		assert_eq!(wait_closed(node, &mut ferdie, id), JobStatus::Provisional);
		assert_eq!(output(node, id) == native, !lying);
		id
	};
	let challenge = |node: &Node, id: JobId| {
		submit(node, charlie, RuntimeCall::Inference(pallet_verity_inference::Call::challenge { job: id, input: None }));
	};
	let balance = |node: &Node, who: &AccountId| node.owned_balance(who, None);
	let stake = |node: &Node| registration(node, &ferdie.to_account_id()).unwrap().stake;

	// The lie: overturned, Bob refunded in full plus the charge, Ferdie slashed the floor.
	let lied = provisional(&mut node, true);
	let (bob_before, stake_before) = (balance(&node, &bob.to_account_id()), stake(&node));
	challenge(&node, lied);
	wait_until(&node, "the lie is overturned", || job(&node, lied).is_some_and(|j| j.status == JobStatus::Overturned));
	let charge = price(DIGITS_MLP_ID) + DEMO_EXECUTOR_FEE;
	assert_eq!(stake(&node), stake_before - MinLieSlash::get(), "the lie cost Ferdie the floor, 10 VRT");
	// Bob owned the escrow all along (held); he gains the compensation.
	assert_eq!(balance(&node, &bob.to_account_id()), bob_before + charge);
	let events = all_events(&node);
	let reward = (MinLieSlash::get() - charge) / 2;
	assert!(events.iter().any(|e| matches!(e,
		RuntimeEvent::Inference(pallet_verity_inference::Event::ResultOverturned { job, reward: r, compensation, .. })
			if *job == lied && *r == reward && *compensation == charge)));

	// The truth: the challenge fails, its bond goes to Ferdie, and the result is final at once.
	let honest = provisional(&mut node, false);
	let charlie_before = balance(&node, &charlie.to_account_id());
	challenge(&node, honest);
	wait_until(&node, "the honest result is final", || job(&node, honest).is_some_and(|j| j.status == JobStatus::Completed));
	let fees = fees_paid(&all_events(&node), &charlie.to_account_id());
	let fees_before = fees_paid(&events, &charlie.to_account_id());
	assert_eq!(balance(&node, &charlie.to_account_id()), charlie_before - ChallengeBond::get() - (fees - fees_before));
	assert_eq!(output(&node, honest), native);
	drop(serial);
}

/// Waits (two minutes at most) until `done`, sealing nothing itself.
fn wait_until(node: &Node, what: &str, mut done: impl FnMut() -> bool) {
	let start = Instant::now();
	while !done() {
		assert!(start.elapsed() < TIMEOUT, "timed out waiting until {what}; node log:\n{}", node.log_tail());
		std::thread::sleep(Duration::from_millis(100));
	}
}

/// Blocks a signed result stays provisional (the runtime's `ChallengePeriod`).
fn challenge_period() -> u32 {
	<<Runtime as pallet_verity_inference::Config>::ChallengePeriod as frame_support::traits::Get<u32>>::get()
}

/// Seals blocks until provisional job `id`'s challenge window has closed, and waits for its
/// payout.
fn close_challenge_window(node: &Node, id: JobId) {
	seal_blocks(node, challenge_period());
	wait_until(node, "the result is final", || job(node, id).is_some_and(|j| j.status == JobStatus::Completed));
}

/// Seals `blocks` blocks on an instant-seal node (one remark each).
fn seal_blocks(node: &Node, blocks: u32) {
	for _ in 0..blocks {
		let next = node.best_number().unwrap() + 1;
		submit(node, Sr25519Keyring::Eve, RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		wait_until(node, "the block is sealed", || node.best_number().unwrap() >= next);
	}
}

/// Issue #18, proof on demand: the digits model has a zk key and, on a fresh dev chain, no file
/// on chain, so a challenge asks its executor for a proof. Ferdie runs the TEST ONLY lying
/// executor (`verity-executor-dishonest --lie-probability 1`): its result is a lie it cannot
/// prove, and when the proof window closes the result is overturned and Ferdie slashed.
#[test]
fn a_lie_its_executor_cannot_prove_on_demand_is_overturned() {
	use verity_runtime::configs::MinLieSlash;
	let serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let dir = TempDir::new("proof-on-demand");
	let mut node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
	let mut liar = start_lying_executor(&node, dir.path());
	let (bob, charlie, ferdie) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie);
	let (digit, _) = a_digit();
	let id = next_job_id(&node);
	submit(&node, bob, RuntimeCall::Inference(pallet_verity_inference::Call::submit_job { spec: spec(&node, DIGITS_MLP_ID, &digit, 20) }));
	assert_eq!(wait_closed(&mut node, &mut liar, id), JobStatus::Provisional);
	let truth = verity_mlp::QuantizedMlp::from_bytes(DIGITS_FILE).unwrap().run_bytes(&digit).unwrap();
	assert_ne!(output(&node, id), truth, "the executor lied");
	assert!(liar.log_tail().contains("TEST ONLY: falsified this result"));
	let stake = registration(&node, &ferdie.to_account_id()).unwrap().stake;
	submit(&node, charlie, RuntimeCall::Inference(pallet_verity_inference::Call::challenge { job: id, input: None }));
	wait_until(&node, "the proof is requested", || {
		node.storage(&pallet_verity_inference::Challenges::<Runtime>::hashed_key_for(id), None).is_some()
	});
	// It tries, as an honest executor would, and finds the lie cannot be proved.
	wait_until(&node, "the executor gives up proving", || liar.log_tail().contains("cannot be proved"));
	seal_blocks(&node, verity_runtime::configs::PROOF_WINDOW);
	wait_until(&node, "the unproven lie is overturned", || job(&node, id).is_some_and(|j| j.status == JobStatus::Overturned));
	assert_eq!(registration(&node, &ferdie.to_account_id()).unwrap().stake, stake - MinLieSlash::get());
	drop(serial);
}

/// Issue #18: the switch that makes an executor lie is TEST ONLY. The `verity-executor` every
/// release ships has none: its command line refuses it and its binary holds neither the option
/// nor the code's message; only `verity-executor-dishonest` (cargo feature `dishonest`) has it.
#[test]
fn only_the_test_only_dishonest_executor_can_lie() {
	let binary = |name: &str| Path::new(env!("CARGO_BIN_EXE_verity-node")).with_file_name(name);
	let holds = |bytes: &[u8], text: &[u8]| bytes.windows(text.len()).any(|window| window == text);
	let refused = std::process::Command::new(binary("verity-executor")).args(["--lie-probability", "1"]).output().unwrap();
	assert!(!refused.status.success());
	let stderr = String::from_utf8_lossy(&refused.stderr);
	assert!(stderr.contains("unexpected argument '--lie-probability'"), "{stderr}");
	let release = std::fs::read(binary("verity-executor")).unwrap();
	assert!(!holds(&release, b"lie-probability") && !holds(&release, b"falsified this result"));
	let dishonest = std::fs::read(binary("verity-executor-dishonest"))
		.expect("verity-executor-dishonest is built for the tests (scripts/common.sh, build_workspace)");
	assert!(holds(&dishonest, b"lie-probability") && holds(&dishonest, b"falsified this result"));
}

/// Issue #18: the real executor answers a challenge of its honest digits result with a zk proof
/// (proof on demand), so the challenger loses its bond to it and the result is final at once.
#[test]
fn an_honest_executor_proves_its_challenged_result_and_keeps_the_bond() {
	let (_serial, _dir, mut node, mut executor) = dev_chain_with_ferdie("honest-challenged");
	let (bob, charlie, ferdie) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie);
	let (digit, _) = a_digit();
	let id = next_job_id(&node);
	submit(&node, bob, RuntimeCall::Inference(pallet_verity_inference::Call::submit_job { spec: spec(&node, DIGITS_MLP_ID, &digit, 20) }));
	assert_eq!(wait_closed(&mut node, &mut executor, id), JobStatus::Provisional);
	let before = node.owned_balance(&ferdie.to_account_id(), None);
	submit(&node, charlie, RuntimeCall::Inference(pallet_verity_inference::Call::challenge { job: id, input: None }));
	wait_until(&node, "the executor proved its result", || job(&node, id).is_some_and(|j| j.status == JobStatus::Completed));
	let events = all_events(&node);
	assert!(events.iter().any(|e| matches!(e,
		RuntimeEvent::Inference(pallet_verity_inference::Event::ChallengeFailed { job, bond, .. })
			if *job == id && *bond == verity_runtime::configs::ChallengeBond::get())));
	// Ferdie got the bond and its pay (less the fee of its proof).
	assert!(node.owned_balance(&ferdie.to_account_id(), None) > before);
	wait_until(&node, "the executor logs its answer", || executor.log_tail().contains("challenge answered"));
}
