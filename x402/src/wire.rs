//! The x402 JSON shapes. Field order follows the spec, so that a decoded example re-encodes to
//! the same bytes; optional fields are left out when absent.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

/// The x402 protocol version this crate speaks natively.
pub const X402_VERSION: u32 = 2;

/// Header of a 402 response (v2).
pub const PAYMENT_REQUIRED_HEADER: &str = "PAYMENT-REQUIRED";
/// Header of a paid request (v2).
pub const PAYMENT_SIGNATURE_HEADER: &str = "PAYMENT-SIGNATURE";
/// Header of the settlement receipt (v2).
pub const PAYMENT_RESPONSE_HEADER: &str = "PAYMENT-RESPONSE";
/// Header of a paid request (v1).
pub const X_PAYMENT_HEADER: &str = "X-PAYMENT";
/// Header of the settlement receipt (v1).
pub const X_PAYMENT_RESPONSE_HEADER: &str = "X-PAYMENT-RESPONSE";

/// The resource being paid for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
	/// Its URL.
	pub url: String,
	/// What it is.
	pub description: String,
	/// Its media type.
	pub mime_type: String,
}

/// One acceptable way to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirements {
	/// `exact` or `upto`.
	pub scheme: String,
	/// CAIP-2 network id.
	pub network: String,
	/// Decimal amount in the asset's smallest unit.
	pub amount: String,
	/// The asset.
	pub asset: String,
	/// The recipient.
	pub pay_to: String,
	/// How long the server waits for the payment to settle.
	pub max_timeout_seconds: u64,
	/// Scheme-specific data.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub extra: Option<Value>,
}

/// The body of a 402 (and the `PAYMENT-REQUIRED` header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequired {
	/// 2.
	pub x402_version: u32,
	/// Why payment is required.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub error: Option<String>,
	/// What is paid for.
	pub resource: ResourceInfo,
	/// The acceptable payments.
	pub accepts: Vec<PaymentRequirements>,
	/// Protocol extensions.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub extensions: Option<Value>,
}

/// The signed authorization of the `exact` and `upto` schemes, in EVM's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
	/// The payer.
	pub from: String,
	/// The recipient.
	pub to: String,
	/// Decimal amount (`exact`) or maximum (`upto`).
	pub value: String,
	/// Decimal unix seconds, exclusive.
	pub valid_after: String,
	/// Decimal unix seconds, exclusive.
	pub valid_before: String,
	/// 0x-prefixed 32 bytes.
	pub nonce: String,
	/// `upto` only: the facilitator that may settle.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub facilitator: Option<String>,
}

/// The scheme payload: the signature and what it signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemePayload {
	/// 0x-prefixed signature.
	pub signature: String,
	/// The signed authorization.
	pub authorization: Authorization,
}

/// A paid request's payment (v2, the `PAYMENT-SIGNATURE` header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayload {
	/// 2.
	pub x402_version: u32,
	/// What is paid for.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub resource: Option<ResourceInfo>,
	/// The offer taken, copied exactly from `accepts`.
	pub accepted: PaymentRequirements,
	/// The signed authorization.
	pub payload: SchemePayload,
}

/// A paid request's payment (v1, the `X-PAYMENT` header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayloadV1 {
	/// 1.
	pub x402_version: u32,
	/// The scheme.
	pub scheme: String,
	/// The network.
	pub network: String,
	/// The signed authorization.
	pub payload: SchemePayload,
}

/// The settlement receipt (`PAYMENT-RESPONSE`, `X-PAYMENT-RESPONSE`, and `/settle`'s answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
	/// Whether the payment settled.
	pub success: bool,
	/// Why not.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub error_reason: Option<String>,
	/// The settling transaction's hash, or empty.
	pub transaction: String,
	/// CAIP-2 network id.
	pub network: String,
	/// The payer.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub payer: Option<String>,
	/// The amount settled (`upto` may settle less than the maximum).
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub amount: Option<String>,
	/// Verity extension: the block that includes the transaction.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub block_hash: Option<String>,
}

/// `/verify`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
	/// Whether the payment would settle now.
	pub is_valid: bool,
	/// Why not.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub invalid_reason: Option<String>,
	/// The payer.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub payer: Option<String>,
}

/// The body of `/verify` and `/settle`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacilitatorRequest {
	/// 2.
	pub x402_version: u32,
	/// The client's payment.
	pub payment_payload: PaymentPayload,
	/// What the resource server asked for.
	pub payment_requirements: PaymentRequirements,
}

/// One payment kind a facilitator settles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedKind {
	/// Protocol version.
	pub x402_version: u32,
	/// Scheme.
	pub scheme: String,
	/// CAIP-2 network id.
	pub network: String,
	/// Scheme-specific data (here: the assets, and the facilitator of `upto`).
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub extra: Option<Value>,
}

/// `/supported`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportedResponse {
	/// What is settled.
	pub kinds: Vec<SupportedKind>,
	/// Protocol extensions.
	pub extensions: Vec<String>,
	/// Signing addresses of the facilitator, by CAIP-2 family (`polkadot:*`).
	pub signers: serde_json::Map<String, Value>,
}

/// Why a header could not be decoded.
#[derive(Debug)]
pub enum HeaderError {
	/// Not standard base64.
	Base64(base64::DecodeError),
	/// Not the expected JSON.
	Json(serde_json::Error),
}

impl core::fmt::Display for HeaderError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			HeaderError::Base64(e) => write!(f, "header is not base64: {e}"),
			HeaderError::Json(e) => write!(f, "header is not the expected JSON: {e}"),
		}
	}
}

impl std::error::Error for HeaderError {}

/// Encodes `value` as an x402 header: standard padded base64 of compact JSON.
pub fn encode_header<T: Serialize>(value: &T) -> String {
	STANDARD.encode(serde_json::to_vec(value).expect("x402 types serialize"))
}

/// Decodes an x402 header.
pub fn decode_header<T: DeserializeOwned>(header: &str) -> Result<T, HeaderError> {
	let bytes = STANDARD.decode(header.trim()).map_err(HeaderError::Base64)?;
	serde_json::from_slice(&bytes).map_err(HeaderError::Json)
}
