//! Prints the worked example of docs/x402.md: //Alice pays 1 vUSD to //Bob on a chain whose
//! genesis hash is 0x11…11, with an `exact` authorization. Run it to make a fresh one:
//! `cargo run --release -p verity-x402 --example worked_example`.

use sp_core::{sr25519, Pair, H256};
use verity_x402::*;

fn main() {
	let genesis = H256::repeat_byte(0x11);
	let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
	let offer = PaymentRequirements {
		scheme: "exact".into(),
		network: network_id(&genesis),
		amount: "1000000".into(),
		asset: "1".into(),
		pay_to: format_account(&bob.public().into()),
		max_timeout_seconds: 60,
		extra: None,
	};
	let terms = PaymentTerms { valid_after: 1_795_305_000, valid_before: 1_795_305_660, nonce: [0x42; 32] };
	let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
	let payment = sign_payment(&alice, &offer, None, &terms, &genesis).unwrap();
	let chain = payload_to_chain(&payment, &genesis).unwrap();
	println!("genesis: {}", hex::encode(genesis));
	println!("message: {}", hex::encode(chain.authorization.signing_payload()));
	println!("payload: {}", serde_json::to_string_pretty(&payment).unwrap());
}
