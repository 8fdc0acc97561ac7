internal import AssetIndex
internal import EthPrimitives
internal import EthRPC
internal import Foundation
public import HTTPTransport
internal import ProofVerify
internal import EthTypes
internal import TokenEvents

/// The pages people read (ARCHITECTURE.md §5): a token's provenance, a contract's tokens, the node's contracts and
/// sync, as HTML. Each page is rendered from the JSON the `asset_*` methods answer, through the same functions, so a
/// page cannot say other than the API. Everything that came from the chain (prompts, outputs, names) is escaped, text
/// that is not UTF-8 is shown as hex, and the pages load nothing but their own stylesheet, which the
/// `Content-Security-Policy` holds them to: no script runs, whatever a prompt holds.
public struct ProvenancePages: Sendable {
    let methods: AssetMethods

    public init(methods: AssetMethods) { self.methods = methods }

    /// No scripts, frames, fonts or forms; styles and images from this server only.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    static let stylesheetPath = "/page.css"
    /// Most holders an ERC-1155 id's page lists.
    static let holdersShown = 20
    /// Most timeline entries one token page lists; older ones are left to `asset_history`.
    static let maxTimeline = 2_000

    /// Whether `path` (without its query) is a page's: such a GET is answered here, on a worker thread.
    static func isPage(_ path: String) -> Bool {
        path == "/" || path == stylesheetPath || path.hasPrefix("/token/") || path.hasPrefix("/contract/")
    }

    /// The page at `target` (a path with an optional query).
    public func reply(_ target: String) -> HTTPReply {
        let (path, query) = Self.split(target)
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        do throws(RPCError) {
            switch parts.count {
            case 0: return Self.html(try home())
            case 1 where path == Self.stylesheetPath:
                return HTTPReply(status: 200, contentType: "text/css; charset=utf-8", body: Data(Self.stylesheet.utf8), headers: Self.headers)
            case 2 where parts[0] == "contract": return Self.html(try contract(parts[1], cursor: query["cursor"]))
            case 3 where parts[0] == "token": return Self.html(try token(parts[1], parts[2]))
            case 4 where parts[0] == "token" && parts[3] == "proof.json":
                let bundle = try methods.proof(.array([.string(parts[1]), .string(Self.quantity(parts[2]))]))
                return HTTPReply(status: 200, body: Data(bundle.serialized()), headers: Self.headers)
            default: return Self.failure(404, "No page here", "There is no page at \(path).")
            }
        } catch {
            switch error.code {
            case RPCError.invalidParamsCode: return Self.failure(400, "Not a valid address or token id", error.message)
            case RPCError.notFoundCode: return Self.failure(404, "Not indexed", error.message)
            case RPCError.limitExceededCode: return Self.failure(413, "Too much to show", error.message)
            default: return Self.failure(500, "The node could not answer", error.message)
            }
        }
    }

    // MARK: Pages

    func home() throws(RPCError) -> Page {
        let status = try methods.status(nil)
        var page = Page(title: "Provenant")
        page.add("<h1>Provenant</h1>")
        page.add(banner(status))
        page.add("<h2>Watched contracts</h2><table><tr><th>contract</th><th>standards</th><th>live ERC-721 tokens</th><th>holders</th></tr>")
        for contract in methods.watched.sorted() {
            let standards = AssetMethods.standardName(try methods.run { () throws(IndexError) in try methods.index.standards(of: contract) })
            let tokens = try count { cursor throws(IndexError) in
                let page = try methods.index.tokens(contract: contract, cursor: cursor, limit: AssetIndex.maxPageSize)
                return (page.items.count, page.next)
            }
            let holders = try count { cursor throws(IndexError) in
                let page = try methods.index.holdersOf(contract: contract, cursor: cursor, limit: AssetIndex.maxPageSize)
                return (page.items.count, page.next)
            }
            page.add("<tr><td><a href=\"/contract/\(contract.hex)\"><code>\(contract.hex)</code></a></td><td>\(Self.escape(Self.names(standards)))</td><td>\(tokens)</td><td>\(holders)</td></tr>")
        }
        page.add("</table>")
        page.add(try latestEvents(status))
        return page
    }

    /// Most entries the home page counts of one kind for a contract; past it, the count ends in "+".
    static let maxCounted = 10_000

    /// Entries counted page by page (each call gives its page's count and the next cursor), up to `maxCounted`.
    func count(_ page: ([UInt8]?) throws(IndexError) -> (count: Int, next: [UInt8]?)) throws(RPCError) -> String {
        var total = 0
        var cursor: [UInt8]?
        repeat {
            let counted = try methods.run { () throws(IndexError) in try page(cursor) }
            total += counted.count
            cursor = counted.next
        } while cursor != nil && total < Self.maxCounted
        return cursor == nil ? "\(total)" : "\(total)+"
    }

    /// How many recent blocks the home page looks through for its latest events, and how many it shows.
    static let latestWindow: UInt64 = 1_024
    static let latestShown = 20

    /// The watched contracts' latest indexed events, newest first, from `eth_getLogs` over the last blocks.
    func latestEvents(_ status: JSONValue) throws(RPCError) -> String {
        guard let tip = status["indexed"]?["number"]?.number, !methods.watched.isEmpty else { return "" }
        let start = max(tip >= Self.latestWindow ? tip - Self.latestWindow : 0, methods.startBlocks.values.max() ?? 0)
        guard start <= tip else { return "" }
        let filter: JSONValue = [
            "address": .array(methods.watched.sorted().map { .string($0.hex) }),
            "topics": .array([.array(TokenEvent.Topic.all.map { .string($0.hex) })]),
            "fromBlock": .quantity(start), "toBlock": .quantity(tip),
        ]
        let logs = try methods.getLogs([filter]).items.suffix(Self.latestShown).reversed()
        var html = "<h2>Latest events</h2><table class=\"timeline\"><tr><th>block</th><th>contract</th><th>event</th><th>transaction</th></tr>"
        for log in logs {
            guard let address = log["address"]?.text, let contract = try? Address(hex: address),
                let data = log["data"]?.text.flatMap({ try? Hex.decode($0) }) else { continue }
            let topics = (log["topics"]?.items ?? []).compactMap { $0.text.flatMap { try? Hash32(hex: $0) } }
            let event = (try? TokenEvent(log: Log(address: contract, topics: topics, data: data))) ?? nil
            html += "<tr><td>\(log["blockNumber"]?.number ?? 0)<td>\(contract.hex)<td>\(event.map { Self.summary($0, contract: contract) } ?? "unreadable")"
                + "<td>\(Self.escape(log["transactionHash"]?.text ?? ""))\n"
        }
        return html + "</table>"
    }

    /// One event in a line, with a link to the token it is about.
    static func summary(_ event: TokenEvent, contract: Address) -> String {
        func token(_ id: UInt256) -> String { "<a href=\"/token/\(contract.hex)/\(id.quantity)\">token \(id.description)</a>" }
        switch event {
        case .erc721Transfer(let from, let to, let id):
            return from == .zero ? "mint of \(token(id)) to \(to.hex)" : to == .zero ? "burn of \(token(id))" : "transfer of \(token(id)) to \(to.hex)"
        case .updateUser(let id, let user, let expires): return "rental of \(token(id)) to \(user.hex) until \(UTCTime.format(expires))"
        case .aigcData(let id, _, _, _), .aigcUpdate(let id, _, _), .aigcDraftMint(_, let id, _, _, _, _): return "AIGC record of \(token(id))"
        case .transferSingle(_, _, let to, let id, let value): return "\(value.description) of id \(id.description) to \(to.hex)"
        case .transferBatch(_, _, let to, let ids, _): return "\(ids.count) ids to \(to.hex)"
        case .erc20Transfer(_, let to, let value): return "\(value.description) shares to \(to.hex)"
        case .metadataUpdate(let id): return "metadata update of \(token(id))"
        default: return "\(names(AssetMethods.standardName(event.standard))) event"
        }
    }

    func contract(_ address: String, cursor: String?) throws(RPCError) -> Page {
        let contract = try Params([.string(address)], names: ["contract"], required: 1).address(0)
        let start = try Params.cursor(cursor.map { ["cursor": .string($0)] } ?? [:], parameter: "query")
        let standards = try methods.run { () throws(IndexError) in try methods.index.standards(of: contract) }
        var page = Page(title: "Contract \(contract.hex)")
        page.add("<p><a href=\"/\">Provenant</a></p><h1>Contract <code>\(contract.hex)</code></h1>")
        page.add(banner(try methods.status(nil)))
        let next: [UInt8]?
        if standards.contains(.erc1155) {
            // An ERC-1155 contract's ids that someone holds, each linking its page.
            let ids = try methods.run { () throws(IndexError) in try methods.index.ids(contract: contract, cursor: start, limit: 100) }
            page.add("<h2>Ids held</h2><table><tr><th>id</th></tr>")
            for id in ids.items { page.add("<tr><td><a href=\"/token/\(contract.hex)/\(id.quantity)\">\(id.description)</a></td></tr>") }
            next = ids.next
        } else if standards.contains(.erc20) {
            // An ERC-20 contract has holders, not tokens.
            let holders = try methods.run { () throws(IndexError) in try methods.index.holdersOf(contract: contract, cursor: start, limit: 100) }
            page.add("<h2>Holders</h2><table><tr><th>holder</th><th>balance</th></tr>")
            for (holder, balance) in holders.items { page.add("<tr><td><code>\(holder.hex)</code></td><td>\(balance.description)</td></tr>") }
            next = holders.next
        } else {
            let tokens = try methods.run { () throws(IndexError) in try methods.index.tokens(contract: contract, cursor: start, limit: 100) }
            page.add("<h2>Tokens</h2><table><tr><th>token</th><th>owner</th></tr>")
            for (tokenId, owner) in tokens.items {
                page.add("<tr><td><a href=\"/token/\(contract.hex)/\(tokenId.quantity)\">\(tokenId.description)</a></td><td><code>\(owner.hex)</code></td></tr>")
            }
            if tokens.items.isEmpty { page.add("<tr><td>none indexed</td><td></td></tr>") }
            next = tokens.next
        }
        page.add("</table>")
        if let next { page.add("<p><a href=\"/contract/\(contract.hex)?cursor=\(Hex.encode(next))\">next page</a></p>") }
        return page
    }

    func token(_ address: String, _ id: String) throws(RPCError) -> Page {
        let contract = try Params([.string(address)], names: ["contract"], required: 1).address(0)
        let tokenId = try Params([.string(Self.quantity(id))], names: ["tokenId"], required: 1).uint256(0)
        let params: JSONValue = [.string(contract.hex), .string(tokenId.quantity)]
        let provenance = try methods.provenance(params)
        let status = try methods.status(nil)
        var timeline: [JSONValue] = []
        var cursor: JSONValue = .null
        repeat {
            let page = try methods.history([.string(contract.hex), .string(tokenId.quantity), ["limit": .int(Int64(AssetIndex.maxPageSize)), "cursor": cursor]])
            timeline += page["events"]?.items ?? []
            cursor = page["next"] ?? .null
            guard timeline.count <= Self.maxTimeline else {
                throw RPCError(code: RPCError.limitExceededCode, message: "token \(tokenId.quantity) has more than \(Self.maxTimeline) events; page through them with asset_history")
            }
        } while cursor != .null

        var page = Page(title: "Token \(tokenId.description) of \(contract.hex)")
        page.add("<p><a href=\"/\">Provenant</a> / <a href=\"/contract/\(contract.hex)\">contract</a></p>")
        page.add("<h1>Token \(Self.escape(tokenId.description)) <small><code>\(contract.hex)</code></small></h1>")
        page.add(banner(status, proof: "/token/\(contract.hex)/\(tokenId.quantity)/proof.json"))
        page.add("<h2>Now</h2><table>")
        page.add(row("standard", Self.escape(Self.names(provenance["standard"] ?? .null))))
        let standardNames = provenance["standard"].map(Self.names) ?? ""
        if standardNames.contains("erc1155") {
            // An ERC-1155 id has holders, not an owner.
            let holders = try methods.holdersOf([.string(contract.hex), .string(tokenId.quantity), ["limit": .int(Int64(Self.holdersShown))]])
            let list = (holders["holders"]?.items ?? []).map { "<code>\($0["holder"]?.text ?? "")</code> \(Self.escape(($0["balance"]?.text).flatMap { try? UInt256(quantity: $0) }?.description ?? ""))" }
            page.add(row("holders", list.isEmpty ? "none" : list.joined(separator: "<br>") + (holders["next"] == .null ? "" : "<br>and more (asset_holdersOf pages through them)")))
        } else {
            page.add(row("owner", provenance["owner"]?.text.map { "<code>\($0)</code>" } ?? (timeline.isEmpty ? "none" : "none (burned)")))
        }
        if standardNames.contains("erc4907") {
            let user = try methods.userOf(params)
            if let address = user["user"]?.text, let expires = user["expires"]?.number {
                page.add(row("user", "<code>\(address)</code> until \(UTCTime.format(expires))"))
            } else if let ended = user["expires"]?.number {
                page.add(row("user", "none: the last rental ended \(UTCTime.format(ended))"))
            } else {
                page.add(row("user", "none"))
            }
        }
        if let minter = provenance["minter"], let address = minter["address"]?.text {
            let block = minter["blockNumber"]?.number ?? 0
            page.add(row("minter", "<code>\(address)</code>, recovered from the signature of transaction <code>\(Self.escape(minter["transactionHash"]?.text ?? ""))</code> in block \(block)"))
        }
        page.add("</table>")
        let records = provenance["aigc"]?.items ?? []
        if !records.isEmpty {
            page.add("<h2>AI-generated content (ERC-7007)</h2>")
            for (i, record) in records.enumerated() {
                let block = record["blockNumber"]?.number ?? 0
                page.add("<h3>\(i == records.count - 1 ? "Latest record" : "Record"), block \(block)</h3><table>")
                page.add(row("prompt", Self.shown(record["prompt"], hash: record["promptHash"])))
                page.add(row("output", Self.shown(record["aigcData"], hash: record["aigcDataHash"])))
                page.add(row("output hash", "<code>\(Self.escape(record["aigcDataHash"]?.text ?? ""))</code>"))
                page.add("</table>")
            }
        }
        page.add("<h2>Timeline</h2><table class=\"timeline\"><tr><th>date (UTC)</th><th>block</th><th>event</th><th>details</th><th>transaction</th></tr>")
        for event in timeline {
            let number = event["blockNumber"]?.number ?? 0
            let time = event["timestamp"]?.number ?? 0
            let kind = event["kind"]?.text ?? ""
            // A row a line, its end tags left out (HTML implies them): a token's thousand events stay under 200 KB.
            page.add("<tr><td>\(UTCTime.format(time))<td>\(number)<td>\(Self.escape(kind))<td>\(Self.details(event))<td>\(Self.escape(event["transactionHash"]?.text ?? ""))\n")
        }
        page.add("</table>")
        return page
    }

    /// What this node verified the page's facts against, and how to check the bundle without it.
    func banner(_ status: JSONValue, proof: String? = nil) -> String {
        var text = "<div class=\"banner\"><p><strong>Verified by this node.</strong> "
        if let number = status["indexed"]?["number"]?.number, let hash = status["indexed"]?["hash"]?.text {
            text += "Indexed through block \(number) (<code>\(Self.escape(hash))</code>)"
        } else {
            text += "Nothing is indexed yet"
        }
        if let number = status["checkpoint"]?["number"]?.number, let hash = status["checkpoint"]?["hash"]?.text {
            text += ", every block linked by parent hash to checkpoint \(number) (<code>\(Self.escape(hash))</code>)"
        }
        text += "; each block's hash, transaction and receipt roots, logs bloom and senders recomputed before it was indexed.</p>"
        if let sync = status["sync"], let phase = sync["phase"]?.text {
            // A syncing node: where sync is, and whether a quorum of upstreams vouches for each block.
            var line = "Sync: \(Self.escape(phase))" + (sync["current"] == .bool(true) ? ", at the head the upstreams agree on" : "")
            if let lag = sync["lag"]?.number, lag > 0 { line += ", \(lag) blocks behind the head the upstreams agree on" }
            if let required = status["quorum"]?["required"], case .int(let quorum) = required { line += "; each block vouched for by \(quorum) upstream\(quorum == 1 ? "" : "s")" }
            if let message = sync["message"]?.text { line += " (\(Self.escape(message)))" }
            text += "<p>\(line).</p>"
        }
        let upstreams = status["upstreams"]?.items ?? []
        if !upstreams.isEmpty {
            text += "<p>Upstreams: " + upstreams.map { u in
                let state = u["status"]?.text ?? "unknown"
                let evidence = u["evidence"]?.text.map { ": \(Self.escape($0))" } ?? ""
                return "\(Self.escape(u["url"]?.text ?? "?")) (\(Self.escape(state))\(evidence))"
            }.joined(separator: "; ") + ".</p>"
        }
        if let proof {
            text += "<p>Check it without this node: download <a href=\"\(proof)\">the proof bundle</a> and run "
                + "<code>provenant verify proof.json --trust ANCHOR</code>, with the anchor's hash from a node you trust (this one's indexed head is above).</p>"
        }
        return text + "</div>"
    }

    func row(_ name: String, _ value: String) -> String { "<tr><th>\(name)</th><td>\(value)</td></tr>" }

    // MARK: Text

    /// A page's HTML: a head with the stylesheet, then the body's parts.
    struct Page {
        var title: String
        var parts: [String] = []

        init(title: String) { self.title = title }

        mutating func add(_ part: String) { parts.append(part) }

        var html: String {
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
                + "<title>\(ProvenancePages.escape(title))</title><link rel=\"stylesheet\" href=\"\(ProvenancePages.stylesheetPath)\"></head><body>"
                + parts.joined() + "</body></html>"
        }
    }

    static let headers: [(name: String, value: String)] = [
        ("content-security-policy", contentSecurityPolicy), ("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ]

    static func html(_ page: Page, status: Int = 200) -> HTTPReply {
        HTTPReply(status: status, contentType: "text/html; charset=utf-8", body: Data(page.html.utf8), headers: headers)
    }

    static func failure(_ status: Int, _ title: String, _ message: String) -> HTTPReply {
        var page = Page(title: title)
        page.add("<p><a href=\"/\">Provenant</a></p><h1>\(escape(title))</h1><p>\(escape(message))</p>")
        return html(page, status: status)
    }

    /// Text for HTML: the five characters that can end a text node or an attribute, as entities.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// On-chain bytes as the verifier prints them (quoted UTF-8 with controls and bidi overrides escaped, else hex),
    /// escaped for HTML; only the hash when the bytes were not recovered.
    static func shown(_ data: JSONValue?, hash: JSONValue?) -> String {
        guard let hex = data?.text, let bytes = try? Hex.decode(hex) else {
            return "not recovered; its hash is <code>\(escape(hash?.text ?? ""))</code>"
        }
        return "<span class=\"chain-text\">\(escape(ReadableText.show(bytes)))</span>"
    }

    /// A timeline entry's parties: from and to, the user and expiry, or the value moved.
    static func details(_ event: JSONValue) -> String {
        var parts: [String] = []
        // The sender in short (it is the owner the row of its previous transfer names in full), the recipient in full.
        if let from = event["from"]?.text, let to = event["to"]?.text { parts.append("\(from.prefix(6))…\(from.suffix(4)) → \(to)") }
        if let user = event["user"]?.text {
            let expires = event["expires"]?.number
            parts.append("user \(user)" + (expires.map { " until \(UTCTime.format($0))" } ?? ""))
        }
        if let value = event["value"]?.text { parts.append("value \(escape(value))") }
        return parts.joined(separator: "; ")
    }

    /// A standard name or a list of them, as text.
    static func names(_ value: JSONValue) -> String {
        switch value {
        case .string(let name): return name
        case .array(let names): return names.compactMap(\.text).joined(separator: ", ")
        default: return "unknown"
        }
    }

    /// A token id from a path: a 0x QUANTITY as is, a decimal number as one.
    static func quantity(_ text: String) -> String {
        guard !text.hasPrefix("0x"), let value = UInt256(decimal: text) else { return text }
        return value.quantity
    }

    /// A request target's path and its query's `name=value` pairs.
    static func split(_ target: String) -> (path: String, query: [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { query[parts[0]] = parts[1] }
        }
        return (String(target[..<mark]), query)
    }

    static let stylesheet = """
        body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
        h1 small{font-size:.6em;color:#555}code{font:13px ui-monospace,monospace;word-break:break-all}
        table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
        th{width:10rem;color:#444}.timeline th{width:auto}.banner{background:#eef6ee;border:1px solid #9c9;padding:.2rem 1rem;border-radius:6px}
        .chain-text{white-space:pre-wrap;background:#f6f6f6;padding:0 .2rem}.timeline td:first-child{white-space:nowrap}
        .timeline td:nth-child(4),.timeline td:nth-child(5){font:13px ui-monospace,monospace;word-break:break-all}
        """
}

extension JSONValue {
    /// The string, when this is one.
    fileprivate var text: String? { if case .string(let s) = self { s } else { nil } }
    /// The elements, when this is an array; none otherwise.
    fileprivate var items: [JSONValue] { if case .array(let a) = self { a } else { [] } }
    /// A QUANTITY's value.
    fileprivate var number: UInt64? { text.flatMap { try? Hex.quantity($0) } }
}
