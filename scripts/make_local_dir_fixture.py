"""Regenerate fixtures/hf-local-dir/tiny: a `hf download --local-dir` tree as huggingface_hub writes it.

Usage: python3 scripts/make_local_dir_fixture.py [OUT_DIR]   (default fixtures/hf-local-dir/tiny)
Needs huggingface_hub (pip install huggingface_hub). Offline: the files are written here, and
huggingface_hub's own local-dir functions (get_local_download_paths, write_download_metadata)
write .cache/huggingface/ exactly as a download does, with the etag the Hub serves: the
SHA-256 for the LFS file, the git blob SHA-1 for the others.
"""
import hashlib
import shutil
import sys
from pathlib import Path

from huggingface_hub._local_folder import get_local_download_paths, write_download_metadata

COMMIT = "5f1c0ffee0ddba11cafe0000000000000000a11c"
FILES = [  # (path in the repo, bytes, stored in LFS)
    ("config.json", b'{"architectures":["TinyModel"]}', False),
    ("model.safetensors", b"SAFETENSORS\x00\x01\x02 local-dir weights", True),
    ("tokenizer/tokenizer.json", b'{"version":"1.0"}', False),
]


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/hf-local-dir/tiny")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, data, lfs in FILES:
        paths = get_local_download_paths(out, name)
        paths.file_path.write_bytes(data)
        etag = hashlib.sha256(data).hexdigest() if lfs else git_blob_sha1(data)
        write_download_metadata(out, name, COMMIT, etag)
    # huggingface_hub's file locks are empty and only matter while it runs.
    for lock in out.glob(".cache/huggingface/**/*.lock"):
        lock.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
