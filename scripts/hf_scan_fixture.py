"""Print what huggingface_hub's own scanner says about a Hugging Face cache, deterministically.

Usage: python3 scripts/hf_scan_fixture.py CACHE_DIR

scripts/interop.sh runs this on fixtures/hf-cache/hub with the real huggingface_hub and
compares the output with fixtures/hf-cache.scan-expected.txt, so the fixture modelctl's tests
use is one that huggingface_hub accepts (no warnings, every repo, revision, ref and file seen).
"""
import sys

from huggingface_hub import scan_cache_dir


def main() -> int:
    info = scan_cache_dir(sys.argv[1])
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        refs = ",".join(sorted(repo.refs))
        print(f"repo {repo.repo_type}:{repo.repo_id} files={repo.nb_files} size={repo.size_on_disk} refs={refs}")
        for rev in sorted(repo.revisions, key=lambda r: r.commit_hash):
            files = ",".join(sorted(str(f.file_path.relative_to(rev.snapshot_path)) for f in rev.files))
            blobs = ",".join(sorted(f.blob_path.name for f in rev.files))
            print(f"  revision {rev.commit_hash} refs={','.join(sorted(rev.refs))} files={files}")
            print(f"    blobs={blobs}")
    print(f"warnings={len(info.warnings)}")
    for warning in info.warnings:
        print(f"  {warning}")
    print(f"incomplete={len(info.incomplete_files)}")
    return 0 if not info.warnings else 1


if __name__ == "__main__":
    sys.exit(main())
