internal import CLibCrypto

/// The SHA-256 implementation, fetched from libcrypto once per process.
///
/// `EVP_MD_fetch` looks the algorithm up in the provider tables; doing that per file costs
/// measurable time when hashing thousands of small files, so every context shares this one.
private nonisolated(unsafe) let sha256Algorithm: OpaquePointer = {
    guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
        fatalError("libcrypto has no SHA256 implementation (is the OpenSSL default provider missing?)")
    }
    return md
}()

/// A streaming SHA-256 computation over libcrypto's EVP interface.
///
/// The context is owned by exactly one value (`~Copyable`) and freed when it goes away, so a
/// worker can keep one for many files and reset it between them.
///
/// ```swift
/// var digest = SHA256Digest()
/// digest.update(bytes)
/// let hex = digest.finalizeHex()
/// ```
public struct SHA256Digest: ~Copyable {
    private let context: OpaquePointer

    /// A fresh computation.
    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        context = ctx
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Starts over, forgetting every byte added so far.
    public mutating func reset() {
        guard EVP_DigestInit_ex2(context, sha256Algorithm, nil) == 1 else {
            fatalError("EVP_DigestInit_ex2(SHA256) failed")
        }
    }

    /// Adds bytes to the computation.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else { fatalError("EVP_DigestUpdate failed") }
    }

    /// Adds bytes to the computation.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// Ends the computation and returns the 32-byte digest; the context is reset for reuse.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        guard ok == 1, length == 32 else { fatalError("EVP_DigestFinal_ex failed") }
        reset()
        return out
    }

    /// Ends the computation and returns the digest as a value; the context is reset.
    mutating func finalizeValue() -> DigestValue {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { out in
            var length: UInt32 = 0
            let ok = EVP_DigestFinal_ex(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
            guard ok == 1, length == 32 else { fatalError("EVP_DigestFinal_ex failed") }
            reset()
            return DigestValue(bytes: UnsafeRawBufferPointer(rebasing: out[0..<32]))
        }
    }

    /// Ends the computation and returns the digest as 64 lowercase hex digits; the context is reset.
    public mutating func finalizeHex() -> String {
        hexString(finalize())
    }

    /// The SHA-256 of `bytes` as lowercase hex.
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        var d = SHA256Digest()
        d.update(bytes)
        return d.finalizeHex()
    }

    /// The SHA-256 of a string's UTF-8 bytes as lowercase hex.
    public static func hex(of text: String) -> String {
        hex(of: Array(text.utf8))
    }
}

private let hexTable: [UInt8] = Array("0123456789abcdef".utf8)

/// Lowercase hex of `bytes`.
public func hexString(_ bytes: [UInt8]) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { out in
        for (i, b) in bytes.enumerated() {
            out[2 * i] = hexTable[Int(b >> 4)]
            out[2 * i + 1] = hexTable[Int(b & 0x0F)]
        }
        return bytes.count * 2
    }
}
