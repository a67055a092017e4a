//! What happened in a block, as off-chain services act on it: typed by the runtime that wrote
//! the events ([`EventsApi`], called at that block), so a client never decodes raw
//! `System::Events` or compares pallet and event names.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;
use sp_runtime::DispatchError;

use crate::{
	inference::JobId,
	x402::{PaymentError, PaymentNonce},
};

/// An event an off-chain service acts on. Other events of the block are left out.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum ChainEvent<AccountId> {
	/// `Inference::JobSubmitted`: a job was submitted and paid for; its executor is drawn at the
	/// start of the next block (`JobAssigned`).
	JobSubmitted { job: JobId },
	/// `Inference::JobCompleted`: a verified result was accepted and paid for (a provisional
	/// one when its challenge window closed).
	JobCompleted { job: JobId },
	/// `Inference::JobFailed`: the executor reported it could not run the job (or an expiry was
	/// excused); `Inference::AssignmentFailed`: no executor could be drawn for it. Either way the
	/// payer was refunded.
	JobFailed { job: JobId },
	/// `Inference::JobExpired`: the deadline passed without a result.
	JobExpired { job: JobId },
	/// `Inference::JobCancelled`: the payer cancelled the job.
	JobCancelled { job: JobId },
	/// `Attestation::EnclaveRegistered`: `executor`'s enclave keys were attested.
	EnclaveRegistered { executor: AccountId },
	/// `X402::Settled`: a payment was settled.
	PaymentSettled { payer: AccountId },
	/// `Inference::JobStarted`: the executor acknowledged the job (it is `Running`).
	JobStarted { job: JobId },
	/// `X402::SpentOnJob`: `payer`'s authorization with `nonce` paid a job's escrow; the
	/// transaction's `JobSubmitted` names the job. A relayer whose copy of the payment was
	/// submitted first by someone else finds the job it paid for by this.
	PaymentSpentOnJob { payer: AccountId, nonce: PaymentNonce },
	/// `Inference::JobAssigned`: the job's executor was drawn (at block initialization, the
	/// block after the job's).
	JobAssigned { job: JobId, executor: AccountId },
	/// `Inference::ResultProvisional`: a signed result was accepted, provisional until its
	/// challenge window closes (then `JobCompleted`, unless `ResultOverturned` first). Its
	/// output can be read at once.
	ResultProvisional { job: JobId },
	/// `Inference::ResultOverturned`: a challenge showed the result wrong.
	ResultOverturned { job: JobId },
}

impl<AccountId> ChainEvent<AccountId> {
	/// The job the event is about, if any.
	pub fn job(&self) -> Option<JobId> {
		match self {
			Self::JobSubmitted { job } |
			Self::JobAssigned { job, .. } |
			Self::JobStarted { job } |
			Self::JobCompleted { job } |
			Self::ResultProvisional { job } |
			Self::ResultOverturned { job } |
			Self::JobFailed { job } |
			Self::JobExpired { job } |
			Self::JobCancelled { job } => Some(*job),
			_ => None,
		}
	}
}

/// What a refused call means to a caller that can act on it, decided by the runtime that
/// refused it (so no client keeps a copy of a pallet-error mapping).
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum Refusal {
	/// A payment was refused: its x402 reason.
	Payment(PaymentError),
	/// No executor can take the job now (`Inference::NoEligibleExecutor`: those that serve the
	/// model at the tier are at capacity, or not live; `Inference::AssignmentQueueFull`: the
	/// block already holds as many jobs as the next one draws executors for): the same call may
	/// succeed later.
	ExecutorsBusy,
	/// Anything else: the dispatch error says what.
	Other,
}

/// Why a call failed.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct CallError {
	/// The dispatch error (a module error names its pallet and error by index; the metadata
	/// names and documents them).
	pub error: DispatchError,
	/// What it means to the caller.
	pub refusal: Refusal,
}

/// What one call of a transaction did: its events, or why it failed (its writes undone).
pub type CallOutcome<AccountId> = Result<Vec<ChainEvent<AccountId>>, CallError>;

/// What a transaction did.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum ExtrinsicOutcome<AccountId> {
	/// It failed as a whole (`System::ExtrinsicFailed`): none of its calls took effect.
	Failed(CallError),
	/// It was dispatched: one outcome per call of a `utility.force_batch`, in order, or one
	/// for a single call.
	Dispatched(Vec<CallOutcome<AccountId>>),
}

sp_api::decl_runtime_apis! {
	/// The events of the block the API is called at, typed. Version 2: `PaymentSpentOnJob` and
	/// `JobAssigned` added, `JobSubmitted` no longer names an executor. Version 3:
	/// `ResultProvisional` and `ResultOverturned` added.
	#[api_version(3)]
	pub trait EventsApi<AccountId> where AccountId: codec::Codec {
		/// The block's [`ChainEvent`]s, in order, each with the index of the extrinsic that
		/// emitted it (`None`: block initialization or finalization).
		fn events() -> Vec<(Option<u32>, ChainEvent<AccountId>)>;

		/// What extrinsic `index` of the block did; `None` if the block has no such extrinsic
		/// (or none that finished).
		fn extrinsic_outcome(index: u32) -> Option<ExtrinsicOutcome<AccountId>>;
	}
}
