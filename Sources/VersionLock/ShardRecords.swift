import ArtifactHashing
import ModelRegistry

/// Between recorded shard digests (`artifacts.files[].shards`) and the hasher.
enum ShardRecords {
    /// What `artifacts` lets a verify check shard by shard: every file recorded with its size
    /// and shards. A curated pin is checked against whole-file digests only: the shards live
    /// in the discovered layer, which the pin is there not to trust.
    static func expectations(_ artifacts: ArtifactRecord?, pinned: Bool) -> [String: ShardExpectation] {
        guard !pinned, let files = artifacts?.files else { return [:] }
        var out: [String: ShardExpectation] = [:]
        for file in files {
            guard let size = file.size, let shards = file.shards else { continue }
            out[file.path] = ShardExpectation(fileSize: size, sha256: file.sha256,
                                              shards: FileShards(shardSize: shards.size, sha256: shards.sha256))
        }
        return out
    }

    /// The shards to record for `file`: those the hash found, else those recorded for the same
    /// bytes (same digest and size; a quick verify reads no shards and must not drop them).
    static func shards(for file: ArtifactFile, in manifest: Manifest, recorded: [String: ArtifactRecord.File]) -> ArtifactRecord.Shards? {
        if let found = manifest.shards[file.path] { return ArtifactRecord.Shards(size: found.shardSize, sha256: found.sha256) }
        guard let old = recorded[file.path], old.sha256 == file.sha256, old.size == file.size else { return nil }
        return old.shards
    }

    /// `manifest` as `artifacts`, with its shards; `aggregate` is the manifest's, when the caller
    /// has it already (computing it sorts and hashes every line).
    static func record(_ manifest: Manifest, aggregate: String? = nil, blobs: [String: String] = [:], recorded: ArtifactRecord? = nil) -> ArtifactRecord {
        let old = Dictionary((recorded?.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return ArtifactRecord(aggregateSHA256: aggregate ?? manifest.aggregate, files: manifest.files.map {
            .init(path: $0.path, sha256: $0.sha256, size: $0.size, blob: blobs[$0.path], shards: shards(for: $0, in: manifest, recorded: old))
        })
    }
}
