#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CLibCrypto
import ArtifactHashing

/// What a Fulcio certificate says beyond its key: who it names, who vouched for them, and the
/// certificate transparency log's promises (SCTs) embedded in it.
extension Certificate {
    /// The DER SubjectPublicKeyInfo of the certificate's key, whatever its type.
    var subjectPublicKeyInfo: [UInt8] {
        guard let key = X509_get_X509_PUBKEY(x509) else { return [] }
        return derEncoding { i2d_X509_PUBKEY(key, $0) } ?? []
    }

    /// The email addresses and URIs of the subject alternative name extension, in order (at
    /// most 16; text from a bundle).
    var identities: [String] {
        guard let names = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { ERR_clear_error(); return [] }
        let stack = OpaquePointer(names)
        defer { GENERAL_NAMES_free(stack) }
        var found: [String] = []
        for index in 0..<min(Int(OPENSSL_sk_num(stack)), 16) {
            guard let raw = OPENSSL_sk_value(stack, Int32(index)) else { continue }
            let name = raw.assumingMemoryBound(to: GENERAL_NAME.self).pointee
            guard name.type == GEN_EMAIL || name.type == GEN_URI, let text = name.d.ia5 else { continue }
            found.append(String(decoding: UnsafeBufferPointer(start: ASN1_STRING_get0_data(text), count: Int(ASN1_STRING_length(text))), as: UTF8.self))
        }
        return found
    }

    /// The OIDC issuer Fulcio recorded: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String),
    /// else the deprecated 1.3.6.1.4.1.57264.1.1 (the bare text). Nil when neither is there, when
    /// .1.8 is not a UTF8String, or when the certificate names two issuers: .1.8 and .1.1 that
    /// differ (Fulcio writes the same issuer in both; sigstore-python reads .1.1, cosign .1.8), or
    /// either extension twice (libcrypto takes such a certificate; Go's and Rust's parsers refuse it).
    var oidcIssuer: String? {
        let current = extensionValues(oid: "1.3.6.1.4.1.57264.1.8"), older = extensionValues(oid: "1.3.6.1.4.1.57264.1.1")
        guard current.count <= 1, older.count <= 1 else { return nil }
        let legacy = older.first
        guard let value = current.first else { return legacy.map { String(decoding: $0, as: UTF8.self) } }
        // UTF8String: tag 12, a length (short or one/two long-form bytes), the text.
        guard value.count >= 2, value[0] == 0x0C else { return nil }
        var start = 2, length = Int(value[1])
        if value[1] & 0x80 != 0 {
            let count = Int(value[1] & 0x7F)
            guard count >= 1, count <= 2, value.count >= 2 + count else { return nil }
            length = value[2..<2 + count].reduce(0) { $0 << 8 | Int($1) }
            start = 2 + count
        }
        guard value.count == start + length, legacy.map({ $0 == Array(value[start...]) }) ?? true else { return nil }
        return String(decoding: value[start...], as: UTF8.self)
    }

    /// Why this certificate does not bind `identity` to `provider`, or nil when it does: one of
    /// its email or URI names is `identity` and its ``oidcIssuer`` is `provider`, byte for byte
    /// (Swift's `==` would take Unicode-equivalent spellings of another name for the pinned one).
    func identityProblem(identity: String, provider: String) -> String? {
        let names = identities
        guard names.contains(where: { $0.utf8.elementsEqual(identity.utf8) }) else {
            let named = names.isEmpty ? "no email or URI" : names.map(shown).joined(separator: ", ")
            return "the certificate was issued to \(named), not to \(shown(identity))"
        }
        guard let issuer = oidcIssuer else {
            return "the certificate names no OIDC issuer (one extension 1.3.6.1.4.1.57264.1.8 or .1.1, the same text when both are there)"
        }
        guard issuer.utf8.elementsEqual(provider.utf8) else {
            return "\(shown(identity)) was vouched for by the OIDC issuer \(shown(issuer)), not by \(shown(provider))"
        }
        return nil
    }

    /// `IDENTITY (OIDC ISSUER)` for reports: `identity` when the certificate names it among
    /// several, else its first email or URI (text from a bundle).
    func signerDescription(expecting identity: String) -> String {
        let names = identities
        let name = names.first { $0.utf8.elementsEqual(identity.utf8) } ?? names.first ?? "no identity"
        return "\(name) (\(oidcIssuer ?? "no OIDC issuer"))"
    }

    /// The raw values (each OCTET STRING's content) of every extension `oid` in the certificate,
    /// in order: empty when absent (at most two: one more than a certificate may hold).
    private func extensionValues(oid: String) -> [[UInt8]] {
        guard let object = OBJ_txt2obj(oid, 1) else { ERR_clear_error(); return [] }
        defer { ASN1_OBJECT_free(object) }
        var values: [[UInt8]] = []
        var index: Int32 = -1
        while values.count < 2 {
            index = X509_get_ext_by_OBJ(x509, object, index)
            guard index >= 0, let ext = X509_get_ext(x509, index), let data = X509_EXTENSION_get_data(ext) else { break }
            values.append(Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(data), count: Int(ASN1_STRING_length(data)))))
        }
        return values
    }

    /// Whether `candidate`'s name and key identifier make it this certificate's issuer (its
    /// signature is not checked here: ``chainProblem(anchors:intermediates:at:)`` does that).
    func isIssued(by candidate: Certificate) -> Bool {
        let result = X509_check_issued(candidate.x509, x509)
        ERR_clear_error()
        return result == X509_V_OK
    }

    /// A signed certificate timestamp embedded in the certificate (RFC 6962 §3.3).
    struct EmbeddedSCT {
        var logID: [UInt8]
        var timestamp: UInt64
        var extensions: [UInt8]
        /// The DER ECDSA signature (the `digitally-signed` struct's content).
        var signature: [UInt8]
    }

    /// The certificate's embedded SCTs (version 1; at most 16), or nil when it has no SCT list.
    var embeddedSCTs: [EmbeddedSCT]? {
        guard let list = X509_get_ext_d2i(x509, NID_ct_precert_scts, nil, nil) else { ERR_clear_error(); return nil }
        let stack = OpaquePointer(list)
        defer { SCT_LIST_free(stack) }
        var found: [EmbeddedSCT] = []
        for index in 0..<min(Int(OPENSSL_sk_num(stack)), 16) {
            guard let raw = OPENSSL_sk_value(stack, Int32(index)) else { continue }
            let sct = OpaquePointer(raw)
            guard SCT_get_version(sct) == SCT_VERSION_V1 else { continue }
            func bytes(_ get: (OpaquePointer, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Int) -> [UInt8] {
                var pointer: UnsafeMutablePointer<UInt8>?
                let count = get(sct, &pointer)
                guard let pointer, count > 0 else { return [] }
                return Array(UnsafeBufferPointer(start: pointer, count: count))
            }
            found.append(EmbeddedSCT(logID: bytes(SCT_get0_log_id), timestamp: SCT_get_timestamp(sct),
                                     extensions: bytes(SCT_get0_extensions), signature: bytes(SCT_get0_signature)))
        }
        return found
    }

    /// The precertificate's TBSCertificate a CT log signed: this certificate's, with the SCT
    /// list extension removed (RFC 6962 §3.2), DER-encoded.
    var precertificateTBS: [UInt8] {
        guard let copy = X509_dup(x509) else { return [] }
        defer { X509_free(copy) }
        let index = X509_get_ext_by_NID(copy, NID_ct_precert_scts, -1)
        if index >= 0, let removed = X509_delete_ext(copy, index) { X509_EXTENSION_free(removed) }
        return derEncoding { i2d_re_X509_tbs(copy, $0) } ?? []
    }
}
