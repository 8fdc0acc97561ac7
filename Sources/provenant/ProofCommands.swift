import ArgumentParser
import AssetContent
import EthPrimitives
import EthRPC
import EthTypes
import EthUpstream
import Foundation
import ProvenantNode
import ProofVerify
import Proofs
import Store

/// `provenant proof`: writes a token's proof bundle from a data directory, as `asset_proof` answers, or with its
/// present proven by storage proofs that an upstream gives and the command verifies.
struct Proof: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a token's proof bundle (as asset_proof answers) from a data directory, for provenant verify.",
        discussion: """
            The bundle holds the token's mint with its transaction, its ERC-7007 records, its last ownership \
            record and its last ERC-4907 rental record, each with Merkle-Patricia proofs, and headers that link \
            them to the anchor (the indexed head unless --anchor says otherwise). It is printed to standard output.

            The present (that the owner and user are still the last recorded at the anchor) is proven one of two \
            ways. --present receipts (the default, no network): the complete receipts of every later block whose \
            logs bloom may hold a newer record of the token, which show it does not, and every header from the \
            latest record to the anchor. --present state: storage proofs of the owner's and user's slots against \
            the anchor's state root, fetched with eth_getProof from --upstream and verified against the stored \
            header; the bundle needs only the anchor's header for them, whatever the token's age. The slots are \
            found per contract by trying common layouts against the index's answers, and kept. --present auto \
            builds both and keeps the smaller. An upstream keeps old state only if it is an archive node: anchor \
            near the head.

            --holder proves balances by state instead: of an ERC-1155 id, or of an ERC-20 contract with no token \
            id. --state-only leaves the token's events out: a bundle of the anchor's header and the proofs.
            """)

    @Argument(help: "The token's contract address (0x and 40 hex digits; mixed case must be EIP-55).") var contract: Address
    @Argument(help: "The token id: a 0x QUANTITY or a decimal number (none for an ERC-20 contract's balances).") var tokenId: TokenID?
    @Option(help: "Anchor: a block number, \"nearest\" (the first multiple of --every at or above the token's last event, as anchors export lists them; with --present state, the last multiple at or below the head) or \"latest\" (the indexed head).")
    var anchor: AnchorChoice = .latest
    @Option(help: "Spacing of the anchors for --anchor nearest.") var every: UInt64 = AnchorSet.defaultEvery
    @Option(help: "How the present is proven: receipts, state or auto (the smaller).") var present: PresentStateBuilder.Present = .receipts
    @Option(help: "A JSON-RPC endpoint for eth_getProof (repeatable; tried in turn). Needed for --present state or auto and --holder.")
    var upstream: [String] = []
    @Option(help: "A holder whose balance to prove by state (repeatable): of the ERC-1155 id, or of the ERC-20 contract.")
    var holder: [Address] = []
    @Flag(help: "Prove the present state only, without the token's events.") var stateOnly = false
    @Flag(help: "Write the bundle as one zstd frame of its JSON (provenant verify reads both): headers compress to about a third.")
    var compress = false
    @OptionGroup var dataDir: DataDirectoryOption

    func validate() throws {
        guard every > 0 else { throw ValidationError("--every must be at least 1") }
        let byState = present != .receipts || !holder.isEmpty || stateOnly
        if byState, upstream.isEmpty { throw ValidationError("--present state, --present auto, --holder and --state-only need --upstream URL for eth_getProof") }
        if tokenId == nil, holder.isEmpty { throw ValidationError("a token id, or --holder for an ERC-20 contract's balances") }
    }

    func run() async throws {
        let choice: ProofBuilder.Anchor
        switch anchor {
        case .latest: choice = .head
        case .nearest: choice = .nearest(every: every)
        case .block(let number): choice = .block(number)
        }
        let directory = try dataDir.open()
        let spec = try directory.chainspec()
        let builder = ProofBuilder(index: directory.index, chainId: spec.chainId)
        let endpoints = try upstream.map { try UpstreamEndpoint($0) }
        let bundle: ProofBundle
        do throws(ProofBuildError) {
            if upstream.isEmpty, let tokenId {
                bundle = try builder.bundle(contract: contract, tokenId: tokenId.value, anchor: choice)
            } else {
                let state = PresentStateBuilder(builder: builder, source: UpstreamStateSource(upstreams: endpoints.map { Upstream(endpoint: $0) }))
                if let tokenId, holder.isEmpty, !stateOnly {
                    bundle = try await state.bundle(contract: contract, tokenId: tokenId.value, anchor: choice, present: present)
                } else {
                    bundle = try await state.stateBundle(contract: contract, tokenId: tokenId?.value, holders: holder, anchor: choice, events: !stateOnly)
                }
            }
        } catch {
            throw CLIError("\(error)")
        }
        let json = bundle.json.serialized() + [0x0a]
        FileHandle.standardOutput.write(Data(compress ? try Zstd.compress(json, level: Self.compressionLevel) : json))
    }

    /// zstd's level for bundle files: written once, read many times, so the smallest output is worth the time.
    static let compressionLevel: Int32 = 19
}

extension PresentStateBuilder.Present: ExpressibleByArgument {}

/// Prints what `make` builds as one line of JSON, or fails the command with its error.
func printJSON(_ make: () throws(ProofBuildError) -> JSONValue) throws {
    do throws(ProofBuildError) {
        FileHandle.standardOutput.write(Data(try make().serialized() + [0x0a]))
    } catch {
        throw CLIError("\(error)")
    }
}

/// `provenant anchors`: the block hashes a node vouches for, for verifying bundles anchored near their events.
struct Anchors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export block hashes this node verified, for provenant verify --anchors.",
        subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the hash of every stored block at a multiple of --every, as JSON.",
            discussion: """
                Run it on a node you trust and keep the file: provenant verify --anchors FILE then accepts any \
                bundle anchored at one of these blocks (asset_proof with {"anchor":"nearest"} anchors there), \
                whoever built the bundle. Only final blocks are listed, which no reorg can replace: up to the block \
                a quorum of upstreams reported finalized (asset_status shows it), or, on a chain without finality, \
                up to the indexed tip minus the undo window.
                """)

        @Option(help: "Spacing in blocks.") var every: UInt64 = AnchorSet.defaultEvery
        @OptionGroup var dataDir: DataDirectoryOption

        func validate() throws {
            guard every > 0 else { throw ValidationError("--every must be at least 1") }
        }

        func run() throws {
            let directory = try dataDir.open()
            let spec = try directory.chainspec()
            guard try directory.index.cursor() != nil else { throw CLIError("\(dataDir.path) holds no indexed block") }
            guard let final = try directory.finalBlock() else {
                throw CLIError("\(dataDir.path) holds no final block yet: none was reported finalized, and the index is shorter than its undo window")
            }
            try printJSON { () throws(ProofBuildError) in
                try AnchorSet.export(from: BlockStore(store: directory.store), through: final, every: every, chainId: spec.chainId).json
            }
        }
    }
}

/// The anchors a user trusts, from `--trust`, `--chain` and `--anchors`: shared by the commands that check bundles.
struct TrustOptions: ParsableArguments {
    @Option(help: "A block hash you trust (repeatable): the bundle's anchor must be one of these or a checkpoint.")
    var trust: [String] = []

    @Option(help: "Chainspec name (from chainspec/) or path: its checkpoints are trusted anchors.")
    var chain: String?

    @Option(help: "An anchors file (provenant anchors export on a node you run): its hashes are trusted anchors.")
    var anchors: String?

    /// The bundle in `path` and the hashes trusted for its chain.
    func bundle(at path: String) throws -> (bundle: ProofBundle, trusted: Set<Hash32>) {
        let bundle = try VerifyBundle.read(path)
        return (bundle, try trusted(forChain: bundle.chainId))
    }

    /// The trusted hashes, for a bundle of chain `chainId`; a file or chainspec of another chain is an input error.
    func trusted(forChain chainId: UInt64) throws -> Set<Hash32> {
        var trusted = Set<Hash32>()
        for hash in trust {
            do throws(HexError) { trusted.insert(try Hash32(hex: hash)) } catch {
                throw VerifyBlock.InputError(description: "--trust \(hash): \(error)")
            }
        }
        if let chain {
            let spec = try ChainspecDirectories.load(chain)
            guard spec.chainId == chainId else {
                throw VerifyBlock.InputError(description: "the bundle is for chain \(chainId), --chain \(chain) is chain \(spec.chainId)")
            }
            trusted.formUnion(spec.checkpoints.map(\.hash))
        }
        if let anchors {
            let set = try VerifyBundle.readAnchors(anchors)
            guard set.chainId == chainId else {
                throw VerifyBlock.InputError(description: "\(anchors) lists chain \(set.chainId), the bundle is for chain \(chainId)")
            }
            trusted.formUnion(set.anchors.map(\.hash))
        }
        return trusted
    }
}

/// `provenant verify`: checks a proof bundle with no network.
struct VerifyBundle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a proof bundle (an asset_proof result) with no network.",
        discussion: """
            A bundle proves a token's mint (with the minter recovered from the mint transaction's signature), its \
            ERC-7007 records, its owner and its ERC-4907 user, by receipts and transactions with Merkle-Patricia \
            proofs against headers that link, hash by hash, to one anchor block. Only the anchor is taken on trust: \
            give its hash with --trust (for example the indexed head's hash from asset_status of a node you run), \
            or --chain with a chainspec that has it as a checkpoint.

            The file may hold the bundle itself or the whole JSON-RPC response to asset_proof.

            What is proven is printed. The owner, the user and the latest AIGC record hold as of the anchor: every \
            block after each of them whose logs bloom may hold a newer record of the token must come with all its \
            receipts, which must rebuild the block's receiptsRoot and hold no such record. Prompts and outputs are \
            printed as quoted text where they are UTF-8 (control characters escaped), hex otherwise. Version 1 \
            bundles still verify; their ownership record is then only shown to have happened.

            Exit status: 0 when everything holds, 1 when a check fails (the first failure is named: which check of \
            which block), 2 when the file cannot be read or is not a bundle.
            """)

    @Argument(help: "The bundle file.")
    var bundle: String

    @OptionGroup var trustOptions: TrustOptions

    func run() throws {
        let parsed: ProofBundle
        let trusted: Set<Hash32>
        do {
            (parsed, trusted) = try trustOptions.bundle(at: bundle)
        } catch {
            FileHandle.standardError.write(Data("provenant verify: \(error)\n".utf8))
            throw ExitCode(2)
        }
        do throws(ProofError) {
            let verified = try parsed.verify(trusting: trusted)
            print("VERIFIED \(verified.statements[0])")
            for statement in verified.statements.dropFirst() { print("  \(statement)") }
        } catch {
            print("FAILED: \(error)")
            throw ExitCode.failure
        }
    }

    /// The JSON in `path`.
    static func json(_ path: String) throws -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw VerifyBlock.InputError(description: "cannot read \(path): \(error.localizedDescription)")
        }
        var text = bytes
        // A bundle written with provenant proof --compress: one zstd frame of the JSON (RFC 8878's magic number first).
        if bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            do throws(StoreError) { text = try Zstd.decompress(bytes) } catch {
                throw VerifyBlock.InputError(description: "\(path) is zstd-compressed and does not decompress: \(error)")
            }
        }
        do throws(JSONParseError) { return try JSONValue(parsing: text) } catch {
            throw VerifyBlock.InputError(description: "\(path) is not JSON: \(error)")
        }
    }

    static func readAnchors(_ path: String) throws -> AnchorSet {
        let value = try json(path)
        do throws(ProofError) { return try AnchorSet(json: value) } catch {
            throw VerifyBlock.InputError(description: "\(path) is not an anchors file: \(error)")
        }
    }

    /// The bundle in `path`: bare, or as the `result` of a JSON-RPC response.
    static func read(_ path: String) throws -> ProofBundle {
        var json = try json(path)
        if let error = json["error"] { throw VerifyBlock.InputError(description: "\(path) holds a JSON-RPC error, not a bundle: \(String(decoding: error.serialized(), as: UTF8.self))") }
        if let result = json["result"] { json = result }
        do throws(ProofError) { return try ProofBundle(json: json) } catch {
            throw VerifyBlock.InputError(description: "\(path) is not a proof bundle: \(error)")
        }
    }
}

/// `provenant verify-asset`: is this file the output a bundle proves was recorded for the token?
struct VerifyAsset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-asset",
        abstract: "Check a file against the AIGC output a proof bundle proves, with no network.",
        discussion: """
            The bundle is verified first, as provenant verify does. Then the file is compared with each ERC-7007 \
            record the bundle proves: the record's output names the file when it is the file's bytes, its \
            keccak-256 or SHA-256 (raw or 0x-hex), or an IPFS CID of it, bare or as ipfs://… or /ipfs/… (CIDv1 of \
            the raw bytes, or the root that ipfs add gives under its default, --cid-version=1 and unixfs-v1-2025 \
            profiles, as CIDv0 or CIDv1). The match is made against the record's output hash, so it needs neither \
            the output text nor a network.

            Exit status: 0 when the file is a proven output (the form that matched is printed, and whether the \
            record is the token's latest), 1 when it is none or the bundle does not verify, 2 when a file cannot be \
            read.
            """)

    @Argument(help: "The file to check (an image, a model output…).")
    var file: String

    @Option(help: "The proof bundle (an asset_proof result, or the whole JSON-RPC response).")
    var bundle: String

    @OptionGroup var trustOptions: TrustOptions

    func run() throws {
        let parsed: ProofBundle
        let trusted: Set<Hash32>
        let content: [UInt8]
        do {
            (parsed, trusted) = try trustOptions.bundle(at: bundle)
            do {
                content = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw VerifyBlock.InputError(description: "cannot read \(file): \(error.localizedDescription)")
            }
        } catch {
            FileHandle.standardError.write(Data("provenant verify-asset: \(error)\n".utf8))
            throw ExitCode(2)
        }
        do throws(ProofError) {
            _ = try parsed.verify(trusting: trusted)
        } catch {
            print("FAILED: the bundle does not verify: \(error)")
            throw ExitCode.failure
        }
        let token = parsed.claim.tokenId.map { "token \($0.quantity) of \(parsed.claim.contract.hex)" } ?? "shares of \(parsed.claim.contract.hex)"
        guard !parsed.claim.aigc.isEmpty else {
            print("NO MATCH: the bundle proves no AIGC record of \(token)")
            throw ExitCode.failure
        }
        // The latest record first: the answer a buyer wants is whether the file is the token's output now.
        for (i, record) in parsed.claim.aigc.enumerated().reversed() {
            guard let form = OutputMatch.match(content, aigcDataHash: record.aigcDataHash) else { continue }
            let isLatest = i == parsed.claim.aigc.count - 1
            print("MATCH: \(file) is the output of the AIGC record of \(token) in block \(record.blockNumber)")
            print("  recorded as: \(form.name)")
            if let prompt = record.prompt { print("  prompt: \(ReadableText.show(prompt))") }
            if !isLatest {
                print("  a later AIGC record replaced it (block \(parsed.claim.aigc.last!.blockNumber))")
            } else if parsed.version >= 2 {
                print("  it is the token's latest AIGC record as of the anchor (block \(parsed.anchor.number))")
            }
            return
        }
        print("NO MATCH: \(file) (\(content.count) bytes) is none of the \(parsed.claim.aigc.count) AIGC outputs the bundle proves for \(token)")
        for record in parsed.claim.aigc {
            let output = record.aigcData.map { ReadableText.show($0) } ?? "output hash \(record.aigcDataHash.hex)"
            print("  block \(record.blockNumber): \(output)")
        }
        throw ExitCode.failure
    }
}
