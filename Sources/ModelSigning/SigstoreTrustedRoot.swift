#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ArtifactHashing
import CLibCrypto

/// A Sigstore trusted root (`trusted_root.json`, media type
/// `application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the Fulcio CAs that issue
/// signing certificates, the Rekor transparency logs' keys and the certificate transparency
/// logs' keys, each with the time window it may be used for.
///
/// A log's key ID is computed here (SHA-256 of its DER SubjectPublicKeyInfo, as Rekor and CT
/// logs name their keys), not taken from the file. Keys that are not ECDSA (Rekor v2's
/// Ed25519 logs) are kept without a key: an entry from such a log is reported as unsupported.
struct SigstoreTrustedRoot {
    /// `validFor`: from `start` (inclusive) to `end` (inclusive), seconds since the epoch; an
    /// absent bound is open.
    struct Window {
        var start: Int64?
        var end: Int64?
        func contains(_ time: Int64) -> Bool { (start.map { $0 <= time } ?? true) && (end.map { time <= $0 } ?? true) }
    }

    /// A Rekor or CT log.
    struct Log {
        var keyID: [UInt8]
        var key: ECKey?
        var baseURL: String
        var validFor: Window
    }

    /// A Fulcio CA: its certificates, issuing one first.
    struct CertificateAuthority {
        var certificates: [Certificate]
        var uri: String
        var validFor: Window
    }

    var transparencyLogs: [Log]
    var certificateTransparencyLogs: [Log]
    var certificateAuthorities: [CertificateAuthority]
    /// Where the root came from, for messages: a path, or the built-in root's provenance.
    var source: String

    /// A trusted root file larger than this is refused (the public-good one is 7 KiB).
    static let maximumFileSize = 1 << 20
    /// At most this many CAs, Rekor logs and CT logs each.
    static let maximumEntries = 32

    /// The root in `path`, or the built-in public-good root when nil.
    static func load(path: String?) throws(SigningError) -> SigstoreTrustedRoot {
        guard let path else {
            return try decode(Array(sigstorePublicGoodTrustedRoot.utf8), source: "the built-in Sigstore public-good trusted root (\(sigstorePublicGoodTrustedRootSource))")
        }
        return try decode(readSmallFile(path, limit: maximumFileSize, what: "trusted root", code: .trustedRootUnreadable), source: path)
    }

    static func decode(_ bytes: [UInt8], source: String) throws(SigningError) -> SigstoreTrustedRoot {
        let raw: TrustedRootJSON
        do {
            raw = try JSONDecoder().decode(TrustedRootJSON.self, from: Data(bytes))
        } catch {
            throw SigningError(.trustedRootUnreadable, "\(source): not a Sigstore trusted root (\(decodingSummary(error))); give a trusted_root.json")
        }
        guard raw.mediaType.hasPrefix("application/vnd.dev.sigstore.trustedroot") else {
            throw SigningError(.trustedRootUnreadable, "\(source): media type \(shown(raw.mediaType)) is not a Sigstore trusted root's")
        }
        let tlogs = raw.tlogs ?? [], ctlogs = raw.ctlogs ?? [], cas = raw.certificateAuthorities ?? []
        guard tlogs.count <= maximumEntries, ctlogs.count <= maximumEntries, cas.count <= maximumEntries else {
            throw SigningError(.trustedRootUnreadable, "\(source): more than \(maximumEntries) logs or certificate authorities")
        }
        func malformed(_ what: String) -> SigningError { SigningError(.trustedRootUnreadable, "\(source): \(what)") }
        func window(_ raw: TrustedRootJSON.Validity?, _ what: String) throws(SigningError) -> Window {
            var window = Window()
            if let start = raw?.start { guard let t = parseRFC3339(start) else { throw malformed("\(what): validFor.start \(shown(start)) is not an RFC 3339 time") }; window.start = t }
            if let end = raw?.end { guard let t = parseRFC3339(end) else { throw malformed("\(what): validFor.end \(shown(end)) is not an RFC 3339 time") }; window.end = t }
            return window
        }
        func logs(_ entries: [TrustedRootJSON.Log], _ kind: String) throws(SigningError) -> [Log] {
            var out: [Log] = []
            for entry in entries {
                guard let der = Base64.decode(entry.publicKey.rawBytes), !der.isEmpty else { throw malformed("a \(kind) key of \(entry.baseUrl) is not base64") }
                let key = entry.publicKey.keyDetails.hasPrefix("PKIX_ECDSA")
                    ? try ECKey.loadPublic(subjectPublicKeyInfo: der, source: "\(source): the \(kind) key of \(entry.baseUrl)") : nil
                out.append(Log(keyID: sha256(der), key: key, baseURL: entry.baseUrl,
                               validFor: try window(entry.publicKey.validFor, "\(kind) \(entry.baseUrl)")))
            }
            return out
        }
        var authorities: [CertificateAuthority] = []
        for ca in cas {
            let chain = ca.certChain.certificates
            guard !chain.isEmpty, chain.count <= Certificate.maximumCount else { throw malformed("the CA \(ca.uri) has \(chain.count) certificates") }
            var certificates: [Certificate] = []
            for entry in chain {
                guard let der = Base64.decode(entry.rawBytes), let certificate = Certificate(der: der) else {
                    throw malformed("a certificate of the CA \(ca.uri) is not a DER X.509 certificate")
                }
                certificates.append(certificate)
            }
            authorities.append(CertificateAuthority(certificates: certificates, uri: ca.uri, validFor: try window(ca.validFor, "CA \(ca.uri)")))
        }
        return SigstoreTrustedRoot(transparencyLogs: try logs(tlogs, "Rekor"), certificateTransparencyLogs: try logs(ctlogs, "CT log"),
                                   certificateAuthorities: authorities, source: source)
    }
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2022-04-13T20:06:15Z`, fractions of a
/// second ignored), or nil when `text` is not one.
func parseRFC3339(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
          b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
    func number(_ range: Range<Int>) -> Int32? {
        var value: Int32 = 0
        for c in b[range] { guard (0x30...0x39).contains(c) else { return nil }; value = value * 10 + Int32(c - 0x30) }
        return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
          let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day),
          hour < 24, minute < 60, second < 61 else { return nil }
    if b.count > 20 {
        guard b[19] == UInt8(ascii: "."), b.count > 21, b[20..<(b.count - 1)].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    }
    var parts = tm()
    parts.tm_year = year - 1900
    parts.tm_mon = month - 1
    parts.tm_mday = day
    parts.tm_hour = hour
    parts.tm_min = minute
    parts.tm_sec = second
    return Int64(timegm(&parts))
}

private struct TrustedRootJSON: Decodable {
    struct Validity: Decodable { var start: String?; var end: String? }
    struct PublicKey: Decodable { var rawBytes: String; var keyDetails: String; var validFor: Validity? }
    struct Log: Decodable { var baseUrl: String; var publicKey: PublicKey }
    struct RawCertificate: Decodable { var rawBytes: String }
    struct Chain: Decodable { var certificates: [RawCertificate] }
    struct Authority: Decodable { var uri: String; var certChain: Chain; var validFor: Validity? }
    var mediaType: String
    var tlogs: [Log]?
    var ctlogs: [Log]?
    var certificateAuthorities: [Authority]?
}
