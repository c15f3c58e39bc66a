#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CLibCrypto
import ArtifactHashing

/// An X.509 certificate: the libcrypto `X509`, freed when the value goes away.
final class Certificate {
    let x509: OpaquePointer

    private init(_ x509: OpaquePointer) { self.x509 = x509 }

    deinit { X509_free(x509) }

    /// At most this many certificates in a bundle or a `--certificate-chain` file.
    static let maximumCount = 16
    /// A certificate file larger than this is refused (a certificate is 1-2 KiB of PEM).
    static let maximumFileSize = 1 << 20

    /// Parses one DER certificate; nil when `der` is not exactly one.
    convenience init?(der: [UInt8]) {
        guard !der.isEmpty else { return nil }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let x509 = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            // Trailing bytes after the certificate are refused: a bundle says one thing only.
            guard cursor == buffer.baseAddress! + buffer.count else { X509_free(x509); return nil }
            return x509
        }
        ERR_clear_error()
        guard let parsed else { return nil }
        self.init(parsed)
    }

    /// Every PEM certificate in `path` (one file may hold several, as a CA bundle does).
    static func load(pemFile path: String) throws(SigningError) -> [Certificate] {
        let pem = try readSmallFile(path, limit: maximumFileSize, what: "certificate file", code: .certificateUnreadable)
        let certificates = parse(pem: pem)
        guard !certificates.isEmpty else {
            throw SigningError(.certificateUnreadable, "\(path): holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")
        }
        guard certificates.count <= maximumCount else {
            throw SigningError(.certificateUnreadable, "\(path): holds more than \(maximumCount) certificates; give only the CA certificates that sign models")
        }
        return certificates
    }

    /// The PEM certificates in `pem`, in order; at most one more than ``maximumCount``.
    static func parse(pem: [UInt8]) -> [Certificate] {
        var certificates: [Certificate] = []
        pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return }
            defer { BIO_free(bio) }
            while certificates.count <= maximumCount, let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(Certificate(x509))
            }
        }
        ERR_clear_error()
        return certificates
    }

    /// The DER encoding.
    var der: [UInt8] { derEncoding { i2d_X509(x509, $0) } ?? [] }

    /// The subject as RFC 2253 writes it (`CN=…,O=…`), at most 200 characters, control
    /// characters as `?`: it is text from a bundle.
    var subject: String { Self.printed(X509_get_subject_name(x509)) }
    /// The issuer's name, as ``subject`` writes names.
    var issuer: String { Self.printed(X509_get_issuer_name(x509)) }
    /// ` SUBJECT` to stand after a noun in a message, or nothing for an empty subject (Fulcio's
    /// certificates name their holder only in the subject alternative name).
    var subjectSuffix: String { subject.isEmpty ? "" : " " + subject }

    private static func printed(_ name: OpaquePointer?) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        _ = X509_NAME_print_ex(bio, name, 0, modelctl_name_flags_rfc2253)
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = BIO_read(bio, &buffer, Int32(buffer.count))
        let text = String(decoding: buffer.prefix(max(0, Int(count))), as: UTF8.self)
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    /// Lowercase hex SHA-256 of the DER certificate (`openssl x509 -fingerprint -sha256`, without colons).
    var fingerprint: String { SHA256Digest.hex(of: der) }

    /// The end of the validity period, `YYYY-MM-DDTHH:MM:SSZ`.
    var notAfter: String { Self.format(X509_get0_notAfter(x509)) }
    /// The start of the validity period, `YYYY-MM-DDTHH:MM:SSZ`.
    var notBefore: String { Self.format(X509_get0_notBefore(x509)) }

    private static func format(_ time: UnsafePointer<ASN1_TIME>?) -> String {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return "?" }
        return format(parts)
    }

    /// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
    static func format(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "?" }
        return format(parts)
    }

    private static func format(_ parts: tm) -> String {
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// The certificate's public key, when it is an EC key model_signing can sign with.
    func publicKey() throws(SigningError) -> ECKey {
        guard let pkey = X509_get_pubkey(x509) else {
            ERR_clear_error()
            throw SigningError(.keyUnsupported, "the certificate \(subject) carries no public key modelctl can read")
        }
        return try ECKey(checking: pkey, isPrivate: false, path: "the certificate \(subject)")
    }

    /// Why this leaf may not sign models, or nil when it may: it must carry the code-signing
    /// extended key usage, and its key usage, when present, must allow digital signatures.
    ///
    /// Stricter than model_signing 1.1.1, which takes digitalSignature key usage alone (so a
    /// TLS server certificate from the same CA would pass there): a CA that issues TLS and
    /// code-signing certificates must not make every web server a model signer.
    var signingUsageProblem: String? {
        _ = X509_get_extension_flags(x509)  // computes the cached extension values
        let extended = X509_get_extended_key_usage(x509)
        if extended == UInt32.max || extended & UInt32(XKU_CODE_SIGN) == 0 {
            let has = extended == UInt32.max ? "has no extended key usage" : "has extended key usage without it"
            return "the signing certificate\(subjectSuffix) does not carry the code-signing extended key usage (1.3.6.1.5.5.7.3.3); it \(has)"
        }
        let usage = X509_get_key_usage(x509)
        if usage != UInt32.max && usage & UInt32(KU_DIGITAL_SIGNATURE) == 0 {
            return "the signing certificate\(subjectSuffix) has a key usage without digitalSignature: its key may not sign"
        }
        return nil
    }

    /// Why `self` (a leaf) does not chain to one of `anchors` through `intermediates`, or nil
    /// when it does and every certificate on the path is valid now, or at `time` (seconds
    /// since the epoch) when given: a time the bundle proves, such as a Rekor entry's.
    ///
    /// Every anchor is trusted as given (OpenSSL's partial-chain mode): an intermediate CA given
    /// as `--certificate-chain` pins that CA without its root. `intermediates` (the bundle's
    /// other certificates) are untrusted and only help build the path.
    func chainProblem(anchors: [Certificate], intermediates: [Certificate], at time: Int64? = nil) -> String? {
        guard let store = X509_STORE_new() else { return "libcrypto could not create a certificate store" }
        defer { X509_STORE_free(store) }
        for anchor in anchors { _ = X509_STORE_add_cert(store, anchor.x509) }
        ERR_clear_error()  // a duplicate anchor is no failure
        _ = X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        _ = X509_STORE_set_depth(store, Int32(Self.maximumCount))
        guard let untrusted = OPENSSL_sk_new_null() else { return "libcrypto could not create a certificate list" }
        defer { OPENSSL_sk_free(untrusted) }
        for certificate in intermediates { _ = OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate.x509)) }
        guard let context = X509_STORE_CTX_new() else { return "libcrypto could not create a verification context" }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, x509, untrusted) == 1 else {
            ERR_clear_error()
            return "libcrypto could not start verifying the certificate chain"
        }
        if let time { X509_STORE_CTX_set_time(context, 0, time_t(time)) }
        if X509_verify_cert(context) == 1 { return nil }
        ERR_clear_error()
        let code = X509_STORE_CTX_get_error(context)
        let depth = X509_STORE_CTX_get_error_depth(context)
        let which = X509_STORE_CTX_get_current_cert(context).map { Certificate.borrowing($0) }
        let name = depth == 0 ? "the signing certificate\(subjectSuffix)" : "the CA certificate \(which?.subject ?? "?") (\(depth) above the signing certificate)"
        let reason = String(cString: X509_verify_cert_error_string(Int(code)))
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            guard let time else { return "\(name) expired on \(which?.notAfter ?? "?") (a certificate bundle proves no signing time, so it must be valid now)" }
            return "\(name) expired on \(which?.notAfter ?? "?"), before the proven signing time \(Certificate.format(time))"
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "\(name) is not valid before \(which?.notBefore ?? "?")" + (time.map { ", and the proven signing time \(Certificate.format($0)) is earlier" } ?? "")
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
             X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            let selfSigned = code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
            let missing = which.map {
                selfSigned ? "the chain ends at \($0.subject), which signed itself and is not among them"
                    : "\($0.issuer), the issuer of \($0.subject), is not among them"
            } ?? reason
            return "the signing certificate\(subjectSuffix) does not chain to any of the given certificates (\(missing)); give the CA that issued it"
        default:
            return "the certificate chain of the signing certificate\(subjectSuffix) does not verify: \(name): \(reason)"
        }
    }

    /// A certificate libcrypto owns, kept alive for as long as this value (its reference count is raised).
    private static func borrowing(_ x509: OpaquePointer) -> Certificate {
        _ = X509_up_ref(x509)
        return Certificate(x509)
    }
}

/// The bytes an OpenSSL `i2d_*` encoder writes, called once for the length and once to write
/// (`encode` gets nil, then a cursor into the buffer); nil when it fails or writes another length.
func derEncoding(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
    let length = encode(nil)
    guard length > 0 else {
        ERR_clear_error()
        return nil
    }
    var out = [UInt8](repeating: 0, count: Int(length))
    let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
        return encode(&cursor)
    }
    return written == length ? out : nil
}
