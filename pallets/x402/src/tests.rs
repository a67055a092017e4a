//! Unit tests of the x402 pallet: every call's success and failure paths, window edges,
//! replays, `upto`, pruning, `verify_payment`, and the pallet's invariants after each test.

use frame_support::{assert_noop, assert_ok};
use sp_core::{ecdsa, ed25519, Pair};
use sp_runtime::{DispatchError, MultiSignature};
use verity_primitives::x402::{
	PaymentAuthorizer, PaymentError, PaymentPayload, PaymentRequirements, PaymentScheme, SchemeKind,
};

use crate::{mock::*, Error, Event, ExpiringNonces, NextPruneMinute, UsedNonces};

fn native(who: &AccountId) -> u128 {
	Balances::free_balance(who)
}

fn settle(
	authorization: &crate::AuthorizationOf<Test>,
	signature: MultiSignature,
) -> sp_runtime::DispatchResult {
	X402::settle(RuntimeOrigin::signed(charlie()), authorization.clone(), signature)
}

fn alice_signs(authorization: &crate::AuthorizationOf<Test>) -> MultiSignature {
	sign(&pair("Alice"), authorization)
}

#[test]
fn exact_settlement_moves_exactly_value() {
	run(|| {
		let authorization = authorization(1);
		assert_ok!(settle(&authorization, alice_signs(&authorization)));
		assert_eq!(native(&alice()), 1_000_000 - 1_000);
		assert_eq!(native(&bob()), 1_000 + 1_000);
		// The submitter paid nothing but (outside this test) the transaction fee.
		assert_eq!(native(&charlie()), 1_000);
		let used = UsedNonces::<Test>::get(alice(), [1; 32]).unwrap();
		assert_eq!((used.valid_before, used.settled_at), (START + 60, 1));
		System::assert_last_event(
			Event::Settled {
				payer: alice(),
				to: bob(),
				asset: AssetKind::Native,
				amount: 1_000,
				nonce: [1; 32],
				scheme: SchemeKind::Exact,
			}
			.into(),
		);
	});
}

/// Item 15 of the hardening issue: anyone may create an asset and name it like the listed stable
/// asset; a payment in it is refused, whatever its name, and nothing moves.
#[test]
fn a_payment_in_an_unlisted_asset_named_like_vusd_is_refused() {
	run(|| {
		const LOOKALIKE: u32 = 66;
		assert_ok!(Assets::create(RuntimeOrigin::signed(bob()), LOOKALIKE, bob(), 1));
		assert_ok!(Assets::set_metadata(RuntimeOrigin::signed(bob()), LOOKALIKE, b"vUSD".to_vec(), b"vUSD".to_vec(), 6));
		assert_ok!(Assets::mint(RuntimeOrigin::signed(bob()), LOOKALIKE, alice(), 1_000_000));
		let mut authorization = authorization(1);
		authorization.asset = AssetKind::WithId(LOOKALIKE);
		assert_noop!(
			settle(&authorization, alice_signs(&authorization)),
			Error::<Test>::Payment(PaymentError::UnsupportedAsset)
		);
		assert_eq!(Assets::balance(LOOKALIKE, alice()), 1_000_000);
		// Nor may it pay for a job.
		assert_eq!(
			<X402 as PaymentAuthorizer<_, _>>::consume(&authorization, &alice_signs(&authorization)),
			Err(PaymentError::UnsupportedAsset)
		);
	});
}

#[test]
fn settles_in_a_pallet_assets_asset() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.asset = AssetKind::WithId(USD);
		assert_ok!(settle(&authorization, alice_signs(&authorization)));
		assert_eq!(Assets::balance(USD, alice()), 1_000_000 - 1_000);
		assert_eq!(Assets::balance(USD, bob()), 1_000);
		assert_eq!(native(&alice()), 1_000_000);
	});
}

#[test]
fn accepts_wallet_wrapped_bytes_and_every_signature_scheme() {
	run(|| {
		// sr25519 over `<Bytes>payload</Bytes>`, as polkadot.js signRaw produces it.
		let authorization = authorization(1);
		let wrapped: MultiSignature = pair("Alice").sign(&authorization.wrapped_signing_payload()).into();
		assert_ok!(settle(&authorization, wrapped));

		// ed25519 and ecdsa payers.
		let ed = ed25519::Pair::from_string("//Dave", None).unwrap();
		let ec = ecdsa::Pair::from_string("//Eve", None).unwrap();
		for (from, sign) in [
			(account(&ed), Box::new(move |m: &[u8]| MultiSignature::from(ed.sign(m))) as Box<dyn Fn(&[u8]) -> MultiSignature>),
			(account(&ec), Box::new(move |m: &[u8]| MultiSignature::from(ec.sign(m)))),
		] {
			let _ = Balances::force_set_balance(RuntimeOrigin::root(), from.clone(), 10_000);
			let mut authorization = crate::mock::authorization(2);
			authorization.from = from.clone();
			assert_ok!(settle(&authorization, sign(&authorization.signing_payload())));
			assert_eq!(native(&from), 9_000);
		}
	});
}

#[test]
fn a_signature_that_does_not_match_is_refused() {
	run(|| {
		let authorization = authorization(1);
		// Signed by someone else.
		assert_noop!(settle(&authorization, sign(&pair("Bob"), &authorization)), Error::<Test>::Payment(PaymentError::InvalidSignature));
		// Every field is signed: change any one and the signature no longer matches.
		let signature = alice_signs(&authorization);
		let tampered = [
			crate::AuthorizationOf::<Test> { to: charlie(), ..authorization.clone() },
			crate::AuthorizationOf::<Test> { value: 1_001, ..authorization.clone() },
			crate::AuthorizationOf::<Test> { asset: AssetKind::WithId(USD), ..authorization.clone() },
			crate::AuthorizationOf::<Test> { valid_before: START + 59, ..authorization.clone() },
			crate::AuthorizationOf::<Test> { valid_after: START - 599, ..authorization.clone() },
			crate::AuthorizationOf::<Test> { nonce: [9; 32], ..authorization.clone() },
		];
		for authorization in tampered {
			assert_noop!(settle(&authorization, signature.clone()), Error::<Test>::Payment(PaymentError::InvalidSignature));
		}
		// Signature over the SCALE bytes without the domain.
		let undomained: MultiSignature = pair("Alice").sign(&codec::Encode::encode(&authorization)).into();
		assert_noop!(settle(&authorization, undomained), Error::<Test>::Payment(PaymentError::InvalidSignature));
	});
}

#[test]
fn the_window_is_exclusive_at_both_ends() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.valid_after = START;
		let signature = alice_signs(&authorization);
		// now == valid_after: not yet.
		assert_noop!(settle(&authorization, signature.clone()), Error::<Test>::Payment(PaymentError::NotYetValid));
		set_time(START + 1);
		assert_ok!(settle(&authorization, signature));

		let mut authorization = crate::mock::authorization(2);
		authorization.valid_before = START + 10;
		let signature = alice_signs(&authorization);
		// now == valid_before: closed.
		set_time(START + 10);
		assert_noop!(settle(&authorization, signature.clone()), Error::<Test>::Payment(PaymentError::Expired));
		set_time(START + 9);
		assert_ok!(settle(&authorization, signature));
	});
}

#[test]
fn a_window_longer_than_max_validity_is_refused() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.valid_before = START + 3_601;
		assert_noop!(settle(&authorization, alice_signs(&authorization)), Error::<Test>::Payment(PaymentError::WindowTooLong));
		authorization.valid_before = START + 3_600;
		assert_ok!(settle(&authorization, alice_signs(&authorization)));
	});
}

#[test]
fn a_used_nonce_is_refused_but_other_payers_may_use_it() {
	run(|| {
		let authorization = authorization(1);
		let signature = alice_signs(&authorization);
		assert_ok!(settle(&authorization, signature.clone()));
		assert_noop!(settle(&authorization, signature), Error::<Test>::Payment(PaymentError::NonceUsed));
		// Same nonce, another value: still a replay of the nonce.
		let mut again = authorization.clone();
		again.value = 5;
		assert_noop!(settle(&again, alice_signs(&again)), Error::<Test>::Payment(PaymentError::NonceUsed));
		// Bob's nonce space is his own.
		let mut bobs = authorization.clone();
		bobs.from = bob();
		bobs.to = alice();
		bobs.value = 100;
		assert_ok!(settle(&bobs, sign(&pair("Bob"), &bobs)));
	});
}

#[test]
fn another_network_is_refused() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.network = sp_core::H256::repeat_byte(0x01);
		assert_noop!(settle(&authorization, alice_signs(&authorization)), Error::<Test>::Payment(PaymentError::InvalidNetwork));
	});
}

#[test]
fn insufficient_balance_and_failed_transfers_change_nothing() {
	run(|| {
		// More than Alice has, and exactly what would reap her account.
		for value in [2_000_000, 1_000_000] {
			let mut authorization = authorization(1);
			authorization.value = value;
			assert_noop!(settle(&authorization, alice_signs(&authorization)), Error::<Test>::Payment(PaymentError::InsufficientFunds));
		}
		// A payer with nothing.
		let mut authorization = authorization(1);
		authorization.from = broke();
		assert_noop!(
			settle(&authorization, sign(&pair("Broke"), &authorization)),
			Error::<Test>::Payment(PaymentError::InsufficientFunds)
		);
		// A new recipient would be left below the existential deposit.
		let mut authorization = crate::mock::authorization(1);
		authorization.to = account(&pair("Nobody"));
		authorization.value = 5;
		assert_noop!(settle(&authorization, alice_signs(&authorization)), Error::<Test>::Payment(PaymentError::TransferFailed));
	});
}

#[test]
fn the_escrow_binding_cannot_be_paid_by_transfer() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.to = Escrow::get();
		assert_noop!(settle(&authorization, alice_signs(&authorization)), Error::<Test>::EscrowOnly);
	});
}

#[test]
fn unsigned_origins_are_refused() {
	run(|| {
		let authorization = authorization(1);
		assert_noop!(
			X402::settle(RuntimeOrigin::none(), authorization.clone(), alice_signs(&authorization)),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn upto_settles_at_most_the_maximum_and_only_by_the_facilitator() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.scheme = PaymentScheme::Upto { facilitator: charlie() };
		let signature = alice_signs(&authorization);
		let upto = |who: AccountId, amount| {
			X402::settle_upto(RuntimeOrigin::signed(who), authorization.clone(), signature.clone(), amount)
		};
		assert_noop!(upto(bob(), 500), Error::<Test>::Payment(PaymentError::FacilitatorMismatch));
		assert_noop!(upto(charlie(), 1_001), Error::<Test>::Payment(PaymentError::AmountExceedsMaximum));
		// `settle` is for exact authorizations only.
		assert_noop!(settle(&authorization, signature.clone()), Error::<Test>::Payment(PaymentError::InvalidScheme));
		assert_ok!(upto(charlie(), 400));
		assert_eq!(native(&alice()), 1_000_000 - 400);
		assert_eq!(native(&bob()), 1_400);
		System::assert_last_event(
			Event::Settled {
				payer: alice(),
				to: bob(),
				asset: AssetKind::Native,
				amount: 400,
				nonce: [1; 32],
				scheme: SchemeKind::Upto,
			}
			.into(),
		);
		// Settled once: the rest of the maximum cannot be taken later.
		assert_noop!(upto(charlie(), 600), Error::<Test>::Payment(PaymentError::NonceUsed));

		// An exact authorization cannot be settled as upto.
		let exact = crate::mock::authorization(2);
		assert_noop!(
			X402::settle_upto(RuntimeOrigin::signed(charlie()), exact.clone(), alice_signs(&exact), 1),
			Error::<Test>::Payment(PaymentError::InvalidScheme)
		);
	});
}

/// Before the fix a zero-value payment settled: whoever submitted it paid a fee for nothing
/// (through a public facilitator, the facilitator did), and an `upto` payment settled at 0 used
/// up the nonce its resource server was about to settle.
#[test]
fn a_payment_settled_at_zero_is_refused_so_no_one_burns_a_nonce_or_a_facilitators_fees() {
	run(|| {
		let mut upto = crate::mock::authorization(3);
		upto.scheme = PaymentScheme::Upto { facilitator: charlie() };
		assert_noop!(
			X402::settle_upto(RuntimeOrigin::signed(charlie()), upto.clone(), alice_signs(&upto), 0),
			Error::<Test>::Payment(PaymentError::ZeroAmount)
		);
		let mut exact = crate::mock::authorization(4);
		exact.value = 0;
		assert_noop!(settle(&exact, alice_signs(&exact)), Error::<Test>::Payment(PaymentError::ZeroAmount));
		let payload = PaymentPayload { signature: alice_signs(&exact), authorization: exact };
		let requirements =
			PaymentRequirements { scheme: SchemeKind::Exact, asset: AssetKind::Native, amount: 0, pay_to: bob() };
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Err(PaymentError::ZeroAmount));
		assert!(UsedNonces::<Test>::iter().next().is_none());
	});
}

/// Before the fix `verify` answered yes to payments that would not settle, and the facilitator
/// paid the fee of every failed settlement: a window closing before the next block, a
/// recipient the transfer would leave below the minimum balance, a payer whose funds the
/// facilitator's settlements in flight already spend.
#[test]
fn verify_says_yes_only_to_a_payment_that_settles_in_the_next_block() {
	run(|| {
		let authorization = authorization(1);
		let payload = PaymentPayload { signature: alice_signs(&authorization), authorization: authorization.clone() };
		let requirements =
			PaymentRequirements { scheme: SchemeKind::Exact, asset: AssetKind::Native, amount: 1_000, pay_to: bob() };
		// The window closes at START + 60: within the 12-second margin, verify refuses.
		set_time(START + 48);
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Err(PaymentError::Expired));
		set_time(START + 47);
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Ok(alice()));

		// Alice's 1_000_000 less the minimum balance is spendable: with 999_000 in flight, a
		// payment of 1_000 no longer fits.
		assert_eq!(X402::verify_payment(&payload, &requirements, 998_990), Ok(alice()));
		assert_eq!(X402::verify_payment(&payload, &requirements, 998_991), Err(PaymentError::InsufficientFunds));

		// 5 native to an account that does not exist: below its minimum balance of 10.
		let mut dust = crate::mock::authorization(2);
		(dust.to, dust.value) = (broke(), 5);
		let dust = PaymentPayload { signature: alice_signs(&dust.clone()), authorization: dust };
		let to_broke = PaymentRequirements { amount: 5, pay_to: broke(), ..requirements.clone() };
		assert_eq!(X402::verify_payment(&dust, &to_broke, 0), Err(PaymentError::TransferFailed));
		assert_noop!(
			settle(&dust.authorization, dust.signature.clone()),
			Error::<Test>::Payment(PaymentError::TransferFailed)
		);
	});
}

#[test]
fn consume_uses_the_nonce_and_moves_no_funds() {
	run(|| {
		let mut authorization = authorization(1);
		authorization.to = Escrow::get();
		let signature = alice_signs(&authorization);
		assert_ok!(<X402 as PaymentAuthorizer<_, _>>::consume(&authorization, &signature));
		assert_eq!(native(&alice()), 1_000_000);
		assert!(UsedNonces::<Test>::contains_key(alice(), [1; 32]));
		assert_noop!(
			<X402 as PaymentAuthorizer<_, _>>::consume(&authorization, &signature),
			PaymentError::NonceUsed
		);
		let mut upto = crate::mock::authorization(2);
		upto.scheme = PaymentScheme::Upto { facilitator: charlie() };
		assert_noop!(
			<X402 as PaymentAuthorizer<_, _>>::consume(&upto, &alice_signs(&upto)),
			PaymentError::InvalidScheme
		);
	});
}

#[test]
fn nonces_are_pruned_once_their_window_closes_a_bounded_number_per_block() {
	run(|| {
		next_block_at(START);
		assert_eq!(NextPruneMinute::<Test>::get(), Some(START / 60));
		// Five nonces closing at START + 60, one closing an hour later.
		for n in 1..=5 {
			let authorization = authorization(n);
			assert_ok!(settle(&authorization, alice_signs(&authorization)));
		}
		let mut late = authorization(6);
		late.valid_before = START + 3_600;
		assert_ok!(settle(&late, alice_signs(&late)));
		assert_eq!(UsedNonces::<Test>::iter().count(), 6);

		// Before the window closes nothing goes.
		next_block_at(START + 59);
		assert_eq!(UsedNonces::<Test>::iter().count(), 6);
		// After: three storage items per block (MaxPrunesPerBlock): stepping over the empty
		// minute counts as one, then two nonces; the next block takes the other three.
		next_block_at(START + 180);
		assert_eq!(UsedNonces::<Test>::iter().count(), 4);
		X402::do_try_state().unwrap();
		next_block_at(START + 186);
		assert_eq!(UsedNonces::<Test>::iter().count(), 1);
		assert!(UsedNonces::<Test>::contains_key(alice(), [6; 32]));
		// A pruned nonce cannot be replayed: its window is closed.
		let first = authorization(1);
		assert_noop!(settle(&first, alice_signs(&first)), Error::<Test>::Payment(PaymentError::Expired));

		// An hour later the last goes too (the cursor walks the minutes in between, three
		// storage items per block) and the storage is empty.
		for t in 0..25 {
			next_block_at(START + 3_700 + t);
		}
		assert_eq!(UsedNonces::<Test>::iter().count(), 0);
		assert_eq!(ExpiringNonces::<Test>::iter().count(), 0);
		// With nothing kept, the cursor jumps to now instead of walking the minutes.
		next_block_at(START + 1_000_000);
		assert_eq!(NextPruneMinute::<Test>::get(), Some((START + 1_000_000) / 60));
	});
}

#[test]
fn verify_payment_reports_the_payer_or_the_reason_and_writes_nothing() {
	run(|| {
		let authorization = authorization(1);
		let payload = PaymentPayload { signature: alice_signs(&authorization), authorization: authorization.clone() };
		let requirements = PaymentRequirements {
			scheme: SchemeKind::Exact,
			asset: AssetKind::Native,
			amount: 1_000,
			pay_to: bob(),
		};
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Ok(alice()));
		assert!(UsedNonces::<Test>::iter().next().is_none());

		let refused = |requirements: PaymentRequirements<AccountId, AssetKind>| {
			X402::verify_payment(&payload, &requirements, 0).unwrap_err()
		};
		assert_eq!(refused(PaymentRequirements { scheme: SchemeKind::Upto, ..requirements.clone() }), PaymentError::InvalidScheme);
		assert_eq!(refused(PaymentRequirements { asset: AssetKind::WithId(USD), ..requirements.clone() }), PaymentError::AssetMismatch);
		assert_eq!(refused(PaymentRequirements { pay_to: charlie(), ..requirements.clone() }), PaymentError::RecipientMismatch);
		assert_eq!(refused(PaymentRequirements { amount: 999, ..requirements.clone() }), PaymentError::ValueMismatch);
		// A job payment verifies as a transfer to nowhere: refused, it settles only through
		// `inference.submit_paid`.
		let mut to_escrow = authorization.clone();
		to_escrow.to = Escrow::get();
		let to_escrow = PaymentPayload { signature: alice_signs(&to_escrow), authorization: to_escrow };
		assert_eq!(
			X402::verify_payment(&to_escrow, &PaymentRequirements { pay_to: Escrow::get(), ..requirements.clone() }, 0),
			Err(PaymentError::RecipientMismatch)
		);

		let mut bad = payload.clone();
		bad.signature = sign(&pair("Bob"), &authorization);
		assert_eq!(X402::verify_payment(&bad, &requirements, 0), Err(PaymentError::InvalidSignature));
		set_time(START + 60);
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Err(PaymentError::Expired));
		set_time(START - 600);
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Err(PaymentError::NotYetValid));
		set_time(START);

		let mut rich = authorization.clone();
		rich.value = 5_000_000;
		let rich = PaymentPayload { signature: alice_signs(&rich), authorization: rich };
		assert_eq!(
			X402::verify_payment(&rich, &PaymentRequirements { amount: 5_000_000, ..requirements.clone() }, 0),
			Err(PaymentError::InsufficientFunds)
		);

		assert_ok!(settle(&authorization, payload.signature.clone()));
		assert_eq!(X402::verify_payment(&payload, &requirements, 0), Err(PaymentError::NonceUsed));

		// upto: an amount at most the maximum verifies.
		let mut upto = crate::mock::authorization(2);
		upto.scheme = PaymentScheme::Upto { facilitator: charlie() };
		let upto = PaymentPayload { signature: alice_signs(&upto), authorization: upto };
		let upto_requirements = PaymentRequirements { scheme: SchemeKind::Upto, amount: 700, ..requirements.clone() };
		assert_eq!(X402::verify_payment(&upto, &upto_requirements, 0), Ok(alice()));
		assert_eq!(
			X402::verify_payment(&upto, &PaymentRequirements { amount: 1_001, ..upto_requirements }, 0),
			Err(PaymentError::AmountExceedsMaximum)
		);
	});
}

#[test]
fn supported_lists_both_schemes_in_every_asset() {
	run(|| {
		let kinds: Vec<_> = X402::supported().into_iter().map(|k| (k.scheme, k.asset)).collect();
		assert_eq!(
			kinds,
			vec![
				(SchemeKind::Exact, AssetKind::Native),
				(SchemeKind::Upto, AssetKind::Native),
				(SchemeKind::Exact, AssetKind::WithId(USD)),
				(SchemeKind::Upto, AssetKind::WithId(USD)),
			]
		);
	});
}

#[test]
fn a_refused_payment_is_one_nested_error_with_its_x402_reason() {
	use codec::Encode;
	use verity_primitives::x402::PaymentError as E;
	// The pallet error names the x402 reason itself: `Payment(reason)`, two bytes in a module
	// error (docs/x402.md).
	assert_eq!(Error::<Test>::Payment(E::NonceUsed).encode(), vec![0, 8]);
	assert_eq!(Error::<Test>::Payment(E::NonceUsed).payment_error(), E::NonceUsed);
	assert_eq!(Error::<Test>::EscrowOnly.payment_error(), E::RecipientMismatch);
	assert_eq!(E::InsufficientFunds.reason(), "insufficient_funds");
	assert_eq!(E::InvalidSignature.reason(), "invalid_exact_substrate_payload_signature");
}
