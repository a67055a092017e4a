//! The check itself, natively, with `dcap-qvl`.

use alloc::{string::String, vec::Vec};
use dcap_qvl::{quote::Report, verify::QuoteVerifier, QuoteCollateralV3};

use crate::{Collateral, Measurement, QuoteError, TcbStatus, Verdict, MAX_ADVISORIES, MAX_ADVISORY_ID_LEN};

/// Verifies an Intel DCAP `quote` (SGX v3, TDX v4/v5) with its `collateral` against the DER
/// `root_ca_der` at unix time `now_secs`: the PCK certificate chain and CRLs up to the root,
/// the quoting enclave's report and identity, the quote's signature, and the TCB level the
/// platform matches. The verdict carries the TCB status whatever it is, `Revoked` excepted;
/// which statuses to accept is the caller's policy.
pub fn verify_quote(
	quote: &[u8],
	collateral: &Collateral,
	root_ca_der: &[u8],
	now_secs: u64,
) -> Result<Verdict, QuoteError> {
	let collateral = qvl_collateral(collateral)?;
	let report = QuoteVerifier::new(root_ca_der.to_vec())
		.verify(quote, &collateral, now_secs)
		.map_err(|e| classify(&format!("{e:#}")))?;
	let measurement = match &report.report {
		Report::SgxEnclave(enclave) => Measurement::Sgx {
			mr_enclave: enclave.mr_enclave,
			mr_signer: enclave.mr_signer,
			isv_prod_id: enclave.isv_prod_id,
			isv_svn: enclave.isv_svn,
		},
		other => {
			let td = other.as_td10().ok_or(QuoteError::UnsupportedQuote)?;
			Measurement::Tdx { mr_td: td.mr_td, rtmrs: [td.rt_mr0, td.rt_mr1, td.rt_mr2, td.rt_mr3] }
		},
	};
	let report_data = match &report.report {
		Report::SgxEnclave(enclave) => enclave.report_data,
		other => other.as_td10().ok_or(QuoteError::UnsupportedQuote)?.report_data,
	};
	Ok(Verdict {
		measurement,
		report_data,
		tcb_status: tcb_status(&report.status)?,
		advisory_ids: report
			.advisory_ids
			.iter()
			.take(MAX_ADVISORIES)
			.map(|id| id.as_bytes()[..id.len().min(MAX_ADVISORY_ID_LEN)].to_vec())
			.collect(),
	})
}

/// `dcap-qvl`'s collateral from ours: the same fields, text checked to be UTF-8.
fn qvl_collateral(collateral: &Collateral) -> Result<QuoteCollateralV3, QuoteError> {
	let text = |bytes: &Vec<u8>| String::from_utf8(bytes.clone()).map_err(|_| QuoteError::MalformedCollateral);
	Ok(QuoteCollateralV3 {
		pck_crl_issuer_chain: text(&collateral.pck_crl_issuer_chain)?,
		root_ca_crl: collateral.root_ca_crl.clone(),
		pck_crl: collateral.pck_crl.clone(),
		tcb_info_issuer_chain: text(&collateral.tcb_info_issuer_chain)?,
		tcb_info: text(&collateral.tcb_info)?,
		tcb_info_signature: collateral.tcb_info_signature.clone(),
		qe_identity_issuer_chain: text(&collateral.qe_identity_issuer_chain)?,
		qe_identity: text(&collateral.qe_identity)?,
		qe_identity_signature: collateral.qe_identity_signature.clone(),
		pck_certificate_chain: collateral.pck_certificate_chain.as_ref().map(text).transpose()?,
	})
}

fn tcb_status(status: &str) -> Result<TcbStatus, QuoteError> {
	Ok(match status {
		"UpToDate" => TcbStatus::UpToDate,
		"SWHardeningNeeded" => TcbStatus::SwHardeningNeeded,
		"ConfigurationNeeded" => TcbStatus::ConfigurationNeeded,
		"ConfigurationAndSWHardeningNeeded" => TcbStatus::ConfigurationAndSwHardeningNeeded,
		"OutOfDate" => TcbStatus::OutOfDate,
		"OutOfDateConfigurationNeeded" => TcbStatus::OutOfDateConfigurationNeeded,
		"Revoked" => return Err(QuoteError::TcbRevoked),
		"TDRelaunchAdvised" | "TDRelaunchAdvisedConfigurationNeeded" => TcbStatus::TdRelaunchAdvised,
		_ => return Err(QuoteError::Other),
	})
}

/// The refusal, from `dcap-qvl`'s error chain (its errors are messages): the first rule that
/// matches, most specific first.
fn classify(message: &str) -> QuoteError {
	const RULES: &[(&[&str], QuoteError)] = &[
		(&["Revoked"], QuoteError::TcbRevoked),
		(&["revoked", "CertRevoked"], QuoteError::RevokedCertificate),
		(&["expired", "Expired", "in the future", "NotValidYet", "not valid"], QuoteError::CollateralExpired),
		(&["Signature is invalid for tcb_info", "Signature is invalid for qe_identity"], QuoteError::BadCollateralSignature),
		(&["qe_report", "QE report", "QE Identity", "QE ISVSVN", "MRSIGNER", "ISVPRODID", "MISCSELECT"], QuoteError::BadQeReport),
		(&["ISV enclave report signature"], QuoteError::BadQuoteSignature),
		(&["Debug mode", "profiling", "migration", "SERVTD", "SEPT_VE", "Reserved bits", "service TD"], QuoteError::InsecureEnclave),
		(&["Fmspc", "TCB level", "non-TDX TCB", "non-SGX TCB", "module identity", "module TCB"], QuoteError::TcbMismatch),
		(
			&["Unsupported", "Unknown QE vendor", "must have version"],
			QuoteError::UnsupportedQuote,
		),
		(&["decode quote", "quote too short", "Failed to decode quote"], QuoteError::MalformedQuote),
		(
			&["root ca", "root CA", "UnknownIssuer", "BadSignature", "issuer", "chain", "certificate"],
			QuoteError::UntrustedCertificateChain,
		),
		(&["TcbInfo", "QeIdentity", "CRL", "PEM", "pem", "parse", "decode", "Decode"], QuoteError::MalformedCollateral),
	];
	RULES
		.iter()
		.find(|(needles, _)| needles.iter().any(|needle| message.contains(needle)))
		.map_or(QuoteError::Other, |(_, error)| *error)
}
