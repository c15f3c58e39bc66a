#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CLibCrypto
import ArtifactHashing

/// The elliptic curves model_signing accepts for its "key" method, each with the digest it
/// signs with (as model_signing's `get_ec_key_hash` pairs them).
public enum SigningCurve: String, Sendable, Hashable, CaseIterable {
    case p256 = "P-256"
    case p384 = "P-384"
    case p521 = "P-521"

    /// The digest ECDSA uses on this curve: SHA-256, SHA-384, SHA-512.
    public var digestName: String {
        switch self {
        case .p256: "SHA-256"
        case .p384: "SHA-384"
        case .p521: "SHA-512"
        }
    }

    fileprivate var messageDigest: OpaquePointer? {
        switch self {
        case .p256: EVP_sha256()
        case .p384: EVP_sha384()
        case .p521: EVP_sha512()
        }
    }

    /// OpenSSL's names for the curve (`group` parameter of an EC key).
    fileprivate static func from(groupName: String) -> SigningCurve? {
        switch groupName {
        case "prime256v1", "P-256", "secp256r1": .p256
        case "secp384r1", "P-384": .p384
        case "secp521r1", "P-521": .p521
        default: nil
        }
    }
}

/// Key files are small: a PEM EC key is well under 1 KiB.
let maximumKeyFileSize = 64 << 10

/// An EC key loaded from a PEM file: the libcrypto `EVP_PKEY`, freed when the value goes away.
///
/// A private key's PEM bytes are overwritten as soon as libcrypto has parsed them, and the key
/// lives only as long as the signing call that loaded it. Nothing here prints key material.
final class ECKey {
    private let pkey: OpaquePointer
    let curve: SigningCurve
    let isPrivate: Bool

    private init(pkey: OpaquePointer, curve: SigningCurve, isPrivate: Bool) {
        self.pkey = pkey
        self.curve = curve
        self.isPrivate = isPrivate
    }

    deinit { EVP_PKEY_free(pkey) }

    /// Reads a PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    static func loadPrivate(path: String) throws(SigningError) -> ECKey {
        var pem = try readKeyFile(path)
        defer { wipe(&pem) }
        let loaded: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            // A callback that supplies no password: an encrypted key fails instead of prompting.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let pkey = loaded else {
            let encrypted = pem.withUnsafeBytes { contains($0, "ENCRYPTED") }
            ERR_clear_error()
            if encrypted {
                throw SigningError(.keyUnsupported, "\(path): the private key is encrypted; modelctl signs with an unencrypted PEM key (decrypt a copy with `openssl pkey -in \(path) -out KEY.pem` and keep it mode 600)")
            }
            throw SigningError(.keyUnreadable, "\(path): not a PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)")
        }
        return try ECKey(checking: pkey, isPrivate: true, path: path)
    }

    /// Reads a PEM public key (`PUBLIC KEY`, a SubjectPublicKeyInfo), from a file or as given.
    static func loadPublic(_ key: PublicKeyPEM) throws(SigningError) -> ECKey {
        let (pem, source): ([UInt8], String)
        switch key {
        case .file(let path): (pem, source) = (try readKeyFile(path), path)
        case .text(let bytes, let from): (pem, source) = (Array(bytes.prefix(maximumKeyFileSize)), from)
        }
        let loaded: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let pkey = loaded else {
            ERR_clear_error()
            throw SigningError(.keyUnreadable, "\(source): not a PEM public key (expected -----BEGIN PUBLIC KEY-----; `openssl pkey -in PRIVATE.pem -pubout` writes one)")
        }
        return try ECKey(checking: pkey, isPrivate: false, path: source)
    }

    /// Reads a DER SubjectPublicKeyInfo (a Sigstore trusted root's log keys); `source` names
    /// where it came from in messages.
    static func loadPublic(subjectPublicKeyInfo der: [UInt8], source: String) throws(SigningError) -> ECKey {
        let loaded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let pkey = d2i_PUBKEY(nil, &cursor, buffer.count) else { return nil }
            guard cursor == buffer.baseAddress! + buffer.count else { EVP_PKEY_free(pkey); return nil }
            return pkey
        }
        guard let pkey = loaded else {
            ERR_clear_error()
            throw SigningError(.keyUnreadable, "\(source): not a DER public key")
        }
        return try ECKey(checking: pkey, isPrivate: false, path: source)
    }

    /// Takes ownership of `pkey` after checking it is an EC key on a supported curve; `path`
    /// names where the key came from in messages.
    convenience init(checking pkey: OpaquePointer, isPrivate: Bool, path: String) throws(SigningError) {
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC else {
            EVP_PKEY_free(pkey)
            throw SigningError(.keyUnsupported, "\(path): not an elliptic-curve key; model_signing's key method uses ECDSA on P-256, P-384 or P-521")
        }
        var name = [CChar](repeating: 0, count: 80)
        var length = 0
        let named = EVP_PKEY_get_utf8_string_param(pkey, "group", &name, name.count, &length) == 1
        let groupName = named ? String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "(explicit parameters)"
        guard let curve = SigningCurve.from(groupName: groupName) else {
            EVP_PKEY_free(pkey)
            ERR_clear_error()
            throw SigningError(.keyUnsupported, "\(path): the key's curve \(groupName) is not supported; use P-256, P-384 or P-521")
        }
        // Encode the public point uncompressed, as model_signing (pyca/cryptography) does when
        // it computes the key hint, whatever form the file used.
        _ = EVP_PKEY_set_utf8_string_param(pkey, "point-format", "uncompressed")
        ERR_clear_error()
        self.init(pkey: pkey, curve: curve, isPrivate: isPrivate)
    }

    /// The DER SubjectPublicKeyInfo of the (public half of the) key.
    func subjectPublicKeyInfo() throws(SigningError) -> [UInt8] {
        guard let der = derEncoding({ i2d_PUBKEY(pkey, $0) }) else { throw cryptoFailure("encode the public key") }
        return der
    }

    /// Signs `message` with ECDSA and the curve's digest; returns the DER signature.
    func sign(_ message: [UInt8]) throws(SigningError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw cryptoFailure("create a signing context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, curve.messageDigest, nil, pkey) == 1 else { throw cryptoFailure("start signing") }
        var length = 0
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1 else {
            throw cryptoFailure("size the signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = signature.withUnsafeMutableBufferPointer { out in
            message.withUnsafeBufferPointer { EVP_DigestSign(context, out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard ok == 1 else { throw cryptoFailure("sign") }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` (DER ECDSA) is a valid signature of `message` under this key, with the
    /// curve's digest or, with `sha256`, SHA-256 whatever the curve (what model_signing 0.2 used).
    func verify(_ signature: [UInt8], of message: [UInt8], sha256: Bool = false) throws(SigningError) -> Bool {
        guard let context = EVP_MD_CTX_new() else { throw cryptoFailure("create a verification context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, sha256 ? EVP_sha256() : curve.messageDigest, nil, pkey) == 1 else { throw cryptoFailure("start verifying") }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { EVP_DigestVerify(context, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        }
        // 0 is a wrong signature, a negative value a malformed one: neither verifies.
        ERR_clear_error()
        return result == 1
    }

    private func cryptoFailure(_ what: String) -> SigningError {
        ERR_clear_error()
        return SigningError(.cryptoFailed, "libcrypto could not \(what) with the \(curve.rawValue) key")
    }
}

/// A PEM public key: a file to read, or its text (as a curated `version_lock.public_key` may
/// hold it), with where it came from for messages.
public enum PublicKeyPEM: Sendable {
    case file(String)
    case text([UInt8], source: String)

    /// A pinned key value: PEM text when it starts with `-----BEGIN`, else a file path.
    public init(pinned value: String, source: String) {
        self = value.hasPrefix("-----BEGIN") ? .text(Array(value.utf8), source: source) : .file(value)
    }
}

/// Reads a key file of at most ``maximumKeyFileSize`` bytes.
private func readKeyFile(_ path: String) throws(SigningError) -> [UInt8] {
    try readSmallFile(path, limit: maximumKeyFileSize, what: "key file", code: .keyUnreadable)
}

/// Overwrites secret bytes before their storage is released.
private func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        guard let base = raw.baseAddress else { return }
        // Through a volatile-like path: the compiler cannot drop a call into libcrypto.
        OPENSSL_cleanse(base, raw.count)
    }
}

private func contains(_ haystack: UnsafeRawBufferPointer, _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard haystack.count >= n.count, !n.isEmpty else { return false }
    for start in 0...(haystack.count - n.count) where haystack[start] == n[0] {
        if (1..<n.count).allSatisfy({ haystack[start + $0] == n[$0] }) { return true }
    }
    return false
}

/// The key's identity as modelctl records it: lowercase hex SHA-256 of the DER
/// SubjectPublicKeyInfo (`openssl pkey -pubin -in PUB.pem -outform DER | sha256sum`).
func fingerprint(ofSubjectPublicKeyInfo der: [UInt8]) -> String {
    SHA256Digest.hex(of: der)
}

/// model_signing's key hint: lowercase hex SHA-256 of the public key as PEM text
/// (SubjectPublicKeyInfo, base64 in 64-column lines, `-----BEGIN PUBLIC KEY-----` armour).
func modelSigningHint(ofSubjectPublicKeyInfo der: [UInt8]) -> String {
    SHA256Digest.hex(of: Array(pemPublicKey(der).utf8))
}

/// The PEM text of a DER SubjectPublicKeyInfo, as OpenSSL and pyca/cryptography write it.
func pemPublicKey(_ der: [UInt8]) -> String {
    let body = Base64.encode(der)
    var text = "-----BEGIN PUBLIC KEY-----\n"
    var index = body.startIndex
    while index < body.endIndex {
        let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
        text += body[index..<end] + "\n"
        index = end
    }
    return text + "-----END PUBLIC KEY-----\n"
}
