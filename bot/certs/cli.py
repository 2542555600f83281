"""Operator commands of the certificate core: `kcert-bot inspect` and `kcert-bot make-test-cert`.

`bot/cli.py` dispatches to these two functions; each parses its own argv and returns the exit
code (0 ok, 1 wrong password / key mismatch / failed identity check, 2 unusable input).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.certs.errors import (
    CertificateError,
    FileTooLarge,
    IdentityCheckUnavailable,
    IdentityMismatch,
    KeyMismatch,
    NotACertificate,
    PfxCertificateEncrypted,
    WrongPassword,
)
from bot.certs.identity import verify_identity
from bot.certs.inspect import load_certificate
from bot.certs.pfx import read_pfx
from bot.certs.protected import open_protected_pfx
from bot.certs.trust import TrustStore, verify_chain
from bot.certs.unlock import UnlockedKey, unlock
from bot.certs.upload import (
    MAX_ARCHIVE_ENTRIES,
    MAX_FILE_BYTES,
    CertificateBundle,
    FileKind,
    UploadedFile,
    assemble,
    classify,
)

__all__ = ["inspect_command", "make_test_cert_command"]

EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE = 0, 1, 2


def _read_path(path: Path) -> bytes:
    if not path.is_file():
        raise NotACertificate(f"Not a readable file: {path.name}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FileTooLarge()
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def _folder_as_zip(path: Path) -> UploadedFile:
    """A cn= folder or an NPKI tree is read like a zip of it: every cn= folder is one bundle."""
    members = sorted(p for p in path.rglob("*") if p.is_file())[:MAX_ARCHIVE_ENTRIES]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            info = zipfile.ZipInfo(str(member.relative_to(path.parent)))
            info.flag_bits |= 0x800  # names are str here: store them as UTF-8
            archive.writestr(info, _read_path(member))
    return UploadedFile(path.name, FileKind.ZIP, buffer.getvalue())


def _collect(paths: list[str]) -> list[UploadedFile]:
    uploads: list[UploadedFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            uploads.append(_folder_as_zip(path))
        else:
            uploads.append(classify(path.name, _read_path(path)))
    return uploads


def _split_protected(uploads: list[UploadedFile]) -> tuple[list[UploadedFile], list[UploadedFile]]:
    """PFX files whose certificate is encrypted too can only be opened with the password."""
    plain: list[UploadedFile] = []
    protected: list[UploadedFile] = []
    for upload in uploads:
        if upload.kind is FileKind.PFX:
            try:
                read_pfx(upload.data)
            except PfxCertificateEncrypted:
                protected.append(upload)
                continue
        plain.append(upload)
    return plain, protected


def _read_line() -> str | None:
    line = sys.stdin.readline()
    return line.rstrip("\r\n") if line else None


def _chain(bundle: CertificateBundle, trust: TrustStore, now: datetime) -> dict[str, Any]:
    try:
        result = verify_chain(load_certificate(bundle.cert_der), trust, now=now)
    except CertificateError as exc:
        return {"status": exc.code, "path": []}
    return {"status": result.status, "path": list(result.chain)}


def _check(
    bundle: CertificateBundle,
    password: str | None,
    identity: str | None,
    *,
    trust: TrustStore,
    now: datetime,
    unlocked: UnlockedKey | None = None,
) -> tuple[dict[str, Any], int]:
    info = bundle.info
    result: dict[str, Any] = {
        "owner_name": info.owner_name,
        "subject": info.subject_dn,
        "issuer": info.issuer_dn,
        "ca": info.ca,
        "ca_name_ko": info.ca_name_ko,
        "serial_hex": info.serial_hex,
        "policy_oid": info.policy_oid,
        "holder_type": info.holder_type,
        "usage": info.usage,
        "usage_purpose_ko": info.usage_purpose_ko,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "expired": info.expired,
        "not_yet_valid": info.not_yet_valid,
        "days_left": info.days_left(now),
        "fingerprint_sha256": info.fingerprint_sha256,
        "public_key_sha256": info.public_key_sha256,
        "key_size": info.key_size,
        "is_financial_certificate": info.is_financial_certificate,
        "key_format": bundle.key_format,
        "label": bundle.label,
        "key_unlocked": None,
        "key_matches": None,
        "identity_verified": None,
        "chain": _chain(bundle, trust, now),
        "trust_anchors": trust.label,
    }
    code = EXIT_OK
    if password is None:
        return result, code
    try:
        unlocked = unlocked or unlock(bundle, password)
    except WrongPassword:
        result["key_unlocked"] = False
        return result, EXIT_REJECTED
    except KeyMismatch:
        result["key_unlocked"], result["key_matches"] = True, False
        return result, EXIT_REJECTED
    except CertificateError as exc:
        result["key_error"] = exc.code
        return result, EXIT_UNUSABLE
    result["key_unlocked"], result["key_matches"] = True, True
    if identity is not None:
        try:
            verify_identity(bundle.cert_der, unlocked.random_num, identity)
            verified = True
        except IdentityMismatch:
            verified = False
        except IdentityCheckUnavailable as exc:
            result["identity_error"] = exc.code
            return result, EXIT_UNUSABLE
        except CertificateError as exc:
            result["identity_error"] = exc.code
            return result, EXIT_UNUSABLE
        result["identity_verified"] = verified
        code = EXIT_OK if verified else EXIT_REJECTED
    return result, code


def _yes_no(value: object) -> str:
    return {True: "예 / yes", False: "아니오 / no", None: "-"}.get(value, str(value))  # type: ignore[call-overload]


def _print_human(result: dict[str, Any]) -> None:
    usage = "범용 / general" if result["usage"] == "general" else "용도제한 / restricted"
    if result.get("usage_purpose_ko"):
        usage += f" ({result['usage_purpose_ko']})"
    lines = [
        ("출처 / Source", result["label"]),
        ("소유자 / Owner", result["owner_name"]),
        ("주체 / Subject", result["subject"]),
        ("발급자 / Issuer", f"{result['ca_name_ko']} ({result['ca']}) — {result['issuer']}"),
        ("일련번호 / Serial", result["serial_hex"]),
        ("정책 / Policy", result["policy_oid"] or "-"),
        (
            "구분 / Holder",
            "법인 / corporate" if result["holder_type"] == "corporate" else "개인 / personal",
        ),
        ("용도 / Usage", usage),
        ("유효기간 / Valid", f"{result['not_before']} ~ {result['not_after']}"),
        ("남은 일수 / Days left", str(result["days_left"])),
        ("만료 / Expired", _yes_no(result["expired"])),
        ("키 / Key", f"RSA {result['key_size']}, {result['key_format'] or '-'}"),
        ("지문 / SHA-256", result["fingerprint_sha256"]),
        ("공개키 / Public key SHA-256", result["public_key_sha256"]),
        ("인증경로 / Chain", _chain_text(result)),
    ]
    if result["not_yet_valid"]:
        lines.append(("아직 유효하지 않음 / Not yet valid", _yes_no(True)))
    if result["is_financial_certificate"]:
        lines.append(("금융인증서 / Financial cert", _yes_no(True)))
    if result["key_unlocked"] is not None or "key_error" in result:
        lines.append(("암호 확인 / Password", _yes_no(result["key_unlocked"])))
        lines.append(("키 일치 / Key matches", _yes_no(result["key_matches"])))
    if "key_error" in result:
        lines.append(("키 오류 / Key error", result["key_error"]))
    if result["identity_verified"] is not None or "identity_error" in result:
        lines.append(("본인확인 / Identity", _yes_no(result["identity_verified"])))
    if "identity_error" in result:
        lines.append(("본인확인 오류 / Identity error", result["identity_error"]))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label.ljust(width)}  {value}")


_CHAIN_TEXT = {
    "verified": "검증됨 / verified",
    "unknown_issuer": "발급기관이 신뢰 목록에 없음 / issuer not in the trust store",
    "untrusted_chain": "검증 실패 / does NOT verify",
}


def _chain_text(result: dict[str, Any]) -> str:
    chain = result["chain"]
    text = _CHAIN_TEXT.get(chain["status"], chain["status"])
    if chain["path"]:
        text += " — " + " → ".join(chain["path"])
    return f"{text} [{result['trust_anchors']}]"


TEST_ANCHORS_REMARK = "테스트용 앵커 / TEST anchors (kcert TEST Root CA)"


def _load_trust(path: str | None) -> TrustStore:
    """--trust FILE, else TRUSTED_CA_FILE, else the TEST bundle (clearly labelled)."""
    if path is None:
        from bot.config import Settings

        try:
            configured = Settings().trusted_ca_file
        except Exception:  # an invalid .env is the bot's problem to report, not inspect's
            configured = None
        if configured is not None:
            path = str(configured)
    if path is not None:
        return TrustStore.load(path)
    from bot.certs import testgen

    return TrustStore.from_pem(testgen.fake_ca_bundle_bytes(), label=TEST_ANCHORS_REMARK)


def inspect_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kcert-bot inspect",
        description="Show an NPKI certificate (signCert.der + signPri.key, .pfx/.p12, zip or folder).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first stdin line"
    )
    parser.add_argument(
        "--check-identity",
        action="store_true",
        help="read an identity number from the next stdin line and check the VID",
    )
    parser.add_argument(
        "--trust",
        metavar="FILE",
        default=None,
        help="PEM bundle of trusted CA certificates (default: TRUSTED_CA_FILE, else TEST anchors)",
    )
    args = parser.parse_args(argv)
    if args.check_identity and not args.password_stdin:
        parser.error("--check-identity needs --password-stdin (R is inside the private key)")

    password = _read_line() if args.password_stdin else None
    identity = _read_line() if args.check_identity else None
    if args.password_stdin and password is None:
        return _print_error("no_password", "No password on stdin.", args.json)
    if args.check_identity and identity is None:
        return _print_error("no_identity_number", "No identity number on stdin.", args.json)

    now = datetime.now(UTC)
    opened: list[tuple[CertificateBundle, UnlockedKey | None]] = []
    try:
        trust = _load_trust(args.trust)
        plain, protected = _split_protected(_collect(args.paths))
        if protected and password is None:
            raise PfxCertificateEncrypted(
                "The PKCS#12 file keeps its certificate encrypted; give --password-stdin."
            )
        if plain:
            assembly = assemble(plain)
            opened += [(bundle, None) for bundle in assembly.bundles]
        for upload in protected:
            try:
                bundle, key = open_protected_pfx(
                    upload.data, password or "", label=upload.name or "pfx"
                )
            except WrongPassword:
                return _print_wrong_password(args.json)
            opened.append((bundle, key))
        if not opened:
            raise NotACertificate(
                "No complete certificate found; missing: "
                + ", ".join((assembly.missing if plain else ()) or ("cert",))
            )
    except CertificateError as exc:
        return _print_error(exc.code, exc.message, args.json)

    results = [
        _check(bundle, password, identity, trust=trust, now=now, unlocked=key)
        for bundle, key in opened
    ]
    code = max(c for _r, c in results)
    if args.json:
        if len(results) == 1:
            print(json.dumps(results[0][0], ensure_ascii=False))
        else:
            print(json.dumps({"certificates": [r for r, _c in results]}, ensure_ascii=False))
    else:
        for index, (result, _code) in enumerate(results):
            if index:
                print()
            _print_human(result)
    return code


def _print_wrong_password(as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": "wrong_password", "key_unlocked": False}))
    else:
        print(f"오류 / Error [wrong_password]: {WrongPassword.default_message}")
    return EXIT_REJECTED


def _print_error(code: str, message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": code, "message": message}, ensure_ascii=False))
    else:
        print(f"오류 / Error [{code}]: {message}")
    return EXIT_UNUSABLE


TEST_PASSWORD = "test1234!"  # a published test value, not a secret


def make_test_cert_command(argv: list[str]) -> int:
    from bot.certs import testgen

    parser = argparse.ArgumentParser(
        prog="kcert-bot make-test-cert",
        description="Write a FAKE NPKI certificate (for tests and trying the bot; useless at a bank).",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--format", dest="fmt", choices=testgen.FORMATS, default="seed-sha1")
    parser.add_argument("--ca", choices=testgen.CA_CODES, default="yessign")
    parser.add_argument("--corporate", action="store_true")
    parser.add_argument("--name", default="홍길동")
    parser.add_argument("--password", default=None, help=f"default {TEST_PASSWORD}")
    parser.add_argument(
        "--identity-number", default=None, help="13 or 10 digits; default a test number"
    )
    parser.add_argument("--expired", action="store_true")
    parser.add_argument("--not-yet-valid", action="store_true")
    parser.add_argument("--key-size", type=int, choices=(1024, 2048, 3072, 4096), default=2048)
    parser.add_argument("--policy-oid", default=None)
    parser.add_argument("--vid-hash", choices=("sha256", "sha1"), default="sha256")
    parser.add_argument("--no-random", action="store_true", help="leave R out of the private key")
    parser.add_argument(
        "--count", type=int, default=1, help="make N certificates, and one zip holding all of them"
    )
    parser.add_argument(
        "--expires-in-days",
        type=int,
        default=None,
        metavar="N",
        help="last valid day N days from today (KST)",
    )
    args = parser.parse_args(argv)
    if sum((args.expired, args.not_yet_valid, args.expires_in_days is not None)) > 1:
        parser.error("--expired, --not-yet-valid and --expires-in-days exclude each other")
    if not 1 <= args.count <= 20:
        parser.error("--count is 1 to 20")
    identity = args.identity_number
    if identity is None:
        identity = (
            testgen.DEFAULT_BUSINESS_NUMBER if args.corporate else testgen.DEFAULT_RESIDENT_NUMBER
        )

    gens = [
        testgen.generate_test_certificate(
            fmt=args.fmt,
            ca=args.ca,
            corporate=args.corporate,
            name=args.name,
            password=args.password or TEST_PASSWORD,
            identity_number=identity,
            expired=args.expired,
            not_yet_valid=args.not_yet_valid,
            key_size=args.key_size,
            include_random=not args.no_random,
            policy_oid=args.policy_oid,
            vid_hash=args.vid_hash,
            expires_in_days=args.expires_in_days,
        )
        for _ in range(args.count)
    ]
    paths: list[Path] = []
    for gen in gens:
        paths += testgen.write_test_certificate(args.out, gen)
    if len(gens) > 1:
        paths.append(testgen.write_combined_zip(args.out, gens))
    bundle_path = Path(args.out) / testgen.TEST_BUNDLE_NAME
    bundle_path.write_bytes(testgen.fake_ca_bundle_bytes())
    gen = gens[0]
    print("테스트용 가짜 인증서를 만들었습니다 / Wrote a FAKE test certificate:")
    for path in paths:
        print(f"  {path}")
    print(f"테스트 CA 묶음 / TEST CA bundle (kcert-bot inspect --trust): {bundle_path}")
    print(f"소유자 / Owner: {gen.info.owner_name}  ({gen.info.ca_name_ko}, {gen.info.usage_ko})")
    # Only the published test defaults are echoed: a value the user chose stays off the terminal
    # (and out of shell logs); they know it already.
    if args.password is None:
        print(f"암호 / Password: {TEST_PASSWORD} (테스트 기본값 / test default)")
    else:
        print("암호 / Password: --password 로 지정한 값 / the one given with --password")
    if args.identity_number is None:
        print(f"식별번호 / Identity number: {identity} (테스트 기본값 / test default)")
    else:
        print("식별번호 / Identity number: --identity-number 로 지정한 값 / the one given")
    return EXIT_OK
