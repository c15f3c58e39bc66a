/// Three-way comparison of two byte strings, as `memcmp` with the shorter first on a tie:
/// negative when `a` sorts first, zero when equal, positive when `b` sorts first.
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    var i = 0
    // Eight bytes at a time: big-endian words compare as their bytes do.
    while i + 8 <= common {
        let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        if x != y { return x < y ? -1 : 1 }
        i += 8
    }
    while i < common {
        if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        i += 1
    }
    return a.count - b.count
}

/// Puts `elements` in the order `order` gives (`result[i] = elements[order[i]]`) without a
/// second array: each cycle of the permutation is followed once, moving elements rather than
/// copying them (no reference counting per move). `order` is used up.
func permute<T>(_ elements: inout [T], by order: inout [Int32]) {
    precondition(elements.count == order.count)
    let done: Int32 = -1
    elements.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        for start in order.indices where order[start] != done {
            var j = start
            var k = Int(order[j])
            if k == start {
                order[j] = done
                continue
            }
            let first = (base + start).move()
            while k != start {
                (base + j).moveInitialize(from: base + k, count: 1)
                order[j] = done
                j = k
                k = Int(order[j])
            }
            (base + j).initialize(to: first)
            order[j] = done
        }
    }
}
