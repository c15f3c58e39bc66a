import Foundation
import Testing

@testable import ModelSigning

@Suite struct SmallFileReadingTests {
    @Test("a file whose size under-reports its content (/proc) is read to its end, within the limit")
    func procFiles() throws {
        let status = try readSmallFile("/proc/self/status", limit: 1 << 20)
        #expect(String(decoding: status, as: UTF8.self).contains("Name:"))
        #expect(throws: FileReadFailure.self) { try readSmallFile("/proc/self/status", limit: 16) }
    }
}
