"""Checks that run before anything is read: file sizes, and zips inspected before extraction."""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..wording import human_size
from .formats import ImportFailed
from .limits import Limits

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Below this size a member cannot hurt, whatever its compression ratio (a tiny file of zeros).
RATIO_FLOOR = 1024 * 1024
# Files that archivers add and nobody means to import.
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


@dataclass
class Member:
    """A file taken out of a zip: where it is now and its path inside the zip."""

    path: Path
    name: str


@dataclass
class Store:
    """A zipped MLflow store: the upload and its checked members, read in place (ZipMembers)."""

    path: Path
    name: str
    infos: list[zipfile.ZipInfo]


def check_size(path: Path, name: str, limits: Limits) -> int:
    """The size of a file, refusing empty files and files over the limit before reading them."""
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportFailed(f"“{name}” could not be opened.") from None
    if size == 0:
        raise ImportFailed(f"“{name}” is empty.")
    if size > limits.max_bytes:
        raise ImportFailed(
            f"“{name}” is {human_size(size)}; Cairn reads files up to "
            f"{human_size(limits.max_bytes)}."
        )
    return size


def is_zip(path: Path) -> bool:
    """Whether a file starts like a zip archive."""
    with open(path, "rb") as handle:
        return handle.read(4) in ZIP_MAGIC


def inspect_zip(path: Path, name: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The zip's file members after checking every entry; refuses anything unsafe, naming it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ImportFailed(
            f"“{name}” is not a complete zip file (it may have been cut off during the upload)."
        ) from None
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        raise ImportFailed(
            f"“{name}” holds {len(infos):,} entries; Cairn opens zips of at most "
            f"{limits.max_zip_members:,}."
        )
    total = 0
    members = []
    for info in infos:
        member = info.filename
        _check_member_name(member, name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ImportFailed(
                f"“{name}” contains a symbolic link (“{member}”); Cairn does not open zips "
                "with links."
            )
        if info.flag_bits & 0x1:
            raise ImportFailed(f"“{name}” is password-protected; upload it without a password.")
        if info.is_dir() or _JUNK.search(member):
            continue
        total += info.file_size
        if total > limits.max_zip_total:
            raise ImportFailed(
                f"“{name}” would unpack to more than {human_size(limits.max_zip_total)}; "
                "Cairn refuses it."
            )
        if info.file_size > RATIO_FLOOR:
            ratio = info.file_size / max(1, info.compress_size)
            if ratio > limits.max_zip_ratio:
                raise ImportFailed(
                    f"“{name}” looks like a zip bomb: “{member}” is compressed {ratio:,.0f} to "
                    f"1 (the most Cairn accepts is {limits.max_zip_ratio:,.0f} to 1)."
                )
        if info.file_size > limits.max_bytes:
            raise ImportFailed(
                f"“{member}” in “{name}” is {human_size(info.file_size)}; Cairn reads files up to "
                f"{human_size(limits.max_bytes)}."
            )
        if member.lower().endswith((".zip", ".jar", ".whl")):
            raise _nested_zip(name, member)
        members.append(info)
    return members


def _check_member_name(member: str, name: str) -> None:
    normalised = member.replace("\\", "/")
    parts = PurePosixPath(normalised).parts
    if (
        normalised.startswith("/")
        or re.match(r"^[A-Za-z]:", normalised)
        or ".." in parts
        or "\x00" in normalised
    ):
        raise ImportFailed(
            f"“{name}” contains a path that points outside the archive (“{member}”); "
            "Cairn refuses it."
        )


@contextmanager
def _unpacking(name: str, cleanup: Path | None = None):
    """Turn what zipfile and zlib raise on a damaged archive into ImportFailed naming it."""
    try:
        yield
        return
    except ImportFailed:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        problem = f"“{name}” is damaged and cannot be unpacked ({exc})."
    except NotImplementedError:
        problem = (
            f"“{name}” uses a compression method Cairn cannot unpack; zip it again with the "
            "usual (deflate) method."
        )
    except OSError as exc:
        problem = f"“{name}” could not be unpacked ({exc.strerror or exc})."
    if cleanup is not None:
        shutil.rmtree(cleanup, ignore_errors=True)
    raise ImportFailed(problem)


def _nested_zip(name: str, member: str) -> ImportFailed:
    return ImportFailed(
        f"“{name}” contains another zip (“{member}”); Cairn does not open zips inside zips. "
        "Unzip it and upload its contents."
    )


def _overflow(name: str) -> ImportFailed:
    return ImportFailed(f"“{name}” unpacks to more than its entries declare; Cairn refuses it.")


def extract_zip(
    path: Path, name: str, infos: list[zipfile.ZipInfo], target: Path, limits: Limits
) -> list[Member]:
    """Extract checked members into target, counting real bytes rather than trusting headers."""
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    out: list[Member] = []
    written = 0
    with _unpacking(name, cleanup=target), zipfile.ZipFile(path) as archive:
        for info in infos:
            member = info.filename.replace("\\", "/")
            destination = (root / member).resolve()
            if root not in destination.parents:
                raise ImportFailed(
                    f"“{name}” contains a path that points outside the archive (“{member}”)."
                )
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(destination, "wb") as dst:
                size = 0
                while block := src.read(1 << 20):
                    size += len(block)
                    written += len(block)
                    if size > max(info.file_size, 0) or written > limits.max_zip_total:
                        raise _overflow(name)
                    dst.write(block)
            with open(destination, "rb") as check:
                if check.read(4) in ZIP_MAGIC:
                    raise _nested_zip(name, member)
            out.append(Member(path=destination, name=member))
    return out


class ZipMembers:
    """A checked zip read in place, member by member, with the same guards as extract_zip.

    An MLflow store holds thousands of small files; writing each to disk and reading it back
    cost more than parsing them.
    """

    def __init__(self, path: Path, name: str, infos: list[zipfile.ZipInfo], limits: Limits):
        self.path, self.name, self.limits = path, name, limits
        self._infos = {info.filename.replace("\\", "/"): info for info in infos}
        self.names = sorted(self._infos)
        self._read = 0
        self._archive: zipfile.ZipFile | None = None

    def __enter__(self) -> ZipMembers:
        with _unpacking(self.name):
            self._archive = zipfile.ZipFile(self.path)
        return self

    def __exit__(self, *exc) -> None:
        if self._archive is not None:
            self._archive.close()

    def size(self, member: str) -> int:
        """The size the zip declares for a member."""
        return self._infos[member].file_size

    def under(self, folder: str) -> list[str]:
        """The members below a folder ("" for all), sorted."""
        prefix = f"{folder}/" if folder else ""
        low = bisect_left(self.names, prefix)
        high = bisect_left(self.names, prefix + "\U0010ffff")
        return self.names[low:high]

    def read(self, member: str, limit: int | None = None) -> bytes:
        """A member's bytes (its first `limit` bytes when given), never more than it declares."""
        info = self._infos[member]
        wanted = info.file_size + 1 if limit is None else min(limit, info.file_size + 1)
        with _unpacking(self.name), self._archive.open(info) as src:
            data = src.read(wanted)
        self._read += len(data)
        if len(data) > info.file_size or self._read > self.limits.max_zip_total:
            raise _overflow(self.name)
        if data[:4] in ZIP_MAGIC:
            raise _nested_zip(self.name, member)
        return data
