internal import Foundation
internal import HTTPTransport

/// Who may talk to the server from a browser, as geth decides it: a web page can POST a "simple" request to
/// 127.0.0.1 without asking (no CORS preflight for `text/plain`), and a DNS-rebinding page reaches it under a name
/// of its own. So a POST must say `application/json` (a page cannot send that cross-origin without a preflight), the
/// `Host` must be a name this node answers to, and a cross-origin caller must be listed to get an answer at all.
public struct BrowserPolicy: Sendable {
    /// Host names the server answers to by default: loopback only.
    public static let defaultHosts = ["localhost", "127.0.0.1", "[::1]"]
    /// Content types a JSON-RPC POST may carry (geth's list), parameters such as `charset` aside.
    public static let jsonContentTypes: Set<String> = ["application/json", "application/json-rpc", "application/jsonrequest"]

    /// Names the `Host` header may carry, lowercase, port aside; `*` allows any.
    public var hosts: [String]
    /// Origins (`scheme://host[:port]`) a browser page may call from; `*` allows any. Empty: none.
    public var corsOrigins: [String]

    public init(hosts: [String] = BrowserPolicy.defaultHosts, corsOrigins: [String] = []) {
        self.hosts = hosts.map { $0.lowercased() }
        self.corsOrigins = corsOrigins
    }

    /// The host name of a `Host` value, port removed (`[::1]:8547` → `[::1]`, `localhost:8547` → `localhost`).
    static func name(ofHost value: String) -> String {
        let lower = value.lowercased()
        if lower.hasPrefix("["), let end = lower.firstIndex(of: "]") { return String(lower[...end]) }
        return String(lower.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// Whether a request naming `host` is for this node. A request with no `Host` (HTTP/1.0) names no other site.
    func allows(host: String?) -> Bool {
        guard let host else { return true }
        return hosts.contains("*") || hosts.contains(Self.name(ofHost: host))
    }

    /// Whether a page at `origin` may call; a request without `Origin` does not come from a page.
    func allows(origin: String?) -> Bool {
        guard let origin else { return true }
        return corsOrigins.contains("*") || corsOrigins.contains(origin)
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return jsonContentTypes.contains(type)
    }

    /// The CORS headers of an answer to a page at `origin` (none for a request that came from no page).
    func corsHeaders(origin: String?) -> [(name: String, value: String)] {
        guard let origin, allows(origin: origin) else { return [] }
        return [("access-control-allow-origin", origin), ("vary", "Origin")]
    }

    /// Refuses a request this policy does not let through: 403 for a foreign `Host` or an unlisted `Origin`, 415 for a
    /// POST that is not JSON. Nil: go on.
    func refusal(_ request: HTTPRequest) -> HTTPReply? {
        guard allows(host: request.host) else {
            return .text(403, "invalid host \(request.host ?? ""): this node answers to \(hosts.joined(separator: ", ")) (server.hosts in provenant.yaml)\n")
        }
        guard allows(origin: request.origin) else {
            return .text(403, "origin \(request.origin ?? "") may not call this node (server.corsOrigins in provenant.yaml)\n")
        }
        if request.method == "POST", !Self.isJSON(request.contentType) {
            return .text(415, "JSON-RPC takes Content-Type: application/json\n")
        }
        return nil
    }
}
