//! The x402 spec's example headers (tests/data, from coinbase/x402) decode into this crate's
//! types and re-encode to the same bytes.

use serde::{de::DeserializeOwned, Serialize};
use verity_x402::*;

fn vectors() -> serde_json::Map<String, serde_json::Value> {
	serde_json::from_str(include_str!("data/spec-http-examples.json")).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + core::fmt::Debug>(name: &str) -> T {
	let vectors = vectors();
	let vector = &vectors[name];
	let header = vector["base64"].as_str().unwrap();
	let decoded: T = decode_header(header).unwrap_or_else(|e| panic!("{name}: {e}"));
	assert_eq!(encode_header(&decoded), header, "{name} does not re-encode byte for byte");
	let from_json: T = serde_json::from_value(vector["decoded"].clone()).unwrap();
	assert_eq!(decoded, from_json, "{name}: header and decoded JSON differ");
	decoded
}

#[test]
fn every_example_header_round_trips_byte_for_byte() {
	let names: Vec<String> = vectors().keys().cloned().collect();
	assert_eq!(names.len(), 7, "the vector file changed: {names:?}");
	let required: PaymentRequired = round_trip("v2/PAYMENT-REQUIRED");
	assert_eq!(required.accepts[0].amount, "10000");
	let payment: PaymentPayload = round_trip("v2/PAYMENT-SIGNATURE");
	assert_eq!(payment.accepted, required.accepts[0], "accepted is an exact copy of the offer");
	assert_eq!(payment.payload.authorization.nonce.len(), 66);
	let ok: SettleResponse = round_trip("v2/PAYMENT-RESPONSE");
	assert!(ok.success);
	let failed: SettleResponse = round_trip("v2/PAYMENT-RESPONSE#2");
	assert_eq!(failed.error_reason.as_deref(), Some("insufficient_funds"));
	let v1: PaymentPayloadV1 = round_trip("v1/X-PAYMENT");
	assert_eq!(v1.payload, payment.payload);
	let _: SettleResponse = round_trip("v1/X-PAYMENT-RESPONSE");
	let _: SettleResponse = round_trip("v1/X-PAYMENT-RESPONSE#2");
}

#[test]
fn malformed_headers_are_errors_not_panics() {
	assert!(matches!(decode_header::<PaymentPayload>("not base64!"), Err(HeaderError::Base64(_))));
	assert!(matches!(decode_header::<PaymentPayload>("e30="), Err(HeaderError::Json(_))));
}
