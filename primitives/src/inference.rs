//! The inference market's shared vocabulary: verification tiers, evidence, jobs, result
//! statements, and the traits through which the models, executors and inference pallets (and
//! the tier verifiers) are coupled.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ed25519, sr25519, ConstU32, H256};
use sp_runtime::{traits::Verify, BoundedVec, DispatchResult, Perbill, Weight};

use crate::Balance;

/// The identifier of a model: the SHA-256 of its weights file (`sha256sum model.safetensors`).
pub type ModelId = H256;

/// The identifier of a job: sequential from 0.
pub type JobId = u64;

/// How strongly the result of a job must be evidenced. The caller picks it per job.
#[derive(
	Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode, DecodeWithMemTracking,
	MaxEncodedLen, TypeInfo, Debug,
)]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationMode {
	/// The executor's registered key signs the result; it answers for it with its stake.
	Signed,
	/// The result is signed by an enclave key whose DCAP quote the runtime verified.
	Tee,
	/// A Groth16 proof that `output = model(input)`, verified in the runtime.
	Zk,
}

impl VerificationMode {
	/// Every tier, in order of increasing strength.
	pub const ALL: [VerificationMode; 3] =
		[VerificationMode::Signed, VerificationMode::Tee, VerificationMode::Zk];
}

/// Longest enclave quote carried by a tee-tier result (DCAP quotes with their PCK chain).
pub const MAX_QUOTE_LEN: u32 = 16 * 1024;
/// Longest zk proof carried by a zk-tier result.
pub const MAX_PROOF_LEN: u32 = 2 * 1024;

/// The public key with which an executor (or its enclave) signs result statements.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug,
)]
#[derive(serde::Serialize, serde::Deserialize)]
pub enum SigningKey {
	/// A Schnorrkel/Ristretto key.
	Sr25519(sr25519::Public),
	/// An Edwards key.
	Ed25519(ed25519::Public),
}

/// A signature by a [`SigningKey`].
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug,
)]
pub enum ExecutorSignature {
	/// Made with an sr25519 key.
	Sr25519(sr25519::Signature),
	/// Made with an ed25519 key.
	Ed25519(ed25519::Signature),
}

impl SigningKey {
	/// Whether `signature` is this key's signature of `message`. A signature of the other
	/// scheme never verifies.
	pub fn verify(&self, message: &[u8], signature: &ExecutorSignature) -> bool {
		match (self, signature) {
			(SigningKey::Sr25519(key), ExecutorSignature::Sr25519(sig)) => sig.verify(message, key),
			(SigningKey::Ed25519(key), ExecutorSignature::Ed25519(sig)) => sig.verify(message, key),
			_ => false,
		}
	}
}

/// The evidence submitted with a result: one variant per tier.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug,
)]
pub enum Evidence {
	/// The executor's signature of the [`ResultStatement`].
	Signed(ExecutorSignature),
	/// The attested enclave key's signature of the [`ResultStatement`], and a fresh quote whose
	/// `report_data` binds the statement when the model asks for one per job.
	Tee {
		/// Signature by the enclave key.
		signature: ExecutorSignature,
		/// A DCAP quote made for this job, if the model requires one.
		quote: Option<BoundedVec<u8, ConstU32<MAX_QUOTE_LEN>>>,
	},
	/// A proof that `output = model(input)`.
	Zk {
		/// The serialized proof.
		proof: BoundedVec<u8, ConstU32<MAX_PROOF_LEN>>,
	},
}

impl Evidence {
	/// The tier this evidence is for.
	pub fn mode(&self) -> VerificationMode {
		match self {
			Evidence::Signed(_) => VerificationMode::Signed,
			Evidence::Tee { .. } => VerificationMode::Tee,
			Evidence::Zk { .. } => VerificationMode::Zk,
		}
	}
}

/// What the signed and tee tiers sign: this job, on this chain, turned this input into this
/// output with this model.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ResultStatement {
	/// The chain's genesis hash, so that a statement cannot be replayed on another chain.
	pub genesis_hash: H256,
	/// The job.
	pub job_id: JobId,
	/// The model that ran.
	pub model_id: ModelId,
	/// BLAKE2-256 of the input bytes (or the committed hash of an input passed by reference).
	pub input_hash: H256,
	/// BLAKE2-256 of the output bytes.
	pub output_hash: H256,
}

impl ResultStatement {
	/// The domain tag that prefixes every statement.
	pub const DOMAIN: &'static [u8] = b"verity/result/v1";

	/// The exact bytes that are signed: the SCALE encoding of
	/// `(DOMAIN, genesis_hash, job_id, model_id, input_hash, output_hash)`, where `DOMAIN` is a
	/// byte slice (compact length prefix `0x40`, then the 16 ASCII bytes) and `job_id` is a
	/// little-endian `u64`. 153 bytes in all. See docs/evidence.md.
	pub fn signing_payload(&self) -> Vec<u8> {
		(
			Self::DOMAIN,
			self.genesis_hash,
			self.job_id,
			self.model_id,
			self.input_hash,
			self.output_hash,
		)
			.encode()
	}
}

/// Who checks a result, and what it was told about the job.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerificationContext<'a, AccountId> {
	/// The executor that submitted the result.
	pub executor: AccountId,
	/// The executor's registered signing key.
	pub executor_key: SigningKey,
	/// The statement the evidence must prove.
	pub statement: ResultStatement,
	/// The job's input.
	pub input: &'a JobInput,
	/// The submitted output.
	pub output: &'a [u8],
}

/// Why a tier verifier refused a piece of evidence. The inference pallet carries it as a nested
/// error (`Verification(_)`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, frame_support::PalletError)]
// Its variants' docs are what a client shows for a refusal: kept in the metadata, as a pallet
// error's own are.
#[scale_info(capture_docs = "always")]
pub enum VerificationError {
	/// This chain cannot verify this tier (yet).
	TierUnavailable,
	/// The evidence is for another tier than the job's.
	WrongEvidence,
	/// The signature does not verify against the expected key.
	BadSignature,
	/// The executor has no valid (attested, unexpired, allowed) enclave key.
	NoAttestedKey,
	/// The per-job quote is missing, malformed or does not bind the statement.
	BadQuote,
	/// The zk proof is well formed and does not verify: another input, output or model.
	BadProof,
	/// The zk proof does not decode: wrong length, or a point off the curve or outside the
	/// prime-order subgroup.
	MalformedProof,
	/// The model has no zk verifying key.
	NoVerifyingKey,
	/// The zk tier needs the input on chain (inline), not by reference.
	InputNotInline,
	/// A sealed (confidential) input can only be read by an enclave: tee tier only.
	SealedInputNeedsTee,
	/// The input or output is not exactly as long as the model's zk key verifies: a zk model's
	/// `max_input_len` and `max_output_len` are exact lengths, fixed with its key (packing 31
	/// bytes to a field element would otherwise leave trailing zero bytes unproven).
	WrongLength,
}

/// Checks the evidence of one tier. The inference pallet takes one per tier through its
/// `Config`, so that each tier is pluggable and testable alone.
pub trait TierVerifier<AccountId> {
	/// Whether this chain can verify the tier at all; jobs for an unavailable tier are refused
	/// at submission.
	fn is_available() -> bool;

	/// Whether results of `model` can be verified at this tier now (for example, it has a
	/// verifying key); jobs that could never be verified are refused at submission.
	fn can_verify(_model: &ModelId, input: &JobInput) -> Result<(), VerificationError> {
		match input {
			JobInput::Sealed { .. } => Err(VerificationError::SealedInputNeedsTee),
			_ => Ok(()),
		}
	}

	/// Whether `executor` (registered for the model and tier) may be assigned a job of
	/// `model` with `input` at this tier; the tee tier asks for an attested enclave.
	fn can_serve(_executor: &AccountId, _model: &ModelId, _input: &JobInput) -> bool {
		true
	}

	/// The most [`Self::can_serve`] costs for one executor.
	fn can_serve_weight() -> Weight {
		Weight::zero()
	}

	/// Whether a governance act made after `executor` took a job of `model` keeps it from
	/// finishing the job (the tee tier: its enclave's measurement revoked, or the trust root
	/// replaced): the job's expiry then refunds the payer without a slash. A lapse the executor
	/// let happen never excuses. Costs at most [`Self::can_serve_weight`].
	fn excuses_expiry(_executor: &AccountId, _model: &ModelId) -> bool {
		false
	}

	/// Verifies `evidence` for `context`. Must not panic on any input.
	fn verify(
		context: &VerificationContext<AccountId>,
		evidence: &Evidence,
	) -> Result<(), VerificationError>;

	/// The most [`Self::verify`] costs beyond what the inference pallet's own `submit_result`
	/// benchmark measures (which verifies a signed result).
	fn verify_weight() -> Weight {
		Weight::zero()
	}
}

/// The tier is not available on this chain: every job asking for it is refused.
pub struct Unavailable;

impl<AccountId> TierVerifier<AccountId> for Unavailable {
	fn is_available() -> bool {
		false
	}

	fn verify(_: &VerificationContext<AccountId>, _: &Evidence) -> Result<(), VerificationError> {
		Err(VerificationError::TierUnavailable)
	}
}

/// The signed tier: the executor's registered key signed the statement.
pub struct SignedVerifier;

impl<AccountId> TierVerifier<AccountId> for SignedVerifier {
	fn is_available() -> bool {
		true
	}

	fn verify(
		context: &VerificationContext<AccountId>,
		evidence: &Evidence,
	) -> Result<(), VerificationError> {
		let Evidence::Signed(signature) = evidence else {
			return Err(VerificationError::WrongEvidence);
		};
		let payload = context.statement.signing_payload();
		if context.executor_key.verify(&payload, signature) {
			Ok(())
		} else {
			Err(VerificationError::BadSignature)
		}
	}
}

/// The price of a job at each tier; `None` means the tier is not offered.
#[derive(
	Clone, Copy, PartialEq, Eq, Default, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen,
	TypeInfo, Debug,
)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct TierPrices {
	/// Price of a signed-tier job.
	pub signed: Option<Balance>,
	/// Price of a tee-tier job.
	pub tee: Option<Balance>,
	/// Price of a zk-tier job.
	pub zk: Option<Balance>,
}

impl TierPrices {
	/// The price at `mode`, if the tier is offered.
	pub fn get(&self, mode: VerificationMode) -> Option<Balance> {
		match mode {
			VerificationMode::Signed => self.signed,
			VerificationMode::Tee => self.tee,
			VerificationMode::Zk => self.zk,
		}
	}

	/// The tiers offered, with their prices.
	pub fn offered(&self) -> impl Iterator<Item = (VerificationMode, Balance)> + '_ {
		VerificationMode::ALL.into_iter().filter_map(|mode| Some((mode, self.get(mode)?)))
	}

	/// Whether at least one tier is offered.
	pub fn any(&self) -> bool {
		self.offered().next().is_some()
	}
}

/// The commercial terms of a model, as the inference pallet needs them to price and run a job.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ModelTerms<AccountId, AssetKind> {
	/// Receives the royalty.
	pub owner: AccountId,
	/// The asset the job is paid in.
	pub asset: AssetKind,
	/// The model's price for the tier asked for in `asset`, if it offers the tier in that asset.
	pub price: Option<Balance>,
	/// The price of the tier in the model's own asset, the one executors' fees are asked in.
	pub model_asset_price: Option<Balance>,
	/// The owner's share of the price.
	pub royalty: Perbill,
	/// Largest accepted input, in bytes.
	pub max_input_len: u32,
	/// Largest output an executor may submit, in bytes.
	pub max_output_len: u32,
}

impl<AccountId, AssetKind> ModelTerms<AccountId, AssetKind> {
	/// An executor's fee, asked in the model's own asset, in the job's asset: scaled by the
	/// ratio of the tier's two prices (the owner's price list is the model's exchange rate),
	/// rounded up so that an executor is never paid less than it asked. `None` if the tier is
	/// not priced in both assets.
	pub fn fee_in_asset(&self, fee: Balance) -> Option<Balance> {
		let (price, model_asset_price) = (self.price?, self.model_asset_price?);
		if price == model_asset_price {
			return Some(fee);
		}
		sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
			fee,
			price,
			model_asset_price,
			sp_runtime::Rounding::Up,
		)
	}
}

/// Read access to the model registry.
pub trait ModelProvider<AccountId, AssetKind> {
	/// The terms of `model` for `mode` in the model's own asset, or `None` if the model does not
	/// exist or is retired.
	fn terms(model: &ModelId, mode: VerificationMode) -> Option<ModelTerms<AccountId, AssetKind>>;

	/// The assets `model` is priced in: its own first, then the others (at any tier). Empty if
	/// the model does not exist.
	fn assets(model: &ModelId) -> Vec<AssetKind> {
		Self::terms(model, VerificationMode::Signed).map(|terms| alloc::vec![terms.asset]).unwrap_or_default()
	}

	/// The terms of `model` for `mode` paid in `asset`: `price` is `None` if the model is not
	/// priced in `asset` at that tier.
	fn terms_in(
		model: &ModelId,
		mode: VerificationMode,
		asset: &AssetKind,
	) -> Option<ModelTerms<AccountId, AssetKind>>
	where
		AssetKind: PartialEq,
	{
		Self::terms(model, mode).map(|mut terms| {
			if &terms.asset != asset {
				terms.price = None;
			}
			terms
		})
	}
}

/// The model registry as the zk verifier sees it: who owns a model, and the record of its
/// verifying key.
pub trait ModelKeyRegistry<AccountId> {
	/// The owner of `model`, if it is registered.
	fn owner(model: &ModelId) -> Option<AccountId>;

	/// Records the hash of `model`'s zk verifying key in the model's entry. From then on the
	/// model's size limits cannot change: they are the exact lengths its key verifies.
	fn record_zk_key(model: &ModelId, key_hash: H256) -> DispatchResult;

	/// `model`'s size limits, `(max_input_len, max_output_len)`, if it is registered.
	fn io_limits(model: &ModelId) -> Option<(u32, u32)>;
}

/// Told when a model is retired, so that what hangs off it (a zk key, enclave requirements)
/// goes with it and cannot apply to a model registered later under the same id. Implemented for
/// tuples: the runtime wires every pallet that keeps per-model state.
pub trait OnModelRetired {
	/// `model` was retired.
	fn model_retired(model: &ModelId);

	/// The most [`Self::model_retired`] costs.
	fn model_retired_weight() -> Weight;
}

/// Told when an executor is removed from the registry (its stake withdrawn), so that what hangs
/// off it (attested enclave keys) goes with it. Implemented for tuples: the runtime wires every
/// pallet that keeps per-executor state.
pub trait OnExecutorRemoved<AccountId> {
	/// `executor` was removed.
	fn executor_removed(executor: &AccountId);

	/// The most [`Self::executor_removed`] costs.
	fn executor_removed_weight() -> Weight;
}

#[impl_trait_for_tuples::impl_for_tuples(8)]
impl OnModelRetired for Tuple {
	fn model_retired(model: &ModelId) {
		for_tuples!( #( Tuple::model_retired(model); )* );
	}

	fn model_retired_weight() -> Weight {
		let mut weight = Weight::zero();
		for_tuples!( #( weight = weight.saturating_add(Tuple::model_retired_weight()); )* );
		weight
	}
}

#[impl_trait_for_tuples::impl_for_tuples(8)]
impl<AccountId> OnExecutorRemoved<AccountId> for Tuple {
	fn executor_removed(executor: &AccountId) {
		for_tuples!( #( Tuple::executor_removed(executor); )* );
	}

	fn executor_removed_weight() -> Weight {
		let mut weight = Weight::zero();
		for_tuples!( #( weight = weight.saturating_add(Tuple::executor_removed_weight()); )* );
		weight
	}
}

/// How a job ended, for the executor's statistics.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JobOutcome {
	/// The result was verified and paid.
	Completed,
	/// The executor reported that it could not run the job.
	Failed,
	/// The deadline passed without a result.
	Expired,
	/// The payer cancelled the job before it started.
	Cancelled,
}

/// What the inference pallet needs from the executor registry.
pub trait ExecutorProvider<AccountId> {
	/// Executors eligible for a new job on `(model, mode)` (registered for it, active, with
	/// free capacity), each with its stake and the fee it asks. At most a bounded, configured
	/// number.
	fn eligible(model: &ModelId, mode: VerificationMode) -> Vec<(AccountId, Balance, Balance)>;

	/// Executors that serve `(model, mode)` (registered for it, active, heartbeat fresh), busy
	/// or not, each with the fee it asks: who may take a job once one frees up. What an offer
	/// quotes while every one is at capacity. At most [`Self::max_eligible`].
	fn serving(model: &ModelId, mode: VerificationMode) -> Vec<(AccountId, Balance)> {
		Self::eligible(model, mode).into_iter().map(|(executor, _, fee)| (executor, fee)).collect()
	}

	/// The most executors [`Self::eligible`] returns: bounds what filtering them costs.
	fn max_eligible() -> u32;

	/// The executor's result-signing key, if it is registered.
	fn signing_key(executor: &AccountId) -> Option<SigningKey>;

	/// How many more jobs `executor` may be assigned now (its capacity less its open jobs; 0
	/// if it is not registered).
	fn free_slots(executor: &AccountId) -> u32;

	/// A job was assigned to `executor`: it takes one unit of its capacity.
	fn job_assigned(executor: &AccountId);

	/// A job of `executor` ended: its capacity is freed and its statistics updated.
	fn job_ended(executor: &AccountId, outcome: JobOutcome);

	/// A result `executor` submitted (counted `Completed` by [`Self::job_ended`]) was shown
	/// wrong by a challenge: it no longer counts as completed.
	fn result_overturned(_executor: &AccountId) {}

	/// The most of `executor`'s stake one missed deadline may cost (a configured share of it).
	fn slashable(executor: &AccountId) -> Balance;

	/// Moves up to `amount` of `executor`'s stake to `beneficiary`. Returns the amount moved.
	fn slash(executor: &AccountId, beneficiary: &AccountId, amount: Balance) -> Balance;

	/// Every executor holding capacity for jobs (what [`Self::job_assigned`] and
	/// [`Self::job_ended`] count), with the count: for the inference pallet's invariants only,
	/// as it reads the whole registry.
	fn busy_executors() -> alloc::vec::Vec<(AccountId, u32)>;
}

/// What the inference pallet answers to the executor registry: whether an executor still
/// answers for results with its stake, so that it cannot withdraw the stake before every
/// challenge window of its results has closed.
pub trait ExecutorObligations<AccountId> {
	/// Whether `executor` has open jobs or provisional results.
	fn has_obligations(executor: &AccountId) -> bool;
}

impl<AccountId> ExecutorObligations<AccountId> for () {
	fn has_obligations(_: &AccountId) -> bool {
		false
	}
}

/// What the inference pallet answers to the model registry: whether results of a model still
/// wait for their challenge window, so that the model (and with it what checks its results: its
/// file on chain, its zk key) cannot be retired from under them.
pub trait ModelObligations {
	/// Whether `model` has provisional results.
	fn has_provisional_results(model: &ModelId) -> bool;
}

impl ModelObligations for () {
	fn has_provisional_results(_: &ModelId) -> bool {
		false
	}
}

/// What re-running a model in the runtime gave.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ReexecutionOutcome {
	/// The model's output on the input.
	Output(Vec<u8>),
	/// The model does not take this input (for an MLP, the wrong length): no output is right,
	/// and the executor should have reported a failure.
	Refused,
}

/// Runs models in the runtime, exactly, to settle a challenge of a result (the first path of
/// `docs/inference.md`, "Challenges"): the integer MLPs whose files are stored on chain.
pub trait Reexecutor {
	/// Whether the runtime can re-run `model`.
	fn can_reexecute(model: &ModelId) -> bool;

	/// `model`'s output on `input`, computed in the runtime; `None` if it cannot run `model`.
	fn reexecute(model: &ModelId, input: &[u8]) -> Option<ReexecutionOutcome>;

	/// What [`Self::reexecute`] of `model` costs (zero if it cannot run it).
	fn reexecute_weight(model: &ModelId) -> Weight;

	/// The most [`Self::reexecute`] costs for any model it accepts.
	fn max_reexecute_weight() -> Weight;
}

/// No model can be re-run in the runtime.
impl Reexecutor for () {
	fn can_reexecute(_: &ModelId) -> bool {
		false
	}

	fn reexecute(_: &ModelId, _: &[u8]) -> Option<ReexecutionOutcome> {
		None
	}

	fn reexecute_weight(_: &ModelId) -> Weight {
		Weight::zero()
	}

	fn max_reexecute_weight() -> Weight {
		Weight::zero()
	}
}

/// Largest input carried inline in a job, in bytes. Larger inputs go by hash and URI.
pub const MAX_INLINE_INPUT: u32 = 16 * 1024;
/// Longest URI of an input passed by reference.
pub const MAX_INPUT_URI: u32 = 256;
/// What sealing adds to an input: the sender's ephemeral X25519 public key (32), the salt (32)
/// and the AES-256-GCM tag (16).
pub const SEALING_OVERHEAD: u32 = 32 + 32 + 16;
/// Longest sealed input: the longest inline input, sealed.
pub const MAX_SEALED_INPUT: u32 = MAX_INLINE_INPUT + SEALING_OVERHEAD;

/// The input of a job: inline bytes, or a hash and a URI for inputs too large for the chain.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum JobInput {
	/// The input bytes themselves.
	Inline(BoundedVec<u8, ConstU32<MAX_INLINE_INPUT>>),
	/// An input stored elsewhere: its BLAKE2-256 hash, and where to fetch it.
	Reference {
		/// BLAKE2-256 of the input bytes; the executor checks what it fetched against it.
		hash: H256,
		/// Where the executor fetches the input from.
		uri: BoundedVec<u8, ConstU32<MAX_INPUT_URI>>,
	},
	/// A confidential input (tee tier only): sealed to one attested enclave's X25519 encryption
	/// key (ephemeral X25519, HKDF-SHA256, AES-256-GCM; Verity's own scheme, not RFC 9180 HPKE),
	/// so that only that enclave can read it. The job goes to the executor
	/// whose enclave holds `recipient`. See `docs/tee.md`.
	Sealed {
		/// The enclave encryption key (X25519) the input is sealed to.
		recipient: [u8; 32],
		/// The ephemeral X25519 public key (32 bytes), then the AES-256-GCM ciphertext of
		/// `salt || input` (a 32-byte salt, then the input) with its 16-byte tag.
		ciphertext: BoundedVec<u8, ConstU32<MAX_SEALED_INPUT>>,
		/// BLAKE2-256 of `salt || input`: what result statements bind. The salt keeps a
		/// guessable input from being found by hashing candidates.
		commitment: H256,
	},
}

impl JobInput {
	/// The hash that result statements bind: BLAKE2-256 of the input bytes.
	pub fn hash(&self) -> H256 {
		match self {
			JobInput::Inline(bytes) => H256(sp_io::hashing::blake2_256(bytes)),
			JobInput::Reference { hash, .. } => *hash,
			JobInput::Sealed { commitment, .. } => *commitment,
		}
	}

	/// Length of the bytes carried on chain (0 for a reference; the ciphertext of a sealed
	/// input less the sealing overhead, so the model's input limit applies to the plaintext).
	pub fn inline_len(&self) -> usize {
		match self {
			JobInput::Inline(bytes) => bytes.len(),
			JobInput::Reference { .. } => 0,
			JobInput::Sealed { ciphertext, .. } => ciphertext.len().saturating_sub(SEALING_OVERHEAD as usize),
		}
	}
}

/// A request for one inference, as `submit_job` and `submit_jobs` take it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct JobSpec<BlockNumber> {
	/// The model to run.
	pub model: ModelId,
	/// The tier at which the result must be evidenced.
	pub mode: VerificationMode,
	/// The input.
	pub input: JobInput,
	/// The most the caller accepts as the model's price, in the asset the job is paid in (the
	/// price it was quoted): a price raised before the job lands refuses the job instead of
	/// charging more.
	pub max_price: Balance,
	/// The most the caller pays the executor, on top of the model's price.
	pub max_fee: Balance,
	/// The last block at which a result is accepted.
	pub deadline: BlockNumber,
}

/// Where a job is in its life.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug,
)]
pub enum JobStatus {
	/// Assigned to an executor, which has not acknowledged it.
	Assigned,
	/// The executor acknowledged it and is running it.
	Running,
	/// A verified result was submitted and paid for.
	Completed,
	/// The executor reported that it could not run it; the payer was refunded.
	Failed,
	/// The deadline passed without a result; the payer was refunded and the executor slashed.
	Expired,
	/// The payer cancelled it before it started and was refunded.
	Cancelled,
	/// Submitted and paid for; its executor is drawn at the start of the next block, from that
	/// block's parent hash, which nobody knows when the job is submitted.
	Pending,
	/// A signed-tier result was accepted and its output is public, but anyone may challenge it
	/// until its challenge window closes; the escrow is held until then (then `Completed`, or
	/// `Overturned` if a challenge shows the output wrong).
	Provisional,
	/// A challenge showed the result wrong: the payer was refunded and the executor slashed.
	Overturned,
}

impl JobStatus {
	/// Whether the job may still receive a result (and holds escrow).
	pub fn is_open(&self) -> bool {
		matches!(self, JobStatus::Pending | JobStatus::Assigned | JobStatus::Running)
	}

	/// Whether the job holds escrow: it is open, or its result is provisional.
	pub fn holds_escrow(&self) -> bool {
		self.is_open() || *self == JobStatus::Provisional
	}

	/// Whether the job has an accepted result, final or provisional: its output can be read.
	pub fn has_result(&self) -> bool {
		matches!(self, JobStatus::Provisional | JobStatus::Completed)
	}
}

/// What a client sees of a job through the runtime API.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct JobSummary<AccountId, AssetKind, BlockNumber> {
	/// Who pays.
	pub payer: AccountId,
	/// Who runs it: `None` while the job is [`JobStatus::Pending`] (and for a job whose draw
	/// found no executor).
	pub executor: Option<AccountId>,
	/// The model.
	pub model: ModelId,
	/// The tier.
	pub mode: VerificationMode,
	/// Where it is.
	pub status: JobStatus,
	/// The asset it is paid in.
	pub asset: AssetKind,
	/// Model price.
	pub price: Balance,
	/// The assigned executor's fee.
	pub executor_fee: Balance,
	/// Held in escrow now (0 once closed).
	pub escrow: Balance,
	/// Hash of the input.
	pub input_hash: H256,
	/// The input (what executors that follow the chain run the job on).
	pub input: JobInput,
	/// Hash of the output, once completed.
	pub output_hash: Option<H256>,
	/// The last block at which a result is accepted.
	pub deadline: BlockNumber,
	/// For a [`JobStatus::Provisional`] result: the block at whose start it becomes final,
	/// unless a challenge overturns it first.
	pub final_at: Option<BlockNumber>,
}

/// What a job would cost now. With no eligible executor now (none serves the model at the tier,
/// or all that do are at capacity), `eligible_executors` is 0 and so are the fees.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Quote<AssetKind> {
	/// The asset it is paid in.
	pub asset: AssetKind,
	/// The model's price at the tier.
	pub price: Balance,
	/// The lowest fee among eligible executors: a `max_fee` at least this finds one.
	pub min_executor_fee: Balance,
	/// The highest fee among eligible executors: a `max_fee` at least this can go to any.
	pub max_executor_fee: Balance,
	/// How many executors are eligible now.
	pub eligible_executors: u32,
}

/// One way to pay for a job on a model now: a tier, an asset, the price and the fee the job
/// must offer. What a 402 offers.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Offer<AssetKind> {
	/// The tier.
	pub mode: VerificationMode,
	/// The asset it is paid in.
	pub asset: AssetKind,
	/// The model's price at the tier, in `asset`.
	pub price: Balance,
	/// The `max_fee` a job paid this way carries, in `asset`: the lowest fee among the executors
	/// free to take it now (while all are busy, among those that serve the model at the tier);
	/// the draw is among executors at or below it. The payment is `price + max_fee`.
	pub max_fee: Balance,
	/// How many executors serve the model at the tier (0: none, the offer cannot be served).
	pub serving_executors: u32,
	/// How many of them could take the job now; 0 while every one is at capacity (a paid job
	/// then waits for one to free up).
	pub eligible_executors: u32,
}

/// Every offer for a model, as of one block.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Offers<AssetKind, BlockNumber> {
	/// The block the offers were computed at: a job's deadline counts from it.
	pub at: BlockNumber,
	/// One per (tier, asset) the model is priced at whose results the chain can verify: tiers
	/// in order (signed, tee, zk), the model's own asset first.
	pub offers: Vec<Offer<AssetKind>>,
}

/// Counts and volume of jobs of one tier, paid in one asset, in one time bucket.
#[derive(
	Clone, Copy, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TierCounters {
	/// Jobs submitted.
	pub submitted: u32,
	/// Jobs completed.
	pub completed: u32,
	/// Jobs failed.
	pub failed: u32,
	/// Jobs expired.
	pub expired: u32,
	/// Jobs cancelled.
	pub cancelled: u32,
	/// Paid out for completed jobs: executor fee, royalty and protocol fee.
	pub fees_paid: Balance,
	/// Challenges accepted against provisional results (each holds a bond).
	pub challenged: u32,
	/// Challenged results that stood: re-run or proved right (the challenger lost its bond).
	pub upheld: u32,
	/// Results a challenge showed wrong: refunded, the executor slashed. Not counted as failed.
	pub overturned: u32,
}

/// One row of the tier statistics.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TierStatsEntry<AssetKind> {
	/// Index of the time bucket: milliseconds since the epoch divided by the bucket length.
	pub bucket: u32,
	/// The tier.
	pub mode: VerificationMode,
	/// The asset.
	pub asset: AssetKind,
	/// The counts.
	pub counters: TierCounters,
}

/// A completed job's result: everything a verifier needs besides the job itself.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct JobResult {
	/// The output.
	pub output: Vec<u8>,
	/// Its evidence at the job's tier.
	pub evidence: Evidence,
}

sp_api::decl_runtime_apis! {
	/// The zk tier's verifying keys.
	pub trait ZkVerifierApi {
		/// `model`'s registered verifying key, prepared (the encoding `docs/zk.md` gives).
		fn verifying_key(model: ModelId) -> Option<Vec<u8>>;
	}

	/// Queries of the inference market. Version 2 added `offers`; version 3 `result` and
	/// `recent_tier_stats`; version 4 made [`JobSummary::executor`] optional (a job is
	/// [`JobStatus::Pending`] until the block after its submission draws its executor); version 5
	/// added [`JobSummary::final_at`] and the statuses `Provisional` and `Overturned`, and
	/// `result` answers for a provisional result too; version 6 `proofs_due`; version 7 added
	/// [`TierCounters::challenged`], `upheld` and `overturned` (an overturned result no longer
	/// counts as failed).
	#[api_version(7)]
	pub trait InferenceApi<AccountId, AssetKind, BlockNumber> where
		AccountId: codec::Codec,
		AssetKind: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// What a job on `model` at `mode` costs now, or `None` if the tier is not offered for the
		/// model or cannot verify its results.
		fn quote(model: ModelId, mode: VerificationMode) -> Option<Quote<AssetKind>>;

		/// What a job on `model` at `mode` costs now paid in `asset` (executors' fees converted
		/// at the model's prices), or `None` if the model is not priced in `asset` at `mode`.
		fn quote_in(model: ModelId, mode: VerificationMode, asset: AssetKind) -> Option<Quote<AssetKind>>;

		/// Every way to pay for a job on `model` now: one offer per tier and asset it is priced
		/// at whose results the chain can verify. A gateway answers a 402 with one call.
		fn offers(model: ModelId) -> Offers<AssetKind, BlockNumber>;

		/// A job, while it is kept on chain.
		fn job(job: JobId) -> Option<JobSummary<AccountId, AssetKind, BlockNumber>>;

		/// The open jobs assigned to `executor`.
		fn open_jobs(executor: AccountId) -> Vec<JobId>;

		/// The challenged results of `executor` waiting for its zk proof (`answer_challenge`).
		fn proofs_due(executor: AccountId) -> Vec<JobId>;

		/// Tier statistics for the buckets `from..=to`, and the bucket length in milliseconds.
		fn tier_stats(from: u32, to: u32) -> (u64, Vec<TierStatsEntry<AssetKind>>);

		/// Tier statistics for every retained bucket up to the chain's time now, and the bucket
		/// length in milliseconds.
		fn recent_tier_stats() -> (u64, Vec<TierStatsEntry<AssetKind>>);

		/// The output and evidence of a job with a result (completed or provisional), while the
		/// job is kept on chain.
		fn result(job: JobId) -> Option<JobResult>;

		/// Whether `inference.submit_paid(spec, salt, authorization, signature)` would succeed
		/// now, or why not. Nothing is written.
		fn check_paid_job(
			spec: JobSpec<BlockNumber>,
			salt: [u8; 32],
			authorization: crate::x402::PaymentAuthorization<AccountId, AssetKind>,
			signature: crate::Signature,
		) -> Result<(), crate::x402::PaidJobRefusal>;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The worked example of docs/evidence.md, byte for byte.
	#[test]
	fn result_statement_bytes_match_the_documented_example() {
		let statement = ResultStatement {
			genesis_hash: H256::repeat_byte(0x11),
			job_id: 7,
			model_id: H256::repeat_byte(0x22),
			input_hash: H256::repeat_byte(0x33),
			output_hash: H256::repeat_byte(0x44),
		};
		let expected = concat!(
			"40",
			"7665726974792f726573756c742f7631",
			"1111111111111111111111111111111111111111111111111111111111111111",
			"0700000000000000",
			"2222222222222222222222222222222222222222222222222222222222222222",
			"3333333333333333333333333333333333333333333333333333333333333333",
			"4444444444444444444444444444444444444444444444444444444444444444",
		);
		let bytes = statement.signing_payload();
		assert_eq!(bytes.len(), 153);
		assert_eq!(sp_core::hexdisplay::HexDisplay::from(&bytes).to_string(), expected);
	}

	/// The signature test vector of docs/evidence.md: ed25519 (deterministic) with the seed
	/// `[0x01; 32]` over the worked example's 153 bytes; checked by an independent ed25519
	/// implementation (Python's `cryptography`) when it was written.
	#[test]
	fn result_statement_signature_vector() {
		use sp_core::Pair;
		let statement = ResultStatement {
			genesis_hash: H256::repeat_byte(0x11),
			job_id: 7,
			model_id: H256::repeat_byte(0x22),
			input_hash: H256::repeat_byte(0x33),
			output_hash: H256::repeat_byte(0x44),
		};
		let pair = ed25519::Pair::from_seed(&[0x01; 32]);
		let hex = |bytes: &[u8]| sp_core::hexdisplay::HexDisplay::from(&bytes).to_string();
		assert_eq!(hex(&pair.public().0), "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
		let signature = pair.sign(&statement.signing_payload());
		assert_eq!(
			hex(&signature.0),
			concat!(
				"8c475561aa438a083ec09198f34d23bf6246315c4df0805795a4218e6674967b",
				"af6268f7e42f78f732a9eb78e03d18949330e2b8edf8e6a86bdcb02c80556909",
			)
		);
		let evidence = Evidence::Signed(ExecutorSignature::Ed25519(signature));
		let input = JobInput::Inline(Default::default());
		let context = VerificationContext {
			executor: 0u64,
			executor_key: SigningKey::Ed25519(pair.public()),
			statement,
			input: &input,
			output: &[],
		};
		assert_eq!(SignedVerifier::verify(&context, &evidence), Ok(()));
	}

	#[test]
	fn signed_verifier_checks_key_scheme_and_statement() {
		use sp_core::Pair;
		let statement = ResultStatement {
			genesis_hash: H256::repeat_byte(1),
			job_id: 1,
			model_id: H256::repeat_byte(2),
			input_hash: H256::repeat_byte(3),
			output_hash: H256::repeat_byte(4),
		};
		let sr = sr25519::Pair::from_seed(&[1; 32]);
		let ed = ed25519::Pair::from_seed(&[2; 32]);
		let payload = statement.signing_payload();
		let input = JobInput::Inline(Default::default());
		let context = |key| VerificationContext { executor: 0u64, executor_key: key, statement: statement.clone(), input: &input, output: &[] };

		let sr_sig = Evidence::Signed(ExecutorSignature::Sr25519(sr.sign(&payload)));
		let ed_sig = Evidence::Signed(ExecutorSignature::Ed25519(ed.sign(&payload)));
		assert_eq!(SignedVerifier::verify(&context(SigningKey::Sr25519(sr.public())), &sr_sig), Ok(()));
		assert_eq!(SignedVerifier::verify(&context(SigningKey::Ed25519(ed.public())), &ed_sig), Ok(()));
		// The other scheme, another key, another statement, another tier's evidence.
		assert_eq!(
			SignedVerifier::verify(&context(SigningKey::Sr25519(sr.public())), &ed_sig),
			Err(VerificationError::BadSignature)
		);
		let other = sr25519::Pair::from_seed(&[3; 32]);
		assert_eq!(
			SignedVerifier::verify(&context(SigningKey::Sr25519(other.public())), &sr_sig),
			Err(VerificationError::BadSignature)
		);
		let mut tampered = statement.clone();
		tampered.output_hash = H256::repeat_byte(5);
		let tampered_sig = Evidence::Signed(ExecutorSignature::Sr25519(sr.sign(&tampered.signing_payload())));
		assert_eq!(
			SignedVerifier::verify(&context(SigningKey::Sr25519(sr.public())), &tampered_sig),
			Err(VerificationError::BadSignature)
		);
		assert_eq!(
			SignedVerifier::verify(
				&context(SigningKey::Sr25519(sr.public())),
				&Evidence::Zk { proof: Default::default() }
			),
			Err(VerificationError::WrongEvidence)
		);
		assert!(!<Unavailable as TierVerifier<u64>>::is_available());
	}
}
