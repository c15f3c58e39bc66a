extension String {
    /// The string as one word of a POSIX shell command, for commands printed for people to
    /// paste: unchanged when every character is one no shell treats specially (`embed-small`),
    /// else in single quotes with each `'` written `'\''` (`'tiny-llm_(FP16)'`, `'it'\''s-7b'`).
    public var shellQuoted: String {
        let plain = !isEmpty && unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_@%+=:,./-".unicodeScalars.contains(scalar))
        }
        return plain ? self : "'" + split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
