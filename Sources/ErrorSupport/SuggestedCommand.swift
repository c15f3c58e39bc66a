/// The next command a message tells a person to run, spelled so that it pastes into a POSIX
/// shell as it stands: every word that a shell would split, expand or choke on is quoted
/// (`modelctl lock 'tiny-llm_(FP16)' --set-expected`; unquoted, the parentheses are a syntax error).
///
/// Every message that suggests a modelctl command builds it here, so no model name reaches a
/// suggestion unquoted.
public enum SuggestedCommand {
    /// `modelctl` followed by `words`, each quoted where a shell needs it.
    ///
    /// ```swift
    /// SuggestedCommand.modelctl("lock", name, "--set-expected")  // modelctl lock 'a b' --set-expected
    /// ```
    public static func modelctl(_ words: String...) -> String {
        (["modelctl"] + words.map(quoted)).joined(separator: " ")
    }

    /// `word` as one shell word: as it is when it holds only characters no shell treats
    /// specially, else in single quotes (a single quote inside written `'\''`).
    public static func quoted(_ word: String) -> String {
        if !word.isEmpty, word.unicodeScalars.allSatisfy(isPlain) { return word }
        return "'" + word.replacingAll("'", with: "'\\''") + "'"
    }

    private static func isPlain(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", ":", "@", "%", "+", ",", "=": true
        default: false
        }
    }
}

extension String {
    /// `self` with every `target` replaced (no Foundation in this module).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
