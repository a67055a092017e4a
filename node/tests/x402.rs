//! x402 over the real `verity-node`'s JSON-RPC (`x402_supported`, `x402_verify`,
//! `x402_settle`): a valid payment verifies and settles; every listed failure is answered with
//! its reason and moves nothing (a zero value, a window closing before the next block and a
//! recipient left below its minimum among them: `verify` says yes only to what settles in the
//! next block); a replay settles once; `upto` settles less than its maximum;
//! and 100 concurrent settlements from 10 payers all land exactly once.

mod common;

use std::{collections::HashSet, time::Duration};

use codec::Decode;
use common::{decode_hex, encode_hex, Node, TempDir};
use serde_json::{json, Value};
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;
use verity_primitives::{stable_asset, AccountId, Balance};
use verity_runtime::{signing::sign_extrinsic, Runtime, RuntimeCall};
use verity_x402::{
	format_account, network_id, payload_to_chain, sign_payment, PaymentPayload, PaymentRequirements,
	PaymentTerms,
};

const TIMEOUT: Duration = Duration::from_secs(120);
/// One vUSD.
const PRICE: Balance = stable_asset::UNIT;

/// The chain's clock in unix seconds: the last block's timestamp, which the checks use.
fn chain_now(node: &Node) -> u64 {
	let bytes = node.storage(&pallet_timestamp::Now::<Runtime>::hashed_key(), None).expect("a block was authored");
	u64::decode(&mut &bytes[..]).unwrap() / 1_000
}

struct Market {
	genesis: H256,
	pay_to: AccountId,
}

impl Market {
	fn offer(&self, scheme: &str, amount: Balance) -> PaymentRequirements {
		PaymentRequirements {
			scheme: scheme.into(),
			network: network_id(&self.genesis),
			amount: amount.to_string(),
			asset: stable_asset::ID.to_string(),
			pay_to: format_account(&self.pay_to),
			max_timeout_seconds: 60,
			extra: None,
		}
	}

	fn pay(&self, node: &Node, payer: &sr25519::Pair, offer: &PaymentRequirements, nonce: [u8; 32]) -> PaymentPayload {
		let now = chain_now(node);
		let terms = PaymentTerms { valid_after: now - 600, valid_before: now + 3_600, nonce };
		sign_payment(payer, offer, None, &terms, &self.genesis).unwrap()
	}
}

/// `offer` with another recipient.
fn market_to(pay_to: &str, offer: &PaymentRequirements) -> PaymentRequirements {
	PaymentRequirements { pay_to: pay_to.into(), ..offer.clone() }
}

fn request(payload: &PaymentPayload, requirements: &PaymentRequirements) -> Value {
	json!({
		"x402Version": 2,
		"paymentPayload": payload,
		"paymentRequirements": requirements,
	})
}

fn verify(node: &Node, payload: &PaymentPayload, requirements: &PaymentRequirements) -> Value {
	node.call("x402_verify", json!([request(payload, requirements)])).expect("x402_verify answers")
}

fn settle(node: &Node, payload: &PaymentPayload, requirements: &PaymentRequirements) -> Value {
	node.call("x402_settle", json!([request(payload, requirements)])).expect("x402_settle answers")
}

/// Whether the transaction a receipt names is in the block it names.
fn in_its_block(node: &Node, receipt: &Value) -> bool {
	let block = node.call("chain_getBlock", json!([receipt["blockHash"]])).unwrap();
	block["block"]["extrinsics"].as_array().unwrap().iter().any(|xt| {
		let bytes = decode_hex(xt.as_str().unwrap());
		Some(encode_hex(&sp_io::hashing::blake2_256(&bytes)).as_str()) == receipt["transaction"].as_str()
	})
}

fn payer(index: u32) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//Verity//x402-payer-{index}"), None).unwrap()
}

/// Alice sends each of `payers` 1_000 vUSD (a sufficient asset: they need no native balance).
fn fund(node: &mut Node, payers: &[AccountId], nonce: u32) {
	let transfers = payers
		.iter()
		.map(|who| {
			RuntimeCall::Assets(pallet_assets::Call::transfer {
				id: codec::Compact(stable_asset::ID),
				target: who.clone().into(),
				amount: 1_000 * PRICE,
			})
		})
		.collect();
	let call = RuntimeCall::Utility(pallet_utility::Call::batch_all { calls: transfers });
	let extrinsic = sign_extrinsic(&Sr25519Keyring::Alice.pair(), call, nonce, node.genesis_hash());
	node.submit(&codec::Encode::encode(&extrinsic)).expect("funding is accepted");
	let last = payers.last().unwrap().clone();
	node.wait_for(TIMEOUT, "payers funded", |n| (n.stable_balance(&last) == 1_000 * PRICE).then_some(()));
}

#[test]
fn x402_rpc_verifies_and_settles_once() {
	let dir = TempDir::new("x402");
	// Instant seal: a settlement answers as soon as its block is sealed. (The same test on Aura
	// with 6 s slots passes too and takes a minute; see docs/benchmarks.md.)
	let mut node = Node::start(
		dir.path(),
		&["--dev", "--sealing", "instant", "--x402-facilitator", "//Charlie", "--rpc-max-connections", "1000"],
	);
	let market = Market { genesis: node.genesis_hash(), pay_to: Sr25519Keyring::Bob.to_account_id() };
	let network = network_id(&market.genesis);
	let charlie = Sr25519Keyring::Charlie.to_account_id();

	// supported: both schemes in the native token and vUSD; upto names this node's facilitator.
	let supported = node.call("x402_supported", json!([])).unwrap();
	assert_eq!(supported["kinds"][0], json!({"x402Version": 2, "scheme": "exact", "network": network, "extra": {"assets": ["native", "1"]}}));
	assert_eq!(supported["kinds"][1]["extra"]["facilitator"], json!(format_account(&charlie)));
	assert_eq!(supported["signers"]["polkadot:*"], json!([format_account(&charlie)]));

	let payers: Vec<sr25519::Pair> = (0..10).map(payer).collect();
	let accounts: Vec<AccountId> = payers.iter().map(|p| p.public().into()).collect();
	fund(&mut node, &accounts, 0);
	let first = &payers[0];
	let first_account = &accounts[0];

	// A valid payment verifies, then settles: exactly the amount moves.
	let offer = market.offer("exact", PRICE);
	let payment = market.pay(&node, first, &offer, [1; 32]);
	assert_eq!(
		verify(&node, &payment, &offer),
		json!({"isValid": true, "payer": format_account(first_account)})
	);
	let bob_before = node.stable_balance(&market.pay_to);
	let receipt = settle(&node, &payment, &offer);
	assert_eq!(receipt["success"], json!(true), "{receipt}");
	assert_eq!(receipt["network"], json!(network));
	assert_eq!(receipt["payer"], json!(format_account(first_account)));
	let transaction = receipt["transaction"].as_str().unwrap().to_string();
	assert_eq!(transaction.len(), 66);
	assert!(in_its_block(&node, &receipt), "the settling transaction is in block {}", receipt["blockHash"]);
	assert_eq!(node.stable_balance(first_account), 999 * PRICE);
	assert_eq!(node.stable_balance(&market.pay_to), bob_before + PRICE);

	// A replay settles once: the same receipt, nothing moves again; verify now refuses it.
	assert_eq!(settle(&node, &payment, &offer), receipt);
	assert_eq!(node.stable_balance(first_account), 999 * PRICE);
	assert_eq!(
		verify(&node, &payment, &offer)["invalidReason"],
		json!("invalid_exact_substrate_payload_nonce_used")
	);
	// Another payment under the same nonce does not get that receipt: it is a duplicate.
	let bigger = market.offer("exact", 2 * PRICE);
	let same_nonce = market.pay(&node, first, &bigger, [1; 32]);
	assert_eq!(settle(&node, &same_nonce, &bigger)["errorReason"], json!("duplicate_settlement"));
	assert_eq!(node.stable_balance(first_account), 999 * PRICE);

	// Every listed failure, through verify and settle, with its reason; no balance changes.
	let balances = |n: &Node| (n.stable_balance(first_account), n.stable_balance(&market.pay_to));
	let before = balances(&node);
	let now = chain_now(&node);
	let fresh = |nonce: u8| market.pay(&node, first, &offer, [nonce; 32]);
	let mut cases: Vec<(&str, PaymentPayload, PaymentRequirements, &str)> = Vec::new();
	{
		let mut p = fresh(10);
		let mut signature = decode_hex(&p.payload.signature);
		signature[10] ^= 1;
		p.payload.signature = encode_hex(&signature);
		cases.push(("tampered signature", p, offer.clone(), "invalid_exact_substrate_payload_signature"));
		let mut p = fresh(11);
		p.payload.authorization.value = (2 * PRICE).to_string();
		cases.push(("tampered value", p, offer.clone(), "invalid_exact_substrate_payload_authorization_value_mismatch"));
		cases.push(("wrong amount", fresh(12), market.offer("exact", 2 * PRICE), "invalid_exact_substrate_payload_authorization_value_mismatch"));
		let to_charlie = market_to(&format_account(&charlie), &offer);
		cases.push(("wrong recipient", fresh(13), to_charlie, "invalid_exact_substrate_payload_recipient_mismatch"));
		let mut other_chain = fresh(14);
		other_chain.accepted.network = "polkadot:91b171bb158e2d3848fa23a9f1c25182".into();
		cases.push(("wrong network", other_chain, offer.clone(), "invalid_network"));
		let expired_terms = PaymentTerms { valid_after: now - 600, valid_before: now - 1, nonce: [15; 32] };
		let expired = sign_payment(first, &offer, None, &expired_terms, &market.genesis).unwrap();
		cases.push(("expired", expired, offer.clone(), "invalid_exact_substrate_payload_authorization_valid_before"));
		let early_terms = PaymentTerms { valid_after: now + 3_000, valid_before: now + 3_600, nonce: [16; 32] };
		let early = sign_payment(first, &offer, None, &early_terms, &market.genesis).unwrap();
		cases.push(("not yet valid", early, offer.clone(), "invalid_exact_substrate_payload_authorization_valid_after"));
		let too_much = market.offer("exact", 5_000 * PRICE);
		cases.push(("insufficient funds", market.pay(&node, first, &too_much, [17; 32]), too_much, "insufficient_funds"));
		let mut permit = offer.clone();
		permit.scheme = "permit".into();
		cases.push(("unknown scheme", fresh(18), permit, "invalid_scheme"));
		let mut garbled = fresh(19);
		garbled.payload.authorization.from = "5NotAnAddress".into();
		cases.push(("malformed address", garbled, offer.clone(), "invalid_payload"));
		// #17 items 10 and 11: a zero-value payment would only spend the facilitator's fee; a
		// window closing before the next block, or a recipient the transfer would leave below
		// the minimum balance, would fail in the block at the facilitator's cost. Before the
		// fix, verify said yes to all three.
		let zero = market.offer("exact", 0);
		cases.push(("zero value", market.pay(&node, first, &zero, [22; 32]), zero, "invalid_exact_substrate_payload_zero_amount"));
		let closing_terms = PaymentTerms { valid_after: now - 600, valid_before: now + 6, nonce: [23; 32] };
		let closing = sign_payment(first, &offer, None, &closing_terms, &market.genesis).unwrap();
		cases.push(("closes within the settlement margin", closing, offer.clone(), "invalid_exact_substrate_payload_authorization_valid_before"));
		let nobody = format_account(&payer(99).public().into());
		let dust = market_to(&nobody, &market.offer("exact", stable_asset::MIN_BALANCE - 1));
		cases.push(("recipient left below its minimum", market.pay(&node, first, &dust, [24; 32]), dust, "invalid_exact_substrate_payload_transfer_failed"));
		// A job payment (to the escrow binding) settles only through inference.submit_paid.
		let to_escrow = market_to("5EYCAe5jw99vbMLHNL61pxL4JwsCAWskUYJ7o7nZNzbTGaFh", &offer);
		cases.push(("escrow binding", market.pay(&node, first, &to_escrow, [21; 32]), to_escrow, "invalid_exact_substrate_payload_recipient_mismatch"));
	}
	for (what, payload, requirements, reason) in &cases {
		let verified = verify(&node, payload, requirements);
		assert_eq!(verified["isValid"], json!(false), "{what}: {verified}");
		assert_eq!(verified["invalidReason"], json!(reason), "{what}");
		let settled = settle(&node, payload, requirements);
		assert_eq!(settled["success"], json!(false), "{what}: {settled}");
		assert_eq!(settled["errorReason"], json!(reason), "{what}");
		assert_eq!(settled["transaction"], json!(""), "{what}");
	}
	assert_eq!(balances(&node), before, "no failure moved funds");

	// A payment settled by someone else (a direct `x402.settle`): this node answers
	// duplicate_settlement instead of settling it again.
	let direct = fresh(20);
	let chain = payload_to_chain(&direct, &market.genesis).unwrap();
	let call = RuntimeCall::X402(pallet_verity_x402::Call::settle {
		authorization: chain.authorization,
		signature: chain.signature,
	});
	let extrinsic = sign_extrinsic(&Sr25519Keyring::Dave.pair(), call, 0, market.genesis);
	node.submit(&codec::Encode::encode(&extrinsic)).unwrap();
	node.wait_for(TIMEOUT, "direct settlement", |n| (n.stable_balance(first_account) == before.0 - PRICE).then_some(()));
	let duplicate = settle(&node, &direct, &offer);
	assert_eq!(duplicate["errorReason"], json!("duplicate_settlement"), "{duplicate}");

	// upto: the payer signs a maximum for this node's facilitator, which settles less; a
	// maximum for another facilitator is refused.
	let mut upto = market.offer("upto", 3 * PRICE);
	upto.extra = Some(json!({ "facilitator": format_account(&charlie) }));
	let payment = market.pay(&node, first, &upto, [30; 32]);
	let mut usage = upto.clone();
	usage.amount = (PRICE / 4).to_string();
	let receipt = node
		.call("x402_settle", json!([request(&payment, &usage), true]))
		.expect("x402_settle answers");
	assert_eq!(receipt["success"], json!(true), "{receipt}");
	assert_eq!(receipt["amount"], json!((PRICE / 4).to_string()));
	assert_eq!(node.stable_balance(first_account), before.0 - PRICE - PRICE / 4);
	let mut elsewhere = upto.clone();
	elsewhere.extra = Some(json!({ "facilitator": format_account(&Sr25519Keyring::Dave.to_account_id()) }));
	let payment = market.pay(&node, first, &elsewhere, [31; 32]);
	let mut usage = elsewhere.clone();
	usage.amount = PRICE.to_string();
	assert_eq!(verify(&node, &payment, &usage)["invalidReason"], json!("invalid_upto_substrate_payload_facilitator_mismatch"));
	assert_eq!(
		settle(&node, &payment, &usage)["errorReason"],
		json!("invalid_upto_substrate_payload_facilitator_mismatch")
	);

	// 100 concurrent settlements from 10 payers, and 10 rivals signed under the nonces of the
	// first 10 (another validity window, so another request): each nonce settles exactly once,
	// and a rival batched with the payment it collides with fails alone.
	let before: Vec<Balance> = accounts.iter().map(|a| node.stable_balance(a)).collect();
	let bob_before = node.stable_balance(&market.pay_to);
	let payments: Vec<PaymentPayload> = (0..100u8)
		.map(|i| market.pay(&node, &payers[(i % 10) as usize], &offer, [100 + i; 32]))
		.collect();
	let now = chain_now(&node);
	let rivals: Vec<PaymentPayload> = (0..10u8)
		.map(|i| {
			let terms = PaymentTerms { valid_after: now - 600, valid_before: now + 1_800, nonce: [100 + i; 32] };
			sign_payment(&payers[i as usize], &offer, None, &terms, &market.genesis).unwrap()
		})
		.collect();
	let started = std::time::Instant::now();
	let receipts: Vec<Value> = std::thread::scope(|scope| {
		let handles: Vec<_> = payments
			.iter()
			.chain(&rivals)
			.map(|payment| scope.spawn(|| settle(&node, payment, &offer)))
			.collect();
		handles.into_iter().map(|h| h.join().unwrap()).collect()
	});
	eprintln!("110 concurrent settlements took {:?}", started.elapsed());
	let (receipts, rival_receipts) = receipts.split_at(100);
	for (i, receipt) in receipts.iter().enumerate().skip(10) {
		assert_eq!(receipt["success"], json!(true), "payment {i}: {receipt}; log:\n{}", node.log_tail());
	}
	for (i, (receipt, rival)) in receipts.iter().zip(rival_receipts).enumerate() {
		let (won, lost) = if receipt["success"] == json!(true) { (receipt, rival) } else { (rival, receipt) };
		assert_eq!(won["success"], json!(true), "nonce {i}: {won}; log:\n{}", node.log_tail());
		assert_eq!(lost["errorReason"], json!("duplicate_settlement"), "nonce {i}: {lost}");
	}
	let settled: Vec<&Value> =
		receipts.iter().chain(rival_receipts).filter(|r| r["success"] == json!(true)).collect();
	assert!(settled.iter().all(|receipt| in_its_block(&node, receipt)));
	let transactions: HashSet<&str> = settled.iter().map(|r| r["transaction"].as_str().unwrap()).collect();
	eprintln!("100 settled by {} transactions", transactions.len());
	for (account, before) in accounts.iter().zip(before) {
		assert_eq!(node.stable_balance(account), before - 10 * PRICE, "each payer paid 10 times");
	}
	assert_eq!(node.stable_balance(&market.pay_to), bob_before + 100 * PRICE);
	// Retrying all of them settles none again.
	for (payment, receipt) in payments.iter().zip(receipts).take(10) {
		assert_eq!(&settle(&node, payment, &offer), receipt);
	}
	assert_eq!(node.stable_balance(&market.pay_to), bob_before + 100 * PRICE);
}

#[test]
fn settling_needs_a_facilitator_key_and_unsafe_rpc() {
	let dir = TempDir::new("x402-no-facilitator");
	let mut node = Node::start(dir.path(), &["--dev"]);
	// The chain's clock starts with the first block.
	node.wait_for(TIMEOUT, "block #1", |n| n.best_number().filter(|b| *b >= 1));
	let market = Market { genesis: node.genesis_hash(), pay_to: Sr25519Keyring::Bob.to_account_id() };
	let offer = market.offer("exact", PRICE);
	let payment = market.pay(&node, &Sr25519Keyring::Alice.pair(), &offer, [1; 32]);
	assert_eq!(verify(&node, &payment, &offer)["isValid"], json!(true));
	let error = node.call("x402_settle", json!([request(&payment, &offer)])).unwrap_err();
	assert_eq!(error["code"], json!(4020), "{error}");
	// No upto without a facilitator to settle it.
	let supported = node.call("x402_supported", json!([])).unwrap();
	assert_eq!(supported["kinds"].as_array().unwrap().len(), 1);
	// Malformed params are a JSON-RPC error, not a panic.
	let error = node.call("x402_verify", json!([{"x402Version": 2}])).unwrap_err();
	assert_eq!(error["code"], json!(-32602), "{error}");
	drop(node);

	// Settling spends the facilitator's fees: with only safe RPC methods exposed, it is refused.
	let dir = TempDir::new("x402-safe-rpc");
	let node = Node::start(dir.path(), &["--dev", "--rpc-methods", "safe", "--x402-facilitator", "//Charlie"]);
	let error = node.call("x402_settle", json!([request(&payment, &offer)])).unwrap_err();
	assert_eq!(error["code"], json!(-32601), "{error}");
	assert!(node.call("x402_supported", json!([])).is_ok());
}
