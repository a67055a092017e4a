use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect as _, NativeOrWithId},
		fungibles::Inspect as _,
		Get, Hooks,
	},
};
use sp_core::{Pair, H256};
use sp_runtime::{BoundedVec, DispatchError};
use verity_primitives::{
	inference::{
		Evidence, ExecutorSignature, JobInput, JobSpec, JobStatus, ResultStatement, VerificationError,
		VerificationMode::{self, *},
	},
	x402::PaymentError,
};

use crate::{mock::*, Error, Event, HoldReason, JobSpecOf, Jobs};

type Deadline = u64;

fn spec(model: H256, mode: VerificationMode, max_fee: u128, deadline: Deadline) -> JobSpecOf<Test> {
	JobSpec {
		model,
		mode,
		input: JobInput::Inline(b"1 2 3 4".to_vec().try_into().unwrap()),
		// The most any test model charges at any tier, in any asset.
		max_price: 2_000,
		max_fee,
		deadline,
	}
}

/// Submits `spec` for `payer` and draws its executor, as the next block would, without
/// moving the block number (the deadlines of the tests are counted from submission).
fn submit(payer: AccountId, spec: JobSpecOf<Test>) -> Result<u64, DispatchError> {
	let id = crate::NextJobId::<Test>::get();
	Inference::submit_job(RuntimeOrigin::signed(payer), spec)?;
	draw();
	Ok(id)
}

/// Draws the executors of the pending jobs, as the start of the next block does.
fn draw() {
	crate::Pallet::<Test>::assign_pending();
}

fn output() -> BoundedVec<u8, frame_support::traits::ConstU32<256>> {
	b"digit=7".to_vec().try_into().unwrap()
}

/// The statement executor `who` signs for job `id` with `output`.
fn statement(id: u64, output: &[u8]) -> ResultStatement {
	let job = Jobs::<Test>::get(id).unwrap();
	ResultStatement {
		genesis_hash: Inference::genesis_hash(),
		job_id: id,
		model_id: job.model,
		input_hash: job.input_hash,
		output_hash: H256(sp_io::hashing::blake2_256(output)),
	}
}

fn signed_evidence(signer: AccountId, statement: &ResultStatement) -> Evidence {
	Evidence::Signed(ExecutorSignature::Sr25519(
		executor_pair(signer).sign(&statement.signing_payload()),
	))
}

fn executor_of(id: u64) -> AccountId {
	Jobs::<Test>::get(id).unwrap().executor.expect("an assigned job")
}

fn escrow_held(who: AccountId, asset: AssetKind) -> u128 {
	<Funds as frame_support::traits::fungibles::InspectHold<_>>::balance_on_hold(
		asset,
		&HoldReason::JobEscrow.into(),
		&who,
	)
}

fn deposit_held(who: AccountId) -> u128 {
	<Funds as frame_support::traits::fungibles::InspectHold<_>>::balance_on_hold(
		NativeOrWithId::Native,
		&HoldReason::StorageDeposit.into(),
		&who,
	)
}

fn staked(who: AccountId) -> u128 {
	pallet_verity_executors::Executors::<Test>::get(who).unwrap().stake
}

fn native(who: AccountId) -> u128 {
	Balances::total_balance(&who)
}

fn usd(who: AccountId) -> u128 {
	Assets::total_balance(USD, &who)
}

/// Every pallet's invariants, and no native or USD created or destroyed.
fn check(native_issuance: u128, usd_issuance: u128) {
	crate::Pallet::<Test>::do_try_state().unwrap();
	pallet_verity_executors::Pallet::<Test>::do_try_state().unwrap();
	pallet_verity_models::Pallet::<Test>::do_try_state().unwrap();
	assert_eq!(Balances::total_issuance(), native_issuance, "native issuance changed");
	assert_eq!(Assets::total_issuance(USD), usd_issuance, "USD issuance changed");
}

fn issuance() -> (u128, u128) {
	(Balances::total_issuance(), Assets::total_issuance(USD))
}

fn run_to(block: u64) {
	while System::block_number() < block {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Inference::on_initialize(next);
	}
}

/// Job `id`'s executor starts it, then the next block begins: a result is accepted only for a
/// job started in an earlier block.
fn start(id: u64) {
	assert_ok!(Inference::start_job(RuntimeOrigin::signed(executor_of(id)), id));
	run_to(System::block_number() + 1);
}

#[test]
fn submit_holds_escrow_and_assigns_an_eligible_executor() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = crate::NextJobId::<Test>::get();
		assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 10)));
		let job = Jobs::<Test>::get(id).unwrap();
		assert_eq!((job.status, job.executor), (JobStatus::Pending, None));
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 130);
		System::assert_last_event(
			Event::JobSubmitted { job: id, payer: PAYER, model: NATIVE_MODEL, mode: Signed, escrow: 130, deadline: 10 }
				.into(),
		);
		check(n, u);

		run_to(2);
		let job = Jobs::<Test>::get(id).unwrap();
		let executor = job.executor.unwrap();
		assert!(executor == EXEC_A || executor == EXEC_B);
		assert_eq!((job.status, job.updated_at), (JobStatus::Assigned, 2));
		assert_eq!(crate::Pallet::<Test>::open_jobs(executor), vec![id]);
		let fee = if executor == EXEC_A { 10 } else { 20 };
		System::assert_has_event(Event::JobAssigned { job: id, executor, executor_fee: fee }.into());
		let (_, stats) = crate::Pallet::<Test>::tier_stats(0, 0);
		assert_eq!(stats.len(), 1);
		assert_eq!(stats[0].counters.submitted, 1);
		check(n, u);
	});
}

#[test]
fn submit_failure_paths_change_nothing() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let unknown = H256::repeat_byte(9);
		assert_noop!(submit(PAYER, spec(unknown, Signed, 30, 10)), Error::<Test>::UnknownModel);
		assert_noop!(submit(PAYER, spec(USD_MODEL, Zk, 300, 10)), Error::<Test>::TierNotOffered);
		assert_noop!(submit(PAYER, spec(USD_MODEL, Tee, 300, 10)), Error::<Test>::Verification(VerificationError::TierUnavailable));
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Zk, 100, 10)), Error::<Test>::Verification(VerificationError::TierUnavailable));
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 9, 10)), Error::<Test>::FeeTooLow);
		assert_noop!(submit(BROKE, spec(NATIVE_MODEL, Signed, 30, 10)), Error::<Test>::InsufficientBalance);
		assert_noop!(submit(BROKE, spec(USD_MODEL, Signed, 100, 10)), Error::<Test>::InsufficientBalance);
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 1)), Error::<Test>::DeadlineTooSoon);
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 3)), Error::<Test>::DeadlineTooSoon);
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 102)), Error::<Test>::DeadlineTooFar);

		let mut big = spec(NATIVE_MODEL, Signed, 30, 10);
		big.input = JobInput::Inline(vec![0; 65].try_into().unwrap());
		assert_noop!(submit(PAYER, big), Error::<Test>::InputTooLarge);

		// Four jobs may expire per block; the fifth is refused.
		for _ in 0..4 {
			assert_ok!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)));
		}
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)), Error::<Test>::DeadlineBlockFull);

		// A tier whose only executor left.
		ZkAvailable::set(true);
		assert_ok!(Executors::deregister(RuntimeOrigin::signed(EXEC_A)));
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Zk, 100, 11)), Error::<Test>::NoEligibleExecutor);
		ZkAvailable::set(false);
		assert_noop!(
			Inference::submit_jobs(RuntimeOrigin::signed(PAYER), BoundedVec::new()),
			Error::<Test>::EmptyBatch
		);
		check(n, u);
	});
}

#[test]
fn a_signed_result_pays_executor_owner_and_treasury_and_refunds_the_rest() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let executor = executor_of(id);
		let fee = if executor == EXEC_A { 10 } else { 20 };
		let (payer, owner, treasury, exec) =
			(native(PAYER), native(OWNER), native(TREASURY), native(executor));

		let statement = statement(id, &output());
		let evidence = signed_evidence(executor, &statement);
		start(id);
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output(), evidence.clone()));

		// price 100 + executor fee; royalty 10% of 100; protocol 5% of the charge.
		let charged = 100 + fee;
		let royalty = 10;
		let protocol = charged * 5 / 100;
		let executor_paid = charged - royalty - protocol;
		let refund = 30 - fee;
		assert_eq!(native(OWNER), owner + royalty);
		assert_eq!(native(TREASURY), treasury + protocol);
		assert_eq!(native(executor), exec + executor_paid);
		assert_eq!(native(PAYER), payer - charged, "the unspent fee came back");
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 0);
		System::assert_last_event(
			Event::JobCompleted {
				job: id,
				executor,
				output_hash: statement.output_hash,
				executor_paid,
				royalty,
				protocol_fee: protocol,
				undelivered: 0,
				refund,
			}
			.into(),
		);
		let job = Jobs::<Test>::get(id).unwrap();
		assert_eq!((job.status, job.output_hash), (JobStatus::Completed, Some(statement.output_hash)));
		assert_eq!(crate::Outputs::<Test>::get(id).unwrap(), output());
		assert_eq!(crate::Evidences::<Test>::get(id), Some(evidence), "the evidence is kept with the output");
		assert!(crate::Pallet::<Test>::open_jobs(executor).is_empty());
		let info = pallet_verity_executors::Executors::<Test>::get(executor).unwrap();
		assert_eq!((info.stats.completed, info.active_jobs), (1, 0));
		check(n, u);
		// Pruned together after the retention period.
		run_to(30);
		assert!(!crate::Outputs::<Test>::contains_key(id) && !crate::Evidences::<Test>::contains_key(id));
		check(n, u);
	});
}

#[test]
fn result_failure_paths_change_nothing() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let executor = executor_of(id);
		let other = if executor == EXEC_A { EXEC_B } else { EXEC_A };
		let good = statement(id, &output());
		let submit_result = |who, output, evidence| {
			Inference::submit_result(RuntimeOrigin::signed(who), id, output, evidence)
		};

		assert_noop!(
			Inference::submit_result(RuntimeOrigin::signed(executor), 42, output(), signed_evidence(executor, &good)),
			Error::<Test>::UnknownJob
		);
		assert_noop!(submit_result(other, output(), signed_evidence(other, &good)), Error::<Test>::NotAssignedExecutor);
		assert_noop!(submit_result(executor, output(), signed_evidence(executor, &good)), Error::<Test>::NotStarted);
		start(id);
		// Signed by another key, or over another output, or for another job.
		assert_noop!(submit_result(executor, output(), signed_evidence(other, &good)), Error::<Test>::Verification(VerificationError::BadSignature));
		let wrong_output = statement(id, b"digit=1");
		assert_noop!(submit_result(executor, output(), signed_evidence(executor, &wrong_output)), Error::<Test>::Verification(VerificationError::BadSignature));
		let wrong_job = ResultStatement { job_id: id + 1, ..good.clone() };
		assert_noop!(submit_result(executor, output(), signed_evidence(executor, &wrong_job)), Error::<Test>::Verification(VerificationError::BadSignature));
		let wrong_chain = ResultStatement { genesis_hash: H256::repeat_byte(1), ..good.clone() };
		assert_noop!(submit_result(executor, output(), signed_evidence(executor, &wrong_chain)), Error::<Test>::Verification(VerificationError::BadSignature));
		assert_noop!(
			submit_result(executor, output(), Evidence::Zk { proof: b"valid".to_vec().try_into().unwrap() }),
			Error::<Test>::Verification(VerificationError::WrongEvidence)
		);
		let too_long: BoundedVec<u8, _> = vec![0; 33].try_into().unwrap();
		let long_statement = statement(id, &too_long);
		assert_noop!(
			submit_result(executor, too_long, signed_evidence(executor, &long_statement)),
			Error::<Test>::OutputTooLarge
		);
		// After the deadline, even before the expiry hook ran.
		System::set_block_number(11);
		assert_noop!(submit_result(executor, output(), signed_evidence(executor, &good)), Error::<Test>::LateResult);
		System::set_block_number(10);
		assert_ok!(submit_result(executor, output(), signed_evidence(executor, &good)));
		assert_noop!(
			submit_result(executor, output(), signed_evidence(executor, &good)),
			Error::<Test>::ResultAlreadySubmitted
		);
		check(n, u);
	});
}

#[test]
fn a_failure_report_refunds_in_full_without_slashing() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let before = native(PAYER);
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let executor = executor_of(id);
		let stake = pallet_verity_executors::Executors::<Test>::get(executor).unwrap().stake;
		let reason: BoundedVec<u8, _> = b"input is not 64 pixels".to_vec().try_into().unwrap();
		assert_noop!(
			Inference::report_failure(RuntimeOrigin::signed(PAYER), id, reason.clone()),
			Error::<Test>::NotAssignedExecutor
		);
		assert_ok!(Inference::report_failure(RuntimeOrigin::signed(executor), id, reason.clone()));
		System::assert_last_event(Event::JobFailed { job: id, reason: reason.clone(), refund: 130 }.into());
		assert_eq!(native(PAYER), before);
		assert_eq!(pallet_verity_executors::Executors::<Test>::get(executor).unwrap().stake, stake);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Failed);
		assert_noop!(
			Inference::report_failure(RuntimeOrigin::signed(executor), id, reason),
			Error::<Test>::JobNotOpen
		);
		check(n, u);
	});
}

#[test]
fn cancel_is_for_the_payer_before_the_job_starts() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let before = native(PAYER);
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		assert_noop!(Inference::cancel(RuntimeOrigin::signed(PAYER_2), id), Error::<Test>::NotPayer);
		assert_noop!(Inference::cancel(RuntimeOrigin::signed(PAYER), 77), Error::<Test>::UnknownJob);
		assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), id));
		System::assert_last_event(Event::JobCancelled { job: id, refund: 130 }.into());
		assert_eq!(native(PAYER), before);
		assert_noop!(Inference::cancel(RuntimeOrigin::signed(PAYER), id), Error::<Test>::JobNotOpen);

		let started = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let executor = executor_of(started);
		assert_noop!(Inference::start_job(RuntimeOrigin::signed(PAYER), started), Error::<Test>::NotAssignedExecutor);
		assert_ok!(Inference::start_job(RuntimeOrigin::signed(executor), started));
		System::assert_last_event(Event::JobStarted { job: started, executor }.into());
		assert_noop!(Inference::start_job(RuntimeOrigin::signed(executor), started), Error::<Test>::AlreadyStarted);
		assert_noop!(Inference::cancel(RuntimeOrigin::signed(PAYER), started), Error::<Test>::AlreadyStarted);
		check(n, u);
	});
}

#[test]
fn a_missed_deadline_refunds_in_full_and_slashes_ten_times_the_charge_the_charge_to_the_payer() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let (payer, treasury) = (native(PAYER), native(TREASURY));
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 5)).unwrap();
		let executor = executor_of(id);
		let stake = pallet_verity_executors::Executors::<Test>::get(executor).unwrap().stake;
		run_to(5);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Assigned, "still open at its deadline");
		run_to(6);
		// Charge 100 + fee; ten times that is below 10% of either executor's stake.
		let charge = 100 + Jobs::<Test>::get(id).unwrap().executor_fee;
		assert!(10 * charge < stake / 10);
		System::assert_has_event(
			Event::JobExpired { job: id, executor, refund: 130, compensation: charge, forfeit: 9 * charge }.into(),
		);
		assert_eq!(native(PAYER), payer + charge);
		assert_eq!(native(TREASURY), treasury + 9 * charge);
		let info = pallet_verity_executors::Executors::<Test>::get(executor).unwrap();
		assert_eq!((info.stake, info.stats.expired, info.active_jobs), (stake - 10 * charge, 1, 0));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Expired);
		check(n, u);
	});
}

/// Item 1 of the hardening issue. Before the fix a payer could set `deadline = now + 1` and,
/// with one stuffed block, take 10% of the executor's stake per job; filling the executor's
/// capacity with such jobs took 10% of what remained for each. Now the nearest deadline leaves
/// the executor time to start and finish, and an expiry costs it at most ten times the job's
/// charge, of which the payer gets at most the charge.
#[test]
fn stake_theft_through_expiry_gains_the_payer_at_most_the_charges_it_paid() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let now = System::block_number();
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, now + 1)), Error::<Test>::DeadlineTooSoon);

		// The nearest deadline allowed, on as many jobs as one block may expire, all left to expire.
		let deadline = now + <<Test as crate::Config>::MinJobDuration as frame_support::traits::Get<u64>>::get();
		let (payer, stakes) = (native(PAYER), [EXEC_A, EXEC_B].map(staked));
		let ids: Vec<u64> = (0..4).map(|_| submit(PAYER, spec(NATIVE_MODEL, Signed, 30, deadline)).unwrap()).collect();
		let charges: u128 = ids.iter().map(|id| Jobs::<Test>::get(id).map(|j| j.price + j.executor_fee).unwrap()).sum();
		run_to(deadline + 1);
		assert!(ids.iter().all(|id| Jobs::<Test>::get(id).unwrap().status == JobStatus::Expired));

		let gained = native(PAYER) - payer;
		let lost: u128 = [EXEC_A, EXEC_B].map(staked).iter().zip(stakes).map(|(after, before)| before - after).sum();
		assert_eq!(gained, charges, "the payer gains the charges it paid, no more");
		assert_eq!(lost, 10 * charges, "the executors lose ten times the charges, not a share of their stake each");
		check(n, u);
	});
}

/// A job paid in another asset than the stake: valued at the model's price list, its slash goes
/// to the treasury only, so that a price its owner moves cannot profit the payer; a tier with no
/// price in the stake asset is not slashed.
#[test]
fn an_expiry_in_another_asset_compensates_no_one_but_the_treasury() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let (payer, treasury) = (native(PAYER), native(TREASURY));
		// The native model, priced in USD at 10 USD per native unit (1_000 for 100).
		assert_ok!(Models::set_asset_prices(
			RuntimeOrigin::signed(OWNER),
			NATIVE_MODEL,
			NativeOrWithId::WithId(USD),
			Some(pallet_verity_models::TierPrices { signed: Some(1_000), tee: None, zk: None }),
		));
		let paid = spec(NATIVE_MODEL, Signed, 150, 5);
		let authorization =
			crate::PaymentAuthorizationOf::<Test> { asset: NativeOrWithId::WithId(USD), ..payment(&paid, [9; 32], 1_150) };
		let id = crate::NextJobId::<Test>::get();
		assert_ok!(submit_paid(&paid, [9; 32], &authorization, true));
		let job = Jobs::<Test>::get(id).unwrap();
		let stake = staked(executor_of(id));
		run_to(6);
		// Charge 1_000 + 100 USD = 110 native; ten times that to the treasury.
		let charge_in_native = (job.price + job.executor_fee) / 10;
		System::assert_has_event(
			Event::JobExpired { job: id, executor: executor_of(id), refund: 1_150, compensation: 0, forfeit: 10 * charge_in_native }
				.into(),
		);
		assert_eq!((native(PAYER), native(TREASURY)), (payer, treasury + 10 * charge_in_native));
		assert_eq!(staked(executor_of(id)), stake - 10 * charge_in_native);

		// The USD model has no native price: nothing is slashed, the expiry is counted.
		let id = submit(PAYER, spec(USD_MODEL, Signed, 100, 9)).unwrap();
		let executor = executor_of(id);
		let stake = staked(executor);
		run_to(10);
		System::assert_has_event(
			Event::JobExpired { job: id, executor, refund: 1_100, compensation: 0, forfeit: 0 }.into(),
		);
		assert_eq!(staked(executor), stake);
		check(n, u);
	});
}

/// A governance act that keeps an executor from finishing (here the zk tier's stand-in says so)
/// fails the job and refunds it, with no slash.
#[test]
fn an_expiry_governance_excuses_fails_the_job_and_slashes_nothing() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		ZkAvailable::set(true);
		let payer = native(PAYER);
		let id = submit(PAYER, spec(NATIVE_MODEL, Zk, 60, 5)).unwrap();
		let stake = staked(EXEC_A);
		ZkExcused::set(true);
		run_to(6);
		let reason = BoundedVec::truncate_from(crate::maintenance::EXCUSED_EXPIRY.to_vec());
		System::assert_has_event(Event::JobFailed { job: id, reason, refund: 360 }.into());
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Failed);
		assert_eq!((native(PAYER), staked(EXEC_A)), (payer, stake));
		ZkExcused::set(false);
		ZkAvailable::set(false);
		check(n, u);
	});
}

/// Item 4 of the hardening issue. Offers used to name the highest fee among the executors, and
/// the draw was among all under it: one executor registering a huge fee made every payer escrow
/// it, and near `u128::MAX` overflowed `price + max_fee`. Now an offer names the lowest fee
/// among the executors free to take the job, the draw is only among those at or below it, and
/// an escrow that overflows is refused, never wrapped or saturated.
#[test]
fn one_greedy_executor_cannot_raise_what_payers_are_offered_or_overflow_the_escrow() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let greedy = PAYER_2;
		register_executor(greedy, 300_000, &[(NATIVE_MODEL, Signed, u128::MAX - 1)]);
		let offer = Inference::offers(NATIVE_MODEL)
			.offers
			.into_iter()
			.find(|o| o.mode == Signed && o.asset == NativeOrWithId::Native)
			.unwrap();
		assert_eq!((offer.max_fee, offer.serving_executors), (10, 3), "the lowest fee, not the greedy one");
		for _ in 0..4 {
			let id = submit(PAYER, spec(NATIVE_MODEL, Signed, offer.max_fee, 20)).unwrap();
			assert_eq!(executor_of(id), EXEC_A, "only executors at or below the offered fee are drawn");
		}
		// A fee cap that overflows the escrow is refused, whoever would be drawn.
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, u128::MAX, 20)), Error::<Test>::InsufficientBalance);
		check(n, u);
	});
}

/// Item 3 of the hardening issue. Before the fix a job spec had no price cap: a model owner who
/// saw a victim's `submit_job` in the pool raised the price first, and the job held (then paid)
/// up to the victim's whole free balance. Now the spec carries the price the payer was quoted.
#[test]
fn price_front_running_refuses_the_job_instead_of_charging_more() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let quoted = Inference::quote(NATIVE_MODEL, Signed).unwrap().price;
		let victim = JobSpecOf::<Test> { max_price: quoted, ..spec(NATIVE_MODEL, Signed, 30, 10) };
		let before = native(PAYER);
		// The owner front-runs with a price a hundred times higher.
		let limits = pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 32 };
		let gouging = pallet_verity_models::TierPrices { signed: Some(100 * quoted), tee: None, zk: Some(300) };
		assert_ok!(Models::update_model(RuntimeOrigin::signed(OWNER), NATIVE_MODEL, limits, gouging, sp_runtime::Perbill::from_percent(10)));
		assert_noop!(submit(PAYER, victim.clone()), Error::<Test>::PriceAboveMax);
		assert_eq!(native(PAYER), before);
		// At the quoted price (or below) the job goes through.
		let fair = pallet_verity_models::TierPrices { signed: Some(quoted), tee: None, zk: Some(300) };
		assert_ok!(Models::update_model(RuntimeOrigin::signed(OWNER), NATIVE_MODEL, limits, fair, sp_runtime::Perbill::from_percent(10)));
		assert_ok!(submit(PAYER, victim));
		check(n, u);
	});
}

/// Item 8 of the hardening issue. Before the fix a closed job kept its place in its expiry
/// block's list, so submitting and cancelling filled any chosen block and every later job with
/// that deadline failed with `DeadlineBlockFull`.
#[test]
fn submit_then_cancel_cannot_fill_a_deadline_block() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		// The mock allows four jobs per expiry block: an attacker submits and cancels five.
		for _ in 0..5 {
			let id = submit(PAYER_2, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
			assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER_2), id));
		}
		assert!(!crate::Deadlines::<Test>::contains_key(11), "no empty list is kept");
		// Failed and completed jobs free their place too.
		let failed = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		assert_ok!(Inference::report_failure(
			RuntimeOrigin::signed(executor_of(failed)),
			failed,
			b"no".to_vec().try_into().unwrap()
		));
		let completed = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		start(completed);
		let evidence = signed_evidence(executor_of(completed), &statement(completed, &output()));
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor_of(completed)), completed, output(), evidence));
		// A payer still gets all four places.
		for _ in 0..4 {
			assert_ok!(submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)));
		}
		assert_eq!(crate::Deadlines::<Test>::get(11).len(), 4);
		check(n, u);
	});
}

/// Item 2 of the hardening issue. A result is public once it is in a pool: before the fix an
/// executor could submit it for a job it had not started, and the payer, seeing it, cancelled
/// first for a full refund. Now a result is accepted only for a job started in an earlier block,
/// and a started job cannot be cancelled. (`node/tests/executor.rs` runs the attack on a real
/// node.)
#[test]
fn free_inference_by_cancelling_fails_as_no_result_lands_before_its_job_started() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let executor = executor_of(id);
		let evidence = signed_evidence(executor, &statement(id, &output()));
		let result = || Inference::submit_result(RuntimeOrigin::signed(executor), id, output(), evidence.clone());
		assert_noop!(result(), Error::<Test>::NotStarted);
		// Started in this block: a result in the same block (a batch with the start) is refused.
		assert_ok!(Inference::start_job(RuntimeOrigin::signed(executor), id));
		assert_noop!(result(), Error::<Test>::NotStarted);
		run_to(System::block_number() + 1);
		assert_noop!(Inference::cancel(RuntimeOrigin::signed(PAYER), id), Error::<Test>::AlreadyStarted);
		assert_ok!(result());
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		check(n, u);
	});
}

#[test]
fn closed_jobs_are_pruned_after_retention_a_bounded_number_per_block() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let ids: Vec<_> = (0..5)
			.map(|i| submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10 + i)).unwrap())
			.collect();
		for id in &ids {
			assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), *id));
		}
		// Closed at block 1, retention 20: pruned from block 21, three per block (the budget
		// pays for three).
		MockPruneWeight::set(<() as crate::WeightInfo>::prune_jobs(3));
		assert_eq!(crate::Pallet::<Test>::prunes_per_block(), 3);
		run_to(20);
		assert!(ids.iter().all(|id| Jobs::<Test>::contains_key(id)));
		run_to(21);
		assert_eq!(ids.iter().filter(|id| Jobs::<Test>::contains_key(id)).count(), 2);
		System::assert_has_event(Event::JobPruned { job: ids[0] }.into());
		run_to(22);
		assert!(ids.iter().all(|id| !Jobs::<Test>::contains_key(id)));
		check(n, u);
	});
}

#[test]
fn a_batch_mixes_tiers_and_assets_atomically() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		ZkAvailable::set(true);
		let batch: BoundedVec<_, _> = vec![
			spec(NATIVE_MODEL, Signed, 30, 10),
			spec(NATIVE_MODEL, Zk, 60, 10),
			spec(USD_MODEL, Signed, 100, 10),
		]
		.try_into()
		.unwrap();
		assert_ok!(Inference::submit_jobs(RuntimeOrigin::signed(PAYER), batch));
		draw();
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 130 + 360);
		assert_eq!(escrow_held(PAYER, NativeOrWithId::WithId(USD)), 1_100);
		assert_eq!(Jobs::<Test>::get(1).unwrap().mode, Zk);

		// The zk job completes with a proof; the USD job with a signature.
		start(1);
		start(2);
		let zk_executor = executor_of(1);
		assert_eq!(zk_executor, EXEC_A, "the only zk executor");
		assert_noop!(
			Inference::submit_result(RuntimeOrigin::signed(zk_executor), 1, output(), Evidence::Zk { proof: b"forged".to_vec().try_into().unwrap() }),
			Error::<Test>::Verification(VerificationError::BadProof)
		);
		assert_ok!(Inference::submit_result(
			RuntimeOrigin::signed(zk_executor),
			1,
			output(),
			Evidence::Zk { proof: b"valid".to_vec().try_into().unwrap() }
		));
		let usd_executor = executor_of(2);
		let (owner_usd, payer_usd) = (usd(OWNER), usd(PAYER));
		let st = statement(2, &output());
		assert_ok!(Inference::submit_result(
			RuntimeOrigin::signed(usd_executor),
			2,
			output(),
			signed_evidence(usd_executor, &st)
		));
		// USD: price 1000, fee 100, royalty 20% of 1000, protocol 5% of 1100.
		assert_eq!(usd(OWNER), owner_usd + 200);
		assert_eq!(usd(usd_executor), 1_100 - 200 - 55);
		assert_eq!(usd(TREASURY), 55);
		assert_eq!(usd(PAYER), payer_usd - 1_100);

		// A batch with one bad job submits nothing.
		let bad: BoundedVec<_, _> =
			vec![spec(NATIVE_MODEL, Signed, 30, 10), spec(USD_MODEL, Tee, 30, 10)].try_into().unwrap();
		assert_noop!(Inference::submit_jobs(RuntimeOrigin::signed(PAYER), bad), Error::<Test>::Verification(VerificationError::TierUnavailable));
		ZkAvailable::set(false);
		check(n, u);
	});
}

#[test]
fn assignment_is_stake_weighted_and_respects_the_fee_cap() {
	new_test_ext().execute_with(|| {
		// EXEC_B has three times EXEC_A's stake; both ask at most 20.
		let mut by_b = 0;
		for i in 0..40u64 {
			let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 20, 50 + i % 40)).unwrap();
			if executor_of(id) == EXEC_B {
				by_b += 1;
			}
			assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), id));
		}
		assert!((20..40).contains(&by_b), "EXEC_B took {by_b} of 40");
		// With a cap of 15, only EXEC_A (fee 10) can take it (up to its capacity, 4).
		for i in 0..4u64 {
			let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 15, 20 + i)).unwrap();
			assert_eq!(executor_of(id), EXEC_A);
			assert_eq!(Jobs::<Test>::get(id).unwrap().executor_fee, 10);
		}
	});
}

/// The executor the documented draw gives job `id` with seed hash `hash`, among the executors
/// eligible for `model` whose fee is at most `max_fee`: what anyone can recompute once the
/// hash is known.
fn documented_draw(hash: H256, id: u64, model: H256, max_fee: u128) -> AccountId {
	use codec::{Decode, Encode};
	use verity_primitives::inference::ExecutorProvider;
	let affordable: Vec<_> = <Executors as ExecutorProvider<AccountId>>::eligible(&model, Signed)
		.into_iter()
		.filter(|(_, _, fee)| *fee <= max_fee)
		.collect();
	let total: u128 = affordable.iter().map(|(_, stake, _)| stake).sum();
	let seed = sp_io::hashing::blake2_256(&(b"verity/assign", hash, id).encode());
	let mut ticket = u128::decode(&mut &seed[..]).unwrap() % total;
	for (executor, stake, _) in affordable {
		if ticket < stake {
			return executor;
		}
		ticket -= stake;
	}
	unreachable!("the ticket is below the total stake")
}

/// Item 5 of the hardening issue (predictable assignment): a payer who wants a chosen executor
/// (a victim to make miss deadlines, or a colluder) computes, from everything visible before
/// its job is included (the chain's state, the last sealed block's hash, its job id), which
/// executor the job will draw, and submits only when it likes the answer. Each job here is
/// submitted in its own block, sealed with a hash its author's signature makes new. Under the
/// old rule (drawn at submission from state the payer had read) the prediction was always
/// right; now it is right about as often as a guess, while the draw stays recomputable by
/// anyone from the hash of the block that held the job.
#[test]
fn predicting_the_assignee_before_inclusion_fails() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let (jobs, mut predicted, mut recomputed) = (64u64, 0, 0);
		let mut sealed = H256::repeat_byte(0xaa);
		for i in 0..jobs {
			// Block `number` is being built on `sealed`, the last hash anyone has seen.
			let number = System::block_number() + 1;
			System::initialize(&number, &sealed, &Default::default());
			Inference::on_initialize(number);
			let id = crate::NextJobId::<Test>::get();
			let prediction = documented_draw(System::parent_hash(), id, NATIVE_MODEL, 30);
			assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, number + 10)));
			assert_eq!(Jobs::<Test>::get(id).unwrap().executor, None, "nobody is drawn in the job's own block");

			// The author seals block `number`: its hash depends on a signature nobody else
			// could make (here, a fresh hash per block).
			sealed = H256(sp_io::hashing::blake2_256(&codec::Encode::encode(&(b"seal", i))));
			let next = number + 1;
			System::initialize(&next, &sealed, &Default::default());
			Inference::on_initialize(next);
			let executor = executor_of(id);
			predicted += (executor == prediction) as u32;
			recomputed += (executor == documented_draw(sealed, id, NATIVE_MODEL, 30)) as u32;
			assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), id));
		}
		assert_eq!(recomputed, jobs as u32, "the draw is what docs/inference.md says, from the sealed hash");
		// A guess weighted by stake (EXEC_B holds 3/4) is right 62.5% of the time: 40 of 64.
		assert!(predicted <= 48, "the payer predicted {predicted} of {jobs} assignees");
		check(n, u);
	});
}

/// A job waits one block for its executor: cancelled meanwhile, it is skipped; with nobody
/// left to draw, it fails and is refunded in full, and nobody is slashed.
#[test]
fn a_pending_job_is_cancellable_and_one_nobody_can_take_is_refunded() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let payer = native(PAYER);
		let id = crate::NextJobId::<Test>::get();
		assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 10)));
		assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), id));
		run_to(2);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Cancelled);
		assert!(!System::events().iter().any(|r| matches!(r.event, RuntimeEvent::Inference(Event::JobAssigned { .. }))));

		// Only EXEC_A asks at most 15; it leaves before the draw.
		let id = crate::NextJobId::<Test>::get();
		assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 15, 10)));
		assert_ok!(Executors::deregister(RuntimeOrigin::signed(EXEC_A)));
		let stakes = (staked(EXEC_A), staked(EXEC_B));
		run_to(3);
		let job = Jobs::<Test>::get(id).unwrap();
		assert_eq!((job.status, job.executor), (JobStatus::Failed, None));
		System::assert_has_event(Event::AssignmentFailed { job: id, refund: 115 }.into());
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 0);
		assert_eq!((staked(EXEC_A), staked(EXEC_B)), stakes, "nobody is slashed");
		// Only the storage deposits of the two jobs are still held, until they are pruned.
		assert_eq!(native(PAYER), payer);
		assert_eq!(Balances::free_balance(PAYER) + deposit_held(PAYER), payer);
		check(n, u);
	});
}

/// A block accepts a job only if an executor could still be drawn for it beside the jobs it
/// already holds for the same (model, tier), and at most `MaxAssignmentsPerBlock` jobs, so the
/// next block's draws are bounded; both refusals say "busy", and the next block takes more.
#[test]
fn a_block_submits_at_most_as_many_jobs_as_the_next_block_can_draw() {
	new_test_ext().execute_with(|| {
		// Two executors of capacity 4: eight free slots.
		for i in 0..8u64 {
			assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 10 + i / 4)));
		}
		assert_noop!(
			Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 20)),
			Error::<Test>::NoEligibleExecutor
		);
		run_to(2);
		assert_eq!(Jobs::<Test>::iter_values().filter(|job| job.status == JobStatus::Assigned).count(), 8);

		// Two more executors: sixteen free slots, more than a block's twelve draws.
		for executor in [10, 11] {
			assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), executor, 1_000_000));
			register_executor(executor, 100_000, &[(NATIVE_MODEL, Signed, 10)]);
		}
		for id in 0..8 {
			assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), id));
		}
		let (n, u) = issuance();
		let most = <<Test as crate::Config>::MaxAssignmentsPerBlock as Get<u32>>::get() as u64;
		for i in 0..most {
			assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 20 + i / 4)));
		}
		assert_noop!(
			Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 40)),
			Error::<Test>::AssignmentQueueFull
		);
		run_to(3);
		assert_eq!(Jobs::<Test>::iter_values().filter(|job| job.status == JobStatus::Assigned).count(), most as usize);
		assert!(crate::PendingJobs::<Test>::get().is_empty());
		assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(NATIVE_MODEL, Signed, 30, 40)));
		check(n, u);
	});
}

#[test]
fn quote_and_tier_statistics() {
	new_test_ext().execute_with(|| {
		let quote = crate::Pallet::<Test>::quote(NATIVE_MODEL, Signed).unwrap();
		assert_eq!(
			(quote.price, quote.min_executor_fee, quote.max_executor_fee, quote.eligible_executors),
			(100, 10, 20, 2)
		);
		assert_eq!(crate::Pallet::<Test>::quote(NATIVE_MODEL, Zk), None, "zk unavailable");
		assert_eq!(crate::Pallet::<Test>::quote(USD_MODEL, Zk), None, "not offered");

		// Day 0: two submitted, one cancelled. Day 2: one submitted.
		let a = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 11)).unwrap();
		assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), a));
		Now::set(2 * 86_400_000 + 5);
		submit(PAYER, spec(USD_MODEL, Signed, 100, 12)).unwrap();
		let (bucket_len, stats) = crate::Pallet::<Test>::tier_stats(0, 2);
		assert_eq!(bucket_len, 86_400_000);
		let day0 = stats.iter().find(|e| e.bucket == 0).unwrap();
		assert_eq!((day0.counters.submitted, day0.counters.cancelled), (2, 1));
		let day2 = stats.iter().find(|e| e.bucket == 2).unwrap();
		assert_eq!((day2.asset.clone(), day2.counters.submitted), (NativeOrWithId::WithId(USD), 1));

		// Three buckets are kept: on day 3, day 0 goes.
		Now::set(3 * 86_400_000);
		run_to(2);
		assert!(crate::Pallet::<Test>::tier_stats(0, 3).1.iter().all(|e| e.bucket != 0));
		assert_eq!(crate::OldestStatsBucket::<Test>::get(), 1);
	});
}

mod properties {
	//! Random sequences of register / submit / result / fail / expire / cancel keep every
	//! invariant, and never mint or burn.
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Action {
		Submit { payer: bool, usd: bool, zk: bool, max_fee: u128, duration: u64 },
		Result { pick: usize, honest: bool },
		Fail { pick: usize },
		Cancel { pick: usize },
		Start { pick: usize },
		Advance { blocks: u64 },
		RegisterExecutor { stake: u128 },
		Deregister { a: bool },
	}

	fn action() -> impl Strategy<Value = Action> {
		prop_oneof![
			4 => (any::<bool>(), any::<bool>(), any::<bool>(), 0u128..150, 1u64..30)
				.prop_map(|(payer, usd, zk, max_fee, duration)| Action::Submit { payer, usd, zk, max_fee, duration }),
			3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, honest)| Action::Result { pick, honest }),
			1 => any::<usize>().prop_map(|pick| Action::Fail { pick }),
			1 => any::<usize>().prop_map(|pick| Action::Cancel { pick }),
			1 => any::<usize>().prop_map(|pick| Action::Start { pick }),
			2 => (1u64..15).prop_map(|blocks| Action::Advance { blocks }),
			1 => (50u128..2_000).prop_map(|stake| Action::RegisterExecutor { stake }),
			1 => any::<bool>().prop_map(|a| Action::Deregister { a }),
		]
	}

	fn open_jobs() -> Vec<u64> {
		let mut ids: Vec<u64> =
			Jobs::<Test>::iter().filter(|(_, j)| j.status.is_open()).map(|(id, _)| id).collect();
		ids.sort();
		ids
	}

	fn apply(action: Action, extra_executor: &mut u64) {
		let pick = |i: usize| {
			let open = open_jobs();
			(!open.is_empty()).then(|| open[i % open.len()])
		};
		// Each call either succeeds or fails without effect: the invariants are checked after.
		let _ = match action {
			Action::Submit { payer, usd, zk, max_fee, duration } => {
				ZkAvailable::set(zk);
				let model = if usd { USD_MODEL } else { NATIVE_MODEL };
				let mode = if zk { Zk } else { Signed };
				let who = if payer { PAYER } else { BROKE };
				let deadline = System::block_number() + duration;
				submit(who, spec(model, mode, max_fee, deadline)).map(|_| ())
			},
			Action::Result { pick: i, honest } => match pick(i) {
				Some(id) => {
					let executor = executor_of(id);
					let mode = Jobs::<Test>::get(id).unwrap().mode;
					let evidence = match (mode, honest) {
						(Zk, true) => Evidence::Zk { proof: b"valid".to_vec().try_into().unwrap() },
						(Zk, false) => Evidence::Zk { proof: b"nope".to_vec().try_into().unwrap() },
						(_, true) => signed_evidence(executor, &statement(id, &output())),
						(_, false) => signed_evidence(executor, &statement(id, b"lie")),
					};
					Inference::submit_result(RuntimeOrigin::signed(executor), id, output(), evidence)
				},
				None => Ok(()),
			},
			Action::Fail { pick: i } => match pick(i) {
				Some(id) => Inference::report_failure(
					RuntimeOrigin::signed(executor_of(id)),
					id,
					b"bad input".to_vec().try_into().unwrap(),
				),
				None => Ok(()),
			},
			Action::Cancel { pick: i } => match pick(i) {
				Some(id) => Inference::cancel(RuntimeOrigin::signed(Jobs::<Test>::get(id).unwrap().payer), id),
				None => Ok(()),
			},
			Action::Start { pick: i } => match pick(i) {
				Some(id) => Inference::start_job(RuntimeOrigin::signed(executor_of(id)), id),
				None => Ok(()),
			},
			Action::Advance { blocks } => {
				run_to(System::block_number() + blocks);
				Ok(())
			},
			Action::RegisterExecutor { stake } => {
				*extra_executor += 1;
				let who = *extra_executor;
				// Funded by a transfer, not a mint: issuance must not move.
				let _ = Balances::transfer_allow_death(RuntimeOrigin::signed(PAYER_2), who, 5_000);
				Executors::register_executor(
					RuntimeOrigin::signed(who),
					pallet_verity_executors::Registration {
						endpoint: b"http://127.0.0.1:1/jobs".to_vec().try_into().unwrap(),
						signing_key: verity_primitives::inference::SigningKey::Sr25519(executor_pair(who).public()),
						services: vec![pallet_verity_executors::Service { model: NATIVE_MODEL, mode: Signed, fee: 5 }]
							.try_into()
							.unwrap(),
						hardware: pallet_verity_executors::HardwareClass::Cpu,
						capacity: 2,
						stake,
					},
				)
				.map(|_| ())
				.map_err(|e| e.error)
			},
			Action::Deregister { a } =>
				Executors::deregister(RuntimeOrigin::signed(if a { EXEC_A } else { EXEC_B })),
		};
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
		#[test]
		fn invariants_hold_after_every_step(actions in proptest::collection::vec(action(), 1..40)) {
			new_test_ext().execute_with(|| {
				let (n, u) = issuance();
				let mut extra_executor = 1_000;
				for action in actions {
					apply(action, &mut extra_executor);
					check(n, u);
				}
				ZkAvailable::set(false);
			});
		}
	}
}

/// PAYER's authorization to pay for `spec` with `salt`: to the escrow binding, in the model's
/// asset, for price + max_fee.
fn payment(spec: &JobSpecOf<Test>, salt: [u8; 32], value: u128) -> crate::PaymentAuthorizationOf<Test> {
	use verity_primitives::x402::{job_nonce, PaymentScheme};
	crate::PaymentAuthorizationOf::<Test> {
		network: Inference::genesis_hash(),
		scheme: PaymentScheme::Exact,
		asset: NativeOrWithId::Native,
		from: PAYER,
		to: ESCROW,
		value,
		valid_after: 0,
		valid_before: 60,
		nonce: job_nonce(spec, &salt),
	}
}

fn submit_paid(
	spec: &JobSpecOf<Test>,
	salt: [u8; 32],
	authorization: &crate::PaymentAuthorizationOf<Test>,
	valid: bool,
) -> sp_runtime::DispatchResult {
	Inference::submit_paid(RuntimeOrigin::signed(RELAYER), spec.clone(), salt, authorization.clone(), valid)?;
	draw();
	Ok(())
}

#[test]
fn submit_paid_makes_the_authorizing_payer_the_payer_and_the_relayer_pays_nothing() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let spec = spec(NATIVE_MODEL, Signed, 30, 10);
		let authorization = payment(&spec, [1; 32], 130);
		let id = crate::NextJobId::<Test>::get();
		assert_ok!(submit_paid(&spec, [1; 32], &authorization, true));
		let job = Jobs::<Test>::get(id).unwrap();
		assert_eq!(job.payer, PAYER);
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 130);
		// The relayer only holds the storage deposit of what it submitted.
		assert_eq!((job.depositor, deposit_held(RELAYER)), (RELAYER, job.deposit));
		assert_eq!(deposit_held(PAYER), 0);
		assert_eq!(native(RELAYER), 10_000);
		assert!(TestPayments::used(&authorization));
		// A replay of the same payment is refused by the authorizer, changing nothing.
		assert_noop!(submit_paid(&spec, [1; 32], &authorization, true), Error::<Test>::Payment(PaymentError::NonceUsed));
		// Not served: the refund goes to the payer, not the relayer.
		run_to(11);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Expired);
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 0);
		assert_eq!(native(RELAYER), 10_000);
		check(n, u);
	});
}

#[test]
fn submit_paid_refuses_a_payment_for_anything_but_this_job() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let spec = spec(NATIVE_MODEL, Signed, 30, 10);
		let good = payment(&spec, [1; 32], 130);
		// Another salt, or another job spec, than the nonce commits to.
		assert_noop!(submit_paid(&spec, [2; 32], &good, true), Error::<Test>::PaymentNotForJob);
		let other = crate::tests::spec(NATIVE_MODEL, Signed, 31, 10);
		assert_noop!(submit_paid(&other, [1; 32], &good, true), Error::<Test>::PaymentNotForJob);
		// Not to the escrow binding.
		let to_bob = crate::PaymentAuthorizationOf::<Test> { to: PAYER_2, ..good.clone() };
		assert_noop!(submit_paid(&spec, [1; 32], &to_bob, true), Error::<Test>::PaymentRecipientMismatch);
		// In another asset than the model's.
		let in_usd = crate::PaymentAuthorizationOf::<Test> { asset: NativeOrWithId::WithId(USD), ..good.clone() };
		assert_noop!(submit_paid(&spec, [1; 32], &in_usd, true), Error::<Test>::PaymentAssetMismatch);
		// Not exactly price + max_fee.
		for value in [129, 131] {
			let wrong = payment(&spec, [1; 32], value);
			assert_noop!(submit_paid(&spec, [1; 32], &wrong, true), Error::<Test>::PaymentValueMismatch);
		}
		// A signature the authorizer refuses.
		assert_noop!(submit_paid(&spec, [1; 32], &good, false), Error::<Test>::Payment(PaymentError::InvalidSignature));
		// An unknown model.
		let unknown = crate::tests::spec(H256::repeat_byte(9), Signed, 30, 10);
		let for_unknown = payment(&unknown, [1; 32], 130);
		assert_noop!(submit_paid(&unknown, [1; 32], &for_unknown, true), Error::<Test>::UnknownModel);
		// Unsigned.
		assert_noop!(
			Inference::submit_paid(RuntimeOrigin::none(), spec.clone(), [1; 32], good.clone(), true),
			DispatchError::BadOrigin
		);
		check(n, u);
	});
}

#[test]
fn a_model_priced_in_a_second_asset_is_paid_and_settled_in_it() {
	new_test_ext().execute_with(|| {
		// The native model at 10 USD per native unit: signed 1_000 USD for 100 native, so the
		// executors' native fees of 10 and 20 are 100 and 200 USD.
		let usd_prices = pallet_verity_models::TierPrices { signed: Some(1_000), tee: None, zk: None };
		assert_ok!(Models::set_asset_prices(RuntimeOrigin::signed(OWNER), NATIVE_MODEL, NativeOrWithId::WithId(USD), Some(usd_prices)));
		let (n, u) = issuance();
		let quote = Inference::quote_in(NATIVE_MODEL, Signed, NativeOrWithId::WithId(USD)).unwrap();
		assert_eq!(
			(quote.asset, quote.price, quote.min_executor_fee, quote.max_executor_fee, quote.eligible_executors),
			(NativeOrWithId::WithId(USD), 1_000, 100, 200, 2)
		);
		assert_eq!(Inference::quote_in(NATIVE_MODEL, Zk, NativeOrWithId::WithId(USD)), None, "zk is not priced in USD");

		// A max fee of 150 USD affords only EXEC_A (100 USD).
		let spec = spec(NATIVE_MODEL, Signed, 150, 10);
		let in_usd = crate::PaymentAuthorizationOf::<Test> { asset: NativeOrWithId::WithId(USD), ..payment(&spec, [3; 32], 1_150) };
		let id = crate::NextJobId::<Test>::get();
		let (payer_native, payer_usd) = (native(PAYER), usd(PAYER));
		assert_ok!(submit_paid(&spec, [3; 32], &in_usd, true));
		let job = Jobs::<Test>::get(id).unwrap();
		assert_eq!((job.asset, job.price, job.executor_fee, job.executor), (NativeOrWithId::WithId(USD), 1_000, 100, Some(EXEC_A)));
		assert_eq!(escrow_held(PAYER, NativeOrWithId::WithId(USD)), 1_150);
		assert_eq!(native(PAYER), payer_native, "nothing held in the native token");

		// The result settles in USD: the payer is charged price + fee, the 50 unspent return.
		let (owner, exec) = (usd(OWNER), usd(EXEC_A));
		let evidence = signed_evidence(EXEC_A, &statement(id, &output()));
		start(id);
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(EXEC_A), id, output(), evidence));
		assert_eq!(usd(PAYER), payer_usd - 1_100);
		assert_eq!(usd(OWNER), owner + 100, "royalty: 10% of 1_000");
		assert_eq!(usd(EXEC_A), exec + 1_100 - 100 - 1_100 * 5 / 100);
		assert_eq!(escrow_held(PAYER, NativeOrWithId::WithId(USD)), 0);
		check(n, u);

		// The payment's value must match the USD price, and zk is not priced in USD.
		let spec = crate::tests::spec(NATIVE_MODEL, Signed, 150, 10);
		let native_value = crate::PaymentAuthorizationOf::<Test> { asset: NativeOrWithId::WithId(USD), ..payment(&spec, [4; 32], 250) };
		assert_noop!(submit_paid(&spec, [4; 32], &native_value, true), Error::<Test>::PaymentValueMismatch);
		let zk = crate::tests::spec(NATIVE_MODEL, Zk, 150, 10);
		let zk_in_usd = crate::PaymentAuthorizationOf::<Test> { asset: NativeOrWithId::WithId(USD), ..payment(&zk, [4; 32], 1_150) };
		assert_noop!(submit_paid(&zk, [4; 32], &zk_in_usd, true), Error::<Test>::PaymentAssetMismatch);
		check(n, u);
	});
}

#[test]
fn a_payer_cannot_route_an_executors_pay_back_to_itself_through_a_missing_account() {
	new_test_ext().execute_with(|| {
		// USD's minimum balance rises above every share of a 1_000 + 100 job, and neither the
		// owner nor the executors hold USD: before the fix their shares were refunded to the payer,
		// who so got the inference for 55 USD. The treasury holds USD.
		assert_ok!(Assets::force_asset_status(RuntimeOrigin::root(), USD, OWNER, OWNER, OWNER, OWNER, 5_000, true, false));
		assert_ok!(Assets::mint(RuntimeOrigin::signed(OWNER), USD, TREASURY, 5_000));
		// A USD job, completed: its id and executor.
		let complete_a_job = || {
			let id = crate::NextJobId::<Test>::get();
			assert_ok!(Inference::submit_job(RuntimeOrigin::signed(PAYER), spec(USD_MODEL, Signed, 150, 10)));
			draw();
			let executor = executor_of(id);
			start(id);
			let evidence = signed_evidence(executor, &statement(id, &output()));
			assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output(), evidence));
			(id, executor)
		};
		let (n, u) = issuance();
		let (payer, treasury) = (usd(PAYER), usd(TREASURY));
		let (id, executor) = complete_a_job();

		assert_eq!(usd(PAYER), payer - 1_100, "charged in full");
		assert_eq!((usd(OWNER), usd(executor)), (0, 0));
		assert_eq!(usd(TREASURY), treasury + 1_100, "every share the recipients could not take");
		System::assert_last_event(
			Event::JobCompleted {
				job: id,
				executor,
				output_hash: statement(id, &output()).output_hash,
				executor_paid: 0,
				royalty: 0,
				protocol_fee: 55,
				undelivered: 1_045,
				refund: 50,
			}
			.into(),
		);
		check(n, u);

		// Nor when the treasury cannot take them either: they are burned, not refunded.
		assert_ok!(Assets::burn(RuntimeOrigin::signed(OWNER), USD, TREASURY, u128::MAX));
		let (n, u) = issuance();
		let payer = usd(PAYER);
		complete_a_job();
		assert_eq!(usd(PAYER), payer - 1_100, "charged in full");
		check(n, u - 1_100);
	});
}

#[test]
fn a_paid_job_that_cannot_be_submitted_leaves_the_payment_unused() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		// No executor asks a fee this low: the job fails after the payment was accepted.
		let spec = spec(NATIVE_MODEL, Signed, 1, 10);
		let authorization = payment(&spec, [1; 32], 101);
		assert_noop!(submit_paid(&spec, [1; 32], &authorization, true), Error::<Test>::FeeTooLow);
		assert!(!TestPayments::used(&authorization));
		// A payer who cannot fund the escrow.
		let spec = crate::tests::spec(NATIVE_MODEL, Signed, 30, 10);
		let broke = crate::PaymentAuthorizationOf::<Test> { from: BROKE, ..payment(&spec, [1; 32], 130) };
		assert_noop!(submit_paid(&spec, [1; 32], &broke, true), Error::<Test>::InsufficientBalance);
		check(n, u);
	});
}

/// While every executor is at capacity an offer still names the fee a paid job must carry (the
/// lowest among the executors that serve the model), with none eligible now: a gateway can
/// answer a 402 at once and let the paid retry wait for a free executor.
#[test]
fn offers_stand_while_every_executor_is_busy() {
	new_test_ext().execute_with(|| {
		let signed_native = |offers: &verity_primitives::inference::Offers<AssetKind, u64>| {
			offers.offers.iter().find(|o| o.mode == Signed && o.asset == NativeOrWithId::Native).cloned().unwrap()
		};
		let idle = signed_native(&Inference::offers(NATIVE_MODEL));
		assert_eq!((idle.price, idle.max_fee, idle.serving_executors, idle.eligible_executors), (100, 10, 2, 2));
		// Both executors have capacity 4: eight jobs fill them.
		for deadline in [10, 10, 10, 10, 11, 11, 11, 11] {
			submit(PAYER, spec(NATIVE_MODEL, Signed, 20, deadline)).unwrap();
		}
		let busy = signed_native(&Inference::offers(NATIVE_MODEL));
		assert_eq!((busy.price, busy.max_fee, busy.serving_executors, busy.eligible_executors), (100, 10, 2, 0));
		assert_noop!(submit(PAYER, spec(NATIVE_MODEL, Signed, 20, 12)), Error::<Test>::NoEligibleExecutor);
		assert!(Inference::offers(H256::repeat_byte(0x77)).offers.is_empty());
	});
}

/// Version 0 → 1 removes the dispatcher set, once: at version 1 the migration does nothing.
#[test]
fn the_v1_migration_removes_the_dispatcher_set_once() {
	use crate::migrations::v1::{Dispatchers, MigrateV0ToV1};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	new_test_ext().execute_with(|| {
		StorageVersion::new(0).put::<Inference>();
		Dispatchers::<Test>::put(vec![[7u8; 32], [8u8; 32]]);
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert!(!Dispatchers::<Test>::exists());
		assert_eq!(Inference::on_chain_storage_version(), StorageVersion::new(1));

		Dispatchers::<Test>::put(vec![[9u8; 32]]);
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert!(Dispatchers::<Test>::exists(), "a migration runs at its version only");
		Dispatchers::<Test>::kill();
	});
}

/// Versions 1 → 2 → 3 keep every job, with zero deposits recorded against its payer and its
/// executor as `Some`.
#[test]
fn the_v2_and_v3_migrations_keep_every_job_with_zero_deposits_and_its_executor() {
	use crate::migrations::{v2::{MigrateV1ToV2, OldJob}, v3::MigrateV2ToV3};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	// A storage-level test: the job written in the old layout holds no real escrow.
	unchecked_ext().execute_with(|| {
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let new = Jobs::<Test>::get(id).unwrap();
		let old = OldJob::<Test> {
			payer: new.payer,
			model: new.model,
			mode: new.mode,
			input: new.input.clone(),
			input_hash: new.input_hash,
			max_output_len: new.max_output_len,
			asset: new.asset.clone(),
			price: new.price,
			max_fee: new.max_fee,
			executor_fee: new.executor_fee,
			owner: new.owner,
			royalty: new.royalty,
			executor: new.executor.unwrap(),
			deadline: new.deadline,
			status: new.status,
			output_hash: new.output_hash,
			updated_at: new.updated_at,
		};
		frame_support::storage::unhashed::put_raw(&Jobs::<Test>::hashed_key_for(id), &old.encode());
		StorageVersion::new(1).put::<Inference>();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Inference::on_chain_storage_version(), StorageVersion::new(2));
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Inference::on_chain_storage_version(), StorageVersion::new(3));
		assert_eq!(
			Jobs::<Test>::get(id).unwrap(),
			crate::Job { depositor: PAYER, deposit: 0, result_deposit: 0, ..new }
		);
	});
}

/// Version 4 → 5 keeps every bucket of tier statistics, its counts as they were and the
/// challenge counts zero.
#[test]
fn the_v5_migration_keeps_every_tier_statistic_with_zero_challenge_counts() {
	use crate::migrations::v5::{MigrateV4ToV5, OldTierCounters};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	unchecked_ext().execute_with(|| {
		let keys = [(3u32, Signed, NativeOrWithId::Native), (4, Zk, NativeOrWithId::WithId(USD))];
		let kept = |i: u32| verity_primitives::inference::TierCounters {
			submitted: 10 + i,
			completed: 7,
			failed: 1,
			expired: 1,
			cancelled: 1,
			fees_paid: 1_234,
			..Default::default()
		};
		for (i, key) in keys.iter().enumerate() {
			let counts = kept(i as u32);
			let old = OldTierCounters {
				submitted: counts.submitted,
				completed: counts.completed,
				failed: counts.failed,
				expired: counts.expired,
				cancelled: counts.cancelled,
				fees_paid: counts.fees_paid,
			};
			frame_support::storage::unhashed::put_raw(&crate::TierStats::<Test>::hashed_key_for(key.clone()), &old.encode());
		}
		StorageVersion::new(4).put::<Inference>();
		MigrateV4ToV5::<Test>::on_runtime_upgrade();
		assert_eq!(Inference::on_chain_storage_version(), StorageVersion::new(5));
		for (i, key) in keys.into_iter().enumerate() {
			let migrated = crate::TierStats::<Test>::get(key);
			assert_eq!(migrated, kept(i as u32));
			assert_eq!((migrated.challenged, migrated.upheld, migrated.overturned), (0, 0, 0));
		}
	});
}

/// Item 7 of the hardening issue: closes at the highest rate block weight allows, for longer
/// than the retention period, must not outrun pruning.
#[test]
fn closing_jobs_at_the_highest_rate_a_block_allows_never_outruns_pruning() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let closes = crate::Pallet::<Test>::max_closes_per_block();
		let retention = <<Test as crate::Config>::RetentionPeriod as Get<u64>>::get();
		assert!(crate::Pallet::<Test>::prunes_per_block() >= closes);
		let queued = || {
			let (head, tail) = crate::PruneQueueBounds::<Test>::get();
			tail - head
		};
		for _ in 0..retention + 10 {
			let now = System::block_number();
			for _ in 0..closes {
				let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, now + 10)).unwrap();
				assert_ok!(Inference::cancel(RuntimeOrigin::signed(PAYER), id));
			}
			run_to(now + 1);
			// Every job whose retention is over is gone: the queue holds the closes of the
			// retention period only.
			let (head, _) = crate::PruneQueueBounds::<Test>::get();
			if let Some((_, closed_at)) = crate::PruneQueue::<Test>::get(head) {
				assert!(closed_at + retention > System::block_number(), "pruning fell behind");
			}
			assert!(queued() <= retention * closes as u64);
		}
		// Closed in each of the last retention - 1 blocks (none yet in this one).
		assert_eq!(queued(), (retention - 1) * closes as u64);
		crate::Pallet::<Test>::do_try_state().unwrap();
		// All the deposits of the pruned jobs went back.
		let kept: u128 = Jobs::<Test>::iter().map(|(_, job)| job.deposit).sum();
		assert_eq!(deposit_held(PAYER), kept);
		check(n, u);
	});
}

/// Item 7: inputs, outputs and evidence are stored at their writers' cost until pruned.
#[test]
fn a_job_input_output_and_evidence_hold_a_deposit_per_byte_until_pruned() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		MockDepositPerByte::set(3);
		let mut big = spec(NATIVE_MODEL, Signed, 30, 10);
		big.input = JobInput::Inline(vec![9u8; 64].try_into().unwrap());
		let payer_free = Balances::free_balance(PAYER);
		let id = submit(PAYER, big).unwrap();
		let job = Jobs::<Test>::get(id).unwrap();
		use codec::Encode;
		assert_eq!(job.deposit, 3 * job.encoded_size() as u128);
		assert!(job.deposit > 3 * 64, "the input's bytes are paid for");
		assert_eq!(deposit_held(PAYER), job.deposit);
		assert_eq!(Balances::free_balance(PAYER), payer_free - 130 - job.deposit);

		let executor = job.executor.unwrap();
		let executor_free = Balances::free_balance(executor);
		start(id);
		let output = output();
		let evidence = signed_evidence(executor, &statement(id, &output));
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output.clone(), evidence.clone()));
		let result_deposit = 3 * (output.encoded_size() + evidence.encoded_size()) as u128;
		assert_eq!(Jobs::<Test>::get(id).unwrap().result_deposit, result_deposit);
		assert_eq!(deposit_held(executor), result_deposit);
		let paid = System::events()
			.into_iter()
			.find_map(|record| match record.event {
				RuntimeEvent::Inference(Event::JobCompleted { executor_paid, .. }) => Some(executor_paid),
				_ => None,
			})
			.unwrap();
		assert_eq!(Balances::free_balance(executor), executor_free + paid - result_deposit);

		// Retention over: pruned, and both deposits released.
		let closed_at = System::block_number();
		run_to(closed_at + <<Test as crate::Config>::RetentionPeriod as Get<u64>>::get());
		assert!(!Jobs::<Test>::contains_key(id) && crate::Outputs::<Test>::get(id).is_none());
		assert_eq!((deposit_held(PAYER), deposit_held(executor)), (0, 0));
		check(n, u);
	});
}

/// Item 7: no deposit, no state; a refusal leaves every balance and storage as it was.
#[test]
fn state_whose_deposit_cannot_be_held_is_refused_and_nothing_changes() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		// Holds USD for the escrow but no native for the deposit.
		const USD_ONLY: AccountId = 5;
		use frame_support::traits::fungibles::Mutate;
		assert_ok!(Assets::mint_into(USD, &USD_ONLY, 10_000));
		let (n, u) = (n, u + 10_000);
		assert_noop!(submit(USD_ONLY, spec(USD_MODEL, Signed, 100, 10)), Error::<Test>::CannotPayDeposit);

		// An executor that cannot hold its result's deposit cannot store a result.
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		let executor = executor_of(id);
		start(id);
		MockDepositPerByte::set(Balances::free_balance(executor));
		let output = output();
		let evidence = signed_evidence(executor, &statement(id, &output));
		assert_noop!(
			Inference::submit_result(RuntimeOrigin::signed(executor), id, output, evidence),
			Error::<Test>::CannotPayDeposit
		);
		check(n, u);
	});
}

// Challenges (issue #18): a signed result of a model the runtime can re-run is provisional;
// anyone may challenge it, and the runtime re-runs the model to decide.

/// Submits a signed job on the re-runnable model with `input`, starts it, and has its executor
/// submit `output`. Returns the job.
fn provisional(input: &[u8], output: &[u8]) -> u64 {
	let mut spec = spec(REEXECUTABLE_MODEL, Signed, 10, 30);
	spec.input = JobInput::Inline(input.to_vec().try_into().unwrap());
	let id = submit(PAYER, spec).unwrap();
	start(id);
	let output: BoundedVec<u8, _> = output.to_vec().try_into().unwrap();
	let executor = executor_of(id);
	let evidence = signed_evidence(executor, &statement(id, &output));
	assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output, evidence));
	id
}

fn challenge(who: AccountId, id: u64) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Inference::challenge(RuntimeOrigin::signed(who), id, None)
}

/// The signed tier's challenge counts in every bucket: (challenged, upheld, overturned, failed).
fn challenge_counts() -> (u32, u32, u32, u32) {
	let (_, stats) = crate::Pallet::<Test>::tier_stats(0, crate::Pallet::<Test>::current_bucket());
	stats.iter().filter(|entry| entry.mode == Signed).fold((0, 0, 0, 0), |(c, u, o, f), entry| {
		let counts = entry.counters;
		(c + counts.challenged, u + counts.upheld, o + counts.overturned, f + counts.failed)
	})
}

fn final_at(id: u64) -> u64 {
	Inference::job_summary(id).unwrap().final_at.expect("a provisional result")
}

#[test]
fn a_signed_result_of_a_rerunnable_model_is_provisional_then_paid_when_its_window_closes() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let input = b"1 2 3 4";
		let id = provisional(input, &reexecutable_output(input));
		let executor = executor_of(id);
		let job = Jobs::<Test>::get(id).unwrap();
		assert_eq!(job.status, JobStatus::Provisional);
		let window_closes = System::block_number() + 5;
		assert_eq!(final_at(id), window_closes);
		System::assert_last_event(
			Event::ResultProvisional { job: id, executor, output_hash: job.output_hash.unwrap(), final_at: window_closes }
				.into(),
		);
		// The output is public at once, the escrow still held, the executor's slot free.
		assert!(Inference::result(id).is_some());
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 110);
		assert_eq!(pallet_verity_executors::Executors::<Test>::get(executor).unwrap().active_jobs, 0);
		let free = native(executor);
		check(n, u);

		run_to(window_closes - 1);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Provisional);
		run_to(window_closes);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 0);
		// 110 charged: 10 royalty, 5.5 → 5 protocol fee, the rest to the executor.
		assert_eq!(native(executor), free + 110 - 10 - 5);
		assert!(crate::ProvisionalResults::<Test>::iter().next().is_none());
		assert_noop!(challenge(CHALLENGER, id), Error::<Test>::NotProvisional);
		check(n, u);
	});
}

#[test]
fn a_wrong_result_is_overturned_the_payer_refunded_and_the_liar_slashed() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = provisional(b"1 2 3 4", b"a lie");
		let executor = executor_of(id);
		let (payer, challenger, treasury, stake) = (native(PAYER), native(CHALLENGER), native(TREASURY), staked(executor));
		let completed = pallet_verity_executors::Executors::<Test>::get(executor).unwrap().stats.completed;
		assert_ok!(challenge(CHALLENGER, id));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Overturned);
		assert_eq!(challenge_counts(), (1, 0, 1, 0), "overturned, not failed, in the tier statistics");
		// Charge 110: slash max(200, 10 × 110) = 1100; 110 to the payer, half the rest (495) to
		// the challenger, 495 to the treasury. The payer's escrow (110) was never paid out.
		System::assert_last_event(
			Event::ResultOverturned {
				job: id,
				executor,
				challenger: CHALLENGER,
				refund: 110,
				compensation: 110,
				reward: 495,
				forfeit: 495,
			}
			.into(),
		);
		assert_eq!(escrow_held(PAYER, NativeOrWithId::Native), 0);
		assert_eq!(native(PAYER), payer + 110);
		assert_eq!(native(CHALLENGER), challenger + 495);
		assert_eq!(native(TREASURY), treasury + 495);
		assert_eq!(staked(executor), stake - 1100);
		assert_eq!(
			pallet_verity_executors::Executors::<Test>::get(executor).unwrap().stats.completed,
			completed - 1,
			"an overturned result does not count as completed"
		);
		// Settled: no second challenge, and the window's end pays nothing.
		assert_noop!(challenge(PAYER, id), Error::<Test>::NotProvisional);
		run_to(System::block_number() + 10);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Overturned);
		check(n, u);
	});
}

#[test]
fn an_output_for_an_input_the_model_refuses_is_a_lie() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		// The model takes no empty input: the executor should have reported a failure.
		let id = provisional(b"", b"anything");
		assert_ok!(challenge(CHALLENGER, id));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Overturned);
		check(n, u);
	});
}

#[test]
fn a_challenge_of_a_right_result_costs_the_bond_and_makes_the_result_final_at_once() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let input = b"1 2 3 4";
		let id = provisional(input, &reexecutable_output(input));
		let executor = executor_of(id);
		let (challenger, free) = (native(CHALLENGER), native(executor));
		assert_ok!(challenge(CHALLENGER, id));
		assert!(System::events().iter().any(|record| record.event ==
			Event::ChallengeFailed { job: id, challenger: CHALLENGER, bond: 50 }.into()));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		assert_eq!(challenge_counts(), (1, 1, 0, 0), "upheld in the tier statistics");
		assert_eq!(native(CHALLENGER), challenger - 50);
		assert_eq!(native(executor), free + 50 + 110 - 10 - 5);
		check(n, u);
	});
}

#[test]
fn challenge_refusals_change_nothing() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		assert_noop!(challenge(CHALLENGER, 999), Error::<Test>::UnknownJob);
		// A result of a model the chain cannot re-run is final at once.
		let id = submit(PAYER, spec(NATIVE_MODEL, Signed, 30, 10)).unwrap();
		assert_noop!(challenge(CHALLENGER, id), Error::<Test>::NotProvisional);
		start(id);
		let output = output();
		let executor = executor_of(id);
		let evidence = signed_evidence(executor, &statement(id, &output));
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output, evidence));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		assert_noop!(challenge(CHALLENGER, id), Error::<Test>::NotProvisional);

		// No bond, no challenge.
		let lie = provisional(b"1 2 3 4", b"a lie");
		assert_noop!(challenge(BROKE, lie), Error::<Test>::CannotPayBond);

		// An input by reference must be revealed, and be the one the job committed to.
		let input = b"by reference".to_vec();
		let mut by_reference = spec(REEXECUTABLE_MODEL, Signed, 10, 30);
		by_reference.input = JobInput::Reference {
			hash: H256(sp_io::hashing::blake2_256(&input)),
			uri: b"https://example.com/input".to_vec().try_into().unwrap(),
		};
		let id = submit(PAYER, by_reference).unwrap();
		start(id);
		let output: BoundedVec<u8, _> = b"a lie".to_vec().try_into().unwrap();
		let executor = executor_of(id);
		let evidence = signed_evidence(executor, &statement(id, &output));
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output, evidence));
		assert_noop!(challenge(CHALLENGER, id), Error::<Test>::InputNotRevealed);
		let wrong = Some(b"another input".to_vec().try_into().unwrap());
		assert_noop!(Inference::challenge(RuntimeOrigin::signed(CHALLENGER), id, wrong), Error::<Test>::WrongInput);
		assert_ok!(Inference::challenge(RuntimeOrigin::signed(CHALLENGER), id, Some(input.try_into().unwrap())));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Overturned);

		// Once the window closed, the lie stands: challenges must come in time.
		run_to(final_at(lie));
		assert_eq!(Jobs::<Test>::get(lie).unwrap().status, JobStatus::Completed);
		assert_noop!(challenge(CHALLENGER, lie), Error::<Test>::NotProvisional);
		check(n, u);
	});
}

#[test]
fn an_executor_cannot_withdraw_its_stake_while_a_result_is_provisional() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let mut job = spec(REEXECUTABLE_MODEL, Signed, 10, 30);
		job.input = JobInput::Inline(b"1 2 3 4".to_vec().try_into().unwrap());
		let id = submit(PAYER, job).unwrap();
		let executor = executor_of(id);
		start(id);
		// It unbonds while the job runs, and lies just before the unbonding ends.
		assert_ok!(Executors::deregister(RuntimeOrigin::signed(executor)));
		run_to(System::block_number() + 9);
		let output: BoundedVec<u8, _> = b"a lie".to_vec().try_into().unwrap();
		let evidence = signed_evidence(executor, &statement(id, &output));
		assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output, evidence));
		run_to(System::block_number() + 1);
		assert_noop!(
			Executors::withdraw(RuntimeOrigin::signed(executor)),
			pallet_verity_executors::Error::<Test>::ProvisionalResults
		);
		// So the stake is still there to slash.
		assert_ok!(challenge(CHALLENGER, id));
		assert_ok!(Executors::withdraw(RuntimeOrigin::signed(executor)));
		check(n, u);
	});
}

// Proof on demand: a model with a zk key that the runtime cannot re-run.

/// A signed job on the provable model with a result `output`, zk available.
fn provable_result(output: &[u8]) -> u64 {
	ZkAvailable::set(true);
	let id = submit(PAYER, spec(PROVABLE_MODEL, Signed, 10, 30)).unwrap();
	start(id);
	let output: BoundedVec<u8, _> = output.to_vec().try_into().unwrap();
	let executor = executor_of(id);
	let evidence = signed_evidence(executor, &statement(id, &output));
	assert_ok!(Inference::submit_result(RuntimeOrigin::signed(executor), id, output, evidence));
	assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Provisional);
	id
}

fn answer(id: u64, proof: &[u8]) -> frame_support::dispatch::DispatchResult {
	Inference::answer_challenge(RuntimeOrigin::signed(executor_of(id)), id, proof.to_vec().try_into().unwrap())
}

#[test]
fn a_proved_result_survives_its_challenge_and_the_bond_goes_to_the_executor() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = provable_result(b"digit=7");
		let executor = executor_of(id);
		let (challenger, free) = (native(CHALLENGER), native(executor));
		// Challenged in the last block of its window, so that the window closes meanwhile.
		let window_closes = final_at(id);
		run_to(window_closes - 1);
		assert_ok!(challenge(CHALLENGER, id));
		let deadline = System::block_number() + 3;
		System::assert_last_event(
			Event::ProofRequested { job: id, executor, challenger: CHALLENGER, deadline }.into(),
		);
		assert_noop!(challenge(PAYER, id), Error::<Test>::ChallengeUnderway);
		check(n, u);
		// Its window closes meanwhile: the result waits for the challenge.
		run_to(window_closes);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Provisional);
		// A wrong proof, or a proof by anyone else, changes nothing.
		assert_noop!(answer(id, b"forged"), Error::<Test>::Verification(VerificationError::BadProof));
		assert_noop!(
			Inference::answer_challenge(RuntimeOrigin::signed(EXEC_B), id, b"valid".to_vec().try_into().unwrap()),
			Error::<Test>::NotAssignedExecutor
		);
		assert_ok!(answer(id, b"valid"));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		assert_eq!(native(CHALLENGER), challenger - 50);
		assert_eq!(native(executor), free + 50 + 110 - 10 - 5);
		assert_noop!(answer(id, b"valid"), Error::<Test>::NoChallenge);
		// Its deadline passes with nothing left to do.
		run_to(deadline);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		ZkAvailable::set(false);
		check(n, u);
	});
}

#[test]
fn a_result_its_executor_does_not_prove_in_time_is_overturned() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = provable_result(b"a lie");
		let executor = executor_of(id);
		let (payer, stake) = (native(PAYER), staked(executor));
		assert_ok!(challenge(CHALLENGER, id));
		let deadline = System::block_number() + 3;
		run_to(deadline - 1);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Provisional);
		assert_eq!(challenge_counts(), (1, 0, 0, 0), "challenged, its outcome open");
		run_to(deadline);
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Overturned);
		assert_eq!(challenge_counts(), (1, 0, 1, 0));
		assert_eq!(native(PAYER), payer + 110);
		assert_eq!(staked(executor), stake - 1100);
		assert!(crate::Challenges::<Test>::iter().next().is_none());
		// Too late to prove now.
		assert_noop!(answer(id, b"valid"), Error::<Test>::NoChallenge);
		ZkAvailable::set(false);
		check(n, u);
	});
}

#[test]
fn proof_requests_per_deadline_block_are_bounded() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		// The mock allows two proofs due per block.
		let ids: Vec<u64> = (0..3).map(|_| provable_result(b"out")).collect();
		assert_ok!(challenge(CHALLENGER, ids[0]));
		assert_ok!(challenge(CHALLENGER, ids[1]));
		assert_noop!(challenge(CHALLENGER, ids[2]), Error::<Test>::ChallengeBlockFull);
		run_to(System::block_number() + 1);
		assert_ok!(challenge(CHALLENGER, ids[2]));
		ZkAvailable::set(false);
		check(n, u);
	});
}

/// The model's owner, colluding with a liar, retires the model during the window so that
/// nothing can re-run or prove the result any more: refused while a result is provisional.
#[test]
fn a_model_cannot_be_retired_from_under_its_provisional_results() {
	new_test_ext().execute_with(|| {
		let (n, u) = issuance();
		let id = provisional(b"1 2 3 4", b"a lie");
		assert_noop!(
			Models::retire_model(RuntimeOrigin::signed(OWNER), REEXECUTABLE_MODEL),
			pallet_verity_models::Error::<Test>::ProvisionalResults
		);
		assert_ok!(challenge(CHALLENGER, id));
		assert_ok!(Models::retire_model(RuntimeOrigin::signed(OWNER), REEXECUTABLE_MODEL));
		check(n, u);
	});
}
