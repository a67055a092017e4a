//! An agent pays for a verified inference with one HTTP retry: the real `verity-node` (instant
//! seal), the real `verity-executor` (Ferdie, on the genesis endpoint) and the real
//! `verity-gateway` (relayer //Eve) on loopback, and the real `verity` CLI.
//!
//! The tests share the genesis executor's port, so they run one at a time.

mod common;

use std::{
	process::Command,
	sync::Mutex,
	time::{SystemTime, UNIX_EPOCH},
};

use common::{decode_hex, encode_hex, http_request, models_dir, HttpAnswer, Node, Service, TempDir};
use serde_json::{json, Value};
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use verity_primitives::{inference::JobStatus, AccountId, Balance};
use verity_runtime::genesis_config_presets::{DEMO_EXECUTOR_FEE, DIGITS_MLP_ID};
use verity_x402::{
	decode_header, encode_header, format_account, network_id, sign_payment, PaymentPayload, PaymentRequired,
	PaymentRequirements, PaymentTerms, SettleResponse,
};

/// The genesis executor's endpoint port.
const EXECUTOR_PORT: u16 = 9955;
/// The digits model's price at the signed tier in the development genesis.
const DIGITS_PRICE: Balance = 10 * verity_primitives::currency::MILLI_UNIT;
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const INFER: &str = "/v1/models/digits-mlp/infer";

struct Market {
	dir: TempDir,
	node: Node,
	_executor: Service,
	gateway: Service,
}

impl Market {
	fn start(tag: &str) -> Self {
		let dir = TempDir::new(tag);
		let node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
		let models = models_dir();
		let executor = Service::start(
			"verity-executor",
			&node,
			dir.path(),
			EXECUTOR_PORT,
			&["--key", "//Ferdie", "--listen", &format!("127.0.0.1:{EXECUTOR_PORT}"), "--models-dir", models.to_str().unwrap()],
		);
		let port = common::free_port();
		let alias = format!("digits-mlp={DIGITS_MLP_ID:?}");
		let gateway = Service::start(
			"verity-gateway",
			&node,
			dir.path(),
			port,
			&["--key", "//Eve", "--listen", &format!("127.0.0.1:{port}"), "--model", &alias, "--job-timeout", "60"],
		);
		Self { dir, node, _executor: executor, gateway }
	}

	fn post(&self, headers: &[(&str, &str)], body: &Value) -> HttpAnswer {
		http_request(self.gateway.port, "POST", INFER, headers, &body.to_string()).expect("the gateway answers")
	}

	/// The offer of an unpaid request for `body`.
	fn offer(&self, body: &Value) -> (PaymentRequired, PaymentRequirements) {
		let answer = self.post(&[], body);
		assert_eq!(answer.status, 402, "{}", answer.body);
		let required: PaymentRequired = decode_header(answer.header("payment-required").expect("PAYMENT-REQUIRED")).unwrap();
		assert_eq!(serde_json::to_value(&required).unwrap(), answer.json(), "the body is the header's object");
		let offer = required.accepts[0].clone();
		(required, offer)
	}

	fn pay(&self, payer: &sr25519::Pair, offer: &PaymentRequirements, terms: Option<PaymentTerms>) -> PaymentPayload {
		let terms = terms.unwrap_or_else(|| job_terms(offer));
		sign_payment(payer, offer, None, &terms, &self.node.genesis_hash()).unwrap()
	}

	fn send(&self, payment: &PaymentPayload, body: &Value) -> HttpAnswer {
		self.post(&[("PAYMENT-SIGNATURE", &encode_header(payment))], body)
	}

	fn balance(&self, who: &AccountId) -> Balance {
		self.node.free_balance(who, None)
	}
}

fn now() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The terms a client signs for `offer`: its job nonce, a window around now.
fn job_terms(offer: &PaymentRequirements) -> PaymentTerms {
	let nonce = offer.extra.as_ref().unwrap()["nonce"].as_str().unwrap();
	PaymentTerms { valid_after: now() - 600, valid_before: now() + 300, nonce: decode_hex(nonce).try_into().unwrap() }
}

fn digit() -> (Value, usize) {
	let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
	let sample = &held_out[3];
	(json!({ "inputHex": encode_hex(&sample.input_bytes()) }), sample.label as usize)
}

fn receipt(answer: &HttpAnswer) -> SettleResponse {
	decode_header(answer.header("payment-response").expect("PAYMENT-RESPONSE")).unwrap()
}

#[test]
fn an_agent_pays_for_a_verified_inference_with_one_retry() {
	let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let market = Market::start("gateway-e2e");
	let node = &market.node;
	let (body, label) = digit();
	let bob = Sr25519Keyring::Bob;

	// Five payers for the concurrent requests below, funded first: the transfers also make the
	// chain's first blocks (until then the chain has no clock, and no payment is valid).
	let payers: Vec<sr25519::Pair> =
		(0..5).map(|i| sr25519::Pair::from_string(&format!("//Dave//gateway-{i}"), None).unwrap()).collect();
	let dave = Sr25519Keyring::Dave;
	for payer in &payers {
		let transfer = verity_runtime::RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: AccountId::from(payer.public()).into(),
			value: 100 * verity_primitives::currency::UNIT,
		});
		let nonce = node.call("system_accountNextIndex", json!([format_account(&dave.to_account_id())])).unwrap();
		let extrinsic = verity_runtime::signing::sign_extrinsic(&dave.pair(), transfer, nonce.as_u64().unwrap() as u32, node.genesis_hash());
		node.submit(&codec::Encode::encode(&extrinsic)).unwrap();
		let account: AccountId = payer.public().into();
		let mut waiting = 0;
		while market.balance(&account) == 0 {
			std::thread::sleep(std::time::Duration::from_millis(100));
			waiting += 1;
			assert!(waiting < 600, "the payer was not funded");
		}
	}

	// Unpaid: 402 with an offer that pays the job's escrow binding, in the model's asset.
	let (required, offer) = market.offer(&body);
	assert_eq!(required.x402_version, 2);
	assert_eq!(offer.scheme, "exact");
	assert_eq!(offer.network, network_id(&node.genesis_hash()));
	assert_eq!(offer.pay_to, format_account(&verity_x402::job_escrow_binding()));
	assert_eq!(offer.asset, "native");
	assert_eq!(offer.amount, (DIGITS_PRICE + DEMO_EXECUTOR_FEE).to_string());

	// Paid: 200 with the result, its evidence and a receipt whose transaction is on chain.
	let before = market.balance(&bob.to_account_id());
	let payment = market.pay(&bob.pair(), &offer, None);
	let answer = market.send(&payment, &body);
	assert_eq!(answer.status, 200, "{}\ngateway log:\n{}", answer.body, market.gateway.log_tail());
	let result = answer.json();
	let settled = receipt(&answer);
	assert!(settled.success);
	assert_eq!(settled.payer.as_deref(), Some(format_account(&bob.to_account_id()).as_str()));
	let block = node.call("chain_getBlock", json!([settled.block_hash])).unwrap();
	assert!(
		block["block"]["extrinsics"].as_array().unwrap().iter().any(|xt| {
			encode_hex(&sp_io::hashing::blake2_256(&decode_hex(xt.as_str().unwrap()))) == settled.transaction
		}),
		"the receipt's transaction is in the block it names"
	);
	let logits = verity_mlp::logits_from_bytes(&decode_hex(result["output"].as_str().unwrap())).unwrap();
	assert_eq!(verity_mlp::argmax(&logits), label, "the MLP classifies the digit");
	assert_eq!(result["tier"], json!("signed"));
	assert_eq!(result["evidence"]["tier"], json!("signed"));
	assert_eq!(
		market.balance(&bob.to_account_id()),
		before - DIGITS_PRICE - DEMO_EXECUTOR_FEE,
		"the payer paid the price and the fee, and no transaction fee"
	);

	// A retry of the same payment is answered the same and charged once.
	let again = market.send(&payment, &body);
	assert_eq!(again.status, 200);
	assert_eq!(again.json(), result);
	assert_eq!(market.balance(&bob.to_account_id()), before - DIGITS_PRICE - DEMO_EXECUTOR_FEE);

	// Bad payments: 402 with the reason, and nothing moves.
	let charlie = Sr25519Keyring::Charlie;
	let before = market.balance(&charlie.to_account_id());
	let refused = |payment: &PaymentPayload, reason: &str| {
		let answer = market.send(payment, &body);
		assert_eq!(answer.status, 402, "{reason}: {}", answer.body);
		assert_eq!(receipt(&answer).error_reason.as_deref(), Some(reason), "{}", answer.body);
	};
	let (_, offer) = market.offer(&body);
	let mut tampered = market.pay(&charlie.pair(), &offer, None);
	let mut signature = decode_hex(&tampered.payload.signature);
	*signature.last_mut().unwrap() ^= 1;
	tampered.payload.signature = encode_hex(&signature);
	refused(&tampered, "invalid_exact_substrate_payload_signature");

	let mut cheaper = offer.clone();
	cheaper.amount = (DIGITS_PRICE + DEMO_EXECUTOR_FEE - 1).to_string();
	let mut underpaid = market.pay(&charlie.pair(), &cheaper, Some(job_terms(&offer)));
	underpaid.accepted = offer.clone();
	refused(&underpaid, "invalid_exact_substrate_payload_authorization_value_mismatch");

	let mut elsewhere = market.pay(&charlie.pair(), &offer, None);
	elsewhere.accepted.network = "polkadot:00000000000000000000000000000000".into();
	refused(&elsewhere, "invalid_network");

	let expired_terms = PaymentTerms { valid_after: now() - 600, valid_before: now() - 60, ..job_terms(&offer) };
	let expired = market.pay(&charlie.pair(), &offer, Some(expired_terms));
	refused(&expired, "invalid_exact_substrate_payload_authorization_valid_before");

	let malformed = market.post(&[("PAYMENT-SIGNATURE", "not base64!")], &body);
	assert_eq!(malformed.status, 400, "{}", malformed.body);
	assert_eq!(market.balance(&charlie.to_account_id()), before, "refused payments moved nothing");

	// 50 concurrent paid requests from the 5 payers: all served, and the balances add up exactly.
	let before: Vec<Balance> = payers.iter().map(|p| market.balance(&p.public().into())).collect();
	let started = std::time::Instant::now();
	let answers: Vec<HttpAnswer> = std::thread::scope(|scope| {
		let handles: Vec<_> = (0..50)
			.map(|i| {
				let payer = &payers[i % 5];
				let (market, body) = (&market, &body);
				scope.spawn(move || {
					let (_, offer) = market.offer(body);
					market.send(&market.pay(payer, &offer, None), body)
				})
			})
			.collect();
		handles.into_iter().map(|h| h.join().unwrap()).collect()
	});
	eprintln!("50 concurrent paid inferences took {:?}", started.elapsed());
	for answer in &answers {
		assert_eq!(answer.status, 200, "{}\ngateway log:\n{}", answer.body, market.gateway.log_tail());
	}
	for (payer, before) in payers.iter().zip(before) {
		assert_eq!(market.balance(&payer.public().into()), before - 10 * (DIGITS_PRICE + DEMO_EXECUTOR_FEE));
	}
	let jobs: std::collections::HashSet<String> =
		answers.iter().map(|a| a.json()["jobId"].as_str().unwrap().to_owned()).collect();
	assert_eq!(jobs.len(), 50, "50 distinct jobs");
	for job in &jobs {
		let id: u64 = job.parse().unwrap();
		let summary: Option<verity_primitives::inference::JobSummary<AccountId, verity_runtime::AssetKind, u32>> =
			node.runtime_call("InferenceApi_job", &codec::Encode::encode(&id));
		assert_eq!(summary.unwrap().status, JobStatus::Completed);
	}

	// The `verity` CLI pays the same way.
	let verity = std::path::Path::new(env!("CARGO_BIN_EXE_verity-node")).with_file_name("verity");
	let url = format!("http://127.0.0.1:{}{INFER}", market.gateway.port);
	let output = Command::new(&verity)
		.args(["--json", "pay", &url, "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Ferdie//payer"])
		.output()
		.unwrap();
	// An account with nothing to pay with is told so.
	assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
	let refusal: Value = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!(refusal["errorReason"], json!("insufficient_funds"), "{refusal}");
	let output = Command::new(&verity)
		.args(["--json", "pay", &url, "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Alice"])
		.output()
		.unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let paid: Value = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!(paid["receipt"]["success"], json!(true), "{paid}");
	assert_eq!(paid["result"]["evidence"]["tier"], json!("signed"));

	// `verity verify` checks the evidence as the runtime did: with the executor's key from the
	// chain, or given offline; a changed output or signature fails.
	let dir = market.dir.path();
	let verify = |answer: &Value, extra: &[&str]| {
		let file = dir.join("answer.json");
		std::fs::write(&file, answer.to_string()).unwrap();
		let mut args = vec!["--node-url".to_string(), format!("ws://127.0.0.1:{}", node.rpc_port), "verify".into()];
		args.push(file.to_str().unwrap().into());
		args.extend(extra.iter().map(|a| a.to_string()));
		let output = Command::new(&verity).args(&args).output().unwrap();
		(output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr))
	};
	let (valid, said) = verify(&paid, &[]);
	assert!(valid && said.contains("valid: the signed evidence"), "{said}");
	let ferdie_key = encode_hex(Sr25519Keyring::Ferdie.public().as_ref());
	let (valid, said) = verify(&paid["result"], &["--signing-key", &ferdie_key]);
	assert!(valid, "offline, with the key given: {said}");
	let mut changed = paid["result"].clone();
	let mut output = decode_hex(changed["output"].as_str().unwrap());
	output[0] ^= 1;
	changed["output"] = json!(encode_hex(&output));
	let (valid, said) = verify(&changed, &[]);
	assert!(!valid && said.contains("outputHash"), "a changed output: {said}");
	let mut forged = paid["result"].clone();
	forged["evidence"]["signature"]["sr25519"] = json!(encode_hex(&[7; 64]));
	let (valid, said) = verify(&forged, &["--signing-key", &ferdie_key]);
	assert!(!valid && said.contains("signature does not verify"), "a forged signature: {said}");

	// The zk tier through the gateway: the proof checks offline against the model's key file.
	let zk = Command::new(&verity)
		.args(["--json", "pay", &url, "--tier", "zk", "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Alice"])
		.output()
		.unwrap();
	assert!(zk.status.success(), "{}", String::from_utf8_lossy(&zk.stderr));
	let zk: Value = serde_json::from_slice(&zk.stdout).unwrap();
	assert_eq!(zk["result"]["evidence"]["tier"], json!("zk"), "{zk}");
	let key_file = models_dir().join("digits-mlp/zk/verifying.key");
	let (valid, said) = verify(&zk, &["--verifying-key", key_file.to_str().unwrap()]);
	assert!(valid && said.contains("valid: the zk evidence"), "{said}");
	let (valid, said) = verify(&zk, &[]);
	assert!(valid, "with the chain's key: {said}");
	let mut changed = zk["result"].clone();
	let mut proof = decode_hex(changed["evidence"]["proof"].as_str().unwrap());
	proof[100] ^= 1;
	changed["evidence"]["proof"] = json!(encode_hex(&proof));
	let (valid, said) = verify(&changed, &["--verifying-key", key_file.to_str().unwrap()]);
	assert!(!valid && said.contains("zk proof"), "a changed proof: {said}");
}
