//! The runtime APIs: how the node, RPC clients and wallets query and drive the runtime.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_version::RuntimeVersion;

use verity_primitives::inference::{JobId, ModelId, VerificationMode};

use crate::{
	opaque::SessionKeys,
	AccountId, AssetKind, Attestation, Aura, Balance, Block, BlockNumber, Executive, Executors, Grandpa,
	Inference, InherentDataExt, Models, Nonce, Runtime, Signature, ZkVerifier, X402,
	RuntimeCall, RuntimeGenesisConfig, System, TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// Equivocation reports need key-ownership proofs, which need a session pallet.
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}

		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}

		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl verity_primitives::inference::InferenceApi<Block, AccountId, AssetKind, BlockNumber> for Runtime {
		fn offers(model: ModelId) -> verity_primitives::inference::Offers<AssetKind, BlockNumber> {
			Inference::offers(model)
		}

		fn quote(
			model: ModelId,
			mode: VerificationMode,
		) -> Option<verity_primitives::inference::Quote<AssetKind>> {
			Inference::quote(model, mode)
		}

		fn quote_in(
			model: ModelId,
			mode: VerificationMode,
			asset: AssetKind,
		) -> Option<verity_primitives::inference::Quote<AssetKind>> {
			Inference::quote_in(model, mode, asset)
		}

		fn job(job: JobId) -> Option<verity_primitives::inference::JobSummary<AccountId, AssetKind, BlockNumber>> {
			Inference::job_summary(job)
		}

		fn open_jobs(executor: AccountId) -> Vec<JobId> {
			Inference::open_jobs(executor)
		}

		fn proofs_due(executor: AccountId) -> Vec<JobId> {
			Inference::proofs_due(executor)
		}

		fn tier_stats(
			from: u32,
			to: u32,
		) -> (u64, Vec<verity_primitives::inference::TierStatsEntry<AssetKind>>) {
			Inference::tier_stats(from, to)
		}

		fn recent_tier_stats() -> (u64, Vec<verity_primitives::inference::TierStatsEntry<AssetKind>>) {
			Inference::recent_tier_stats()
		}

		fn result(job: JobId) -> Option<verity_primitives::inference::JobResult> {
			Inference::result(job)
		}

		fn check_paid_job(
			spec: verity_primitives::inference::JobSpec<BlockNumber>,
			salt: [u8; 32],
			authorization: verity_primitives::x402::PaymentAuthorization<AccountId, AssetKind>,
			signature: Signature,
		) -> Result<(), verity_primitives::x402::PaidJobRefusal> {
			use verity_primitives::x402::PaidJobRefusal;
			// A runtime API call's writes are discarded: this is `submit_paid`, dry (the relayer's
			// storage deposit is the relayer's concern, not the payment's).
			use verity_primitives::events::Refusal;
			Inference::do_submit_paid(None, spec, salt, authorization, signature).map(|_| ()).map_err(|error| {
				match crate::events::refusal_of(&error) {
					Refusal::Payment(reason) => PaidJobRefusal::Payment(reason),
					Refusal::ExecutorsBusy => PaidJobRefusal::ExecutorsBusy,
					Refusal::Other => PaidJobRefusal::Job(error),
				}
			})
		}
	}

	impl verity_primitives::inference::ZkVerifierApi<Block> for Runtime {
		fn verifying_key(model: ModelId) -> Option<Vec<u8>> {
			ZkVerifier::prepared_key(model)
		}
	}

	impl verity_primitives::registry::ModelsApi<Block, AccountId, AssetKind> for Runtime {
		fn model(model: ModelId) -> Option<verity_primitives::registry::ModelView<AccountId, AssetKind>> {
			Models::model_view(model)
		}

		fn models() -> Vec<verity_primitives::registry::ModelView<AccountId, AssetKind>> {
			Models::model_views()
		}
	}

	impl verity_primitives::registry::ExecutorsApi<Block, AccountId, BlockNumber> for Runtime {
		fn executor(executor: AccountId) -> Option<verity_primitives::registry::ExecutorView<AccountId, BlockNumber>> {
			Executors::executor_view(executor)
		}

		fn executors() -> Vec<verity_primitives::registry::ExecutorView<AccountId, BlockNumber>> {
			Executors::executor_views()
		}
	}

	impl verity_primitives::attestation::AttestationApi<Block, AccountId> for Runtime {
		fn trusted_root() -> Option<Vec<u8>> {
			Attestation::trusted_root()
		}

		fn enclave(executor: AccountId) -> Option<verity_primitives::attestation::AttestedEnclave> {
			Attestation::attested_enclave(executor)
		}

		fn enclave_requirements(model: ModelId) -> verity_primitives::attestation::EnclaveRequirements {
			Attestation::enclave_requirements(model)
		}
	}

	impl verity_primitives::events::EventsApi<Block, AccountId> for Runtime {
		fn events() -> Vec<(Option<u32>, verity_primitives::events::ChainEvent<AccountId>)> {
			crate::events::events()
		}

		fn extrinsic_outcome(index: u32) -> Option<verity_primitives::events::ExtrinsicOutcome<AccountId>> {
			crate::events::extrinsic_outcome(index)
		}
	}

	impl verity_primitives::x402::X402Api<Block, AccountId, AssetKind, Signature> for Runtime {
		fn verify(
			payload: verity_primitives::x402::PaymentPayload<AccountId, AssetKind, Signature>,
			requirements: verity_primitives::x402::PaymentRequirements<AccountId, AssetKind>,
		) -> Result<AccountId, verity_primitives::x402::PaymentError> {
			X402::verify_payment(&payload, &requirements, 0)
		}

		fn verify_with_pending(
			payload: verity_primitives::x402::PaymentPayload<AccountId, AssetKind, Signature>,
			requirements: verity_primitives::x402::PaymentRequirements<AccountId, AssetKind>,
			pending: Balance,
		) -> Result<AccountId, verity_primitives::x402::PaymentError> {
			X402::verify_payment(&payload, &requirements, pending)
		}

		fn supported() -> Vec<verity_primitives::x402::SupportedKind<AssetKind>> {
			X402::supported()
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_benchmarking::baseline::Pallet as BaselineBench;
			use crate::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline, BenchmarkBatch};
			use frame_support::traits::{TrackedStorageKey, WhitelistedStorageKeys};
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_benchmarking::baseline::Pallet as BaselineBench;
			use crate::*;

			impl frame_system_benchmarking::Config for Runtime {}
			impl baseline::Config for Runtime {}

			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();

			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);

			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks).unwrap();
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			// Panics on failure: try-runtime wants to see the reason.
			Executive::try_execute_block(block, state_root_check, signature_check, select).unwrap()
		}
	}
}
