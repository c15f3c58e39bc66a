/// Close-name suggestions for an unknown model (or subcommand): names within a third of the
/// name's length in edit distance, or that contain it, closest first.
public enum NameSuggestions {
    public static func closest(to name: String, among names: [String], limit: Int = 3) -> [String] {
        let target = Array(name.lowercased())
        let scored = names.map { candidate -> (String, Int) in
            let c = Array(candidate.lowercased())
            var d = distance(target, c)
            if candidate.lowercased().contains(name.lowercased()) || name.lowercased().contains(candidate.lowercased()) { d = min(d, 1) }
            return (candidate, d)
        }
        let threshold = max(2, target.count / 3)
        return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
