#!/usr/bin/env python3
"""Generates Verity's TEST ONLY DCAP PKI (run once; its output is committed).

A real quote cannot commit to our enclave keys, so dev and test chains trust this PKI instead
of Intel's: a test root CA, a PCK CA and PCK certificate under it, a TCB-signing certificate,
both CRLs, and TCB info and QE identity signed by the test TCB signer. `verity_tee::test_pki`
then makes quotes in the exact DCAP format (SGX, version 3) that `dcap-qvl` verifies against
this root: a report body with any measurement and report data, signed by an attestation key,
and a QE report binding that key, signed by the PCK key.

Nothing here is secret, and nothing here is Intel's: anyone can make a quote this root
accepts. Only dev and test genesis presets may trust it.

Inputs: dcap-qvl's real SGX sample (tests/data/sgx_quote and its collateral, MIT) supplies
the parts copied verbatim: the quote header, the report body's other fields, the quoting
enclave's report (so that it matches the QE identity) and the PCK certificate's SGX extension
(FMSPC, CPUSVN, PCESVN, PCEID, so that it matches the TCB info). Every TCB level of the copied
TCB info and QE identity is marked UpToDate without advisories, and their validity extended.

Needs python3 with `cryptography` (pip install cryptography). Usage: tee/test-pki/generate.py
"""

import datetime
import json
import pathlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).resolve().parent
SAMPLES = HERE.parent / "tests" / "data"
SGX_EXTENSION_OID = x509.ObjectIdentifier("1.2.840.113741.1.13.1")

NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
COLLATERAL_ISSUED = "2025-01-01T00:00:00Z"
COLLATERAL_NEXT_UPDATE = "2049-12-31T00:00:00Z"


def name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Verity TEST ONLY PKI - not Intel, trust on dev chains only"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
    ])


def key_usage(cert_sign, digital_signature):
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=digital_signature, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def certificate(subject, key, issuer, issuer_key, ca, extra=()):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .add_extension(key_usage(cert_sign=ca, digital_signature=not ca), critical=True)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0 if subject != issuer else 1), critical=True)
    for extension in extra:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def crl(issuer, issuer_key):
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer)
        .last_update(NOT_BEFORE)
        .next_update(NOT_AFTER)
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def pem(*certs):
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def raw_signature(key, data):
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def raw_private(key):
    return key.private_numbers().private_value.to_bytes(32, "big")


def all_up_to_date(body):
    info = json.loads(body)
    info["issueDate"], info["nextUpdate"] = COLLATERAL_ISSUED, COLLATERAL_NEXT_UPDATE
    for level in info["tcbLevels"]:
        level["tcbStatus"] = "UpToDate"
        level.pop("advisoryIDs", None)
    return json.dumps(info, separators=(",", ":")).encode()


def compact(length):
    if length < 1 << 6:
        return bytes([length << 2])
    if length < 1 << 14:
        return ((length << 2) | 1).to_bytes(2, "little")
    return ((length << 2) | 2).to_bytes(4, "little")


def scale_bytes(data):
    return compact(len(data)) + data


def main():
    sample_quote = (SAMPLES / "sgx_quote").read_bytes()
    sample = json.loads((SAMPLES / "sgx_quote_collateral.json").read_text())
    sample_leaf_pem = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", sample_quote, re.S)[0]
    sample_leaf = x509.load_pem_x509_certificate(sample_leaf_pem)
    sgx_extension = sample_leaf.extensions.get_extension_for_oid(SGX_EXTENSION_OID).value

    root_key, pck_ca_key, pck_key, tcb_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    root_name = name("TEST ONLY Verity DCAP Root CA")
    pck_ca_name = name("TEST ONLY Verity SGX PCK Platform CA")
    root = certificate(root_name, root_key, root_name, root_key, ca=True)
    pck_ca = certificate(pck_ca_name, pck_ca_key, root_name, root_key, ca=True)
    pck = certificate(name("TEST ONLY Verity SGX PCK Certificate"), pck_key, pck_ca_name, pck_ca_key, ca=False,
                      extra=[x509.UnrecognizedExtension(SGX_EXTENSION_OID, sgx_extension.value)])
    tcb_signer = certificate(name("TEST ONLY Verity SGX TCB Signing"), tcb_key, root_name, root_key, ca=False)

    tcb_info = all_up_to_date(sample["tcb_info"])
    qe_identity = all_up_to_date(sample["qe_identity"])
    fields = [
        scale_bytes(pem(pck_ca, root)),                                       # pck_crl_issuer_chain
        scale_bytes(crl(root_name, root_key).public_bytes(serialization.Encoding.DER)),   # root_ca_crl
        scale_bytes(crl(pck_ca_name, pck_ca_key).public_bytes(serialization.Encoding.DER)),  # pck_crl
        scale_bytes(pem(tcb_signer, root)),                                   # tcb_info_issuer_chain
        scale_bytes(tcb_info),
        scale_bytes(raw_signature(tcb_key, tcb_info)),
        scale_bytes(pem(tcb_signer, root)),                                   # qe_identity_issuer_chain
        scale_bytes(qe_identity),
        scale_bytes(raw_signature(tcb_key, qe_identity)),
        b"\x00",                                                              # pck_certificate_chain: in the quote
    ]
    (HERE / "collateral.scale").write_bytes(b"".join(fields))
    (HERE / "root_ca.der").write_bytes(root.public_bytes(serialization.Encoding.DER))
    (HERE / "pck_chain.pem").write_bytes(pem(pck, pck_ca, root))
    (HERE / "pck.key").write_bytes(raw_private(pck_key))
    # The sample quote's header (48 bytes), report body (384) and QE report (384, at 564).
    (HERE / "quote_template.bin").write_bytes(sample_quote[:48 + 384] + sample_quote[564:564 + 384])


if __name__ == "__main__":
    main()
