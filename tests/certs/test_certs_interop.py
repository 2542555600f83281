"""Interop with pypinksign 0.5.4, an independent NPKI implementation (test-only dependency).

Our reader opens files pypinksign wrote (and its public CA test vectors); pypinksign opens ours.
Its pure-Python SEED keeps OpenSSL's SEED out of one direction entirely.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import os

import pypinksign
import pytest
from certs_support import cached_key, make_cert
from pyasn1.codec.der import encoder
from pyasn1.type import univ
from pypinksign.test_pinkSign import TEST_CERT

from bot.certs import WrongPassword, assemble, classify, inspect_certificate, unlock
from bot.certs.keyfile import decrypt_candidates, parse_key_blob, parse_private_key_info

CERT = base64.b64decode(TEST_CERT["signCert"])
KEY = base64.b64decode(TEST_CERT["signPri"])
PFX = base64.b64decode(TEST_CERT["pfx"])
PASSWORD = TEST_CERT["signPw"].decode()


def test_we_read_the_public_test_certificate() -> None:
    info = inspect_certificate(CERT)
    assert info.ca == "yessign" and info.policy_oid == TEST_CERT["typeOid"]
    assert info.owner_name == "HKD" and int(info.serial_hex, 16) == TEST_CERT["serialnum"]
    assert (info.not_before, info.not_after) == (
        TEST_CERT["notValidBefore"],
        TEST_CERT["notValidAfter"],
    )
    assert info.expired and info.usage_purpose_ko == "은행·신용카드·보험용"


def test_we_unlock_the_public_test_key_and_pfx() -> None:
    pair = assemble([classify("signCert.der", CERT), classify("signPri.key", KEY)]).bundles[0]
    unlocked = unlock(pair, PASSWORD)
    assert unlocked.random_num == TEST_CERT["r"]
    assert unlocked.private_key.private_numbers().d == TEST_CERT["d"]
    from_pfx = unlock(assemble([classify("x.pfx", PFX)]).bundles[0], PASSWORD)
    assert from_pfx.random_num == TEST_CERT["r"]  # cryptography's loader alone would lose it
    with pytest.raises(WrongPassword):
        unlock(pair, PASSWORD + "x")


def test_we_decrypt_pypinksigns_pbes2_sample() -> None:
    """The synthetic PBES2/SEED key from pypinksign's tests: same salt, count, key and IV as it derives."""
    import inspect as pyinspect

    from pypinksign import test_pinkSign

    source = pyinspect.getsource(
        test_pinkSign.TestPinkSign.test_get_private_key_decryption_key_for_pbes2
    )
    start = source.index("data = ") + len("data = ")
    end = source.index("pbes2_private_key =")
    # the literal is read from the installed package's source, never executed
    data = ast.literal_eval("(" + source[start:end].replace("\\\n", "") + ")")
    scheme = parse_key_blob(base64.b64decode(data))
    assert scheme.key_format == "pbes2-seed" and scheme.iterations == 1024
    # pypinksign's expected (key, iv) for this blob under its test password
    key = hashlib.pbkdf2_hmac(
        scheme.prf, TEST_CERT["signPw"], scheme.salt, scheme.iterations, scheme.key_length
    )
    assert key == b"\x01s\x94\x01\xd7\xf3\xdfS\x19\xef\xf4\xed\xb0\xaf\xa6o"
    assert scheme.iv == b"\x98\x13_\x90#\x85\xf9\x015\x90\x820\x98\xe0\x9c\xfe"
    # its password is not published: every candidate must then fail, never crash
    for plain in decrypt_candidates(scheme, TEST_CERT["signPw"]):
        with pytest.raises(ValueError):
            parse_private_key_info(plain)


def test_we_read_keys_pypinksign_encrypts() -> None:
    gen = make_cert(key_index=0)
    blob_b64 = pypinksign.encrypt_decrypted_prikey(
        base64.b64encode(gen.private_key_pkcs8_der).decode(), b"pink-Pw9!"
    )
    files = [
        classify("signCert.der", gen.cert_der),
        classify("signPri.key", base64.b64decode(blob_b64)),
    ]
    unlocked = unlock(assemble(files).bundles[0], "pink-Pw9!")
    assert unlocked.random_num == gen.random_num


def test_we_read_r_injected_by_pypinksign() -> None:
    gen = make_cert(key_index=0, include_random=False, identity_number=None)
    r = os.urandom(20)
    with_r = pypinksign.inject_rand_in_plain_prikey(
        base64.b64encode(gen.private_key_pkcs8_der).decode(), r
    )
    blob = pypinksign.encrypt_decrypted_prikey(with_r, b"pw-123456")
    files = [
        classify("signCert.der", gen.cert_der),
        classify("signPri.key", base64.b64decode(blob)),
    ]
    assert unlock(assemble(files).bundles[0], "pw-123456").random_num == r


def test_we_read_old_seed_cbc_written_with_pypinksigns_pure_seed() -> None:
    gen = make_cert(key_index=0)
    salt = os.urandom(8)
    dk = pypinksign.pypinksign.pbkdf1(b"old-style1", salt, 2048, 20)
    ciphertext = pypinksign.seed_cbc_128_encrypt_pure(dk[:16], gen.private_key_pkcs8_der)
    params = univ.Sequence()
    params[0] = univ.OctetString(salt)
    params[1] = univ.Integer(2048)
    alg = univ.Sequence()
    alg[0] = univ.ObjectIdentifier("1.2.410.200004.1.4")
    alg[1] = params
    blob = univ.Sequence()
    blob[0] = alg
    blob[1] = univ.OctetString(ciphertext)
    files = [classify("signCert.der", gen.cert_der), classify("signPri.key", encoder.encode(blob))]
    assert unlock(assemble(files).bundles[0], "old-style1").random_num == gen.random_num


@pytest.mark.parametrize("fmt", ["seed-sha1", "seed-cbc", "pbes2-seed"])
def test_pypinksign_reads_our_keys(fmt: str) -> None:
    gen = make_cert(fmt=fmt, key_index=0, password="Our-Pw#2024")
    sign = pypinksign.PinkSign(
        pubkey_data=gen.cert_der, prikey_data=gen.key_blob, prikey_password=b"Our-Pw#2024"
    )
    sign.load_prikey()
    assert sign.prikey.private_numbers() == cached_key(1024, 0).private_numbers()
    assert sign.cn() == gen.info.subject_dn.split(",")[0][3:]
    assert sign.cert_type_oid() == gen.info.policy_oid
    # pypinksign keeps R schema-less as the BIT STRING value
    assert sign._rand_num.asOctets() == gen.random_num


def test_pypinksigns_pure_seed_decrypts_our_ciphertext() -> None:
    gen = make_cert(key_index=0, password="pure-seed-1")
    scheme = parse_key_blob(gen.key_blob)
    dk = pypinksign.pypinksign.pbkdf1(b"pure-seed-1", scheme.salt, scheme.iterations, 20)
    iv = hashlib.sha1(dk[16:20]).digest()[:16]
    plain = pypinksign.seed_cbc_128_decrypt_pure(dk[:16], scheme.ciphertext, iv)
    assert plain == gen.private_key_pkcs8_der


def test_pypinksign_reads_our_pfx() -> None:
    gen = make_cert(fmt="pfx", key_index=1, password="pfx-Pw!77")
    sign = pypinksign.PinkSign(p12_data=gen.pfx, prikey_password=b"pfx-Pw!77")
    assert sign.prikey.private_numbers() == cached_key(1024, 1).private_numbers()
    assert sign.pub_data == gen.cert_der
