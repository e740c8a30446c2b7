"""The model file: one safetensors file whose header carries the JSON configuration.

Layout: tensors in safetensors (no pickle anywhere); the header's metadata holds
``aekit`` (JSON: estimator class, parameters, fitted attributes, versions) and
``aekit_sha256``, a digest over that JSON and every tensor's name, dtype, shape and bytes, so a
truncated or bit-flipped file is rejected instead of loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import torch

from aekit.io.atomic import atomic_write_bytes

FORMAT_NAME = "aekit-model"
FORMAT_VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024


def _digest(config_json: str, tensors: dict[str, torch.Tensor]) -> str:
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
                             sort_keys=True)
    metadata = {"format": "pt", "aekit": config_json, "aekit_sha256": _digest(config_json, cpu)}
    atomic_write_bytes(path, save(cpu, metadata=metadata))


def read_model_file(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """Read and verify a model file; raises ``ValueError`` if it is not an intact aekit model."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    data = path.read_bytes()
    metadata = _read_metadata(data, path)
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        tensors = load(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise ValueError(f"model file {path} is corrupted: {error}") from None
    config_json = metadata["aekit"]
    if _digest(config_json, tensors) != metadata.get("aekit_sha256"):
        raise ValueError(f"model file {path} is corrupted: its checksum does not match")
    config = json.loads(config_json)
    version = config.get("format_version")
    if config.get("format") != FORMAT_NAME or not isinstance(version, int):
        raise ValueError(f"{path} is not an aekit model file")
    if version > FORMAT_VERSION:
        raise ValueError(f"{path} was written by a newer aekit (format {version}); upgrade aekit")
    return tensors, config


def _read_metadata(data: bytes, path: Path) -> dict[str, str]:
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
    return metadata
