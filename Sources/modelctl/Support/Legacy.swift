// Kept only until the runtime commands stop calling it (the exit-status table handles every
// library error now).
func runReportingErrors<T>(_ body: () throws -> T) throws -> T { try body() }
func runReportingErrors<T>(_ body: () async throws -> T) async throws -> T { try await body() }
