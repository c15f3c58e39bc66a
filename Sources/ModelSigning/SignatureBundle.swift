import Foundation

/// The Sigstore bundle (v0.3, JSON) that model_signing's "key" and "certificate" methods
/// write: a public-key hint or an X.509 chain, no transparency-log entries, and a DSSE
/// envelope with one signature.
///
/// Written compactly with keys in the order model_signing's bundle model emits them:
/// `{"mediaType":…,"verificationMaterial":{"publicKey":{"hint":…},"tlogEntries":[]},
/// "dsseEnvelope":{"payload":…,"payloadType":…,"signatures":[{"sig":…,"keyid":""}]}}`
/// (`"x509CertificateChain":{"certificates":[{"rawBytes":…},…]}` in place of `publicKey`),
/// with no trailing newline. `payload`, `sig` and `rawBytes` are standard base64; `sig` is a
/// DER ECDSA signature, `rawBytes` a DER certificate.
struct SignatureBundle {
    /// What the bundle carries to check its signature with.
    enum Material: Equatable {
        /// The key method: model_signing's key hint (SHA-256 of the public key's PEM text), or nil when absent.
        case publicKey(hint: String?)
        /// The certificate method: the signing certificate, then the rest of its chain (DER).
        case certificates([[UInt8]])
        /// Sigstore keyless signing: a Fulcio certificate with transparency-log entries.
        case keyless(KeylessMaterial)
    }

    /// The DSSE payload (the statement's bytes).
    var payload: [UInt8]
    /// The DER ECDSA signature over the payload's pre-authentication encoding.
    var signature: [UInt8]
    /// The key hint or certificates.
    var material: Material

    /// Bundles larger than this are refused (a statement lists about 200 bytes per file).
    static let maximumSize = 256 << 20

    func encoded() -> [UInt8] {
        var out = "{\"mediaType\":"
        PyJSON.writeString(ModelSigningFormat.bundleMediaType, into: &out)
        out += ",\"verificationMaterial\":{"
        switch material {
        case .publicKey(let hint):
            out += "\"publicKey\":{\"hint\":"
            PyJSON.writeString(hint ?? "", into: &out)
            out += "}"
        case .certificates(let chain):
            out += "\"x509CertificateChain\":{\"certificates\":["
            out += chain.map { "{\"rawBytes\":\"\(Base64.encode($0))\"}" }.joined(separator: ",")
            out += "]}"
        case .keyless:
            preconditionFailure("modelctl does not write keyless bundles")
        }
        out += ",\"tlogEntries\":[]},\"dsseEnvelope\":{\"payload\":"
        PyJSON.writeString(Base64.encode(payload), into: &out)
        out += ",\"payloadType\":"
        PyJSON.writeString(ModelSigningFormat.payloadType, into: &out)
        out += ",\"signatures\":[{\"sig\":"
        PyJSON.writeString(Base64.encode(signature), into: &out)
        out += ",\"keyid\":\"\"}]}}"
        return Array(out.utf8)
    }

    /// Reads a bundle file: size-bounded, media type, DSSE envelope with an in-toto payload and
    /// at least one signature (the first is the one checked, as model_signing does), exactly one
    /// in a keyless bundle.
    static func read(path: String) throws(SigningError) -> SignatureBundle {
        try decode(readSmallFile(path, limit: maximumSize, what: "signature bundle", code: .bundleUnreadable), source: path)
    }

    static func decode(_ bytes: [UInt8], source: String) throws(SigningError) -> SignatureBundle {
        let raw: BundleJSON
        do {
            raw = try JSONDecoder().decode(BundleJSON.self, from: Data(bytes))
        } catch {
            throw SigningError(.bundleMalformed, "\(source): not a Sigstore bundle with a DSSE envelope (\(decodingSummary(error)))")
        }
        guard let version = ModelSigningFormat.bundleVersions[raw.mediaType] else {
            throw SigningError(.bundleUnsupported, "\(source): bundle media type \(shown(raw.mediaType)) is not a Sigstore bundle v0.1 to v0.3 (model_signing writes \(ModelSigningFormat.bundleMediaType))")
        }
        guard let envelope = raw.dsseEnvelope else {
            throw SigningError(.bundleMalformed, "\(source): the bundle holds no DSSE envelope (is it a signature over a single blob?)")
        }
        guard envelope.payloadType == ModelSigningFormat.payloadType else {
            throw SigningError(.bundleMalformed, "\(source): DSSE payload type \(shown(envelope.payloadType)) is not \(ModelSigningFormat.payloadType)")
        }
        guard let first = envelope.signatures.first else {
            throw SigningError(.bundleMalformed, "\(source): the DSSE envelope carries no signature")
        }
        guard let payload = Base64.decode(envelope.payload) else {
            throw SigningError(.bundleMalformed, "\(source): the DSSE payload is not base64")
        }
        guard let signature = Base64.decode(first.sig), !signature.isEmpty else {
            throw SigningError(.bundleMalformed, "\(source): the DSSE signature is not base64")
        }
        let material = try material(raw.verificationMaterial, version: version, source: source)
        // model_signing has only ever written its key and certificate bundles as v0.3; older
        // versions exist for keyless bundles (sigstore-python before 3.0).
        if case .keyless = material {
            // Rekor logged the envelope with its one signature, and Sigstore's clients take an
            // envelope with exactly one: another would be unverified text riding along.
            guard envelope.signatures.count == 1 else {
                throw SigningError(.bundleMalformed, "\(source): the DSSE envelope of a keyless bundle carries \(envelope.signatures.count) signatures; Sigstore verifies an envelope with exactly one")
            }
        } else if version < 3 {
            throw SigningError(.bundleUnsupported, "\(source): bundle media type \(shown(raw.mediaType)) with a key or certificate chain is not what model_signing writes (\(ModelSigningFormat.bundleMediaType))")
        }
        return SignatureBundle(payload: payload, signature: signature, material: material)
    }

    /// Keyless when the material is a single certificate or comes with transparency-log
    /// entries (model_signing's sigstore method); certificates when it is an X.509 chain alone.
    private static func material(_ raw: BundleJSON.VerificationMaterial?, version: Int, source: String) throws(SigningError) -> Material {
        let entries = raw?.tlogEntries ?? []
        let keyless = raw?.certificate != nil || (raw?.publicKey == nil && !entries.isEmpty)
        guard let chain = raw?.certificate.map({ [$0] }) ?? raw?.x509CertificateChain?.certificates else {
            let hint = raw?.publicKey?.hint
            return .publicKey(hint: hint?.isEmpty == true ? nil : hint)
        }
        guard !chain.isEmpty, chain.count <= Certificate.maximumCount else {
            throw SigningError(.bundleMalformed, "\(source): the bundle's certificate chain holds \(chain.count) certificates (expected 1 to \(Certificate.maximumCount))")
        }
        var certificates: [[UInt8]] = []
        for certificate in chain {
            guard let der = Base64.decode(certificate.rawBytes), !der.isEmpty else {
                throw SigningError(.bundleMalformed, "\(source): a certificate in the bundle is not base64")
            }
            certificates.append(der)
        }
        guard keyless else { return .certificates(certificates) }
        guard entries.count <= KeylessMaterial.maximumEntries else {
            throw SigningError(.bundleMalformed, "\(source): the bundle holds \(entries.count) transparency-log entries (at most \(KeylessMaterial.maximumEntries))")
        }
        var parsed: [TransparencyLogEntry] = []
        for entry in entries {
            guard let entry = TransparencyLogEntry(entry) else {
                throw SigningError(.bundleMalformed, "\(source): a transparency-log entry lacks its log ID, index, time, kind or body, or holds more than \(TransparencyLogEntry.maximumProofHashes) proof hashes")
            }
            parsed.append(entry)
        }
        return .keyless(KeylessMaterial(certificates: certificates, entries: parsed, bundleVersion: version))
    }
}

private struct BundleJSON: Decodable {
    struct PublicKey: Decodable { var hint: String? }
    struct RawCertificate: Decodable { var rawBytes: String }
    struct Chain: Decodable { var certificates: [RawCertificate] }
    struct VerificationMaterial: Decodable {
        var publicKey: PublicKey?
        var x509CertificateChain: Chain?
        var certificate: RawCertificate?
        var tlogEntries: [TransparencyLogEntry.JSON]?
    }
    struct Signature: Decodable { var sig: String }
    struct Envelope: Decodable {
        var payload: String
        var payloadType: String
        var signatures: [Signature]
    }
    var mediaType: String
    var verificationMaterial: VerificationMaterial?
    var dsseEnvelope: Envelope?
}

/// Unsigned text from a bundle, fit for a message: at most 80 characters, control characters as `?`.
func shown(_ text: String) -> String {
    let cut = text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }
    return "\"" + String(cut) + (text.unicodeScalars.count > 80 ? "…" : "") + "\""
}
