import DevChain
import EthTypes
import Foundation
import FuzzTargets
import Testing
import TestSupport

/// Every input a fuzzer once crashed on (`inputs/<target>/`, kept when the crash was fixed), run again through the
/// same target: a regression traps here as it did under libFuzzer. The dev chain's own encodings go through each
/// target too, so the harness `scripts/fuzz.sh` runs is itself tested.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        let folder = Repository.url("Tests/FuzzRegressionTests/inputs/\(target.rawValue)")
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzTarget.allCases)
    func crashInputsStayFixed(_ target: FuzzTarget) throws {
        for file in try Self.inputs(target) { target.run(Array(try Data(contentsOf: file))) }
    }

    /// Valid inputs of each target, from the dev chain: each is accepted and keeps the target's properties.
    static let chain: DevChain = {
        var chain = DevChain(seed: 5)
        chain.grow(to: 12)
        return chain
    }()

    @Test func theTargetsAcceptValidInputs() throws {
        let blocks = Self.chain.blocks.filter { !$0.transactions.isEmpty }
        try #require(!blocks.isEmpty)
        for block in blocks {
            #expect(FuzzTarget.header.run(block.header.encoded) && FuzzTarget.rlp.run(block.header.encoded))
            for (tx, receipt) in zip(block.transactions, block.receipts) {
                #expect(FuzzTarget.transaction.run(tx.encoded) && FuzzTarget.receipt.run(receipt.encoded))
            }
        }
        let request = Array(#"{"jsonrpc":"2.0","id":1,"method":"asset_proof","params":["\#(DevChain.Contract.visions.address.hex)","0x1"]}"#.utf8)
        #expect(FuzzTarget.json.run(request) && FuzzTarget.rpc.run(request))
        #expect(FuzzTarget.http.run(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(request.count)\r\n\r\n".utf8) + request))
        #expect(FuzzTarget.bundle.run(FuzzTarget.sampleBundle()))
        #expect(FuzzTarget.config.run([0] + Array(try Data(contentsOf: Repository.url("examples/provenant-dev.yaml")))))
        #expect(FuzzTarget.config.run([1] + Array(try Repository.chainspecJSON("provenant-dev"))))
        // And what is not valid is refused, not taken.
        #expect(!FuzzTarget.rlp.run([0x81, 0x05]) && !FuzzTarget.header.run([0xc0]) && !FuzzTarget.http.run(Array("GET / HTTP/1.1\r\nHost : x\r\n\r\n".utf8)))
    }
}
