//! The binding of x402's JSON to Verity's on-chain payment authorizations (`docs/x402.md`):
//!
//! - network: CAIP-2 `polkadot:` + the first 32 hex digits of the genesis hash;
//! - asset: `native`, or a `pallet-assets` id in decimal;
//! - addresses: SS58 (any prefix accepted, generic prefix 42 written) or `0x` + 32 bytes;
//! - signature: `0x` + the SCALE-encoded `MultiSignature` (a type byte, then the signature), or a
//!   bare 64-byte sr25519 signature as `signRaw` returns it;
//! - amounts and times: decimal strings; nonce: `0x` + 32 bytes.

use codec::{Decode, Encode};
use frame_support::traits::tokens::fungible::NativeOrWithId;
use serde_json::json;
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::MultiSignature;
use verity_primitives::{
	x402::{self as chain, PaymentError, PaymentNonce, PaymentScheme, SchemeKind},
	AccountId, AssetId,
};

use crate::wire;

/// The asset kind of the Verity runtime.
pub type AssetKind = NativeOrWithId<AssetId>;
/// An on-chain payment authorization of the Verity runtime.
pub type ChainAuthorization = chain::PaymentAuthorization<AccountId, AssetKind>;
/// An on-chain signed payment of the Verity runtime.
pub type ChainPayload = chain::PaymentPayload<AccountId, AssetKind, MultiSignature>;
/// On-chain payment requirements of the Verity runtime.
pub type ChainRequirements = chain::PaymentRequirements<AccountId, AssetKind>;

/// How the native token is written in `asset`.
pub const NATIVE_ASSET: &str = "native";
/// The SS58 prefix addresses are written with (generic Substrate).
pub const SS58_PREFIX: u16 = 42;
/// The CAIP-2 namespace.
pub const CAIP2_NAMESPACE: &str = "polkadot";

/// The CAIP-2 id of the chain with `genesis`: `polkadot:` + its first 16 bytes in hex.
pub fn network_id(genesis: &H256) -> String {
	format!("{CAIP2_NAMESPACE}:{}", hex::encode(&genesis.as_bytes()[..16]))
}

/// `native` or a decimal asset id.
pub fn parse_asset(asset: &str) -> Result<AssetKind, PaymentError> {
	if asset == NATIVE_ASSET {
		return Ok(NativeOrWithId::Native);
	}
	parse_decimal::<AssetId>(asset).map(NativeOrWithId::WithId)
}

/// The inverse of [`parse_asset`].
pub fn format_asset(asset: &AssetKind) -> String {
	match asset {
		NativeOrWithId::Native => NATIVE_ASSET.into(),
		NativeOrWithId::WithId(id) => id.to_string(),
	}
}

/// An SS58 address (any prefix) or `0x` + 32 bytes.
pub fn parse_account(address: &str) -> Result<AccountId, PaymentError> {
	if let Some(hex) = address.strip_prefix("0x") {
		let bytes: [u8; 32] = decode_hex(hex)?.try_into().map_err(|_| PaymentError::InvalidPayload)?;
		return Ok(AccountId::new(bytes));
	}
	AccountId::from_ss58check_with_version(address)
		.map(|(account, _)| account)
		.map_err(|_| PaymentError::InvalidPayload)
}

/// SS58 with the generic prefix.
pub fn format_account(account: &AccountId) -> String {
	account.to_ss58check_with_version(SS58_PREFIX.into())
}

/// `0x` + a SCALE `MultiSignature`, or `0x` + a bare 64-byte sr25519 signature.
pub fn parse_signature(signature: &str) -> Result<MultiSignature, PaymentError> {
	let hex = signature.strip_prefix("0x").ok_or(PaymentError::InvalidPayload)?;
	let bytes = decode_hex(hex)?;
	if let Ok(raw) = <[u8; 64]>::try_from(bytes.as_slice()) {
		return Ok(MultiSignature::Sr25519(sr25519::Signature::from_raw(raw)));
	}
	MultiSignature::decode(&mut bytes.as_slice())
		.ok()
		.filter(|decoded| decoded.encoded_size() == bytes.len())
		.ok_or(PaymentError::InvalidPayload)
}

/// `0x` + the SCALE `MultiSignature`.
pub fn format_signature(signature: &MultiSignature) -> String {
	format!("0x{}", hex::encode(signature.encode()))
}

/// `exact` or `upto`.
pub fn parse_scheme(scheme: &str) -> Result<SchemeKind, PaymentError> {
	match scheme {
		"exact" => Ok(SchemeKind::Exact),
		"upto" => Ok(SchemeKind::Upto),
		_ => Err(PaymentError::InvalidScheme),
	}
}

/// Checks that `network` is the chain with `genesis`.
pub fn check_network(network: &str, genesis: &H256) -> Result<(), PaymentError> {
	if network == network_id(genesis) {
		Ok(())
	} else {
		Err(PaymentError::InvalidNetwork)
	}
}

fn parse_decimal<N: core::str::FromStr>(text: &str) -> Result<N, PaymentError> {
	// `FromStr` accepts a leading `+`; the wire format does not.
	if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
		return Err(PaymentError::InvalidPayload);
	}
	text.parse().map_err(|_| PaymentError::InvalidPayload)
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, PaymentError> {
	hex::decode(hex).map_err(|_| PaymentError::InvalidPayload)
}

/// Bytes written as `0x` and hex digits.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
	hex::decode(text.strip_prefix("0x")?).ok()
}

/// 32 bytes written as `0x` and 64 hex digits (a nonce, a hash, an id, a public key).
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
	parse_hex(text)?.try_into().ok()
}

fn parse_nonce(nonce: &str) -> Result<PaymentNonce, PaymentError> {
	parse_hex32(nonce).ok_or(PaymentError::InvalidPayload)
}

/// The escrow binding of job payments (`docs/x402.md`): `PalletId(*b"vrty/esc")` as an
/// account, the same on every Verity chain, which no one has a key for.
pub fn job_escrow_binding() -> AccountId {
	use sp_runtime::traits::AccountIdConversion;
	frame_support::PalletId(*b"vrty/esc").into_account_truncating()
}

/// The on-chain form of `requirements`, for the chain with `genesis`.
pub fn requirements_to_chain(
	requirements: &wire::PaymentRequirements,
	genesis: &H256,
) -> Result<ChainRequirements, PaymentError> {
	let scheme = parse_scheme(&requirements.scheme)?;
	check_network(&requirements.network, genesis)?;
	Ok(ChainRequirements {
		scheme,
		asset: parse_asset(&requirements.asset)?,
		amount: parse_decimal(&requirements.amount)?,
		pay_to: parse_account(&requirements.pay_to)?,
	})
}

/// The on-chain form of a v2 `payload`, for the chain with `genesis`: scheme, network and asset
/// from `accepted`, the rest from the signed authorization.
pub fn payload_to_chain(payload: &wire::PaymentPayload, genesis: &H256) -> Result<ChainPayload, PaymentError> {
	if payload.x402_version != wire::X402_VERSION {
		return Err(PaymentError::InvalidPayload);
	}
	let accepted = &payload.accepted;
	check_network(&accepted.network, genesis)?;
	let wire::Authorization { from, to, value, valid_after, valid_before, nonce, facilitator } =
		&payload.payload.authorization;
	let scheme = match parse_scheme(&accepted.scheme)? {
		SchemeKind::Exact => PaymentScheme::Exact,
		SchemeKind::Upto => PaymentScheme::Upto {
			facilitator: parse_account(facilitator.as_deref().ok_or(PaymentError::InvalidPayload)?)?,
		},
	};
	Ok(ChainPayload {
		authorization: ChainAuthorization {
			network: *genesis,
			scheme,
			asset: parse_asset(&accepted.asset)?,
			from: parse_account(from)?,
			to: parse_account(to)?,
			value: parse_decimal(value)?,
			valid_after: parse_decimal(valid_after)?,
			valid_before: parse_decimal(valid_before)?,
			nonce: parse_nonce(nonce)?,
		},
		signature: parse_signature(&payload.payload.signature)?,
	})
}

/// The wire form of a signed on-chain authorization.
pub fn authorization_to_wire(authorization: &ChainAuthorization, signature: &MultiSignature) -> wire::SchemePayload {
	wire::SchemePayload {
		signature: format_signature(signature),
		authorization: wire::Authorization {
			from: format_account(&authorization.from),
			to: format_account(&authorization.to),
			value: authorization.value.to_string(),
			valid_after: authorization.valid_after.to_string(),
			valid_before: authorization.valid_before.to_string(),
			nonce: format!("0x{}", hex::encode(authorization.nonce)),
			facilitator: match &authorization.scheme {
				PaymentScheme::Exact => None,
				PaymentScheme::Upto { facilitator } => Some(format_account(facilitator)),
			},
		},
	}
}

/// What a client picks when it pays: the window and nonce of its authorization.
#[derive(Clone, Debug)]
pub struct PaymentTerms {
	/// Unix seconds, exclusive; the reference client uses `now - 600`.
	pub valid_after: u64,
	/// Unix seconds, exclusive; the reference client uses `now + maxTimeoutSeconds`.
	pub valid_before: u64,
	/// Random, or `job_nonce(spec, salt)` for a job payment.
	pub nonce: PaymentNonce,
}

/// Client side: signs a payment of `accepted` (an offer of the chain with `genesis`) with
/// `payer`, and returns the v2 payload to send. For `upto`, the facilitator is taken from
/// `accepted.extra.facilitator`.
pub fn sign_payment(
	payer: &sr25519::Pair,
	accepted: &wire::PaymentRequirements,
	resource: Option<wire::ResourceInfo>,
	terms: &PaymentTerms,
	genesis: &H256,
) -> Result<wire::PaymentPayload, PaymentError> {
	let requirements = requirements_to_chain(accepted, genesis)?;
	let scheme = match requirements.scheme {
		SchemeKind::Exact => PaymentScheme::Exact,
		SchemeKind::Upto => {
			let facilitator = accepted
				.extra
				.as_ref()
				.and_then(|extra| extra.get("facilitator"))
				.and_then(|facilitator| facilitator.as_str())
				.ok_or(PaymentError::InvalidPayload)?;
			PaymentScheme::Upto { facilitator: parse_account(facilitator)? }
		},
	};
	let authorization = ChainAuthorization {
		network: *genesis,
		scheme,
		asset: requirements.asset,
		from: payer.public().into(),
		to: requirements.pay_to,
		value: requirements.amount,
		valid_after: terms.valid_after,
		valid_before: terms.valid_before,
		nonce: terms.nonce,
	};
	let signature = MultiSignature::Sr25519(payer.sign(&authorization.signing_payload()));
	Ok(wire::PaymentPayload {
		x402_version: wire::X402_VERSION,
		resource,
		accepted: accepted.clone(),
		payload: authorization_to_wire(&authorization, &signature),
	})
}

/// `/supported` for the chain with `genesis`: each scheme with the assets it settles, and the
/// facilitator that settles `upto` (if the node has one).
pub fn supported_response(
	genesis: &H256,
	kinds: &[chain::SupportedKind<AssetKind>],
	facilitator: Option<&AccountId>,
) -> wire::SupportedResponse {
	let network = network_id(genesis);
	let assets = |scheme: SchemeKind| -> Vec<String> {
		kinds.iter().filter(|k| k.scheme == scheme).map(|k| format_asset(&k.asset)).collect()
	};
	let mut out = Vec::new();
	for scheme in [SchemeKind::Exact, SchemeKind::Upto] {
		let assets = assets(scheme);
		if assets.is_empty() {
			continue;
		}
		let mut extra = json!({ "assets": assets });
		if scheme == SchemeKind::Upto {
			let Some(facilitator) = facilitator else { continue };
			extra["facilitator"] = json!(format_account(facilitator));
		}
		out.push(wire::SupportedKind {
			x402_version: wire::X402_VERSION,
			scheme: scheme.name().into(),
			network: network.clone(),
			extra: Some(extra),
		});
	}
	let mut signers = serde_json::Map::new();
	if let Some(facilitator) = facilitator {
		signers.insert(format!("{CAIP2_NAMESPACE}:*"), json!([format_account(facilitator)]));
	}
	wire::SupportedResponse { kinds: out, extensions: Vec::new(), signers }
}
