//! The real `verity-node --dev` binary: it authors and finalizes blocks, accepts a signed
//! transfer over `author_submitExtrinsic`, refuses a malformed extrinsic without stopping, shuts
//! down cleanly on SIGINT, and finds its chain and balances again in ParityDB after a restart.

mod common;

use std::time::Duration;

use common::{Node, TempDir};
use serde_json::json;
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use verity_primitives::{currency::UNIT, AccountId};
use verity_runtime::{signing::sign_extrinsic, BalancesCall, RuntimeCall};

const TIMEOUT: Duration = Duration::from_secs(120);

#[test]
fn dev_chain_transfers_survive_a_restart() {
	let dir = TempDir::new("dev-chain");
	let mut node = Node::start(dir.path(), &["--dev"]);

	// Blocks are authored (Aura) and finalized (GRANDPA).
	node.wait_for(TIMEOUT, "finalized block #1", |n| n.finalized().filter(|(_, num)| *num >= 1));

	// A balance transfer signed in Rust, submitted as raw extrinsic bytes.
	let alice = Sr25519Keyring::Alice.to_account_id();
	let dest: AccountId =
		sr25519::Pair::from_string("//Verity//dev-chain", None).unwrap().public().into();
	let amount = 42 * UNIT;
	let alice_before = node.free_balance(&alice, None);
	let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
		dest: dest.clone().into(),
		value: amount,
	});
	let extrinsic = sign_extrinsic(&Sr25519Keyring::Alice.pair(), call, 0, node.genesis_hash());
	node.submit(&codec::Encode::encode(&extrinsic)).expect("the transfer is accepted");

	// Wait until the transfer is in a finalized block.
	let (final_hash, final_number) = node.wait_for(TIMEOUT, "the transfer to be finalized", |n| {
		let (hash, number) = n.finalized()?;
		(n.free_balance(&dest, Some(&hash)) == amount).then_some((hash, number))
	});
	let alice_after = node.free_balance(&alice, Some(&final_hash));
	let fee = alice_before - amount - alice_after;
	assert!(fee > 0 && fee < UNIT / 100, "a small fee was charged: {fee}");
	assert_eq!(node.account(&alice, Some(&final_hash)).nonce, 1);

	// Bad input: undecodable bytes get an RPC error, and the node keeps producing blocks.
	let best = node.best_number().unwrap();
	let error = node.submit(&[0x00, 0xde, 0xad, 0xbe, 0xef]).expect_err("malformed is refused");
	assert!(error["code"].is_i64(), "a JSON-RPC error code: {error}");
	node.wait_for(TIMEOUT, "blocks after the malformed extrinsic", |n| {
		n.best_number().filter(|b| *b > best + 1)
	});

	// SIGINT: clean shutdown, exit status 0.
	let status = node.interrupt();
	assert!(status.success(), "clean exit on SIGINT, got {status}; log:\n{}", node.log_tail());

	// Restart on the same base path: the chain and the balances are still there.
	let mut node = Node::start(dir.path(), &["--dev"]);
	let (hash_again, _) = node.wait_for(TIMEOUT, "finalized head after restart", |n| {
		n.finalized().filter(|(_, number)| *number >= final_number)
	});
	assert_eq!(node.block_hash(final_number).as_deref(), Some(final_hash.as_str()));
	assert_eq!(node.free_balance(&dest, Some(&hash_again)), amount);
	assert_eq!(node.free_balance(&alice, Some(&final_hash)), alice_after);
	node.wait_for(TIMEOUT, "new blocks after restart", |n| {
		n.finalized().filter(|(_, number)| *number > final_number)
	});
}

#[test]
fn instant_sealing_authors_a_block_per_transaction() {
	let dir = TempDir::new("instant-seal");
	let mut node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);
	assert_eq!(node.best_number(), Some(0), "no transaction, no block");

	// The standard RPC families are served, and the metadata is the versioned format that
	// subxt and polkadot.js decode: the magic `meta`, then a version of at least 14.
	let methods = node.call("rpc_methods", json!([])).unwrap()["methods"].clone();
	for method in [
		"system_health",
		"system_accountNextIndex",
		"chain_getFinalizedHead",
		"state_getMetadata",
		"author_submitExtrinsic",
		"payment_queryInfo",
	] {
		assert!(methods.as_array().unwrap().iter().any(|m| m == method), "{method} is served");
	}
	let metadata = common::decode_hex(node.call("state_getMetadata", json!([])).unwrap().as_str().unwrap());
	assert_eq!(&metadata[..4], b"meta");
	assert!(metadata[4] >= 14, "metadata version {}", metadata[4]);

	let bob = Sr25519Keyring::Bob.to_account_id();
	let bob_before = node.free_balance(&bob, None);
	let genesis = node.genesis_hash();
	for nonce in 0..3 {
		let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
			dest: bob.clone().into(),
			value: UNIT,
		});
		let xt = sign_extrinsic(&Sr25519Keyring::Alice.pair(), call, nonce, genesis);
		node.submit(&codec::Encode::encode(&xt)).expect("accepted");
		// Each transaction is sealed and finalized at once, before the next is sent.
		node.wait_for(TIMEOUT, "the sealed block", |n| {
			n.finalized().filter(|(_, number)| *number == nonce + 1)
		});
	}
	assert_eq!(node.free_balance(&bob, None), bob_before + 3 * UNIT);
}

/// #17 item 19: a production chain takes its validators, governance key and endowments from
/// `production-spec` parameters, refuses a well-known development key there, and runs on the
/// operator's keys alone: its one validator authors and finalizes blocks, and no dev account
/// holds anything.
#[test]
fn a_production_chain_runs_on_the_operators_keys_alone() {
	use sp_core::{crypto::Ss58Codec, ed25519};
	let dir = TempDir::new("production");
	let verity_node = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_verity-node")).args(args).output().unwrap();
	let validator = "//Verity//production-test-validator";
	let aura = sr25519::Pair::from_string(validator, None).unwrap().public().to_ss58check();
	let grandpa = ed25519::Pair::from_string(validator, None).unwrap().public().to_ss58check();
	let governance: AccountId = sr25519::Pair::from_string("//Verity//production-test-governance", None).unwrap().public().into();
	let governance = governance.to_ss58check();

	let alice = Sr25519Keyring::Alice.to_account_id().to_ss58check();
	let refused = verity_node(&["production-spec", "--authority", &format!("{aura},{grandpa}"), "--governance", &alice]);
	assert!(!refused.status.success());
	assert!(String::from_utf8_lossy(&refused.stderr).contains("well-known development key"), "{refused:?}");

	let made = verity_node(&[
		"production-spec",
		"--authority",
		&format!("{aura},{grandpa}"),
		"--governance",
		&governance,
		"--endow",
		&format!("{governance}=1000"),
	]);
	assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
	let spec = dir.path().join("production.json");
	std::fs::write(&spec, &made.stdout).unwrap();
	let spec = spec.to_str().unwrap();
	let base = dir.path().to_str().unwrap();
	for (key_type, scheme) in [("aura", "sr25519"), ("gran", "ed25519")] {
		let inserted = verity_node(&[
			"key", "insert", "--base-path", base, "--chain", spec, "--key-type", key_type, "--scheme", scheme, "--suri", validator,
		]);
		assert!(inserted.status.success(), "{}", String::from_utf8_lossy(&inserted.stderr));
	}

	// A live chain's validator needs a network key made beforehand.
	let node_key = verity_node(&["key", "generate-node-key", "--base-path", base, "--chain", spec]);
	assert!(node_key.status.success(), "{}", String::from_utf8_lossy(&node_key.stderr));

	let mut node = Node::start(dir.path(), &["--chain", spec, "--validator"]);
	node.wait_for(TIMEOUT, "finalized block #1", |n| n.finalized().filter(|(_, number)| *number >= 1));
	let governance = AccountId::from_ss58check(&governance).unwrap();
	assert_eq!(node.free_balance(&governance, None), 1000 * UNIT);
	for dev in Sr25519Keyring::iter() {
		assert_eq!(node.free_balance(&dev.to_account_id(), None), 0, "{dev:?} holds nothing");
	}
}
