import ArtifactHashing
import Foundation
import Testing
import TestSupport

/// FIPS 180-2 known answers.
let knownAnswers: [(input: [UInt8], hex: String)] = [
    ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
]

struct DigestTests {
    @Test("known answers, fed in pieces that split blocks at awkward places", arguments: [1, 7, 55, 56, 63, 64, 65, 1000, 4097])
    func knownAnswersInPieces(pieceSize: Int) {
        for (input, expected) in knownAnswers {
            var digest = SHA256Digest()
            var offset = 0
            input.withUnsafeBytes { raw in
                while offset < raw.count {
                    let n = min(pieceSize, raw.count - offset)
                    digest.update(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]))
                    offset += n
                }
            }
            #expect(digest.finalizeHex() == expected, "input of \(input.count) bytes in pieces of \(pieceSize)")
        }
    }

    @Test("a context is reusable after finalize")
    func reuse() {
        var digest = SHA256Digest()
        digest.update(Array("abc".utf8))
        _ = digest.finalize()
        digest.update(Array("abc".utf8))
        #expect(digest.finalizeHex() == knownAnswers[1].hex)
    }

    @Test("known answers through the file path with read sizes that split the input", arguments: [1, 7, 63, 65, 4097, 1 << 20])
    func knownAnswersThroughFiles(chunkSize: Int) async throws {
        let dir = TemporaryDirectory()
        for (i, (input, expected)) in knownAnswers.enumerated() {
            // One byte at a time over a million bytes is slow; the small sizes see the small inputs.
            if chunkSize == 1 && input.count > 1000 { continue }
            let path = try dir.write("kat\(i)", Data(input))
            let hex = try ArtifactHasher(jobs: 1, chunkSize: chunkSize).hashFile(atPath: path)
            #expect(hex == expected, "input \(i) with chunk size \(chunkSize)")
            let manifest = try await ArtifactHasher(jobs: 2, chunkSize: chunkSize).hash(path)
            #expect(manifest.files.map(\.sha256) == [expected])
        }
    }
}
