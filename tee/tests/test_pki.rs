//! The TEST ONLY PKI's quotes are genuine DCAP quotes in form: `dcap-qvl` accepts them against
//! the test root, with the measurement and report data they were made with, and refuses them
//! against Intel's root (and Intel's quotes against the test root).

use verity_tee::{
	test_pki::{collateral, TestEnclave, TEST_ROOT_CA_DER},
	verify_quote, QuoteError, TcbStatus, INTEL_SGX_ROOT_CA_DER,
};

/// 2026-11-22T00:00:00Z; the test collateral is valid from 2025 to 2049.
const NOW: u64 = 1_795_305_600;

const ENCLAVE: TestEnclave =
	TestEnclave { mr_enclave: [7; 32], mr_signer: [9; 32], isv_prod_id: 3, isv_svn: 2 };

#[test]
fn a_test_quote_verifies_against_the_test_root_with_its_measurement_and_report_data() {
	let report_data = [0xab; 64];
	let verdict = verify_quote(&ENCLAVE.quote(&report_data), &collateral(), TEST_ROOT_CA_DER, NOW).unwrap();
	assert_eq!(verdict.measurement, ENCLAVE.measurement());
	assert_eq!(verdict.report_data, report_data);
	assert_eq!(verdict.tcb_status, TcbStatus::UpToDate);
	assert!(verdict.advisory_ids.is_empty());
}

#[test]
fn a_test_quote_is_refused_against_intels_root_and_outside_the_collateral_validity() {
	let quote = ENCLAVE.quote(&[0; 64]);
	assert_eq!(
		verify_quote(&quote, &collateral(), INTEL_SGX_ROOT_CA_DER, NOW),
		Err(QuoteError::UntrustedCertificateChain)
	);
	// 2024-06-01, before the test PKI's certificates and collateral were issued.
	assert_eq!(
		verify_quote(&quote, &collateral(), TEST_ROOT_CA_DER, 1_717_200_000),
		Err(QuoteError::CollateralExpired)
	);
}

#[test]
fn a_changed_report_data_breaks_the_attestation_keys_signature() {
	let mut quote = ENCLAVE.quote(&[1; 64]);
	quote[48 + 320] ^= 1;
	assert_eq!(
		verify_quote(&quote, &collateral(), TEST_ROOT_CA_DER, NOW),
		Err(QuoteError::BadQuoteSignature)
	);
}
