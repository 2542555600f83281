"""Uploaded files → certificate bundles: classify each file by content, then pair them up.

A user sends files one by one (signCert.der, signPri.key, a .pfx, or a zip of a cn= folder
or a whole NPKI tree); `assemble` turns everything received so far into bundles to choose from.
"""

from __future__ import annotations

import base64
import binascii
import enum
import io
import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from bot.certs import der, keyfile, pfx
from bot.certs.errors import (
    ArchiveRejected,
    CertificateError,
    FileTooLarge,
    NotACertificate,
    PfxCertificateEncrypted,
    UnsupportedFormat,
)
from bot.certs.inspect import CertificateInfo, inspect_certificate, load_certificate

__all__ = [
    "MAX_ARCHIVE_ENTRIES",
    "MAX_ARCHIVE_UNCOMPRESSED",
    "MAX_FILE_BYTES",
    "Assembly",
    "CertificateBundle",
    "FileKind",
    "UploadedFile",
    "assemble",
    "classify",
]

# Real files are 0.7–2.6 KB and a zip of a whole NPKI tree a few KB (docs/certificates.md).
MAX_FILE_BYTES = 64 * 1024
MAX_ARCHIVE_ENTRIES = 64
MAX_ARCHIVE_UNCOMPRESSED = 1024 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_ARCHIVE_SUFFIXES = (
    ".zip",
    ".jar",
    ".7z",
    ".rar",
    ".tar",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
    ".alz",
    ".egg",
)


class FileKind(enum.Enum):
    CERT = "cert"
    KEY = "key"
    KM_CERT = "km_cert"
    KM_KEY = "km_key"
    PFX = "pfx"
    ZIP = "zip"


@dataclass(frozen=True)
class UploadedFile:
    """One received file, classified by content; PEM input is stored as DER."""

    name: str | None
    kind: FileKind
    data: bytes


@dataclass(frozen=True)
class CertificateBundle:
    """One certificate with what unlocks it: a signPri.key blob and/or a PFX."""

    cert_der: bytes
    key_blob: bytes | None
    pfx: bytes | None
    info: CertificateInfo
    key_format: str  # seed-sha1 | seed-cbc | pbes2-seed | pbes2-aes | pfx | "" (no key yet)
    label: str


@dataclass(frozen=True)
class Assembly:
    bundles: tuple[CertificateBundle, ...]
    missing: tuple[str, ...]  # "cert" and/or "key" while no complete bundle exists


def _is_km(name: str | None) -> bool:
    base = posixpath.basename((name or "").replace("\\", "/")).lower()
    return base.startswith("km") or "kmcert" in base or "kmpri" in base


def _from_pem(data: bytes) -> bytes:
    match = _PEM_BLOCK.search(data)
    if match is None:
        raise NotACertificate("The PEM armour is incomplete.")
    body = b"".join(
        line
        for line in match.group(2).split(b"\n")
        if b":" not in line  # skip RFC 1421 headers
    )
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotACertificate("The PEM armour is not valid base64.") from exc


def _content_kind(data: bytes) -> FileKind:
    """Tell a certificate, an encrypted key and a PFX apart by their DER shape."""
    try:
        parts = der.parse(data).expect(der.SEQUENCE).children()
    except der.DerError as exc:
        raise NotACertificate() from exc
    if len(parts) == 3 and parts[0].tag == der.SEQUENCE and parts[2].tag == der.BIT_STRING:
        load_certificate(data)  # raises NotACertificate when cryptography disagrees
        return FileKind.CERT
    if len(parts) >= 3 and parts[0].tag == der.INTEGER and parts[2].tag == der.OCTET_STRING:
        raise UnsupportedFormat("An unencrypted private key is not an NPKI key file.")
    if parts and parts[0].tag == der.INTEGER and len(parts) in (2, 3):
        try:
            pfx.read_pfx(data)
        except PfxCertificateEncrypted:
            pass  # a PFX all the same: `assemble` says it must be opened by its password first
        return FileKind.PFX
    if len(parts) == 2 and parts[0].tag == der.SEQUENCE and parts[1].tag == der.OCTET_STRING:
        keyfile.parse_key_blob(data)
        return FileKind.KEY
    raise NotACertificate()


def classify(name: str | None, data: bytes) -> UploadedFile:
    """Classify one upload by content (the name only tells sign from km files)."""
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge()
    if not data:
        raise NotACertificate("The file is empty.")
    if data.startswith(_ZIP_MAGIC):
        _read_zip(data)  # validate now so a bad archive is reported on upload
        return UploadedFile(name, FileKind.ZIP, data)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"-----BEGIN"):
        data = _from_pem(stripped)
    kind = _content_kind(data)
    if _is_km(name):
        kind = {FileKind.CERT: FileKind.KM_CERT, FileKind.KEY: FileKind.KM_KEY}.get(kind, kind)
    return UploadedFile(name, kind, data)


@dataclass(frozen=True)
class _Member:
    folder: str
    name: str
    data: bytes


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # Without the UTF-8 flag zipfile decoded the name as cp437. Linux `zip` writes UTF-8
        # without the flag, Korean Windows writes cp949: try UTF-8 first (strict: cp949 bytes
        # are rarely valid UTF-8), then cp949.
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            return name
        for encoding in ("utf-8", "cp949"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    return name


def _safe_path(name: str) -> str:
    path = name.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or "\x00" in path:
        raise ArchiveRejected("The archive contains an absolute path.")
    if any(part == ".." for part in path.split("/")):
        raise ArchiveRejected("The archive contains a path that leaves its folder.")
    return path


def _read_zip(data: bytes) -> list[_Member]:
    try:
        return _read_zip_unchecked(data)
    except CertificateError:
        raise
    except Exception as exc:  # zipfile/zlib raise many types for hostile archives
        raise ArchiveRejected("The archive is damaged.") from exc


def _read_zip_unchecked(data: bytes) -> list[_Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ARCHIVE_ENTRIES:
            raise ArchiveRejected("The archive has too many entries.")
        if sum(info.file_size for info in infos) > MAX_ARCHIVE_UNCOMPRESSED:
            raise ArchiveRejected("The archive is too large when unpacked.")
        members: list[_Member] = []
        total = 0
        for info in infos:
            path = _safe_path(_member_name(info))
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveRejected("The archive is encrypted.")
            if path.lower().endswith(_ARCHIVE_SUFFIXES):
                raise ArchiveRejected("Archives inside archives are not accepted.")
            if info.file_size > MAX_FILE_BYTES:
                raise FileTooLarge("A file in the archive is too large.")
            with archive.open(info) as handle:
                # Never trust the header's size: read at most one byte past the limit.
                content = handle.read(MAX_FILE_BYTES + 1)
            total += len(content)
            if len(content) > MAX_FILE_BYTES or total > MAX_ARCHIVE_UNCOMPRESSED:
                raise ArchiveRejected("The archive is too large when unpacked.")
            if content.startswith(_ZIP_MAGIC):
                raise ArchiveRejected("Archives inside archives are not accepted.")
            folder, base = posixpath.split(path)
            members.append(_Member(folder, base, content))
        return members


@dataclass
class _Pool:
    """Loose certificate and key files waiting for their other half, in upload order."""

    certs: list[tuple[str, bytes]]
    keys: list[tuple[str, bytes]]


def _bundle(
    cert_der: bytes, key_blob: bytes | None, pfx_data: bytes | None, label: str
) -> CertificateBundle:
    info = inspect_certificate(cert_der)
    if pfx_data is not None and key_blob is None:
        key_format = "pfx"
    elif key_blob is not None:
        key_format = keyfile.parse_key_blob(key_blob).key_format
    else:
        key_format = ""
    return CertificateBundle(cert_der, key_blob, pfx_data, info, key_format, label)


def _pfx_bundle(data: bytes, label: str) -> CertificateBundle:
    contents = pfx.read_pfx(data)
    chosen = _pick_sign_certificate(contents.certificates)
    return _bundle(chosen, None, data, label)


def _pick_sign_certificate(certs: Sequence[bytes]) -> bytes:
    """A PFX may carry CA and km certificates too: prefer a non-CA signing certificate."""
    from cryptography import x509

    best = certs[0]
    for cert_der in certs:
        try:
            cert = load_certificate(cert_der)
            constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
            if constraints.ca:
                continue
        except x509.ExtensionNotFound:
            pass
        except Exception:
            continue
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            if usage.digital_signature or usage.content_commitment:
                return cert_der
        except Exception:
            best = cert_der
    return best


def _classify_member(member: _Member) -> UploadedFile | None:
    try:
        return classify(f"{member.folder}/{member.name}", member.data)
    except (NotACertificate, UnsupportedFormat):
        return None  # stray files (desktop.ini, readme) do not spoil an archive


def _from_zip(upload: UploadedFile, pool: _Pool, bundles: list[CertificateBundle]) -> None:
    by_folder: dict[str, list[UploadedFile]] = {}
    for member in _read_zip(upload.data):
        classified = _classify_member(member)
        if classified is not None:
            by_folder.setdefault(member.folder, []).append(classified)
    for folder, files in by_folder.items():
        label = posixpath.basename(folder) or (upload.name or "archive")
        certs = [f for f in files if f.kind is FileKind.CERT]
        keys = [f for f in files if f.kind is FileKind.KEY]
        for f in files:
            if f.kind is FileKind.PFX:
                bundles.append(_pfx_bundle(f.data, label))
        if len(certs) == 1 and len(keys) == 1:
            bundles.append(_bundle(certs[0].data, keys[0].data, None, label))
        else:
            pool.certs.extend((label, f.data) for f in certs)
            pool.keys.extend((label, f.data) for f in keys)


def assemble(files: Sequence[UploadedFile]) -> Assembly:
    """Combine everything uploaded so far into certificate bundles (deduplicated by fingerprint)."""
    pool = _Pool([], [])
    bundles: list[CertificateBundle] = []
    for upload in files:
        label = upload.name or upload.kind.value
        if upload.kind is FileKind.PFX:
            bundles.append(_pfx_bundle(upload.data, label))
        elif upload.kind is FileKind.ZIP:
            _from_zip(upload, pool, bundles)
        elif upload.kind is FileKind.CERT:
            pool.certs.append((label, upload.data))
        elif upload.kind is FileKind.KEY:
            pool.keys.append((label, upload.data))
        # km files are recognised and ignored: they are not used for registration.

    certs = _unique(pool.certs)
    keys = _unique(pool.keys)
    known = {b.info.fingerprint_sha256 for b in bundles}
    if certs and keys:
        # With several candidates, the latest cert and key win: a user who re-sends a file
        # means the new one. A wrong pairing still fails safely at unlock (KeyMismatch).
        cert_label, cert_der = certs[-1]
        _key_label, key_blob = keys[-1]
        pair = _bundle(cert_der, key_blob, None, cert_label)
        if pair.info.fingerprint_sha256 not in known:
            bundles.append(pair)
    elif certs:
        for _label, cert_der in certs:
            inspect_certificate(cert_der)  # surface NotRSA and friends on upload

    unique: list[CertificateBundle] = []
    seen: set[str] = set()
    for bundle in bundles:
        if bundle.info.fingerprint_sha256 not in seen:
            seen.add(bundle.info.fingerprint_sha256)
            unique.append(bundle)
    missing: tuple[str, ...] = ()
    if not unique:
        missing = tuple(
            part for part, present in (("cert", bool(certs)), ("key", bool(keys))) if not present
        )
    return Assembly(tuple(unique), missing)


def _unique(items: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Drop repeated uploads of identical bytes, keeping the latest position."""
    seen: dict[bytes, tuple[str, bytes]] = {}
    for label, data in items:
        seen.pop(data, None)
        seen[data] = (label, data)
    return list(seen.values())
