import Foundation
import Testing

@testable import ModelSigning

@Suite struct SmallFileReadingTests {
    @Test("a file whose size under-reports its content (/proc) is read to its end, within the limit")
    func procFiles() throws {
        let status = try readSmallFile("/proc/self/status", limit: 1 << 20, what: "status", code: .keyUnreadable)
        #expect(String(decoding: status, as: UTF8.self).contains("Name:"))
        let error = #expect(throws: SigningError.self) { try readSmallFile("/proc/self/status", limit: 16, what: "status", code: .keyUnreadable) }
        #expect(error?.code == .keyUnreadable)
        #expect(error?.message.hasPrefix("/proc/self/status: cannot read the status: ") == true, "\(error?.message ?? "")")
    }
}
