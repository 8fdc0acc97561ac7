import AssetIndex
import DevChain
import EthPrimitives
import Foundation
import Testing
import TestSupport

/// Headless Chromium, as Debian packages it (`.ci/run` installs it; without it the suite is reported skipped).
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs the browser headless on `url` with `arguments` (`--dump-dom`, `--screenshot=…`); its standard output.
    static func run(_ arguments: [String], _ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(path))
        // Root in CI needs --no-sandbox; no GPU, no first-run work, nothing fetched but the page.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--disable-background-networking", "--user-data-dir=\(temporaryPath("chromium"))"] + arguments + [url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The provenance pages in a real browser, from `provenant serve` on an imported dev chain: what the DOM shows is what
/// the index holds, and on-chain markup stays text.
@Suite("Provenance pages in headless Chromium", .enabled(if: Chromium.path != nil, "needs Debian's chromium, which .ci/run installs"))
struct PageTests {
    static let seed: UInt64 = 7
    static let blocks: UInt64 = 400
    static let visions = DevChain.Contract.visions.address

    /// `provenant serve` on a directory the test fills and removes; its base URL.
    final class Server: Sendable {
        let process: Process
        let url: String
        let dir: String

        init() throws {
            dir = temporaryPath("pages")
            let imported = try CLI.run(["import-devchain", "--seed", "\(PageTests.seed)", "--blocks", "\(PageTests.blocks)", "--data-dir", dir])
            try #require(imported.status == 0, "\(imported.stderr)")
            process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--data-dir", dir, "--rpc-addr", "127.0.0.1:0"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            // The first line names the bound port.
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0a]) { line += byte }
            let text = String(decoding: line, as: UTF8.self)
            url = try #require(text.range(of: "http://").map { String(text[$0.lowerBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "/")) })
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// The DOM Chromium builds for a token's page.
    func dom(_ server: Server, token: UInt64) throws -> String {
        try Chromium.run(["--dump-dom"], "\(server.url)/token/\(Self.visions.hex)/\(token)")
    }

    @Test func tokenPagesShowWhatTheIndexHoldsAndRunNoScript() throws {
        let server = try Server()
        var chain = DevChain(seed: Self.seed)
        chain.grow(to: Self.blocks)
        let record = chain.record
        let index = try chain.index(upTo: Self.blocks)
        // Plain tokens for these: the hostile prompts (tokens 5, 11, 28, 34, …) are checked below.
        let plain = (1...record.mintedTokens).filter { ![5, 11].contains($0 % 23) }
        let burned = try #require(plain.first { record.owners[$0] == nil })
        let rented = try #require(plain.first { record.rentals[$0] != nil && record.owners[$0] != nil })
        let updated = try #require(plain.first { record.aigcUpdates[$0] != nil })

        for token in [burned, rented, updated] {
            let dom = try dom(server, token: token)
            // The owner (or its absence), the prompt as the verifier prints it, and every timeline entry.
            if let owner = record.owners[token] {
                #expect(dom.lowercased().contains(owner.hex.lowercased()), "token \(token): owner")
            } else {
                #expect(dom.contains("<th>owner</th><td>none (burned)</td>"), "token \(token): burned")
            }
            let prompt = String(decoding: try #require(record.provenance[token]).prompt, as: UTF8.self)
            #expect(dom.contains("\"\(prompt)\""), "token \(token): prompt")
            let history = try index.history(contract: Self.visions, tokenId: UInt256(token), limit: AssetIndex.maxPageSize).items
            #expect(history.allSatisfy { dom.contains($0.record.transactionHash.hex) }, "token \(token): a timeline entry is missing")
            #expect(dom.components(separatedBy: "class=\"timeline\"")[1].components(separatedBy: "<tr>").count - 2 == history.count, "token \(token): timeline rows")
            if token == rented, let rental = record.rentals[token] {
                #expect(dom.lowercased().contains("user \(rental.user.hex.lowercased()) until"), "rented token's user")
            }
            // Every AIGC record: the mint's and each update's.
            #expect(dom.components(separatedBy: "<h3>").count - 1 == 1 + (record.aigcUpdates[token]?.count ?? 0), "token \(token): AIGC records")
        }

        // Markup in a prompt is shown as text; nothing it holds runs.
        let hostile = try Chromium.run(["--dump-dom"], "\(server.url)/token/\(Self.visions.hex)/5")
        #expect(hostile.contains("&lt;script&gt;document.body.dataset.pwned"), "the prompt's markup as text")
        #expect(!hostile.contains("data-pwned"), "a prompt's script ran")
        #expect(!hostile.contains("<title>pwned</title>"), "a prompt's onerror ran")
        #expect(hostile.contains("\\u{202e}"), "the bidi override escaped as the verifier escapes it")
        // The page's policy forbids every script, inline or not, whatever else fails.
        let port = try #require(server.url.split(separator: ":").last.flatMap { Int($0) })
        let connection = try #require(RawHTTPConnection(port: port))
        #expect(connection.send("GET /token/\(Self.visions.hex)/5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let response = try #require(connection.readResponse())
        #expect(response.status == 200 && response.headers["content-type"] == "text/html; charset=utf-8")
        let policy = try #require(response.headers["content-security-policy"])
        #expect(policy.hasPrefix("default-src 'none';") && !policy.contains("script-src"), "\(policy)")
        // Bytes that are not UTF-8 are shown as hex.
        let binary = try Chromium.run(["--dump-dom"], "\(server.url)/token/\(Self.visions.hex)/11")
        #expect(binary.contains("0xfffe3c623e"), "a prompt that is not UTF-8, as hex")

        // The screenshot the README shows.
        let screenshot = Repository.url("docs/token-page.png").path
        _ = try Chromium.run(["--screenshot=\(screenshot)", "--window-size=1200,1400", "--hide-scrollbars"], "\(server.url)/token/\(Self.visions.hex)/\(rented)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]) && png.count > 10_000)
    }

    @Test func theHomeAndContractPagesLinkTheTokens() throws {
        let server = try Server()
        let home = try Chromium.run(["--dump-dom"], server.url + "/")
        #expect(home.contains("/contract/\(Self.visions.hex)"))
        // Each contract's live tokens and holders, as the index counts them.
        var chain = DevChain(seed: Self.seed)
        chain.grow(to: Self.blocks)
        let record = chain.record
        let holders = Set(record.owners.values).count
        #expect(home.contains("<td>erc721, erc4907, erc7007</td><td>\(record.owners.count)</td><td>\(holders)</td>"), "\(home)")
        #expect(home.contains("<td>erc20</td><td>0</td><td>\(record.shares.count)</td>"), "\(home)")
        #expect(home.contains("Indexed through block \(Self.blocks)"))
        // The latest events, newest first, each linking its token.
        let latest = try #require(home.components(separatedBy: "<h2>Latest events</h2>").last)
        #expect(latest.components(separatedBy: "<tr>").count - 2 == 20, "\(latest)")
        #expect(latest.contains("href=\"/token/\(Self.visions.hex)/"))
        let contract = try Chromium.run(["--dump-dom"], "\(server.url)/contract/\(Self.visions.hex)")
        #expect(contract.contains("href=\"/token/\(Self.visions.hex)/0x1\""))
        // An ERC-1155 contract lists the ids held, an ERC-20 contract its holders and balances.
        let editions = try Chromium.run(["--dump-dom"], "\(server.url)/contract/\(DevChain.Contract.editions.address.hex)")
        for id in record.editions.keys.sorted() {
            #expect(editions.contains("href=\"/token/\(DevChain.Contract.editions.address.hex)/\(UInt256(id).quantity)\""), "id \(id)")
        }
        #expect(editions.components(separatedBy: "href=\"/token/").count - 1 == record.editions.count)
        // An id's page lists its holders, not an owner.
        let (id, holdersOfId) = try #require(record.editions.min { $0.key < $1.key })
        let idPage = try Chromium.run(["--dump-dom"], "\(server.url)/token/\(DevChain.Contract.editions.address.hex)/\(id)")
        #expect(idPage.contains("<th>holders</th>") && !idPage.contains("<th>owner</th>"))
        for (holder, balance) in holdersOfId.prefix(20) { #expect(idPage.contains("<code>\(holder.hex)</code> \(balance)"), "holder \(holder.hex)") }
        let shares = try Chromium.run(["--dump-dom"], "\(server.url)/contract/\(DevChain.Contract.shares.address.hex)")
        for (holder, balance) in record.shares {
            #expect(shares.contains("<code>\(holder.hex)</code></td><td>\(balance)</td>"), "holder \(holder.hex)")
        }
        let missing = try Chromium.run(["--dump-dom"], "\(server.url)/token/0x12/1")
        #expect(missing.contains("Not a valid address or token id"), "\(missing)")
    }
}
