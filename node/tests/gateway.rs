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
/// The key of the one resource server the gateway settles for.
const SETTLER_KEY: &str = "test-resource-server-key";

const INFER: &str = "/v1/models/digits-mlp/infer";

struct Market {
	dir: TempDir,
	node: Node,
	_executor: Service,
	gateway: Service,
}

impl Market {
	/// A market whose gateway gets `gateway_args` besides its relayer key, port and model name.
	fn start(tag: &str, gateway_args: &[&str]) -> Self {
		let dir = TempDir::new(tag);
		let node = Node::start(dir.path(), &["--dev", "--sealing", "instant", "--x402-facilitator", "//Bob//stash"]);
		// One resource server may settle through the gateway, twice a minute.
		let settlers = dir.path().join("settlers");
		std::fs::write(&settlers, format!("shop={SETTLER_KEY}\n")).unwrap();
		let models = models_dir();
		let executor = Service::start(
			"verity-executor",
			&node,
			dir.path(),
			EXECUTOR_PORT,
			&[
				"--key",
				"//Ferdie",
				"--listen",
				&format!("127.0.0.1:{EXECUTOR_PORT}"),
				"--models-dir",
				models.to_str().unwrap(),
				// TEST ONLY attestation: the dev chain trusts the test PKI.
				"--attestor",
				"test-pki",
			],
		);
		let port = common::free_port();
		let alias = format!("digits-mlp={DIGITS_MLP_ID:?}");
		let gateway = Service::start(
			"verity-gateway",
			&node,
			dir.path(),
			port,
			// Under instant sealing each block moves the chain's clock a whole slot (6 s), so after
			// a few hundred blocks it runs minutes ahead of the wall clock that payers sign their
			// validity windows by: offers here stay payable for an hour.
			&[
				&["--key", "//Eve", "--listen", &format!("127.0.0.1:{port}"), "--model", &alias][..],
				&["--job-timeout", "60", "--offer-ttl", "3600"],
				&["--settlers-file", settlers.to_str().unwrap(), "--settles-per-minute", "2"],
				gateway_args,
			]
			.concat(),
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

/// The terms a client signs for `offer`: its job nonce, a window around now, as long as the
/// gateway's offers (the instant-sealed chain's clock runs ahead, see `Market::start`).
fn job_terms(offer: &PaymentRequirements) -> PaymentTerms {
	let nonce = offer.extra.as_ref().unwrap()["nonce"].as_str().unwrap();
	PaymentTerms { valid_after: now() - 600, valid_before: now() + 3600, nonce: decode_hex(nonce).try_into().unwrap() }
}

fn digit() -> (Value, usize) {
	let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
	let sample = &held_out[3];
	(json!({ "inputHex": encode_hex(&sample.input_bytes()) }), sample.label as usize)
}

/// The digit a digits-mlp answer's output classifies its input as.
fn classify(answer: &Value) -> usize {
	verity_mlp::argmax(&verity_mlp::logits_from_bytes(&decode_hex(answer["output"].as_str().unwrap())).unwrap())
}

/// Seals one block (under instant sealing, by sending a transaction: a remark by //Dave).
fn seal_a_block(node: &Node) {
	let before = node.best_number().unwrap();
	let dave = Sr25519Keyring::Dave;
	let nonce = node.call("system_accountNextIndex", json!([format_account(&dave.to_account_id())])).unwrap();
	let remark = verity_runtime::RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
	let extrinsic = verity_runtime::signing::sign_extrinsic(&dave.pair(), remark, nonce.as_u64().unwrap() as u32, node.genesis_hash());
	node.submit(&codec::Encode::encode(&extrinsic)).unwrap();
	let started = std::time::Instant::now();
	while node.best_number().unwrap() == before {
		assert!(started.elapsed() < std::time::Duration::from_secs(30), "no block sealed");
		std::thread::sleep(std::time::Duration::from_millis(50));
	}
}

/// The `verity` CLI, built beside the node.
fn verity_cli() -> std::path::PathBuf {
	std::path::Path::new(env!("CARGO_BIN_EXE_verity-node")).with_file_name("verity")
}

/// Runs `verity --node-url <node> args`: whether it succeeded, its stdout and its stderr.
fn run_verity(node: &Node, args: &[&str]) -> (bool, String, String) {
	let output = Command::new(verity_cli())
		.args(["--node-url", &format!("ws://127.0.0.1:{}", node.rpc_port)])
		.args(args)
		.output()
		.unwrap();
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	(output.status.success(), text(&output.stdout), text(&output.stderr))
}

fn receipt(answer: &HttpAnswer) -> SettleResponse {
	decode_header(answer.header("payment-response").expect("PAYMENT-RESPONSE")).unwrap()
}

/// A gateway that answers one request with `required` (a 402) and counts the requests it got:
/// the port, and the count.
fn one_offer_gateway(required: PaymentRequired) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
	use std::io::{Read, Write};
	let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let port = listener.local_addr().unwrap().port();
	let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
	let counted = requests.clone();
	std::thread::spawn(move || {
		for stream in listener.incoming() {
			let Ok(mut stream) = stream else { return };
			counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
			let mut request = [0u8; 16 * 1024];
			let _ = stream.read(&mut request);
			let answer = format!(
				"HTTP/1.1 402 Payment Required\r\npayment-required: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
				encode_header(&required)
			);
			let _ = stream.write_all(answer.as_bytes());
		}
	});
	(port, requests)
}

#[test]
fn an_agent_pays_for_a_verified_inference_with_one_retry() {
	let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	// Instant sealing makes a block per transaction: the 50 concurrent payments below make well
	// over a hundred blocks between the first offer and the last submission, so offers carry a
	// deadline further off than the default 100 blocks (a minute of Aura blocks is 10).
	let market = Market::start("gateway-e2e", &["--deadline-blocks", "1000"]);
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
	// And in the stable asset, at the model's stable prices: the executor's native fee converts
	// at their ratio (10 mUNIT : 10 mvUSD), so 1 mUNIT of fee is 1 mvUSD.
	assert_eq!(required.accepts.len(), 2, "{:?}", required.accepts);
	let stable = &required.accepts[1];
	assert_eq!(stable.asset, verity_primitives::stable_asset::ID.to_string());
	assert_eq!(stable.amount, (11 * verity_primitives::stable_asset::UNIT / 1_000).to_string());
	assert_ne!(stable.extra.as_ref().unwrap()["nonce"], offer.extra.as_ref().unwrap()["nonce"], "an offer per asset");

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
	assert_eq!(classify(&result), label, "the MLP classifies the digit");
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

	// One payment in several encodings is one payment: the payer as a `0x` account id and the
	// signature bare instead of typed get the first's answer, and the relayer submits it once.
	// Before the fix retries were keyed on the payment's JSON: each encoding was submitted
	// again, at the relayer's cost, and answered "nonce used".
	let (_, offer) = market.offer(&body);
	let payment = market.pay(&bob.pair(), &offer, None);
	let before = market.balance(&bob.to_account_id());
	let first = market.send(&payment, &body);
	assert_eq!(first.status, 200, "{}", first.body);
	let mut reencoded = payment.clone();
	reencoded.payload.authorization.from = encode_hex(bob.to_account_id().as_ref());
	let typed = decode_hex(&payment.payload.signature);
	assert_eq!(typed.len(), 65, "sign_payment writes a typed MultiSignature");
	reencoded.payload.signature = encode_hex(&typed[1..]);
	let second = market.send(&reencoded, &body);
	assert_eq!(second.status, 200, "{}", second.body);
	assert_eq!(second.json()["jobId"], first.json()["jobId"]);
	assert_eq!(market.balance(&bob.to_account_id()), before - DIGITS_PRICE - DEMO_EXECUTOR_FEE, "charged once");

	// A payment someone copies (here from its offer; in the wild from the pool) and gets in
	// first still gets its answer: the gateway finds the job the nonce paid for. Before the
	// fix the payer was charged and the gateway answered "nonce used".
	let charlie = Sr25519Keyring::Charlie;
	let (_, offer) = market.offer(&body);
	let payment = market.pay(&charlie.pair(), &offer, None);
	let before = market.balance(&charlie.to_account_id());
	let job = offer.extra.as_ref().unwrap()["job"].clone();
	let spec = verity_primitives::inference::JobSpec {
		model: DIGITS_MLP_ID,
		mode: verity_primitives::inference::VerificationMode::Signed,
		input: verity_primitives::inference::JobInput::Inline(
			decode_hex(body["inputHex"].as_str().unwrap()).try_into().unwrap(),
		),
		max_price: job["maxPrice"].as_str().unwrap().parse().unwrap(),
		max_fee: job["maxFee"].as_str().unwrap().parse().unwrap(),
		deadline: job["deadline"].as_u64().unwrap() as u32,
	};
	let salt: [u8; 32] = decode_hex(job["salt"].as_str().unwrap()).try_into().unwrap();
	let copied = verity_x402::payload_to_chain(&payment, &node.genesis_hash()).unwrap();
	let call = verity_runtime::RuntimeCall::Inference(pallet_verity_inference::Call::submit_paid {
		spec,
		salt,
		authorization: copied.authorization,
		signature: copied.signature,
	});
	let dave = Sr25519Keyring::Dave;
	let nonce = node.call("system_accountNextIndex", json!([format_account(&dave.to_account_id())])).unwrap();
	let extrinsic = verity_runtime::signing::sign_extrinsic(&dave.pair(), call, nonce.as_u64().unwrap() as u32, node.genesis_hash());
	node.submit(&codec::Encode::encode(&extrinsic)).unwrap();
	let started = std::time::Instant::now();
	while market.balance(&charlie.to_account_id()) == before {
		assert!(started.elapsed() < std::time::Duration::from_secs(30), "the copied payment was not included");
		std::thread::sleep(std::time::Duration::from_millis(50));
	}
	let answer = market.send(&payment, &body);
	assert_eq!(answer.status, 200, "{}\ngateway log:\n{}", answer.body, market.gateway.log_tail());
	assert!(receipt(&answer).success);
	assert_eq!(classify(&answer.json()), label);
	assert_eq!(market.balance(&charlie.to_account_id()), before - DIGITS_PRICE - DEMO_EXECUTOR_FEE, "charged once");

	// Bad payments: 402 with the reason, and nothing moves.
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
		// Signed digits results are provisional (challengeable, the escrow held) until their
		// window closes; the others final.
		assert!(summary.unwrap().status.has_result());
	}

	// The `verity` CLI pays the same way, checking offers and answers against its own node.
	let verity = verity_cli();
	let url = format!("http://127.0.0.1:{}{INFER}", market.gateway.port);
	let node_url = format!("ws://127.0.0.1:{}", node.rpc_port);
	let output = Command::new(&verity)
		.args(["--node-url", &node_url, "--json", "pay", &url, "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Ferdie//payer"])
		.output()
		.unwrap();
	// An account with nothing to pay with is told so.
	assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
	let refusal: Value = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!(refusal["errorReason"], json!("insufficient_funds"), "{refusal}");
	let output = Command::new(&verity)
		.args(["--node-url", &node_url, "--json", "pay", &url, "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Alice"])
		.output()
		.unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let paid: Value = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!(paid["receipt"]["success"], json!(true), "{paid}");
	assert_eq!(paid["result"]["evidence"]["tier"], json!("signed"));

	// A gateway asks far above the chain's quote with an offer that is consistent in itself
	// (its nonce is the job its terms make, paid into the escrow binding): a fee cap a
	// thousand times the quoted one, which one greedy executor could take. `verity pay`
	// refuses it by its own node's quote and signs nothing: the gateway sees one request only.
	let input = decode_hex(body["inputHex"].as_str().unwrap());
	let greedy = verity_primitives::inference::JobSpec {
		model: DIGITS_MLP_ID,
		mode: verity_primitives::inference::VerificationMode::Signed,
		input: verity_primitives::inference::JobInput::Inline(input.clone().try_into().unwrap()),
		max_price: DIGITS_PRICE,
		max_fee: 1_000 * DEMO_EXECUTOR_FEE,
		deadline: 1_000,
	};
	let salt = [1u8; 32];
	let genesis = node.genesis_hash();
	let greedy_offer = PaymentRequirements {
		scheme: "exact".into(),
		network: network_id(&genesis),
		amount: (greedy.max_price + greedy.max_fee).to_string(),
		asset: "native".into(),
		pay_to: format_account(&verity_x402::job_escrow_binding()),
		max_timeout_seconds: 300,
		extra: Some(json!({
			"nonce": encode_hex(&verity_primitives::x402::job_nonce(&greedy, &salt)),
			"genesisHash": format!("{genesis:?}"),
			"job": {
				"model": format!("{DIGITS_MLP_ID:?}"),
				"tier": "signed",
				"maxPrice": greedy.max_price.to_string(),
				"maxFee": greedy.max_fee.to_string(),
				"deadline": greedy.deadline,
				"salt": encode_hex(&salt),
			},
		})),
	};
	let (port, requests) = one_offer_gateway(PaymentRequired {
		x402_version: 2,
		error: None,
		resource: verity_x402::ResourceInfo { url: INFER.into(), description: "digits".into(), mime_type: "application/json".into() },
		accepts: vec![greedy_offer],
		extensions: None,
	});
	let greedy_url = format!("http://127.0.0.1:{port}{INFER}");
	let output = Command::new(&verity)
		.args(["--node-url", &node_url, "pay", &greedy_url, "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Alice"])
		.output()
		.unwrap();
	let said = String::from_utf8_lossy(&output.stderr);
	assert!(!output.status.success() && said.contains("above this payer's cap") && said.contains("nothing was signed"), "{said}");
	assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1, "no paid retry was sent");
	// The same offer for another input than the payer's: its nonce is not the job asked for.
	let output = Command::new(&verity)
		.args(["--node-url", &node_url, "pay", &greedy_url, "--input", "another input", "--key", "//Alice", "--max-amount", "1000000000000000000"])
		.output()
		.unwrap();
	let said = String::from_utf8_lossy(&output.stderr);
	assert!(!output.status.success() && said.contains("extra.nonce is not the nonce of the job"), "{said}");
	assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 2, "no paid retry was sent");

	// Paid in the stable asset instead: the escrow and the charge are in vUSD. (Charlie pays:
	// Alice owns the model and would get the royalty back.)
	let charlie = Sr25519Keyring::Charlie.to_account_id();
	let (charlie_native, charlie_stable) = (market.balance(&charlie), node.stable_balance(&charlie));
	let output = Command::new(&verity)
		.args(["--node-url", &node_url, "--json", "pay", &url, "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Charlie", "--asset", "1"])
		.output()
		.unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let in_stable: Value = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!((in_stable["offer"]["asset"].clone(), in_stable["result"]["asset"].clone()), (json!("1"), json!("1")));
	assert_eq!(node.stable_balance(&charlie), charlie_stable - 11 * verity_primitives::stable_asset::UNIT / 1_000, "{in_stable}");
	assert_eq!(market.balance(&charlie), charlie_native, "no native token moved: the relayer paid the fee");

	// The gateway's `POST /settle` is no open relay: it spends the node's facilitator fees.
	// Before the fix a stranger's zero-value settle went through at the facilitator's cost.
	// Now a stranger is refused, and even the configured resource server cannot settle a
	// zero-value payment (the chain refuses it before any fee is spent), nor exceed its rate.
	let facilitator = Sr25519Keyring::BobStash.to_account_id();
	let facilitator_funds = market.balance(&facilitator);
	let to_dave = PaymentRequirements {
		scheme: "exact".into(),
		network: network_id(&node.genesis_hash()),
		amount: "0".into(),
		asset: "native".into(),
		pay_to: format_account(&Sr25519Keyring::Dave.to_account_id()),
		max_timeout_seconds: 60,
		extra: None,
	};
	let terms = PaymentTerms { valid_after: now() - 600, valid_before: now() + 3600, nonce: [0x5e; 32] };
	let settle = |requirements: &PaymentRequirements, headers: &[(&str, &str)]| {
		let payment = sign_payment(&Sr25519Keyring::Charlie.pair(), requirements, None, &terms, &node.genesis_hash()).unwrap();
		let request = json!({"x402Version": 2, "paymentPayload": payment, "paymentRequirements": requirements});
		http_request(market.gateway.port, "POST", "/settle", headers, &request.to_string()).unwrap()
	};
	let bearer = format!("Bearer {SETTLER_KEY}");
	let stranger = settle(&to_dave, &[]);
	assert_eq!(stranger.status, 401, "{}", stranger.body);
	assert_eq!(settle(&to_dave, &[("Authorization", "Bearer not-the-key")]).status, 401);
	let zero = settle(&to_dave, &[("Authorization", &bearer)]);
	assert_eq!(zero.status, 200, "{}", zero.body);
	assert_eq!(zero.json()["errorReason"], json!("invalid_exact_substrate_payload_zero_amount"), "{}", zero.body);
	assert_eq!(market.balance(&facilitator), facilitator_funds, "no fee spent on refused settlements");
	let one = PaymentRequirements { amount: verity_primitives::currency::MILLI_UNIT.to_string(), ..to_dave.clone() };
	let settled = settle(&one, &[("Authorization", &bearer)]);
	assert_eq!(settled.json()["success"], json!(true), "{}", settled.body);
	let limited = settle(&one, &[("Authorization", &bearer)]);
	assert_eq!(limited.status, 429, "{}", limited.body);
	assert!(limited.header("retry-after").is_some());

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
	assert!(valid && said.contains("valid on chain: the signed evidence"), "{said}");
	let ferdie_key = encode_hex(Sr25519Keyring::Ferdie.public().as_ref());
	let (valid, said) = verify(&paid["result"], &["--signing-key", &ferdie_key]);
	assert!(valid, "offline, with the key given: {said}");
	let mut changed = paid["result"].clone();
	let mut output = decode_hex(changed["output"].as_str().unwrap());
	output[0] ^= 1;
	changed["output"] = json!(encode_hex(&output));
	let (valid, said) = verify(&changed, &[]);
	assert!(!valid && said.contains("outputHash"), "a changed output: {said}");
	// A gateway that holds a registered executor key (here the executor's own: it runs a
	// gateway too) answers with an output of its choosing, or with a job that never ran, and
	// signs the statement. The signature verifies against a registered key, and the chain's
	// record of the job does not match, so `verity verify` refuses it (`verity pay` runs the
	// same check on every answer). A key given offline skips the chain, and says so.
	let fabricate = |answer: &Value, job_id: u64, output: &[u8]| {
		let mut made_up = answer.clone();
		made_up["jobId"] = json!(job_id.to_string());
		made_up["output"] = json!(encode_hex(output));
		made_up["outputHash"] = json!(encode_hex(&sp_io::hashing::blake2_256(output)));
		let statement = verity_client::verify::statement(&made_up).unwrap();
		let signature = Sr25519Keyring::Ferdie.pair().sign(&statement.signing_payload());
		made_up["evidence"]["signature"] = json!({ "sr25519": encode_hex(&signature.0) });
		made_up
	};
	let paid_job: u64 = paid["result"]["jobId"].as_str().unwrap().parse().unwrap();
	let made_up_output = vec![0x5a; decode_hex(paid["result"]["output"].as_str().unwrap()).len()];
	let (valid, said) = verify(&fabricate(&paid["result"], paid_job, &made_up_output), &[]);
	assert!(!valid && said.contains("not the one the chain accepted"), "a made-up output: {said}");
	let (valid, said) = verify(&fabricate(&paid["result"], 999_999, &made_up_output), &[]);
	assert!(!valid && said.contains("job 999999 is not on chain"), "a job that never ran: {said}");
	let (valid, said) = verify(&fabricate(&paid["result"], paid_job, &made_up_output), &["--signing-key", &ferdie_key]);
	assert!(valid && said.contains("evidence only"), "offline, the evidence alone: {said}");
	let mut forged = paid["result"].clone();
	forged["evidence"]["signature"]["sr25519"] = json!(encode_hex(&[7; 64]));
	let (valid, said) = verify(&forged, &["--signing-key", &ferdie_key]);
	assert!(!valid && said.contains("signature does not verify"), "a forged signature: {said}");

	// The zk tier through the gateway: the proof checks offline against the model's key file.
	let zk = Command::new(&verity)
		.args(["--node-url", &node_url, "--json", "pay", &url, "--tier", "zk", "--input-hex", body["inputHex"].as_str().unwrap(), "--key", "//Alice"])
		.output()
		.unwrap();
	assert!(zk.status.success(), "{}", String::from_utf8_lossy(&zk.stderr));
	let zk: Value = serde_json::from_slice(&zk.stdout).unwrap();
	assert_eq!(zk["result"]["evidence"]["tier"], json!("zk"), "{zk}");
	let key_file = models_dir().join("digits-mlp/zk/verifying.key");
	let offline_key = ["--verifying-key", key_file.to_str().unwrap(), "--zk-lengths", "64,40"];
	let (valid, said) = verify(&zk, &offline_key);
	assert!(valid && said.contains("the zk evidence"), "{said}");
	let (valid, said) = verify(&zk, &[]);
	assert!(valid, "with the chain's key: {said}");
	let mut changed = zk["result"].clone();
	let mut proof = decode_hex(changed["evidence"]["proof"].as_str().unwrap());
	proof[100] ^= 1;
	changed["evidence"]["proof"] = json!(encode_hex(&proof));
	let (valid, said) = verify(&changed, &offline_key);
	assert!(!valid && said.contains("zk proof"), "a changed proof: {said}");
	// Packing ignores trailing zero bytes, so the proof also holds for the output with a zero
	// byte appended, and the answer's hash can be made to match it: the key's exact lengths
	// refuse it offline, and the chain's record of the output refuses it online.
	let mut padded = zk["result"].clone();
	let mut output = decode_hex(padded["output"].as_str().unwrap());
	output.push(0);
	padded["outputHash"] = json!(encode_hex(&sp_io::hashing::blake2_256(&output)));
	padded["output"] = json!(encode_hex(&output));
	let (valid, said) = verify(&padded, &offline_key);
	assert!(!valid && said.contains("the output is 41 bytes; the model's verifying key covers exactly 40"), "{said}");
	let (valid, said) = verify(&padded, &[]);
	assert!(!valid && said.contains("not the one the chain accepted"), "against the chain: {said}");
}

#[test]
fn the_cli_reads_registers_and_infers_and_a_retried_payment_waits_for_its_job() {
	let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let market = Market::start("gateway-cli", &[]);
	let node = &market.node;
	let (body, label) = digit();
	let input_hex = body["inputHex"].as_str().unwrap();

	// `verity models list` and `verity executors list` read the registries.
	let (ok, out, err) = run_verity(node, &["--json", "models", "list"]);
	assert!(ok, "{err}");
	let models: Value = serde_json::from_str(&out).unwrap();
	let digits = models.as_array().unwrap().iter().find(|m| m["name"] == json!("digits-mlp")).expect("digits-mlp listed");
	assert_eq!(digits["id"], json!(format!("{DIGITS_MLP_ID:?}")));
	assert_eq!(digits["prices"]["signed"], json!(DIGITS_PRICE.to_string()));
	let (ok, out, err) = run_verity(node, &["--json", "executors", "list"]);
	assert!(ok, "{err}");
	let executors: Value = serde_json::from_str(&out).unwrap();
	assert_eq!(executors[0]["account"], json!(format_account(&Sr25519Keyring::Ferdie.to_account_id())));
	assert!(executors[0]["services"].as_array().unwrap().iter().any(|s| s["name"] == json!("digits-mlp") && s["tier"] == json!("signed")));

	// `verity infer`: a direct extrinsic, progress on stderr, the verified answer on stdout.
	let (ok, out, err) =
		run_verity(node, &["--json", "infer", "--model", "digits-mlp", "--input-hex", input_hex, "--key", "//Charlie"]);
	assert!(ok, "{err}");
	assert!(err.contains("submitted in block") && err.contains("Provisional"), "progress: {err}");
	let answer: Value = serde_json::from_str(&out).unwrap();
	assert_eq!(answer["status"], json!("Provisional"));
	assert!(answer["provisionalUntil"].as_u64().is_some(), "the answer says until when: {answer}");
	assert_eq!(answer["evidence"]["tier"], json!("signed"));
	assert_eq!(classify(&answer), label, "the MLP classifies the digit");
	let file = market.dir.path().join("infer.json");
	std::fs::write(&file, &out).unwrap();
	let (ok, out, err) = run_verity(node, &["verify", file.to_str().unwrap()]);
	assert!(ok && out.contains("valid on chain: the signed evidence"), "{out}{err}");
	let (ok, out, err) =
		run_verity(node, &["--json", "infer", "--model", "digits-mlp", "--tier", "zk", "--input-hex", input_hex, "--key", "//Charlie"]);
	assert!(ok, "{err}");
	let answer: Value = serde_json::from_str(&out).unwrap();
	assert_eq!((answer["evidence"]["tier"].clone(), classify(&answer)), (json!("zk"), label));
	std::fs::write(&file, &out).unwrap();
	let (ok, out, err) = run_verity(node, &["verify", file.to_str().unwrap()]);
	assert!(ok && out.contains("valid on chain: the zk evidence"), "{out}{err}");
	// The tee tier: signed by the executor's attested enclave key, checked against it.
	let (ok, out, err) =
		run_verity(node, &["--json", "infer", "--model", "digits-mlp", "--tier", "tee", "--input-hex", input_hex, "--key", "//Charlie"]);
	assert!(ok, "{err}");
	let answer: Value = serde_json::from_str(&out).unwrap();
	assert_eq!((answer["evidence"]["tier"].clone(), classify(&answer)), (json!("tee"), label));
	std::fs::write(&file, &out).unwrap();
	let (ok, out, err) = run_verity(node, &["verify", file.to_str().unwrap()]);
	assert!(ok && out.contains("valid on chain: the tee evidence"), "{out}{err}");
	let (ok, _, err) = run_verity(node, &["infer", "--model", "no-such-model", "--input", "x", "--key", "//Charlie"]);
	assert!(!ok && err.contains("no model named \"no-such-model\""), "{err}");

	// `verity models register` and `verity executors register`, and their refusals.
	let model_id = encode_hex(&[0x5a; 32]);
	let register_model =
		["models", "register", "--id", model_id.as_str(), "--name", "cli-model", "--format", "safetensors", "--price", "signed=1000", "--key", "//Charlie"];
	let (ok, out, err) = run_verity(node, &register_model);
	assert!(ok && out.contains("registered model cli-model"), "{out}{err}");
	let (ok, _, err) = run_verity(node, &register_model);
	assert!(!ok && err.contains("Models.ModelExists"), "registering twice: {err}");
	let (ok, out, _) = run_verity(node, &["--json", "models", "list"]);
	assert!(ok && out.contains("cli-model"), "{out}");
	let stake = (1_000 * verity_primitives::currency::UNIT).to_string();
	let register_executor = [
		"executors", "register", "--endpoint", "http://127.0.0.1:9/jobs", "--service", "cli-model:signed:10", "--stake", stake.as_str(), "--key", "//Charlie",
	];
	let (ok, out, err) = run_verity(node, &register_executor);
	assert!(ok && out.contains("registered executor"), "{out}{err}");
	let (ok, _, err) = run_verity(node, &register_executor);
	assert!(!ok && err.contains("Executors.AlreadyRegistered"), "registering twice: {err}");
	let (ok, out, _) = run_verity(node, &["executors", "list"]);
	assert!(ok && out.contains("cli-model:signed:10"), "{out}");

	// A paid job whose executor never answers: 504 with the job, a retry of the same payment
	// waits again, and once the deadline passes the retry says the job expired and was
	// refunded. Charlie serves cli-model at an endpoint where nothing listens.
	let slow_port = common::free_port();
	let slow_alias = format!("cli-model={model_id}");
	let _slow_gateway = Service::start(
		"verity-gateway",
		node,
		market.dir.path(),
		slow_port,
		&["--key", "//Alice", "--listen", &format!("127.0.0.1:{slow_port}"), "--model", &slow_alias, "--job-timeout", "2", "--deadline-blocks", "6", "--offer-ttl", "3600"],
	);
	let post_slow = |headers: &[(&str, &str)]| {
		http_request(slow_port, "POST", "/v1/models/cli-model/infer", headers, &json!({ "input": "never answered" }).to_string()).unwrap()
	};
	let unpaid = post_slow(&[]);
	assert_eq!(unpaid.status, 402, "{}", unpaid.body);
	let required: PaymentRequired = decode_header(unpaid.header("payment-required").unwrap()).unwrap();
	let bob = Sr25519Keyring::Bob;
	let bob_before = market.balance(&bob.to_account_id());
	let payment = encode_header(&market.pay(&bob.pair(), &required.accepts[0], None));
	let first = post_slow(&[("PAYMENT-SIGNATURE", &payment)]);
	assert_eq!(first.status, 504, "{}", first.body);
	let job = first.json()["jobId"].clone();
	assert!(first.json()["error"].as_str().unwrap().contains("send the same payment again"), "{}", first.body);
	let retry = post_slow(&[("PAYMENT-SIGNATURE", &payment)]);
	assert_eq!((retry.status, retry.json()["jobId"].clone()), (504, job.clone()), "still waiting: {}", retry.body);
	assert!(market.balance(&bob.to_account_id()) < bob_before, "the escrow is held");
	// Blocks pass (each transaction seals one) until the job's deadline is behind.
	let job_id: u64 = job.as_str().unwrap().parse().unwrap();
	for remark in 0.. {
		let summary: Option<verity_primitives::inference::JobSummary<AccountId, verity_runtime::AssetKind, u32>> =
			node.runtime_call("InferenceApi_job", &codec::Encode::encode(&job_id));
		if summary.is_some_and(|job| job.status == JobStatus::Expired) {
			break;
		}
		assert!(remark < 20, "job {job_id} never expired");
		seal_a_block(node);
	}
	let expired = post_slow(&[("PAYMENT-SIGNATURE", &payment)]);
	assert_eq!(expired.status, 402, "{}", expired.body);
	assert_eq!(receipt(&expired).error_reason.as_deref(), Some("job_expired_refunded"));
	assert_eq!(expired.json()["jobId"], job);
	let refund_block = expired.json()["refund"]["blockHash"].as_str().expect("the refund's block").to_owned();
	assert!(node.call("chain_getHeader", json!([refund_block])).unwrap().is_object(), "the refund's block is on chain");
	assert!(market.balance(&bob.to_account_id()) >= bob_before, "refunded, plus the executor's slashed stake");
}

#[test]
fn the_web_page_runs_a_paid_inference_in_headless_chromium() {
	let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
	let market = Market::start("gateway-page", &["--dev-payer", "//Dave"]);
	let node = &market.node;
	let (body, _) = digit();
	let input_hex = body["inputHex"].as_str().unwrap();
	// A zk job first, by the CLI, so the chart has two tiers (and the chain its first blocks).
	let (ok, _, err) =
		run_verity(node, &["infer", "--model", "digits-mlp", "--tier", "zk", "--input-hex", input_hex, "--key", "//Charlie"]);
	assert!(ok, "{err}");

	// The form pays for a digits inference as //Dave through the gateway's own x402 flow, and
	// the page checks the evidence.
	let page = format!("http://127.0.0.1:{}/", market.gateway.port);
	let run = format!("{page}?model=digits-mlp&tier=signed&inputHex={input_hex}&payer=//Dave&run=1");
	let dom = chromium(&market.dir, &["--dump-dom"], &run);
	assert!(dom.contains("data-state=\"done\""), "the form's payment completed: {dom}");
	assert!(dom.contains("data-valid=\"true\""), "the page's check says valid: {dom}");
	let paid_job = dom.split("id=\"paid-job\">").nth(1).and_then(|rest| rest.split('<').next()).expect("the paid job's id");
	let summary: Option<verity_primitives::inference::JobSummary<AccountId, verity_runtime::AssetKind, u32>> =
		node.runtime_call("InferenceApi_job", &codec::Encode::encode(&paid_job.parse::<u64>().unwrap()));
	let summary = summary.expect("the job is on chain");
	assert_eq!(summary.status, JobStatus::Provisional);
	assert_eq!(summary.payer, Sr25519Keyring::Dave.to_account_id(), "paid by the dev account");

	// Charlie challenges the paid result and the executor proves it on demand: upheld.
	let (ok, out, err) = run_verity(node, &["challenge", paid_job, "--key", "//Charlie"]);
	assert!(ok, "{out}{err}");
	let started = std::time::Instant::now();
	loop {
		let summary: Option<verity_primitives::inference::JobSummary<AccountId, verity_runtime::AssetKind, u32>> =
			node.runtime_call("InferenceApi_job", &codec::Encode::encode(&paid_job.parse::<u64>().unwrap()));
		if summary.is_some_and(|job| job.status == JobStatus::Completed) {
			break;
		}
		assert!(started.elapsed() < std::time::Duration::from_secs(60), "the executor never proved the challenged result");
		std::thread::sleep(std::time::Duration::from_millis(200));
	}

	// The page as a person sees it: the tier chart, the challenge chart with the upheld
	// challenge, the recent jobs with the one just paid.
	let dom = chromium(&market.dir, &["--dump-dom"], &page);
	assert!(dom.contains(&format!("data-job=\"{paid_job}\"")), "the recent jobs list the paid one: {dom}");
	assert!(dom.contains("<polygon") && dom.contains("data-tier=\"signed\""), "the tier chart is drawn: {dom}");
	assert!(dom.contains("data-outcome=\"upheld\"") && dom.contains("upheld: 1 (100%)"), "the challenge chart shows it upheld: {dom}");
	let artifacts = std::path::Path::new(env!("CARGO_BIN_EXE_verity-node")).parent().unwrap().join("test-artifacts");
	std::fs::create_dir_all(&artifacts).unwrap();
	let screenshot = artifacts.join("gateway-page.png");
	let _ = std::fs::remove_file(&screenshot);
	chromium(&market.dir, &[&format!("--screenshot={}", screenshot.display()), "--window-size=1280,1000"], &page);
	let png = std::fs::read(&screenshot).expect("a screenshot");
	assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real screenshot, {} bytes", png.len());
	println!("screenshot of the gateway's page: {}", screenshot.display());
	// The web page is no dev faucet outside its dev payers.
	let refused = http_request(
		market.gateway.port,
		"POST",
		"/dev/pay",
		&[("content-type", "application/json")],
		&json!({ "model": "digits-mlp", "tier": "signed", "inputHex": input_hex, "payer": "//Alice" }).to_string(),
	)
	.unwrap();
	assert_eq!(refused.status, 403, "{}", refused.body);
}

/// Loads `url` in headless Chromium with `args` (`--dump-dom`, `--screenshot=…`) and returns
/// what it printed. Virtual time lets the page's timers run; it stops while requests are in
/// flight, so a paid inference completes within it.
fn chromium(dir: &TempDir, args: &[&str], url: &str) -> String {
	let binary = ["chromium", "chromium-browser", "google-chrome"]
		.into_iter()
		.find(|name| Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()))
		.expect("headless Chromium is installed (scripts/setup.sh installs Debian's `chromium`)");
	static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
	let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
	let profile = dir.path().join(format!("chromium-{run}"));
	// A file, not a pipe: a page's DOM may not fit a pipe's buffer.
	let out_path = dir.path().join(format!("chromium-{run}.out"));
	let mut child = Command::new(binary)
		.args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
		.arg(format!("--user-data-dir={}", profile.display()))
		.arg("--virtual-time-budget=20000")
		.args(args)
		.arg(url)
		.stdout(std::fs::File::create(&out_path).unwrap())
		.stderr(std::process::Stdio::null())
		.spawn()
		.unwrap();
	let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
	while child.try_wait().unwrap().is_none() {
		if std::time::Instant::now() > deadline {
			let _ = child.kill();
			panic!("Chromium did not finish {url} within 180 s");
		}
		std::thread::sleep(std::time::Duration::from_millis(200));
	}
	std::fs::read_to_string(out_path).unwrap()
}
