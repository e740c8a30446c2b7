"""The model file: one safetensors file whose header carries the JSON configuration.

Layout: tensors in safetensors (no pickle anywhere); the header's metadata holds
``aekit`` (JSON: estimator class, parameters, fitted attributes, versions) and
``aekit_sha256``, a digest over that JSON and every tensor's name, dtype, shape and bytes, so a
truncated or bit-flipped file is rejected instead of loaded.

The digest is checked on the file's raw bytes, so ``read_model_header`` (what ``aekit info``
uses) verifies a file with the standard library alone, without importing PyTorch.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from aekit.io.atomic import atomic_write_bytes

if TYPE_CHECKING:
    import torch

FORMAT_NAME = "aekit-model"
FORMAT_VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024
# safetensors dtype codes -> the names the digest was computed with (str(torch.dtype))
_DTYPE_NAMES = {"F64": "torch.float64", "F32": "torch.float32", "F16": "torch.float16",
                "BF16": "torch.bfloat16", "I64": "torch.int64", "I32": "torch.int32",
                "I16": "torch.int16", "I8": "torch.int8", "U8": "torch.uint8", "BOOL": "torch.bool"}


def _digest(config_json: str, tensors: dict[str, torch.Tensor]) -> str:
    import torch

    sha = hashlib.sha256(config_json.encode())
    for name in sorted(tensors):
        tensor = tensors[name]
        sha.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        sha.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def write_model_file(path: str | os.PathLike, tensors: dict[str, torch.Tensor],
                     config: dict) -> None:
    """Write ``tensors`` and the JSON-serialisable ``config`` to ``path`` atomically."""
    from safetensors.torch import save

    cpu = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    config_json = json.dumps({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **config},
                             sort_keys=True, default=_python_number)
    metadata = {"format": "pt", "aekit": config_json, "aekit_sha256": _digest(config_json, cpu)}
    atomic_write_bytes(path, save(cpu, metadata=metadata))


def _python_number(value):
    """A NumPy number in a config (a parameter a grid built with ``np.arange`` handed in) as
    the Python number JSON writes; anything else has no JSON form."""
    numpy = sys.modules.get("numpy")  # loaded wherever such a number exists
    if numpy is not None and isinstance(value, numpy.generic) and value.dtype.kind in "biuf":
        return value.item()
    raise TypeError(f"a model file cannot store a {type(value).__name__} ({value!r:.40})")


def read_model_header(path: str | os.PathLike) -> tuple[dict, dict[str, tuple[int, ...]]]:
    """Read and verify a model file without loading its tensors (and without PyTorch).

    Returns ``(config, shapes)``: the JSON configuration and each tensor's shape. Raises
    ``ValueError`` if the file is not an intact aekit model.
    """
    path = Path(path)
    config, header, _ = _read_verified(path)
    return config, {name: tuple(entry["shape"]) for name, entry in header.items()}


def read_model_file(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """Read and verify a model file; raises ``ValueError`` if it is not an intact aekit model."""
    path = Path(path)
    config, _, data = _read_verified(path)
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        tensors = load(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise ValueError(f"model file {path} is corrupted: {error}") from None
    return tensors, config


def _read_verified(path: Path) -> tuple[dict, dict, bytes]:
    """``(config, tensor header entries, file bytes)`` after checking the checksum."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a model file: name the "
                                ".safetensors file inside it")
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    data = path.read_bytes()
    header = _read_header(data, path)
    metadata = header.pop("__metadata__")
    config_json = metadata["aekit"]
    if _raw_digest(config_json, header, data, path) != metadata.get("aekit_sha256"):
        raise ValueError(f"model file {path} is corrupted: its checksum does not match")
    config = json.loads(config_json)
    version = config.get("format_version")
    if config.get("format") != FORMAT_NAME or not isinstance(version, int):
        raise ValueError(f"{path} is not an aekit model file")
    if version > FORMAT_VERSION:
        raise ValueError(f"{path} was written by a newer aekit (format {version}); upgrade aekit")
    return config, header, data


def _raw_digest(config_json: str, header: dict, data: bytes, path: Path) -> str:
    """``_digest`` computed from the stored bytes (safetensors is little-endian, as is
    ``view(torch.uint8)`` on the machines PyTorch supports)."""
    corrupted = ValueError(f"model file {path} is corrupted: its tensor table is damaged")
    start = 8 + struct.unpack("<Q", data[:8])[0]
    sha = hashlib.sha256(config_json.encode())
    for name in sorted(header):
        try:
            entry = header[name]
            dtype = _DTYPE_NAMES[entry["dtype"]]
            begin, end = (start + int(offset) for offset in entry["data_offsets"])
            shape = tuple(int(n) for n in entry["shape"])
        except (KeyError, TypeError, ValueError):
            raise corrupted from None
        if not start <= begin <= end <= len(data):
            raise corrupted
        sha.update(f"{name}|{dtype}|{shape}".encode())
        sha.update(data[begin:end])
    return sha.hexdigest()


def _read_header(data: bytes, path: Path) -> dict:
    """Parse the safetensors header by hand, so that damage gets a clear message."""
    bad = ValueError(f"{path} is not an aekit model file, or it is truncated or corrupted")
    if len(data) < 8:
        raise bad
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > min(len(data) - 8, _MAX_HEADER):
        raise bad
    try:
        header = json.loads(data[8 : 8 + header_size])
        metadata = header["__metadata__"]
        if not isinstance(metadata, dict) or "aekit" not in metadata:
            raise KeyError("aekit")
    except (ValueError, KeyError, TypeError):
        raise bad from None
    return header
