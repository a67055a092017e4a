//! Fuzzes what the runtime hands the DCAP host function: arbitrary quote bytes with SCALE
//! collateral, and arbitrary quotes against the test PKI's valid collateral (so that the quote
//! parser and every check after the collateral's are reached). Nothing may panic; every input
//! gets a verdict or a `QuoteError`.
#![no_main]

use std::sync::OnceLock;

use codec::Decode;
use libfuzzer_sys::fuzz_target;
use verity_tee::{test_pki, verify_quote, Collateral, TEST_ROOT_CA_DER};

/// 2026-11-22: inside the test collateral's validity.
const NOW: u64 = 1_795_305_600;

fuzz_target!(|data: &[u8]| {
	static TEST_COLLATERAL: OnceLock<Collateral> = OnceLock::new();
	let test_collateral = TEST_COLLATERAL.get_or_init(test_pki::collateral);
	let _ = verify_quote(data, test_collateral, TEST_ROOT_CA_DER, NOW);

	// The first two bytes split the rest into a quote and SCALE-encoded collateral.
	if let [low, high, rest @ ..] = data {
		let (quote, collateral) = rest.split_at(usize::from(u16::from_le_bytes([*low, *high])).min(rest.len()));
		if let Ok(collateral) = Collateral::decode(&mut &collateral[..]) {
			let _ = verify_quote(quote, &collateral, TEST_ROOT_CA_DER, NOW);
			let _ = verify_quote(quote, &collateral, verity_tee::INTEL_SGX_ROOT_CA_DER, NOW);
		}
	}
});
