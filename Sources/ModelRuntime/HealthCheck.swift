import Foundation
import HTTPSupport
import ModelRegistry
import OrderedJSON

/// Whether a launched backend is ready to serve.
///
/// The orchestrator asks `GET /health`, then `GET /v1/health`. An answer is healthy when its
/// status is under 500 and its body is the JSON object `{"status": "ok"}`, or when its status
/// is under 400 and its body is `ok` (bare or as a JSON string) or empty (vLLM answers 200
/// with an empty body).
public enum HealthCheck {
    /// The paths asked, in order.
    public static let paths = ["/health", "/v1/health"]

    /// Whether an answer with `status` and `body` means healthy.
    public static func isHealthy(status: Int, body: [UInt8]) -> Bool {
        guard status >= 200 else { return false }
        let text = String(decoding: body, as: UTF8.self).trimmingWhitespace
        if status < 500, let object = try? JSON.parse(text, source: "health"), object["status"]?.stringValue?.lowercased() == "ok" {
            return true
        }
        guard status < 400 else { return false }
        return text.isEmpty || text.lowercased() == "ok" || text.lowercased() == "\"ok\""
    }

    /// Asks each of ``paths`` on `127.0.0.1:port` until one answers healthy.
    static func check(port: Int, timeout: Duration) async -> Bool {
        for path in paths {
            guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { continue }
            if let response = try? await HTTPClient.shared.send(url: url, timeout: timeout, maxBodyBytes: 64 * 1024),
               isHealthy(status: response.status, body: response.body)
            {
                return true
            }
        }
        return false
    }
}
