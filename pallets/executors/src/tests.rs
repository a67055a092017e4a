use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use verity_primitives::inference::{ExecutorProvider, JobOutcome, VerificationMode::*};

use crate::{mock::*, Error, Event, ExecutorStatus, Executors as ExecutorsStorage, HoldReason, ServiceIndex};

type Provider = crate::Pallet<Test>;

fn register(who: u64, services: &[(sp_core::H256, verity_primitives::inference::VerificationMode, u128)], stake: u128) -> sp_runtime::DispatchResult {
	Executors::register_executor(RuntimeOrigin::signed(who), registration(services, stake)).map(|_| ()).map_err(|e| e.error)
}

fn staked(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::ExecutorStake.into(), &who)
}

fn check_invariants() {
	crate::Pallet::<Test>::do_try_state().unwrap();
}

#[test]
fn register_holds_stake_and_indexes_services() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1, &[(MODEL_A, Signed, 3), (MODEL_A, Zk, 9)], 200));
		assert_eq!(staked(1), 200);
		System::assert_last_event(Event::ExecutorRegistered { executor: 1, stake: 200 }.into());
		assert_eq!(ServiceIndex::<Test>::get((MODEL_A, Signed)).into_inner(), vec![(1, 3)]);
		assert_eq!(Provider::eligible(&MODEL_A, Zk), vec![(1, 200, 9)]);
		assert_eq!(Provider::eligible(&MODEL_B, Signed), vec![]);
		assert!(Provider::signing_key(&1).is_some());
		check_invariants();
	});
}

#[test]
fn register_failure_paths_change_nothing() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1, &[(MODEL_A, Signed, 3)], 200));
		assert_noop!(register(1, &[(MODEL_B, Signed, 3)], 200), Error::<Test>::AlreadyRegistered);
		assert_noop!(register(2, &[(MODEL_A, Signed, 3)], 99), Error::<Test>::StakeTooLow);
		assert_noop!(register(6, &[(MODEL_A, Signed, 3)], 100), Error::<Test>::InsufficientBalance);
		assert_noop!(register(2, &[], 200), Error::<Test>::NoServices);
		assert_noop!(
			register(2, &[(MODEL_A, Signed, 3), (MODEL_A, Signed, 4)], 200),
			Error::<Test>::DuplicateService
		);
		assert_noop!(register(2, &[(MODEL_A, Tee, 3)], 200), Error::<Test>::UnknownService);
		assert_noop!(
			register(2, &[(sp_core::H256::repeat_byte(9), Signed, 3)], 200),
			Error::<Test>::UnknownService
		);

		let mut bad = registration(&[(MODEL_A, Signed, 3)], 200);
		bad.capacity = 0;
		assert_noop!(Executors::register_executor(RuntimeOrigin::signed(2), bad.clone()), Error::<Test>::InvalidCapacity);
		bad.capacity = 9;
		assert_noop!(Executors::register_executor(RuntimeOrigin::signed(2), bad), Error::<Test>::InvalidCapacity);

		for (url, error) in [
			(&b"ftp://example.com"[..], Error::<Test>::EndpointScheme),
			(&b"http://exa mple.com"[..], Error::<Test>::EndpointMalformed),
			(&b"http://127.0.0.1:9000/jobs"[..], Error::<Test>::EndpointPrivate),
			(&b"http://169.254.169.254/"[..], Error::<Test>::EndpointPrivate),
		] {
			let mut bad = registration(&[(MODEL_A, Signed, 3)], 200);
			bad.endpoint = url.to_vec().try_into().unwrap();
			assert_noop!(Executors::register_executor(RuntimeOrigin::signed(2), bad), error);
		}
		check_invariants();
	});
}

#[test]
fn private_endpoints_are_accepted_where_the_chain_allows_them() {
	new_test_ext().execute_with(|| {
		let mut local = registration(&[(MODEL_A, Signed, 3)], 200);
		local.endpoint = b"http://127.0.0.1:9955/jobs".to_vec().try_into().unwrap();
		assert_noop!(
			Executors::register_executor(RuntimeOrigin::signed(2), local.clone()),
			Error::<Test>::EndpointPrivate
		);
		assert_noop!(
			Executors::set_endpoint_policy(RuntimeOrigin::signed(2), true),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(Executors::set_endpoint_policy(RuntimeOrigin::root(), true));
		System::assert_last_event(Event::EndpointPolicySet { allow_private: true }.into());
		assert_ok!(Executors::register_executor(RuntimeOrigin::signed(2), local));
	});
}

#[test]
fn a_service_holds_a_bounded_number_of_executors() {
	new_test_ext().execute_with(|| {
		for who in 1..=3 {
			assert_ok!(register(who, &[(MODEL_B, Signed, 1)], 100));
		}
		assert_noop!(register(4, &[(MODEL_B, Signed, 1)], 100), Error::<Test>::ServiceFull);
		check_invariants();
	});
}

#[test]
fn sybils_at_the_minimum_stake_cannot_hold_a_service_against_a_better_staked_newcomer() {
	new_test_ext().execute_with(|| {
		// Three sybils (the mock's MaxExecutorsPerService) fill MODEL_B's signed tier at the
		// minimum stake; the third also serves MODEL_A.
		for who in 1..=2 {
			assert_ok!(register(who, &[(MODEL_B, Signed, 1)], 100));
		}
		assert_ok!(register(3, &[(MODEL_B, Signed, 1), (MODEL_A, Signed, 1)], 100));
		// A newcomer staking as little gets no place: nothing changes.
		assert_noop!(register(4, &[(MODEL_B, Signed, 1)], 100), Error::<Test>::ServiceFull);
		// One staking more takes the place of the weakest (the earliest of equals).
		assert_ok!(register(4, &[(MODEL_B, Signed, 1)], 150));
		System::assert_has_event(Event::ExecutorDisplaced { executor: 1, by: 4, model: MODEL_B, mode: Signed }.into());
		let index: Vec<u64> = ServiceIndex::<Test>::get((MODEL_B, Signed)).iter().map(|(who, _)| *who).collect();
		assert_eq!(index, vec![2, 3, 4]);
		assert!(ExecutorsStorage::<Test>::get(1).unwrap().services.is_empty(), "it no longer lists the service");
		assert_eq!(staked(1), 100, "a displaced executor keeps its stake, to withdraw after deregistering");
		// The weakest is now 2 or 3 at 100; a newcomer at 150 displaces 2, not 4.
		assert_ok!(register(5, &[(MODEL_B, Signed, 1)], 150));
		let index: Vec<u64> = ServiceIndex::<Test>::get((MODEL_B, Signed)).iter().map(|(who, _)| *who).collect();
		assert_eq!(index, vec![3, 4, 5]);
		// Executor 3 keeps its other service.
		assert_eq!(ServiceIndex::<Test>::get((MODEL_A, Signed)).into_inner(), vec![(3, 1)]);
		check_invariants();
	});
}

#[test]
fn stale_executors_are_evicted_by_anyone_and_give_up_their_places_to_newcomers() {
	new_test_ext().execute_with(|| {
		for who in 1..=3 {
			assert_ok!(register(who, &[(MODEL_B, Signed, 1)], 100));
		}
		// Serving executors cannot be evicted.
		assert_noop!(Executors::evict(RuntimeOrigin::signed(5), 1), Error::<Test>::StillServing);
		assert_noop!(Executors::evict(RuntimeOrigin::signed(5), 4), Error::<Test>::NotRegistered);
		// All three go silent past the heartbeat timeout; 2 stays alive.
		System::set_block_number(1 + 20 + 1);
		assert_ok!(Executors::heartbeat(RuntimeOrigin::signed(2)));
		// A newcomer at the minimum stake takes a stale one's place (the first, 1).
		assert_ok!(register(4, &[(MODEL_B, Signed, 1)], 100));
		System::assert_has_event(Event::ExecutorDisplaced { executor: 1, by: 4, model: MODEL_B, mode: Signed }.into());
		// A stranger evicts the other stale one: it is deregistered, its stake kept for withdrawal.
		assert_ok!(Executors::evict(RuntimeOrigin::signed(5), 3));
		System::assert_last_event(Event::ExecutorEvicted { executor: 3, by: 5, until: 22 + 10 }.into());
		assert!(matches!(ExecutorsStorage::<Test>::get(3).unwrap().status, ExecutorStatus::Unbonding { until: 32 }));
		let index: Vec<u64> = ServiceIndex::<Test>::get((MODEL_B, Signed)).iter().map(|(who, _)| *who).collect();
		assert_eq!(index, vec![2, 4]);
		assert_noop!(Executors::evict(RuntimeOrigin::signed(5), 3), Error::<Test>::Unbonding);
		assert_noop!(Executors::evict(RuntimeOrigin::signed(5), 2), Error::<Test>::StillServing);
		check_invariants();
	});
}

#[test]
fn eligibility_needs_capacity_heartbeat_and_stake() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1, &[(MODEL_A, Signed, 3)], 100));
		// Capacity 2.
		Provider::job_assigned(&1);
		Provider::job_assigned(&1);
		assert!(Provider::eligible(&MODEL_A, Signed).is_empty(), "full");
		Provider::job_ended(&1, JobOutcome::Completed);
		assert_eq!(Provider::eligible(&MODEL_A, Signed).len(), 1);

		// Heartbeat timeout: 20 blocks.
		System::set_block_number(22);
		assert!(Provider::eligible(&MODEL_A, Signed).is_empty(), "stale heartbeat");
		assert_ok!(Executors::heartbeat(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::Heartbeat { executor: 1 }.into());
		assert_eq!(Provider::eligible(&MODEL_A, Signed).len(), 1);
		assert_noop!(Executors::heartbeat(RuntimeOrigin::signed(2)), Error::<Test>::NotRegistered);

		// At most the configured share of the stake is slashable; a slash moves what it is
		// asked, and one below the minimum stake makes the executor ineligible.
		assert_eq!(Provider::slashable(&1), 10);
		assert_eq!(Provider::slashable(&2), 0, "not registered");
		assert_eq!(Provider::slash(&1, &5, 0), 0);
		assert_eq!(Provider::slash(&1, &5, 10), 10);
		System::assert_last_event(Event::ExecutorSlashed { executor: 1, beneficiary: 5, amount: 10 }.into());
		assert_eq!(Balances::free_balance(5), 1010);
		assert_eq!(staked(1), 90);
		assert!(Provider::eligible(&MODEL_A, Signed).is_empty(), "stake below minimum");
		check_invariants();
	});
}

#[test]
fn stats_count_outcomes() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1, &[(MODEL_A, Signed, 3)], 100));
		for outcome in [JobOutcome::Completed, JobOutcome::Failed, JobOutcome::Expired, JobOutcome::Cancelled] {
			Provider::job_assigned(&1);
			Provider::job_ended(&1, outcome);
		}
		let info = ExecutorsStorage::<Test>::get(1).unwrap();
		assert_eq!((info.stats.completed, info.stats.failed, info.stats.expired), (1, 1, 1));
		assert_eq!(info.active_jobs, 0);
	});
}

#[test]
fn deregister_then_withdraw_after_unbonding_with_no_open_job() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(1, &[(MODEL_A, Signed, 3), (MODEL_B, Signed, 1)], 150));
		assert_ok!(register(2, &[(MODEL_A, Signed, 4)], 150));
		Provider::job_assigned(&1);

		assert_noop!(Executors::withdraw(RuntimeOrigin::signed(1)), Error::<Test>::NotUnbonding);
		assert_ok!(Executors::deregister(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::ExecutorDeregistered { executor: 1, until: 11 }.into());
		assert_eq!(ExecutorsStorage::<Test>::get(1).unwrap().status, ExecutorStatus::Unbonding { until: 11 });
		assert_eq!(ServiceIndex::<Test>::get((MODEL_A, Signed)).into_inner(), vec![(2, 4)]);
		assert!(!ServiceIndex::<Test>::contains_key((MODEL_B, Signed)), "empty index removed");
		assert_noop!(Executors::deregister(RuntimeOrigin::signed(1)), Error::<Test>::Unbonding);
		assert_noop!(Executors::heartbeat(RuntimeOrigin::signed(1)), Error::<Test>::Unbonding);

		assert_noop!(Executors::withdraw(RuntimeOrigin::signed(1)), Error::<Test>::StillUnbonding);
		System::set_block_number(11);
		assert_noop!(Executors::withdraw(RuntimeOrigin::signed(1)), Error::<Test>::OpenJobs);
		Provider::job_ended(&1, JobOutcome::Completed);
		assert_ok!(Executors::withdraw(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::StakeWithdrawn { executor: 1, stake: 150 }.into());
		assert_eq!(staked(1), 0);
		assert!(ExecutorsStorage::<Test>::get(1).is_none());
		assert_noop!(Executors::withdraw(RuntimeOrigin::signed(1)), Error::<Test>::NotRegistered);
		check_invariants();
	});
}
