//! x402 payments settled by the runtime: the authorization a payer signs off chain, the exact
//! bytes it signs, the reasons a payment is refused, and the runtime API the node's `x402_*`
//! RPC is built on. The wire (JSON) form is in the `verity-x402` crate; the binding is
//! specified in `docs/x402.md`.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{Balance, Hash};

/// Domain of x402 authorizations: the first bytes of every signed message, SCALE-encoded as a
/// byte vector, so that no other signed Verity message (extrinsic, result statement) can be
/// replayed as a payment.
pub const SIGNING_DOMAIN: &[u8] = b"verity/x402/v1";

/// Prefix that polkadot.js `signRaw` and browser wallets put before the bytes they sign.
pub const WRAP_PREFIX: &[u8] = b"<Bytes>";
/// Suffix that polkadot.js `signRaw` and browser wallets put after the bytes they sign.
pub const WRAP_SUFFIX: &[u8] = b"</Bytes>";

/// A payer's single-use nonce: 32 bytes of its choosing (random, or bound to a job).
pub type PaymentNonce = [u8; 32];

/// How the amount of a payment is fixed.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum PaymentScheme<AccountId> {
	/// Exactly `value` moves; anyone may submit the settlement.
	Exact,
	/// At most `value` moves: `facilitator` settles the actual amount after the work.
	Upto {
		/// The only account that may settle, and choose the amount.
		facilitator: AccountId,
	},
}

/// What a payer signs: pay `value` of `asset` from `from` to `to`, on the chain whose genesis
/// hash is `network`, inside the window `valid_after < now < valid_before` (unix seconds of the
/// chain's timestamp), once per (`from`, `nonce`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PaymentAuthorization<AccountId, AssetKind> {
	/// Genesis hash of the chain the payment is for.
	pub network: Hash,
	/// `exact`, or `upto` with the facilitator that settles.
	pub scheme: PaymentScheme<AccountId>,
	/// The native token or a `pallet-assets` id.
	pub asset: AssetKind,
	/// The payer, who signs.
	pub from: AccountId,
	/// The recipient (for a job payment, the escrow binding of `docs/x402.md`).
	pub to: AccountId,
	/// The amount (`exact`) or the maximum (`upto`), in the asset's smallest unit.
	pub value: Balance,
	/// Unix seconds after which the authorization is valid (exclusive).
	pub valid_after: u64,
	/// Unix seconds before which the authorization is valid (exclusive).
	pub valid_before: u64,
	/// Single use per payer.
	pub nonce: PaymentNonce,
}

impl<AccountId: Encode, AssetKind: Encode> PaymentAuthorization<AccountId, AssetKind> {
	/// The bytes the payer signs: SCALE of `(SIGNING_DOMAIN, self)`.
	pub fn signing_payload(&self) -> Vec<u8> {
		(SIGNING_DOMAIN, self).encode()
	}

	/// [`Self::signing_payload`] wrapped in `<Bytes>…</Bytes>`, as wallets sign raw bytes.
	pub fn wrapped_signing_payload(&self) -> Vec<u8> {
		[WRAP_PREFIX, &self.signing_payload(), WRAP_SUFFIX].concat()
	}
}

/// The nonce that commits a payment to one job: BLAKE2-256 of SCALE of
/// `("verity/x402/job", spec, salt)`. A relayer cannot spend the payment on another job.
pub fn job_nonce<Spec: Encode>(spec: &Spec, salt: &[u8; 32]) -> PaymentNonce {
	sp_io::hashing::blake2_256(&(b"verity/x402/job".as_slice(), spec, salt).encode())
}

/// Why a paid job (`inference.submit_paid`) would be refused.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum PaidJobRefusal {
	/// The payment would not settle: its x402 reason.
	Payment(PaymentError),
	/// The payment is good, but the job would be refused (a deadline passed, …): the pallet's
	/// error, named by the runtime's metadata.
	Job(sp_runtime::DispatchError),
	/// The payment is good, but no executor can take the job now (those that serve the model
	/// at the tier are at capacity, or not live): the same job may go through later.
	ExecutorsBusy,
}

/// What a resource server asks for: the SCALE form of x402 `PaymentRequirements` (the network
/// is checked by the node against this chain before the runtime sees it).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct PaymentRequirements<AccountId, AssetKind> {
	/// `exact` or `upto`.
	pub scheme: SchemeKind,
	/// The asset to pay in.
	pub asset: AssetKind,
	/// The amount (`exact`), or the amount to settle now (`upto`).
	pub amount: Balance,
	/// The recipient.
	pub pay_to: AccountId,
}

/// A signed authorization: the SCALE form of an x402 `PaymentPayload`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct PaymentPayload<AccountId, AssetKind, Signature> {
	/// What the payer authorized.
	pub authorization: PaymentAuthorization<AccountId, AssetKind>,
	/// The payer's signature of the authorization's signing payload (bare or wrapped).
	pub signature: Signature,
}

/// The schemes, without their parameters.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum SchemeKind {
	/// See [`PaymentScheme::Exact`].
	Exact,
	/// See [`PaymentScheme::Upto`].
	Upto,
}

impl SchemeKind {
	/// The scheme's name in x402.
	pub fn name(self) -> &'static str {
		match self {
			SchemeKind::Exact => "exact",
			SchemeKind::Upto => "upto",
		}
	}
}

impl<AccountId> From<&PaymentScheme<AccountId>> for SchemeKind {
	fn from(scheme: &PaymentScheme<AccountId>) -> Self {
		match scheme {
			PaymentScheme::Exact => SchemeKind::Exact,
			PaymentScheme::Upto { .. } => SchemeKind::Upto,
		}
	}
}

/// One payment kind the chain settles, for x402 `GET /supported`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct SupportedKind<AssetKind> {
	/// The scheme.
	pub scheme: SchemeKind,
	/// An asset it can be paid in.
	pub asset: AssetKind,
}

/// Why a payment is refused. [`PaymentError::reason`] is its x402 `invalidReason` /
/// `errorReason`: the spec's names where one exists, `invalid_exact_substrate_payload_*`
/// otherwise. The x402 and inference pallets carry it as a nested error (`Payment(_)`), so a
/// refused payment reads the same, typed, whichever pallet refused it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, frame_support::PalletError)]
// Its variants' docs are what a client shows for a refusal: kept in the metadata, as a pallet
// error's own are.
#[scale_info(capture_docs = "always")]
pub enum PaymentError {
	/// The scheme differs from the requirements' or the call's (`settle` is for exact,
	/// `settle_upto` for upto, a job payment is exact), or is not supported.
	InvalidScheme,
	/// The authorization is for another chain.
	InvalidNetwork,
	/// The payload is malformed.
	InvalidPayload,
	/// The payer cannot pay the amount and keep its account alive.
	InsufficientFunds,
	/// The signature does not match the payer and the signed bytes.
	InvalidSignature,
	/// The window has not opened yet (`now <= valid_after`).
	NotYetValid,
	/// The window has closed (`now >= valid_before`).
	Expired,
	/// `valid_before` is further ahead than the chain keeps nonces for.
	WindowTooLong,
	/// The payer already used this nonce.
	NonceUsed,
	/// The recipient differs from what was asked (or from the job's escrow binding).
	RecipientMismatch,
	/// The amount differs from what was asked (or from the job's escrow).
	ValueMismatch,
	/// The asset differs from what was asked (or from the job's asset).
	AssetMismatch,
	/// `upto`: the amount to settle is above the signed maximum.
	AmountExceedsMaximum,
	/// `upto`: the submitter is not the facilitator the payer authorized.
	FacilitatorMismatch,
	/// The transfer itself failed (e.g. the recipient would be left below the minimum balance).
	TransferFailed,
	/// This payment was already settled.
	DuplicateSettlement,
	/// The asset is not one the chain lists for payments (`X402Api::supported`): anyone can
	/// create an asset with a listed one's name.
	UnsupportedAsset,
	/// The amount to settle is zero: settling it would only spend the facilitator's fee and
	/// the payer's nonce (an `upto` payment settled at 0 before its resource server settles it).
	ZeroAmount,
}

impl PaymentError {
	/// The x402 reason string.
	pub fn reason(self) -> &'static str {
		use PaymentError::*;
		match self {
			InvalidScheme => "invalid_scheme",
			InvalidNetwork => "invalid_network",
			InvalidPayload => "invalid_payload",
			InsufficientFunds => "insufficient_funds",
			InvalidSignature => "invalid_exact_substrate_payload_signature",
			NotYetValid => "invalid_exact_substrate_payload_authorization_valid_after",
			Expired => "invalid_exact_substrate_payload_authorization_valid_before",
			WindowTooLong => "invalid_exact_substrate_payload_authorization_valid_before_too_far",
			NonceUsed => "invalid_exact_substrate_payload_nonce_used",
			RecipientMismatch => "invalid_exact_substrate_payload_recipient_mismatch",
			ValueMismatch => "invalid_exact_substrate_payload_authorization_value_mismatch",
			AssetMismatch => "invalid_exact_substrate_payload_asset_mismatch",
			AmountExceedsMaximum => "invalid_upto_substrate_payload_amount_exceeds_maximum",
			FacilitatorMismatch => "invalid_upto_substrate_payload_facilitator_mismatch",
			TransferFailed => "invalid_exact_substrate_payload_transfer_failed",
			DuplicateSettlement => "duplicate_settlement",
			UnsupportedAsset => "invalid_exact_substrate_payload_unsupported_asset",
			ZeroAmount => "invalid_exact_substrate_payload_zero_amount",
		}
	}
}

/// Settles payments authorized off chain. Implemented by the x402 pallet; the inference pallet
/// uses it to pay a job's escrow from a signed authorization (`submit_paid`).
pub trait PaymentAuthorizer<AccountId, AssetKind> {
	/// The payer's signature.
	type Signature: codec::FullCodec
		+ DecodeWithMemTracking
		+ MaxEncodedLen
		+ TypeInfo
		+ Clone
		+ PartialEq
		+ Eq
		+ core::fmt::Debug;

	/// Checks network, window, nonce and signature of an `exact` authorization, then uses up
	/// its nonce. Moves no funds: the caller does, in the same transaction. Balance checks are
	/// the caller's too.
	fn consume(
		authorization: &PaymentAuthorization<AccountId, AssetKind>,
		signature: &Self::Signature,
	) -> Result<(), PaymentError>;
}

sp_api::decl_runtime_apis! {
	/// x402 facilitator queries, for the node's `x402_*` RPC. Version 2 added
	/// `verify_with_pending`.
	#[api_version(2)]
	pub trait X402Api<AccountId, AssetKind, Signature> where
		AccountId: codec::Codec,
		AssetKind: codec::Codec,
		Signature: codec::Codec,
	{
		/// Whether `payload` would settle `requirements` in the next block: the payer, or why
		/// not. Nothing is written. `verify_with_pending` with nothing pending.
		fn verify(
			payload: PaymentPayload<AccountId, AssetKind, Signature>,
			requirements: PaymentRequirements<AccountId, AssetKind>,
		) -> Result<AccountId, PaymentError>;

		/// `verify`, with `pending` of the payer's asset already spent by settlements the
		/// caller has submitted and not yet seen in a block.
		#[api_version(2)]
		fn verify_with_pending(
			payload: PaymentPayload<AccountId, AssetKind, Signature>,
			requirements: PaymentRequirements<AccountId, AssetKind>,
			pending: Balance,
		) -> Result<AccountId, PaymentError>;

		/// The schemes and assets the chain settles.
		fn supported() -> Vec<SupportedKind<AssetKind>>;
	}
}
