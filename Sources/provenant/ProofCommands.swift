import ArgumentParser
import EthPrimitives
import EthRPC
import EthTypes
import Foundation
import Proofs

/// `provenant proof`: writes a token's proof bundle from a data directory, as `asset_proof` answers.
struct Proof: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a token's proof bundle (as asset_proof answers) from a data directory, for provenant verify.",
        discussion: """
            The bundle holds the token's mint with its transaction, its ERC-7007 records and its last ownership \
            record, each with Merkle-Patricia proofs, and every header from the first of them up to the anchor \
            (the indexed head unless --anchor names an earlier block). It is printed to standard output.
            """)

    @Argument(help: "The token's contract address.") var contract: String
    @Argument(help: "The token id: 0x-hex or decimal.") var tokenId: String
    @Option(help: "Anchor block number (default: the indexed head).") var anchor: UInt64?
    @Option(help: "Data directory.") var dataDir: String = "./provenant-data"

    func run() throws {
        let address: Address, id: UInt256
        do throws(HexError) { address = try Address(hex: contract) } catch { throw CLIError("contract \(contract): \(error)") }
        if tokenId.hasPrefix("0x") {
            do throws(HexError) { id = try UInt256(quantity: tokenId) } catch { throw CLIError("token id \(tokenId): \(error)") }
        } else {
            guard let decimal = UInt256(decimal: tokenId) else { throw CLIError("token id \(tokenId): neither 0x-hex nor decimal") }
            id = decimal
        }
        let directory = try DataDirectory(path: dataDir)
        guard let chain = try directory.recorded()?.chain else { throw CLIError("\(dataDir) holds no indexed chain") }
        let spec = try Chainspec.load(chain, directories: ChainspecDirectories.search)
        do throws(ProofError) {
            let bundle = try ProofBuilder(index: directory.index, chainId: spec.chainId).bundle(contract: address, tokenId: id, anchor: anchor)
            FileHandle.standardOutput.write(Data(bundle.json.serialized() + [0x0a]))
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// `provenant verify`: checks a proof bundle with no network.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a proof bundle (an asset_proof result) with no network.",
        discussion: """
            A bundle proves a token's mint (with the minter recovered from the mint transaction's signature), its \
            ERC-7007 records and its last ownership record, by receipts and transactions with Merkle-Patricia \
            proofs against headers that link, hash by hash, to one anchor block. Only the anchor is taken on trust: \
            give its hash with --trust (for example the indexed head's hash from asset_status of a node you run), \
            or --chain with a chainspec that has it as a checkpoint.

            The file may hold the bundle itself or the whole JSON-RPC response to asset_proof.

            What is proven is printed. An ownership record shows the token was transferred to its owner in that \
            block; that nothing moved it afterwards is not in the bundle (the node establishes it from the logs \
            blooms of every block it verified).

            Exit status: 0 when everything holds, 1 when a check fails (the first failure is named: which check of \
            which block), 2 when the file cannot be read or is not a bundle.
            """)

    @Argument(help: "The bundle file.")
    var bundle: String

    @Option(help: "A block hash you trust (repeatable): the bundle's anchor must be one of these or a checkpoint.")
    var trust: [String] = []

    @Option(help: "Chainspec name (from chainspec/) or path: its checkpoints are trusted anchors.")
    var chain: String?

    func run() throws {
        let parsed: ProofBundle
        var trusted = Set<Hash32>()
        do {
            for hash in trust {
                do throws(HexError) { trusted.insert(try Hash32(hex: hash)) } catch {
                    throw VerifyBlock.InputError(description: "--trust \(hash): \(error)")
                }
            }
            if let chain {
                let spec = try Chainspec.load(chain, directories: ChainspecDirectories.search)
                trusted.formUnion(spec.checkpoints.map(\.hash))
            }
            parsed = try Self.read(bundle)
            if let chain, let spec = try? Chainspec.load(chain, directories: ChainspecDirectories.search), spec.chainId != parsed.chainId {
                throw VerifyBlock.InputError(description: "the bundle is for chain \(parsed.chainId), --chain \(chain) is chain \(spec.chainId)")
            }
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

    /// The bundle in `path`: bare, or as the `result` of a JSON-RPC response.
    static func read(_ path: String) throws -> ProofBundle {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw VerifyBlock.InputError(description: "cannot read \(path): \(error.localizedDescription)")
        }
        var json: JSONValue
        do throws(JSONParseError) { json = try JSONValue(parsing: bytes) } catch {
            throw VerifyBlock.InputError(description: "\(path) is not JSON: \(error)")
        }
        if let error = json["error"] { throw VerifyBlock.InputError(description: "\(path) holds a JSON-RPC error, not a bundle: \(String(decoding: error.serialized(), as: UTF8.self))") }
        if let result = json["result"] { json = result }
        do throws(ProofError) { return try ProofBundle(json: json) } catch {
            throw VerifyBlock.InputError(description: "\(path) is not a proof bundle: \(error)")
        }
    }
}
