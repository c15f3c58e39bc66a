import ArtifactHashing
import Foundation
import ModelStores
import Testing
import TestSupport

/// The committed fixture `fixtures/hf-cache/hub` is the one `scripts/interop.sh` runs through
/// huggingface_hub's `scan_cache_dir`; its answer is committed in
/// `fixtures/hf-cache.scan-expected.txt`. These tests hold modelctl's reading of the fixture to
/// that answer offline.
struct InteropFixtureTests {
    let hub = repositoryRoot + "/fixtures/hf-cache/hub"

    /// revision -> (files, blob names) from the recorded huggingface_hub output.
    func recorded() throws -> [String: (files: [String], blobs: [String])] {
        let text = try String(contentsOfFile: repositoryRoot + "/fixtures/hf-cache.scan-expected.txt", encoding: .utf8)
        var out: [String: (files: [String], blobs: [String])] = [:]
        var revision = ""
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("revision ") {
                let parts = trimmed.split(separator: " ")
                revision = String(parts[1])
                let files = parts.first { $0.hasPrefix("files=") }.map { $0.dropFirst(6).split(separator: ",").map(String.init) } ?? []
                out[revision] = (files, [])
            } else if trimmed.hasPrefix("blobs=") {
                out[revision]?.blobs = trimmed.dropFirst(6).split(separator: ",").map(String.init)
            }
        }
        #expect(text.contains("warnings=0"))
        return out
    }

    @Test("the first-hop blob names modelctl records are the blob paths huggingface_hub reports, and every name checks")
    func sameBlobsAsHuggingFaceHub() async throws {
        let expected = try recorded()
        #expect(expected.count == 2)
        for repo in ["models--acme--tiny-lm", "models--acme--shared-weights"] {
            let location = try #require(try HuggingFaceCache.locate(hub + "/" + repo))
            let manifest = try await ArtifactHasher().hash(location.snapshotPath)
            let result = try HuggingFaceCache.check(root: location.snapshotPath, manifest: manifest)
            #expect(result.problems.isEmpty, "\(result.problems)")
            let recordedRevision = try #require(expected[location.commit])
            #expect(result.files.keys.sorted() == recordedRevision.files)
            #expect(result.files.values.sorted() == recordedRevision.blobs)
        }
    }

    @Test("scan finds the fixture intact")
    func scanIntact() async throws {
        let report = try await StoreScanner().scan(paths: [hub])
        #expect(report.items.map(\.name) == ["acme/shared-weights", "acme/tiny-lm"])
        #expect(report.items.allSatisfy { $0.status == .ok })
        #expect(report.errors.isEmpty && report.notes.isEmpty)
    }
}
