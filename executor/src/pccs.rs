//! The collateral of a quote, from a PCCS or Intel's PCS (API v4): the PCK CRL and its issuer
//! chain, the TCB info and the QE identity (each with its signature and issuer chain), and the
//! root CA's CRL. The same requests as `dcap-qvl`'s collateral client, over the executor's own
//! HTTPS client: that client's `report` feature would pull reqwest into the node's build.

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use verity_tee::Collateral;

/// Intel's root CA CRL, where Intel's PCS (which has no `rootcacrl` route) is used.
const INTEL_ROOT_CA_CRL_URL: &str = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";

/// Fetches the collateral of `quote` from the PCCS (or PCS) at `base`.
pub async fn fetch_collateral(base: &str, quote: &[u8]) -> anyhow::Result<Collateral> {
	let base = base.trim_end_matches('/');
	let parsed = dcap_qvl::quote::Quote::parse(quote).context("the quote does not parse")?;
	let fmspc = hex::encode_upper(dcap_qvl::intel::quote_fmspc(&parsed).context("no FMSPC in the quote's PCK certificate")?);
	let ca = dcap_qvl::intel::quote_ca(&parsed).context("no PCK CA in the quote's PCK certificate")?.as_id_str();
	let tee = if parsed.header.is_sgx() { "sgx" } else { "tdx" };
	let http = verity_client::pay::http_client().map_err(|e| anyhow::anyhow!("{e}"))?;

	let pck_crl = get(&http, &format!("{base}/sgx/certification/v4/pckcrl?ca={ca}&encoding=der")).await?;
	let tcb = get(&http, &format!("{base}/{tee}/certification/v4/tcb?fmspc={fmspc}")).await?;
	let qe = get(&http, &format!("{base}/{tee}/certification/v4/qe/identity")).await?;
	let root_ca_crl = if base.contains("trustedservices.intel.com") {
		get(&http, INTEL_ROOT_CA_CRL_URL).await?.body
	} else {
		// A PCCS serves the root CA CRL hex-encoded.
		let hex_crl = get(&http, &format!("{base}/sgx/certification/v4/rootcacrl")).await?.body;
		hex::decode(String::from_utf8_lossy(&hex_crl).trim()).context("the PCCS's root CA CRL is not hex")?
	};

	let (tcb_info, tcb_info_signature) = signed_body(&tcb.body, "tcbInfo")?;
	let (qe_identity, qe_identity_signature) = signed_body(&qe.body, "enclaveIdentity")?;
	Ok(Collateral {
		pck_crl_issuer_chain: pck_crl.header("SGX-PCK-CRL-Issuer-Chain")?,
		root_ca_crl,
		pck_crl: pck_crl.body,
		tcb_info_issuer_chain: tcb.header("TCB-Info-Issuer-Chain").or_else(|_| tcb.header("SGX-TCB-Info-Issuer-Chain"))?,
		tcb_info,
		tcb_info_signature,
		qe_identity_issuer_chain: qe.header("SGX-Enclave-Identity-Issuer-Chain")?,
		qe_identity,
		qe_identity_signature,
		pck_certificate_chain: None,
	})
}

struct Answer {
	url: String,
	headers: hyper::HeaderMap,
	body: Vec<u8>,
}

impl Answer {
	/// A percent-encoded PEM header, decoded.
	fn header(&self, name: &str) -> anyhow::Result<Vec<u8>> {
		let value = self.headers.get(name).with_context(|| format!("{}: no {name} header", self.url))?;
		Ok(percent_encoding::percent_decode(value.as_bytes()).collect())
	}
}

async fn get(http: &verity_client::pay::HttpClient, url: &str) -> anyhow::Result<Answer> {
	let request = hyper::Request::get(url).body(Full::new(Bytes::new()))?;
	let response = tokio::time::timeout(std::time::Duration::from_secs(30), http.request(request))
		.await
		.with_context(|| format!("{url}: no answer within 30 s"))?
		.with_context(|| format!("GET {url}"))?;
	let (parts, body) = response.into_parts();
	if !parts.status.is_success() {
		bail!("GET {url}: HTTP {}", parts.status);
	}
	let body = body.collect().await.with_context(|| format!("GET {url}"))?.to_bytes().to_vec();
	Ok(Answer { url: url.to_owned(), headers: parts.headers, body })
}

/// The raw text of the JSON object `field` of a PCS answer `{"<field>": {...}, "signature":
/// "<hex>"}`, byte for byte as served (the signature covers those bytes), and the signature.
fn signed_body(body: &[u8], field: &str) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
	let text = std::str::from_utf8(body).context("the answer is not UTF-8")?;
	let parsed: serde_json::Value = serde_json::from_str(text).context("the answer is not JSON")?;
	let signature = parsed["signature"].as_str().context("the answer has no signature")?;
	let key = format!("\"{field}\"");
	let start = text.find(&key).with_context(|| format!("the answer has no {field}"))? + key.len();
	let start = start + text[start..].find('{').with_context(|| format!("{field} is not an object"))?;
	Ok((text[start..start + object_len(&text[start..])?].as_bytes().to_vec(), hex::decode(signature)?))
}

/// The length of the JSON object at the start of `text`.
fn object_len(text: &str) -> anyhow::Result<usize> {
	let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
	for (index, byte) in text.bytes().enumerate() {
		match (in_string, escaped, byte) {
			(true, true, _) => escaped = false,
			(true, false, b'\\') => escaped = true,
			(true, false, b'"') => in_string = false,
			(true, false, _) => {},
			(false, _, b'"') => in_string = true,
			(false, _, b'{') => depth += 1,
			(false, _, b'}') => {
				depth -= 1;
				if depth == 0 {
					return Ok(index + 1);
				}
			},
			_ => {},
		}
	}
	bail!("an unterminated JSON object")
}

#[cfg(test)]
mod tests {
	use super::*;
	use axum::{
		http::{HeaderMap, Uri},
		routing::get as route,
		Router,
	};

	/// dcap-qvl's real TDX sample (tee/tests/data, MIT) and its collateral, as Intel served it.
	fn sample() -> (Vec<u8>, serde_json::Value) {
		let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tee/tests/data");
		let quote = std::fs::read(dir.join("tdx_quote")).unwrap();
		let collateral = serde_json::from_slice(&std::fs::read(dir.join("tdx_quote_collateral.json")).unwrap()).unwrap();
		(quote, collateral)
	}

	fn encoded(pem: &str) -> String {
		percent_encoding::utf8_percent_encode(pem, percent_encoding::NON_ALPHANUMERIC).to_string()
	}

	/// A PCCS on loopback that serves the sample's collateral the way Intel's PCS API v4 does.
	async fn pccs(collateral: serde_json::Value) -> String {
		let text = |field: &str| collateral[field].as_str().unwrap().to_owned();
		let (pck_crl, pck_chain) = (hex::decode(text("pck_crl")).unwrap(), text("pck_crl_issuer_chain"));
		let tcb_body = format!("{{\"tcbInfo\":{},\"signature\":\"{}\"}}", text("tcb_info"), text("tcb_info_signature"));
		let qe_body =
			format!("{{\"enclaveIdentity\":{},\"signature\":\"{}\"}}", text("qe_identity"), text("qe_identity_signature"));
		let (tcb_chain, qe_chain, root_crl) =
			(text("tcb_info_issuer_chain"), text("qe_identity_issuer_chain"), text("root_ca_crl"));
		let header = |name: &'static str, pem: String| {
			let mut headers = HeaderMap::new();
			headers.insert(name, encoded(&pem).parse().unwrap());
			headers
		};
		let app = Router::new()
			.route(
				"/sgx/certification/v4/pckcrl",
				route(move |uri: Uri| async move {
					assert!(uri.query().is_some_and(|query| query.contains("encoding=der")), "{uri}");
					(header("SGX-PCK-CRL-Issuer-Chain", pck_chain), pck_crl)
				}),
			)
			.route(
				"/tdx/certification/v4/tcb",
				route(move |uri: Uri| async move {
					assert!(uri.query().is_some_and(|query| query.starts_with("fmspc=")), "{uri}");
					(header("TCB-Info-Issuer-Chain", tcb_chain), tcb_body)
				}),
			)
			.route(
				"/tdx/certification/v4/qe/identity",
				route(move || async move { (header("SGX-Enclave-Identity-Issuer-Chain", qe_chain), qe_body) }),
			)
			.route("/sgx/certification/v4/rootcacrl", route(move || async move { root_crl }));
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
		format!("http://{address}")
	}

	#[tokio::test]
	async fn the_collateral_fetched_from_a_pccs_verifies_the_real_tdx_quote() {
		let (quote, collateral) = sample();
		let base = pccs(collateral).await;
		let fetched = fetch_collateral(&base, &quote).await.unwrap();
		// 2025-06-20: inside the sample collateral's validity.
		let verdict = verity_tee::verify_quote(&quote, &fetched, verity_tee::INTEL_SGX_ROOT_CA_DER, 1_750_377_600).unwrap();
		assert!(matches!(verdict.measurement, verity_tee::Measurement::Tdx { .. }));
		assert_eq!(verdict.tcb_status, verity_tee::TcbStatus::UpToDate);
		// A PCCS that is down: a precise error, no collateral.
		let error = fetch_collateral("http://127.0.0.1:9", &quote).await.unwrap_err();
		assert!(format!("{error:#}").contains("pckcrl"), "{error:#}");
	}

	#[test]
	fn raw_objects_are_cut_byte_for_byte() {
		let body = br#"{"tcbInfo":{"a":"}{\"","b":{"c":1}},"signature":"00ff"}"#;
		let (raw, signature) = signed_body(body, "tcbInfo").unwrap();
		assert_eq!(raw, br#"{"a":"}{\"","b":{"c":1}}"#);
		assert_eq!(signature, vec![0, 255]);
	}
}
