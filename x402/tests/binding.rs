//! The binding of docs/x402.md: network id, formats, signing, and the worked example.

use codec::Encode;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{traits::Verify, MultiSignature};
use verity_primitives::x402::{PaymentError, PaymentScheme, SchemeKind};
use verity_x402::*;

const GENESIS: H256 = H256::repeat_byte(0xab);

fn alice() -> sr25519::Pair {
	sr25519::Pair::from_string("//Alice", None).unwrap()
}

fn offer() -> PaymentRequirements {
	PaymentRequirements {
		scheme: "exact".into(),
		network: network_id(&GENESIS),
		amount: "1000000".into(),
		asset: "1".into(),
		pay_to: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into(),
		max_timeout_seconds: 60,
		extra: None,
	}
}

#[test]
fn formats_round_trip_and_bad_input_is_invalid_payload() {
	assert_eq!(network_id(&GENESIS), "polkadot:abababababababababababababababab");
	assert_eq!(parse_asset("native"), Ok(AssetKind::Native));
	assert_eq!(parse_asset("1"), Ok(AssetKind::WithId(1)));
	for bad in ["", "+1", "-1", "0x01", "4294967296", "Native"] {
		assert_eq!(parse_asset(bad), Err(PaymentError::InvalidPayload), "{bad}");
	}
	let alice_id: verity_primitives::AccountId = alice().public().into();
	assert_eq!(parse_account(&format_account(&alice_id)), Ok(alice_id.clone()));
	assert_eq!(parse_account(&format!("0x{}", hex::encode(&alice_id))), Ok(alice_id.clone()));
	// A Polkadot-prefix address of the same key is the same account.
	assert_eq!(parse_account("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"), Ok(alice_id));
	assert_eq!(parse_account("5Grwva"), Err(PaymentError::InvalidPayload));
	assert_eq!(parse_scheme("permit"), Err(PaymentError::InvalidScheme));
	assert_eq!(check_network("eip155:84532", &GENESIS), Err(PaymentError::InvalidNetwork));

	// Signatures: typed SCALE, and bare 64-byte sr25519.
	let signature = alice().sign(b"x");
	let typed = MultiSignature::Sr25519(signature);
	assert_eq!(parse_signature(&format_signature(&typed)), Ok(typed.clone()));
	assert_eq!(parse_signature(&format!("0x{}", hex::encode(signature.0))), Ok(typed));
	for bad in ["", "0x", "0x00", "nothex", &format!("0x{}00", hex::encode(format_signature(&MultiSignature::Sr25519(signature))))] {
		assert_eq!(parse_signature(bad), Err(PaymentError::InvalidPayload), "{bad}");
	}
}

#[test]
fn a_signed_payment_decodes_to_the_authorization_its_signature_covers() {
	let terms = PaymentTerms { valid_after: 100, valid_before: 200, nonce: [7; 32] };
	let payment = sign_payment(&alice(), &offer(), None, &terms, &GENESIS).unwrap();
	assert_eq!(payment.accepted, offer());
	let chain = payload_to_chain(&payment, &GENESIS).unwrap();
	let authorization = &chain.authorization;
	assert_eq!(authorization.network, GENESIS);
	assert_eq!(authorization.scheme, PaymentScheme::Exact);
	assert_eq!(authorization.value, 1_000_000);
	assert_eq!((authorization.valid_after, authorization.valid_before), (100, 200));
	assert!(chain.signature.verify(&authorization.signing_payload()[..], &authorization.from));
	let requirements = requirements_to_chain(&offer(), &GENESIS).unwrap();
	assert_eq!((requirements.scheme, requirements.amount), (SchemeKind::Exact, 1_000_000));

	// Another chain's payment is refused before anything else is looked at.
	assert_eq!(payload_to_chain(&payment, &H256::repeat_byte(1)), Err(PaymentError::InvalidNetwork));
	// A v1 version number inside a v2 payload.
	let mut v1 = payment.clone();
	v1.x402_version = 1;
	assert_eq!(payload_to_chain(&v1, &GENESIS), Err(PaymentError::InvalidPayload));

	// upto takes the facilitator from the offer's extra, and carries it in the authorization.
	let mut upto = offer();
	upto.scheme = "upto".into();
	assert_eq!(sign_payment(&alice(), &upto, None, &terms, &GENESIS), Err(PaymentError::InvalidPayload));
	upto.extra = Some(serde_json::json!({ "facilitator": "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y" }));
	let payment = sign_payment(&alice(), &upto, None, &terms, &GENESIS).unwrap();
	assert!(payment.payload.authorization.facilitator.is_some());
	let chain = payload_to_chain(&payment, &GENESIS).unwrap();
	assert!(matches!(chain.authorization.scheme, PaymentScheme::Upto { .. }));
	assert!(chain.signature.verify(&chain.authorization.signing_payload()[..], &chain.authorization.from));
	let _ = chain.authorization.encode();
}

/// The worked example of docs/x402.md: the signed bytes are as documented, and the documented
/// signature (sr25519 signatures are randomized, so it is one of many) verifies.
#[test]
fn the_worked_example_in_the_docs_is_right() {
	let doc = include_str!("../../docs/x402.md");
	let field = |name: &str| -> String {
		let start = doc.find(&format!("<!-- {name} -->")).unwrap_or_else(|| panic!("{name} missing"));
		let block = &doc[start..];
		let open = block.find("```text\n").unwrap() + "```text\n".len();
		let close = block[open..].find("```").unwrap();
		block[open..open + close].split_whitespace().collect()
	};
	let payment: PaymentPayload = serde_json::from_str(&field("example-payload")).unwrap();
	let genesis = H256::from_slice(&hex::decode(field("example-genesis")).unwrap());
	let chain = payload_to_chain(&payment, &genesis).unwrap();
	assert_eq!(hex::encode(chain.authorization.signing_payload()), field("example-message"));
	assert!(chain.signature.verify(&chain.authorization.signing_payload()[..], &chain.authorization.from));
	assert_eq!(format_account(&chain.authorization.from), format_account(&alice().public().into()));
}
