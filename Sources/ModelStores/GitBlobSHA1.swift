internal import CLibCrypto

/// The SHA-1 implementation, fetched from libcrypto once per process.
private nonisolated(unsafe) let sha1Algorithm: OpaquePointer = {
    guard let md = EVP_MD_fetch(nil, "SHA1", nil) else {
        fatalError("libcrypto has no SHA1 implementation (is the OpenSSL default provider missing?)")
    }
    return md
}()

/// Git's blob object id: the SHA-1 of `"blob <size>\0"` followed by the content.
///
/// A Hugging Face cache names the blob of a file that is not in LFS by this id (the file's
/// git object id on the Hub), so a 40-hex blob name can be checked offline. SHA-1 serves
/// here only to recompute a name git already chose, not as a security boundary: the 64-hex
/// (SHA-256) names of LFS files carry the weights.
struct GitBlobSHA1: ~Copyable {
    private let context: OpaquePointer

    init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        context = ctx
        guard EVP_DigestInit_ex2(context, sha1Algorithm, nil) == 1 else { fatalError("EVP_DigestInit_ex2(SHA1) failed") }
    }

    deinit { EVP_MD_CTX_free(context) }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else { fatalError("EVP_DigestUpdate failed") }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Ends the computation: 40 lowercase hex digits.
    consuming func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        guard ok == 1, length == 20 else { fatalError("EVP_DigestFinal_ex(SHA1) failed") }
        return lowercaseHex(out)
    }

    /// The git blob id of `content`.
    static func hex(of content: [UInt8]) -> String {
        var digest = GitBlobSHA1()
        digest.update(Array("blob \(content.count)\0".utf8))
        digest.update(content)
        return digest.finalizeHex()
    }

    /// The git blob id of the file at `path` (links followed), streamed.
    static func hex(ofFileAt path: String) throws(StoreError) -> String {
        var digest = GitBlobSHA1()
        _ = try FS.stream(path, prefix: { size in digest.update(Array("blob \(size)\0".utf8)) },
                          body: { digest.update($0) })
        return digest.finalizeHex()
    }
}

func lowercaseHex(_ bytes: [UInt8]) -> String {
    let table = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(table[Int(b >> 4)])
        out.append(table[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
