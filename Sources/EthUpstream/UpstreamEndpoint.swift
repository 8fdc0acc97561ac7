internal import Foundation

/// One configured upstream: the URL to call, with `${NAME}` replaced from the environment, and the URL as written,
/// which is all that is ever logged or shown (an API key in the environment stays out of logs and status).
public struct UpstreamEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The URL requests go to. Secret: it may hold an API key.
    public let url: String
    /// The URL as configured, `${NAME}` placeholders unexpanded; safe to print.
    public let label: String

    public var description: String { label }

    /// Why a configured URL cannot be used.
    public enum Problem: Error, Equatable, CustomStringConvertible, Sendable {
        case unsetVariable(String)
        case unterminatedPlaceholder
        case notHTTP

        public var description: String {
            switch self {
            case .unsetVariable(let name): return "the environment variable \(name) is not set"
            case .unterminatedPlaceholder: return "a ${ placeholder is not closed with }"
            case .notHTTP: return "expected an http:// or https:// URL"
            }
        }
    }

    /// Expands `${NAME}` from the process environment.
    public init(_ template: String) throws(Problem) {
        try self.init(template, environment: ProcessInfo.processInfo.environment)
    }

    /// Expands `${NAME}` from `environment`.
    public init(_ template: String, environment: [String: String]) throws(Problem) {
        let url = try Self.expand(template, environment: environment)
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
            throw .notHTTP
        }
        self.url = url
        label = template
    }

    /// `template` with each `${NAME}` replaced by that variable of `environment` (the config's other secrets, such
    /// as a database URL's password, are written the same way).
    public static func expand(_ template: String, environment: [String: String]) throws(Problem) -> String {
        var url = ""
        var rest = Substring(template)
        while let start = rest.range(of: "${") {
            url += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw .unterminatedPlaceholder }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else { throw .unsetVariable(name) }
            url += value
            rest = rest[rest.index(after: end)...]
        }
        url += rest
        return url
    }
}
