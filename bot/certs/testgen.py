"""Realistic fake NPKI material for tests, benchmarks and people trying the bot.

A persistent TEST root ("kcert TEST Root CA") and one TEST intermediate per issuer, committed
under bot/certs/testca/ (test-only keys, published on purpose), issue a user certificate with the
right policy OID, KeyUsage and identifyData/VID, so a file made yesterday still verifies against
`fake_ca_bundle_path()`; the key is written in every NPKI format.
Encoding uses pyasn1 and cryptography, not the reader's own DER code, so the two cannot share a bug.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import secrets
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import SEED, TripleDES
from cryptography.hazmat.primitives import hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.x509.oid import NameOID
from pyasn1.codec.der import encoder
from pyasn1.type import char, tag, univ

from bot.certs.catalog import DEFAULT_POLICY
from bot.certs.inspect import CertificateInfo, inspect_certificate
from bot.certs.trust import TrustStore

__all__ = [
    "CA_CODES",
    "DEFAULT_BUSINESS_NUMBER",
    "DEFAULT_RESIDENT_NUMBER",
    "FORMATS",
    "TEST_CA_DIR",
    "GeneratedCertificate",
    "encrypt_private_key",
    "fake_ca_bundle_bytes",
    "fake_ca_bundle_path",
    "fake_ca_certificate",
    "fake_ca_key",
    "fake_trust_store",
    "generate_test_certificate",
    "write_combined_zip",
    "write_test_certificate",
]

TEST_CA_DIR = Path(__file__).with_name("testca")
TEST_BUNDLE_NAME = "test-ca-bundle.pem"
TEST_ROOT_NAME = "kcert TEST Root CA"

FORMATS = ("seed-sha1", "seed-cbc", "pbes2-seed", "pbes2-aes", "pfx")
CA_CODES = ("yessign", "KICA", "SignKorea", "CrossCert", "TradeSign", "other")
DEFAULT_RESIDENT_NUMBER = "8001011234567"
DEFAULT_BUSINESS_NUMBER = "1208800767"
ITERATIONS = 2048  # what real files use (docs/certificates.md)

_IDENTIFY_DATA = "1.2.410.200004.10.1.1"
_VID = "1.2.410.200004.10.1.1.1"
_RANDOM_NUM = "1.2.410.200004.10.1.1.3"
_HASH_OIDS = {"sha1": "1.3.14.3.2.26", "sha256": "2.16.840.1.101.3.4.2.1"}

# (issuer CN, issuer O, issuer C, NPKI folder) per CA code (docs/certificates.md); the CNs say TEST so
# a test intermediate can never pass for a real one, the O= values are the real CAs' (catalog).
_ISSUERS = {
    "yessign": ("yessignCA Class 4 kcert TEST", "yessign", "KR", "yessign"),
    "KICA": ("signGATE CA7 kcert TEST", "KICA", "KR", "KICA"),
    "SignKorea": ("SignKorea CA5 kcert TEST", "SignKorea", "KR", "SignKorea"),
    "CrossCert": ("CrossCertCA5 kcert TEST", "CrossCert", "KR", "CrossCert"),
    "TradeSign": ("TradeSignCA5 kcert TEST", "TradeSign", "KR", "TradeSign"),
    "other": ("Unknown Test CA", "Unknown CA", "KR", "UnknownCA"),
}
# "other" is issued by a persistent key too, but it is not in the test bundle: an unknown issuer.
_TRUSTED_TEST_CAS = ("yessign", "KICA", "SignKorea", "CrossCert", "TradeSign")


@dataclass(frozen=True)
class GeneratedCertificate:
    """One generated certificate with every file a user could upload. Test data only."""

    cert_der: bytes
    key_blob: bytes  # signPri.key in `fmt` (seed-sha1 when fmt is pfx)
    pfx: bytes | None
    zip_bytes: bytes
    private_key_pkcs8_der: bytes  # decrypted PKCS#8 incl. R, for leak searches in tests
    random_num: bytes | None
    info: CertificateInfo
    folder_name: str
    ca_folder: str
    password: str
    identity_number: str | None
    fmt: str

    def __repr__(self) -> str:
        return f"GeneratedCertificate(fmt={self.fmt!r}, folder_name={self.folder_name!r})"


@functools.cache
def fake_ca_key(name: str) -> rsa.RSAPrivateKey:
    """The committed TEST key of "root" or a CA code (published test material, not a secret)."""
    key = serialization.load_pem_private_key((TEST_CA_DIR / f"{name}.key.pem").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@functools.cache
def fake_ca_certificate(name: str) -> x509.Certificate:
    """The committed TEST certificate of "root" or a CA code."""
    return x509.load_pem_x509_certificate((TEST_CA_DIR / f"{name}.pem").read_bytes())


def _ca_key(ca: str) -> rsa.RSAPrivateKey:
    return fake_ca_key(ca)


def fake_ca_bundle_path() -> Path:
    """The TEST root + TEST intermediates as one PEM bundle (what tests and `inspect` trust)."""
    return TEST_CA_DIR / TEST_BUNDLE_NAME


def fake_ca_bundle_bytes() -> bytes:
    return fake_ca_bundle_path().read_bytes()


def fake_trust_store() -> TrustStore:
    return TrustStore.from_pem(fake_ca_bundle_bytes(), label="kcert TEST anchors")


def _ca_extensions(
    builder: x509.CertificateBuilder, key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey
) -> x509.CertificateBuilder:
    return (
        builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )


def regenerate_test_ca(directory: Path = TEST_CA_DIR) -> None:
    """Write a NEW test root, test intermediates and bundle (replaces the committed ones!).

    Only for when the test anchors must change; every file made before stops verifying.
    """
    directory.mkdir(parents=True, exist_ok=True)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kcert TEST (not a real CA)"),
            x509.NameAttribute(NameOID.COMMON_NAME, TEST_ROOT_NAME),
        ]
    )
    root_builder = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(datetime(2060, 1, 1, tzinfo=UTC))
    )
    root = _ca_extensions(root_builder, root_key, root_key).sign(root_key, hashes.SHA256())
    files = {"root": (root_key, root)}
    for serial, ca in enumerate(CA_CODES, start=2):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_issuer_name(ca))
            .issuer_name(root_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(datetime(2055, 1, 1, tzinfo=UTC))
        )
        files[ca] = (key, _ca_extensions(builder, key, root_key).sign(root_key, hashes.SHA256()))
    for name, (key, cert) in files.items():
        (directory / f"{name}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    bundle = b"".join(
        files[name][1].public_bytes(serialization.Encoding.PEM)
        for name in ("root", *_TRUSTED_TEST_CAS)
    )
    (directory / TEST_BUNDLE_NAME).write_bytes(bundle)


def _issuer_name(ca: str) -> x509.Name:
    cn, org, country, _folder = _ISSUERS[ca]
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _subject_parts(
    ca: str, corporate: bool, name: str, issued: datetime, serial: int
) -> list[tuple[str, str]]:
    """(key, value) pairs most specific first, after the CA conventions in docs/certificates.md"""
    day = (issued + timedelta(hours=9)).strftime("%Y%m%d")  # CN dates are KST
    tail = f"{serial % 10**9:09d}"
    if ca == "yessign":
        kind = "05" if corporate else "04"
        return [
            ("cn", f"{name}()0088{kind}1{day}{tail}"),
            ("ou", "SHB"),
            ("ou", "corporation4EC" if corporate else "personal4IB"),
            ("o", "yessign"),
            ("c", "kr"),
        ]
    if ca == "KICA":
        return [
            ("cn", f"{name}({'법인' if corporate else ''}){tail}"),
            ("ou", "RA센터"),
            ("ou", "KB국민은행"),
            ("ou", "등록기관"),
            ("ou", "licensedCA"),
            ("o", "KICA"),
            ("c", "KR"),
        ]
    if ca == "SignKorea":
        return [
            ("cn", f"{name}_{serial % 10**10:010d}"),
            ("ou", "법인" if corporate else "KOSCOM"),
            ("ou", "LicensedCA"),
            ("o", "SignKorea"),
            ("c", "KR"),
        ]
    if ca == "CrossCert":
        return [
            (
                "cn",
                f"{name}({'01Rep' if corporate else ''})0004058{'C' if corporate else 'H'}{tail}",
            ),
            ("ou", "KMB"),
            ("ou", "corporation4EC" if corporate else "personal4IB"),
            ("o", "CrossCert"),
            ("c", "KR"),
        ]
    if ca == "TradeSign":
        return [
            ("cn", f"{name}(){tail}"),
            ("ou", "법인" if corporate else "개인"),
            ("ou", "TradeSign"),
            ("o", "TradeSign"),
            ("c", "KR"),
        ]
    return [
        ("cn", f"{name}(){tail}"),
        ("ou", "corporation" if corporate else "personal"),
        ("o", "Unknown CA"),
        ("c", "KR"),
    ]


_NAME_OIDS = {
    "cn": NameOID.COMMON_NAME,
    "ou": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "o": NameOID.ORGANIZATION_NAME,
    "c": NameOID.COUNTRY_NAME,
}


def _identify_data(
    real_name: str, identity_number: str, random_num: bytes, hash_name: str
) -> bytes:
    """DER of IdentifyData with one VID (KCAC.TS.SIVID), encoded with pyasn1."""
    content = univ.Sequence()
    content[0] = char.PrintableString(identity_number)
    content[1] = univ.BitString.fromOctetString(random_num)
    inner = hashlib.new(hash_name, encoder.encode(content)).digest()
    virtual_id = hashlib.new(hash_name, inner).digest()

    algorithm = univ.Sequence()
    algorithm[0] = univ.ObjectIdentifier(_HASH_OIDS[hash_name])
    explicit = univ.Sequence().subtype(
        implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
    )
    explicit[0] = univ.OctetString(virtual_id)
    vid = univ.Sequence()
    vid[0] = algorithm
    vid[1] = explicit
    user_info = univ.Sequence()
    user_info[0] = univ.ObjectIdentifier(_VID)
    user_info[1] = vid
    infos = univ.SequenceOf()
    infos[0] = user_info
    data = univ.Sequence()
    data[0] = char.UTF8String(real_name)
    data[1] = infos
    return encoder.encode(data)


def _pkcs8_with_random(key: rsa.RSAPrivateKey, random_num: bytes | None) -> bytes:
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    if random_num is None:
        return plain
    # Re-encode PrivateKeyInfo with the KISA randomNum attribute appended (docs/certificates.md).
    from pyasn1.codec.der import decoder

    info, _rest = decoder.decode(plain)
    attrs = univ.SetOf().subtype(
        implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
    )
    attribute = univ.Sequence()
    attribute[0] = univ.ObjectIdentifier(_RANDOM_NUM)
    values = univ.SetOf()
    values[0] = univ.BitString.fromOctetString(random_num)
    attribute[1] = values
    attrs[0] = attribute
    rebuilt = univ.Sequence()
    for position in range(len(info)):
        rebuilt[position] = info[position]
    rebuilt[len(info)] = attrs
    return encoder.encode(rebuilt)


def _pad_encrypt(algorithm: SEED | AES | TripleDES, iv: bytes, plain: bytes) -> bytes:
    padder = padding.PKCS7(algorithm.block_size).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithm, modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def _pbkdf1(password: bytes, salt: bytes, iterations: int) -> bytes:
    digest = hashlib.sha1(password + salt).digest()
    for _ in range(iterations - 1):
        digest = hashlib.sha1(digest).digest()
    return digest


def _algorithm(oid: str, params: univ.Asn1Item | None = None) -> univ.Sequence:
    alg = univ.Sequence()
    alg[0] = univ.ObjectIdentifier(oid)
    if params is not None:
        alg[1] = params
    return alg


def encrypt_private_key(
    pkcs8: bytes,
    password: bytes,
    fmt: str = "seed-sha1",
    *,
    iterations: int = ITERATIONS,
    salt: bytes | None = None,
) -> bytes:
    """Write signPri.key bytes in one of the NPKI encryption formats (docs/certificates.md)."""
    salt = salt if salt is not None else os.urandom(8)
    if fmt in ("seed-sha1", "seed-cbc"):
        dk = _pbkdf1(password, salt, iterations)
        iv = hashlib.sha1(dk[16:20]).digest()[:16] if fmt == "seed-sha1" else b"0123456789012345"
        ciphertext = _pad_encrypt(SEED(dk[:16]), iv, pkcs8)
        params = univ.Sequence()
        params[0] = univ.OctetString(salt)
        params[1] = univ.Integer(iterations)
        oid = "1.2.410.200004.1.15" if fmt == "seed-sha1" else "1.2.410.200004.1.4"
        alg = _algorithm(oid, params)
    elif fmt in ("pbes2-seed", "pbes2-aes"):
        iv = os.urandom(16)
        kdf_params = univ.Sequence()
        kdf_params[0] = univ.OctetString(salt)
        kdf_params[1] = univ.Integer(iterations)
        if fmt == "pbes2-seed":
            # As the IBK sample: no keyLength, no prf (= hmacWithSHA1)
            key = hashlib.pbkdf2_hmac("sha1", password, salt, iterations, 16)
            ciphertext = _pad_encrypt(SEED(key), iv, pkcs8)
            scheme = _algorithm("1.2.410.200004.1.4", univ.OctetString(iv))
        else:
            # keyLength and prf present, so the reader must honour them
            key = hashlib.pbkdf2_hmac("sha256", password, salt, iterations, 32)
            ciphertext = _pad_encrypt(AES(key), iv, pkcs8)
            kdf_params[2] = univ.Integer(32)
            kdf_params[3] = _algorithm("1.2.840.113549.2.9", univ.Null(""))
            scheme = _algorithm("2.16.840.1.101.3.4.1.42", univ.OctetString(iv))
        pbes2 = univ.Sequence()
        pbes2[0] = _algorithm("1.2.840.113549.1.5.12", kdf_params)
        pbes2[1] = scheme
        alg = _algorithm("1.2.840.113549.1.5.13", pbes2)
    else:
        raise ValueError(f"unknown key format {fmt!r}")
    blob = univ.Sequence()
    blob[0] = alg
    blob[1] = univ.OctetString(ciphertext)
    return encoder.encode(blob)


# ---- PKCS#12 writer (certBag + pkcs8ShroudedKeyBag with R kept, SHA-1 MAC) ----------------


def _tlv(tag_byte: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes([tag_byte, size]) + value
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag_byte, 0x80 | len(raw)]) + raw + value


def _oid(dotted: str) -> bytes:
    return encoder.encode(univ.ObjectIdentifier(dotted))


def _p12_kdf(password: bytes, salt: bytes, purpose: int, iterations: int, size: int) -> bytes:
    """RFC 7292 B.2 (SHA-1), written straight from the RFC for the generator."""
    v, u = 64, 20

    def fill(data: bytes) -> bytes:
        if not data:
            return b""
        n = v * -(-len(data) // v)
        return (data * (n // len(data) + 1))[:n]

    i_block = bytearray(fill(salt) + fill(password))
    result = b""
    for _ in range(-(-size // u)):
        a = hashlib.sha1(bytes([purpose]) * v + bytes(i_block)).digest()
        for _ in range(iterations - 1):
            a = hashlib.sha1(a).digest()
        result += a
        b = int.from_bytes(fill(a), "big")
        for j in range(0, len(i_block), v):
            total = int.from_bytes(i_block[j : j + v], "big") + b + 1
            i_block[j : j + v] = (total & ((1 << (8 * v)) - 1)).to_bytes(v, "big")
    return result[:size]


_HOSTILE = 1_000_000  # above this, a count is never run here: the part it protects is filler


def build_pfx(
    cert_der: bytes,
    pkcs8: bytes,
    password: str,
    *,
    iterations: int = 2048,
    mac_iterations: int | None = None,
    hidden_key_iterations: int | None = None,
) -> bytes:
    """A PFX like a bank's export: plain certBag, 3DES shrouded key bag that keeps R.

    Hostile variants for tests: `iterations` (key bag) or `mac_iterations` above 10⁶ write the
    count with filler instead of running it (as an attacker's file would); with
    `hidden_key_iterations` the key bag moves inside an encryptedData (PBES2-AES, 2048 it.),
    so its count is visible only after decryption.
    """
    mac_iterations = iterations if mac_iterations is None else mac_iterations
    bmp = password.encode("utf-16-be") + b"\x00\x00"
    local_key_id = _tlv(
        0x30,
        _oid("1.2.840.113549.1.9.21") + _tlv(0x31, _tlv(0x04, hashlib.sha1(cert_der).digest())),
    )
    attrs = _tlv(0x31, local_key_id)
    cert_bag = _tlv(
        0x30,
        _oid("1.2.840.113549.1.12.10.1.3")
        + _tlv(0xA0, _tlv(0x30, _oid("1.2.840.113549.1.9.22.1") + _tlv(0xA0, _tlv(0x04, cert_der))))
        + attrs,
    )
    salt = os.urandom(8)
    bag_iterations = iterations if hidden_key_iterations is None else hidden_key_iterations
    if bag_iterations > _HOSTILE:
        encrypted = os.urandom(8 * ((len(pkcs8) + 8) // 8))
    else:
        key = _p12_kdf(bmp, salt, 1, bag_iterations, 24)
        iv = _p12_kdf(bmp, salt, 2, bag_iterations, 8)
        encrypted = _pad_encrypt(TripleDES(key), iv, pkcs8)
    pbe = _tlv(
        0x30,
        _oid("1.2.840.113549.1.12.1.3")
        + _tlv(0x30, _tlv(0x04, salt) + encoder.encode(univ.Integer(bag_iterations))),
    )
    key_bag = _tlv(
        0x30,
        _oid("1.2.840.113549.1.12.10.1.2")
        + _tlv(0xA0, _tlv(0x30, pbe + _tlv(0x04, encrypted)))
        + attrs,
    )

    def data_content(body: bytes) -> bytes:
        return _tlv(0x30, _oid("1.2.840.113549.1.7.1") + _tlv(0xA0, _tlv(0x04, body)))

    if hidden_key_iterations is None:
        auth_safe = _tlv(0x30, data_content(_tlv(0x30, cert_bag + key_bag)))
    else:
        auth_safe = _tlv(
            0x30, data_content(_tlv(0x30, cert_bag)) + _pbes2_encrypted_data(key_bag, password)
        )
    mac_salt = os.urandom(8)
    if mac_iterations > _HOSTILE:
        mac_value = os.urandom(20)
    else:
        mac = hmac.HMAC(_p12_kdf(bmp, mac_salt, 3, mac_iterations, 20), hashes.SHA1())
        mac.update(auth_safe)
        mac_value = mac.finalize()
    digest_info = _tlv(
        0x30, _tlv(0x30, _oid("1.3.14.3.2.26") + b"\x05\x00") + _tlv(0x04, mac_value)
    )
    mac_data = _tlv(
        0x30, digest_info + _tlv(0x04, mac_salt) + encoder.encode(univ.Integer(mac_iterations))
    )
    return _tlv(0x30, encoder.encode(univ.Integer(3)) + data_content(auth_safe) + mac_data)


def _pbes2_encrypted_data(bags: bytes, password: str) -> bytes:
    """ContentInfo(encryptedData) of SafeContents `bags` under PBES2 (PBKDF2-SHA256, AES-256)."""
    salt, iv = os.urandom(16), os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, ITERATIONS, 32)
    ciphertext = _pad_encrypt(AES(key), iv, _tlv(0x30, bags))
    kdf = _tlv(
        0x30,
        _oid("1.2.840.113549.1.5.12")
        + _tlv(
            0x30,
            _tlv(0x04, salt)
            + encoder.encode(univ.Integer(ITERATIONS))
            + _tlv(0x30, _oid("1.2.840.113549.2.9") + b"\x05\x00"),
        ),
    )
    scheme = _tlv(0x30, _oid("2.16.840.1.101.3.4.1.42") + _tlv(0x04, iv))
    alg = _tlv(0x30, _oid("1.2.840.113549.1.5.13") + _tlv(0x30, kdf + scheme))
    content_info = _tlv(0x30, _oid("1.2.840.113549.1.7.1") + alg + _tlv(0x80, ciphertext))
    encrypted_data = _tlv(0x30, encoder.encode(univ.Integer(0)) + content_info)
    return _tlv(0x30, _oid("1.2.840.113549.1.7.6") + _tlv(0xA0, encrypted_data))


# ---- the certificate ------------------------------------------------------------------------


def generate_test_certificate(
    *,
    fmt: str = "seed-sha1",
    ca: str = "yessign",
    corporate: bool = False,
    name: str = "홍길동",
    password: str = "test1234!",
    identity_number: str | None = DEFAULT_RESIDENT_NUMBER,
    expired: bool = False,
    not_yet_valid: bool = False,
    key_size: int = 2048,
    include_random: bool = True,
    policy_oid: str | None = None,
    now: datetime | None = None,
    vid_hash: str = "sha256",
    private_key: rsa.RSAPrivateKey | None = None,
    iterations: int = ITERATIONS,
    expires_in_days: int | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    issuer_name: x509.Name | None = None,
    serial: int | None = None,
) -> GeneratedCertificate:
    """Make one fake certificate and its files in memory.

    `identity_number=None` leaves out identifyData/VID; for a corporate certificate the default
    resident number is swapped for a 10-digit business number. `private_key` reuses a key
    (tests use it to skip key generation). `expires_in_days=N` makes the certificate's last
    day N KST days from now. `issuer_key`/`issuer_name`/`serial` replace the test CA's (tests
    use them for forgeries and broken chains).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}")
    if ca not in _ISSUERS:
        raise ValueError(f"ca must be one of {CA_CODES}")
    now = now or datetime.now(UTC)
    if corporate and identity_number == DEFAULT_RESIDENT_NUMBER:
        identity_number = DEFAULT_BUSINESS_NUMBER
    if identity_number is not None:
        identity_number = identity_number.replace("-", "").replace(" ", "")
    key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    random_num = secrets.token_bytes(20) if include_random else None

    # notAfter is 23:59:59 KST (14:59:59Z), a year after issue (docs/certificates.md)
    day = now.replace(hour=15, minute=0, second=0, microsecond=0)
    if expired:
        not_before = day - timedelta(days=400)
    elif not_yet_valid:
        not_before = day + timedelta(days=10)
    else:
        not_before = day - timedelta(days=30)
    not_after = not_before + timedelta(days=365) - timedelta(seconds=1)
    if expires_in_days is not None:
        # the last valid second is 23:59:59 KST of the day N KST days from today
        kst_today = (now + timedelta(hours=9)).date()
        last_day = kst_today + timedelta(days=expires_in_days)
        not_after = datetime(last_day.year, last_day.month, last_day.day, 14, 59, 59, tzinfo=UTC)
        not_before = min(not_before, not_after - timedelta(days=30))
    serial = serial if serial is not None else secrets.randbits(31) + 1
    parts = _subject_parts(ca, corporate, name, not_before, serial)
    # _validate=False: real CAs' CNs respect the 64-character bound; hostile ones need not.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the length warning, on purpose
        subject = x509.Name(
            [x509.NameAttribute(_NAME_OIDS[k], v, _validate=False) for k, v in reversed(parts)]
        )
    policy = policy_oid or DEFAULT_POLICY[(ca, corporate)]
    ca_key = issuer_key or _ca_key(ca)

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or _issuer_name(ca))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.CertificatePolicies(
                [
                    x509.PolicyInformation(
                        x509.ObjectIdentifier(policy),
                        [
                            "http://www.example.invalid/cps.htm",
                            x509.UserNotice(None, "테스트용 인증서입니다"),
                        ],
                    )
                ]
            ),
            critical=True,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [
                            x509.UniformResourceIdentifier(
                                "ldap://ldap.example.invalid:389/ou=dp1p1,ou=AccreditedCA"
                            )
                        ],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
    )
    if identity_number:
        identify = _identify_data(name, identity_number, random_num or b"", vid_hash)
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.OtherName(x509.ObjectIdentifier(_IDENTIFY_DATA), identify)]
            ),
            critical=False,
        )
    cert_der = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    pkcs8 = _pkcs8_with_random(key, random_num)
    key_fmt = "seed-sha1" if fmt == "pfx" else fmt
    key_blob = encrypt_private_key(pkcs8, password.encode("utf-8"), key_fmt, iterations=iterations)
    pfx = build_pfx(cert_der, pkcs8, password) if fmt == "pfx" else None
    folder = ",".join(f"{k}={v.replace('/', '_')}" for k, v in parts)
    ca_folder = _ISSUERS[ca][3]
    return GeneratedCertificate(
        cert_der=cert_der,
        key_blob=key_blob,
        pfx=pfx,
        zip_bytes=_zip_folder(ca_folder, folder, cert_der, key_blob),
        private_key_pkcs8_der=pkcs8,
        random_num=random_num,
        info=inspect_certificate(cert_der, now=now),
        folder_name=folder,
        ca_folder=ca_folder,
        password=password,
        identity_number=identity_number,
        fmt=fmt,
    )


def _zip_folder(ca_folder: str, folder: str, cert_der: bytes, key_blob: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        base = f"NPKI/{ca_folder}/USER/{folder}"
        archive.writestr(f"{base}/signCert.der", cert_der)
        archive.writestr(f"{base}/signPri.key", key_blob)
    return buffer.getvalue()


def write_test_certificate(out_dir: Path, gen: GeneratedCertificate) -> list[Path]:
    """Write the NPKI folder layout, a zip of it, and the PFX if there is one."""
    out_dir = Path(out_dir)
    folder = out_dir / "NPKI" / gen.ca_folder / "USER" / gen.folder_name
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "signCert.der", folder / "signPri.key"]
    written[0].write_bytes(gen.cert_der)
    written[1].write_bytes(gen.key_blob)
    zip_path = out_dir / f"{gen.info.owner_name}_{gen.ca_folder}_{gen.info.serial_hex}.zip"
    zip_path.write_bytes(gen.zip_bytes)
    written.append(zip_path)
    if gen.pfx is not None:
        pfx_path = out_dir / f"{gen.info.owner_name}_{gen.info.serial_hex}.pfx"
        pfx_path.write_bytes(gen.pfx)
        written.append(pfx_path)
    return written


def write_combined_zip(out_dir: Path, gens: list[GeneratedCertificate]) -> Path:
    """One zip holding every certificate's NPKI folder (a user's whole NPKI tree)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for gen in gens:
            base = f"NPKI/{gen.ca_folder}/USER/{gen.folder_name}"
            archive.writestr(f"{base}/signCert.der", gen.cert_der)
            archive.writestr(f"{base}/signPri.key", gen.key_blob)
    path = Path(out_dir) / f"NPKI_{len(gens)}certs.zip"
    path.write_bytes(buffer.getvalue())
    return path
