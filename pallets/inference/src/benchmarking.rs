//! Benchmarks of the inference pallet.

use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use sp_core::{crypto::KeyTypeId, sr25519};
use sp_runtime::BoundedVec;
use verity_primitives::inference::{ExecutorSignature, SigningKey, MAX_INLINE_INPUT};

use crate::*;

/// Sets up what the benchmarks need from the models and executors registries.
pub trait BenchmarkHelper<T: Config> {
	/// Registers a model that offers every tier, takes inputs up to `MAX_INLINE_INPUT` and
	/// outputs up to `MaxOutputLen`, and funds `payer` in its asset for many jobs.
	fn model(payer: &T::AccountId) -> ModelId;

	/// Registers a model like [`Self::model`], priced in an asset other than the stake's (the
	/// stable asset on Verity), and funds `payer` in it. Its holds and payouts go through
	/// `pallet-assets`, which touches more storage than the native token: the worst case of
	/// every call that moves a job's escrow.
	fn stable_model(payer: &T::AccountId) -> ModelId;

	/// Funds `who` in the stake asset, for storage deposits.
	fn fund_stake(who: &T::AccountId);

	/// Registers and funds `executor` for (`model`, signed tier) with `key`, fee 1, capacity as
	/// large as allowed.
	fn executor(executor: &T::AccountId, key: SigningKey, model: ModelId);

	/// How many executors a (model, tier) may have: the longest list assignment walks.
	fn executors_per_service() -> u32;

	/// A distinct payment asset for each `index`.
	fn asset_of(index: u32) -> T::AssetKind;

	/// Sets the clock to `now` (unix seconds) and returns an account whose payment
	/// authorizations [`Self::sign_payment`] signs.
	fn payment_signer(now: u64) -> T::AccountId;

	/// The payment signer's signature of `authorization`.
	fn sign_payment(authorization: &PaymentAuthorizationOf<T>) -> PaymentSignatureOf<T>;

	/// A model [`Config::Reexecutor`] re-runs, priced in the stake asset at the signed tier,
	/// with an input it takes, its largest to re-run; funds `payer` for many jobs. `None` if the
	/// runtime re-runs no model (then `challenge` cannot be benchmarked).
	fn rerunnable_model(payer: &T::AccountId) -> Option<(ModelId, Vec<u8>)>;
}

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"vbch");

/// `model` with the longest executor list, each executor with its own key. Returns the model
/// and the executors with their keys.
fn market<T: Config>(model: ModelId) -> (ModelId, Vec<(T::AccountId, sr25519::Public)>) {
	let executors = (0..T::BenchmarkHelper::executors_per_service())
		.map(|i| {
			let who: T::AccountId = account("executor", i, 0);
			let key = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
			T::BenchmarkHelper::executor(&who, SigningKey::Sr25519(key), model);
			(who, key)
		})
		.collect();
	(model, executors)
}

fn spec<T: Config>(model: ModelId, input_len: u32, deadline: BlockNumberFor<T>) -> JobSpecOf<T> {
	JobSpec {
		model,
		mode: VerificationMode::Signed,
		input: JobInput::Inline(alloc::vec![7u8; input_len as usize].try_into().unwrap()),
		max_price: Balance::MAX,
		max_fee: 1_000,
		deadline,
	}
}

/// Submits `spec` for `payer` and draws its executor, as the next block would.
fn submitted_and_drawn<T: Config>(payer: &T::AccountId, spec: JobSpecOf<T>) -> JobId {
	let id = Pallet::<T>::do_submit_job(payer.clone(), spec).unwrap();
	Pallet::<T>::assign_pending();
	id
}

fn deadline<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number() + 10u32.into()
}

/// A submitted job paid in the stable asset and the key of its executor, last of a full
/// deadline list (which closing it searches).
fn submitted<T: Config>(deadline: BlockNumberFor<T>) -> (T::AccountId, JobId, T::AccountId, sr25519::Public) {
	let payer: T::AccountId = whitelisted_caller();
	let (model, executors) = market::<T>(T::BenchmarkHelper::stable_model(&payer));
	for _ in 1..T::MaxDeadlinesPerBlock::get() {
		submitted_and_drawn::<T>(&payer, spec::<T>(model, 0, deadline));
	}
	let id = submitted_and_drawn::<T>(&payer, spec::<T>(model, 0, deadline));
	let executor = Jobs::<T>::get(id).unwrap().executor.unwrap();
	let key = executors.iter().find(|(who, _)| who == &executor).unwrap().1;
	(payer, id, executor, key)
}

/// Accepts a result of job `id` provisionally, as `submit_result` does for a re-runnable model
/// (whatever the model), with `output`.
fn provisional<T: Config>(id: JobId, output: &[u8]) {
	let mut job = Jobs::<T>::get(id).unwrap();
	let executor = job.executor.clone().unwrap();
	Pallet::<T>::release_executor(id, &job, JobOutcome::Completed);
	let output_hash = Hash::from(sp_io::hashing::blake2_256(output));
	job.output_hash = Some(output_hash);
	Outputs::<T>::insert(id, BoundedVec::<u8, T::MaxOutputLen>::truncate_from(output.to_vec()));
	Pallet::<T>::accept_provisionally(id, job, executor, output_hash);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_job(i: Linear<0, MAX_INLINE_INPUT>) {
		let payer: T::AccountId = whitelisted_caller();
		let (model, _) = market::<T>(T::BenchmarkHelper::stable_model(&payer));
		let spec = spec::<T>(model, i, deadline::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), spec);
		assert_eq!(NextJobId::<T>::get(), 1);
	}

	/// The draw of a pending job's executor at the start of the next block, among the longest
	/// executor list, the job paid in the stable asset (fees converted for every executor).
	#[benchmark]
	fn assign_job() {
		let payer: T::AccountId = whitelisted_caller();
		let (model, _) = market::<T>(T::BenchmarkHelper::stable_model(&payer));
		let id = Pallet::<T>::do_submit_job(payer, spec::<T>(model, 0, deadline::<T>())).unwrap();
		#[block]
		{
			Pallet::<T>::assign_pending();
		}
		assert_eq!(Jobs::<T>::get(id).unwrap().status, JobStatus::Assigned);
	}

	/// `submit_job` plus the x402 authorization: nonce binding, signature and nonce use.
	#[benchmark]
	fn submit_paid(i: Linear<0, MAX_INLINE_INPUT>) {
		const NOW: u64 = 1_795_305_600;
		let payer = T::BenchmarkHelper::payment_signer(NOW);
		let (model, _) = market::<T>(T::BenchmarkHelper::stable_model(&payer));
		let spec = spec::<T>(model, i, deadline::<T>());
		let salt = [7u8; 32];
		let terms = T::Models::terms(&model, spec.mode).unwrap();
		let authorization = PaymentAuthorization {
			network: Pallet::<T>::genesis_hash(),
			scheme: verity_primitives::x402::PaymentScheme::Exact,
			asset: terms.asset,
			from: payer,
			to: T::EscrowBinding::get(),
			value: terms.price.unwrap() + spec.max_fee,
			valid_after: NOW - 600,
			valid_before: NOW + 60,
			nonce: job_nonce(&spec, &salt),
		};
		let signature = T::BenchmarkHelper::sign_payment(&authorization);
		let relayer: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::fund_stake(&relayer);
		#[extrinsic_call]
		_(RawOrigin::Signed(relayer), spec, salt, authorization, signature);
		assert_eq!(NextJobId::<T>::get(), 1);
	}

	#[benchmark]
	fn start_job() {
		let (_, id, executor, _) = submitted::<T>(deadline::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(executor), id);
		assert_eq!(Jobs::<T>::get(id).unwrap().status, JobStatus::Running);
	}

	#[benchmark]
	fn submit_result(o: Linear<0, { T::MaxOutputLen::get() }>) {
		let (_, id, executor, key) = submitted::<T>(deadline::<T>());
		Pallet::<T>::do_start_job(executor.clone(), id).unwrap();
		let next = frame_system::Pallet::<T>::block_number() + 1u32.into();
		frame_system::Pallet::<T>::set_block_number(next);
		let output: BoundedVec<u8, T::MaxOutputLen> =
			alloc::vec![1u8; o as usize].try_into().unwrap();
		let job = Jobs::<T>::get(id).unwrap();
		let statement = ResultStatement {
			genesis_hash: Pallet::<T>::genesis_hash(),
			job_id: id,
			model_id: job.model,
			input_hash: job.input_hash,
			output_hash: Hash::from(sp_io::hashing::blake2_256(&output)),
		};
		let signature =
			sp_io::crypto::sr25519_sign(KEY_TYPE, &key, &statement.signing_payload()).unwrap();
		let evidence = Evidence::Signed(ExecutorSignature::Sr25519(signature));
		#[extrinsic_call]
		_(RawOrigin::Signed(executor), id, output, evidence);
		assert_eq!(Jobs::<T>::get(id).unwrap().status, JobStatus::Completed);
	}

	#[benchmark]
	fn report_failure() {
		let (_, id, executor, _) = submitted::<T>(deadline::<T>());
		let reason: BoundedVec<u8, T::MaxReasonLen> =
			alloc::vec![b'x'; T::MaxReasonLen::get() as usize].try_into().unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(executor), id, reason);
		assert_eq!(Jobs::<T>::get(id).unwrap().status, JobStatus::Failed);
	}

	#[benchmark]
	fn cancel() {
		let (payer, id, _, _) = submitted::<T>(deadline::<T>());
		#[extrinsic_call]
		_(RawOrigin::Signed(payer), id);
		assert_eq!(Jobs::<T>::get(id).unwrap().status, JobStatus::Cancelled);
	}

	/// Each job paid in the stake asset, so that its slash pays both the payer and the treasury.
	#[benchmark]
	fn expire_jobs(e: Linear<0, { T::MaxDeadlinesPerBlock::get() }>) {
		let payer: T::AccountId = whitelisted_caller();
		let (model, _) = market::<T>(T::BenchmarkHelper::model(&payer));
		let deadline = deadline::<T>();
		for _ in 0..e {
			submitted_and_drawn::<T>(&payer, spec::<T>(model, 0, deadline));
		}
		let expiry = Pallet::<T>::expiry_block(deadline);
		frame_system::Pallet::<T>::set_block_number(expiry);
		#[block]
		{
			Pallet::<T>::expire_jobs(expiry);
		}
		assert!(Jobs::<T>::iter().all(|(_, job)| job.status == JobStatus::Expired));
	}

	/// Each job as a completed one keeps it: the largest output and an evidence stored, and a
	/// deposit held from both its submitter and its executor, each submitted by another payer
	/// (so every release touches another account). Linear in `p`; a block prunes as many as
	/// `MaxPruneWeight` pays for.
	#[benchmark]
	fn prune_jobs(p: Linear<0, 256>) {
		let (model, _) = market::<T>(T::BenchmarkHelper::model(&whitelisted_caller()));
		let deadline = deadline::<T>();
		for i in 0..p {
			let payer: T::AccountId = account("payer", i, 0);
			T::BenchmarkHelper::model(&payer);
			let id = submitted_and_drawn::<T>(&payer, spec::<T>(model, 0, deadline));
			Pallet::<T>::do_cancel(payer.clone(), id).unwrap();
			let output: BoundedVec<u8, T::MaxOutputLen> =
				alloc::vec![1u8; T::MaxOutputLen::get() as usize].try_into().unwrap();
			let evidence = Evidence::Signed(ExecutorSignature::Sr25519(sr25519::Signature::from_raw([0; 64])));
			Jobs::<T>::mutate(id, |job| {
				let job = job.as_mut().unwrap();
				job.result_deposit = Pallet::<T>::deposit_for(output.encoded_size() + evidence.encoded_size());
				Pallet::<T>::hold_deposit(job.executor.as_ref().unwrap(), job.result_deposit).unwrap();
			});
			Outputs::<T>::insert(id, output);
			Evidences::<T>::insert(id, evidence);
		}
		let later = frame_system::Pallet::<T>::block_number() + T::RetentionPeriod::get();
		frame_system::Pallet::<T>::set_block_number(later);
		#[block]
		{
			Pallet::<T>::prune_jobs(later);
		}
		assert_eq!(Jobs::<T>::iter().count(), 0);
	}

	#[benchmark]
	fn prune_stats(s: Linear<0, 256>) {
		for i in 0..s {
			TierStats::<T>::insert(
				(0u32, VerificationMode::ALL[i as usize % 3], T::BenchmarkHelper::asset_of(i)),
				TierCounters::default(),
			);
		}
		#[block]
		{
			Pallet::<T>::prune_stats(T::StatsRetention::get());
		}
		assert_eq!(TierStats::<T>::iter_prefix((0u32,)).count(), 0);
	}

	/// Each a result of a job paid in the stable asset (its payout the dearest), by its own
	/// payer: linear in `f`; a block finalizes at most as many as it can accept.
	#[benchmark]
	fn finalize_results(f: Linear<0, 256>) {
		let (model, _) = market::<T>(T::BenchmarkHelper::stable_model(&whitelisted_caller()));
		let deadline = deadline::<T>();
		for i in 0..f {
			let payer: T::AccountId = account("payer", i, 0);
			T::BenchmarkHelper::stable_model(&payer);
			let id = submitted_and_drawn::<T>(&payer, spec::<T>(model, 0, deadline));
			provisional::<T>(id, b"output");
		}
		let final_at = frame_system::Pallet::<T>::block_number() + T::ChallengePeriod::get();
		frame_system::Pallet::<T>::set_block_number(final_at);
		#[block]
		{
			Pallet::<T>::finalize_results(final_at);
		}
		let completed = Jobs::<T>::iter().filter(|(_, job)| job.status == JobStatus::Completed).count();
		assert_eq!(completed as u32, f.min(Pallet::<T>::max_results_per_block()));
	}

	/// The dearer outcome: a wrong result overturned (a refund and three slashes), beyond the
	/// model's re-run, which the call is charged apart.
	#[benchmark]
	fn challenge() -> Result<(), BenchmarkError> {
		let payer: T::AccountId = whitelisted_caller();
		let Some((model, input)) = T::BenchmarkHelper::rerunnable_model(&payer) else {
			return Err(BenchmarkError::Weightless);
		};
		market::<T>(model);
		let mut spec = spec::<T>(model, 0, deadline::<T>());
		spec.input = JobInput::Inline(input.try_into().unwrap());
		let id = submitted_and_drawn::<T>(&payer, spec);
		provisional::<T>(id, b"a wrong output");
		let challenger: T::AccountId = account("challenger", 0, 0);
		T::BenchmarkHelper::fund_stake(&challenger);
		#[extrinsic_call]
		_(RawOrigin::Signed(challenger), id, None);
		assert_eq!(Jobs::<T>::get(id).unwrap().status, JobStatus::Overturned);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
