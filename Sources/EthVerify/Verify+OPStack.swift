internal import EthPrimitives
public import EthTypes
internal import EthTrie

// The OP Stack's rules for a block, beyond the header layout of the L1 fork an upgrade adopts
// (https://specs.optimism.io/protocol/overview.html and each upgrade's exec-engine page):
//   every block      (but the Bedrock genesis, which has none) the first transaction is the L1 attributes deposit (from 0xdeaddead…0001 to the L1Block
//                    predeploy 0x42…15); deposits (type 0x7e) come before every other transaction
//   Canyon           withdrawalsRoot = the empty root (no withdrawals on L2) until Isthmus
//   Ecotone          blobGasUsed = 0 (until Jovian), excessBlobGas = 0
//   Holocene         extraData = version 0 ‖ denominator (4 bytes) ‖ elasticity (4 bytes)
//   Isthmus          requestsHash = sha256(""); withdrawalsRoot = the L2ToL1MessagePasser's storage root
//   Jovian           extraData = version 1 ‖ denominator ‖ elasticity ‖ minimum base fee (8 bytes); blobGasUsed =
//                    the block's data-availability footprint

extension Verify {
    /// The header fields an OP Stack upgrade fixes (see above); what the body alone cannot show (Isthmus's
    /// withdrawals root, Jovian's footprint) is left to the report.
    static func opStackFields(of header: Header, upgrade: OPFork) throws(VerificationError) {
        func fail(_ field: VerifiedField, _ expected: String, _ actual: String) -> VerificationError {
            VerificationError(block: header.number, field: field, expected: expected, actual: actual)
        }
        if upgrade >= .canyon && upgrade < .isthmus, let root = header.withdrawalsRoot, root != MerklePatriciaTrie.emptyRoot {
            throw fail(.withdrawalsRoot, "\(MerklePatriciaTrie.emptyRoot.hex) (no withdrawals on L2 before Isthmus)", root.hex)
        }
        if upgrade >= .ecotone {
            if let excess = header.excessBlobGas, excess != 0 { throw fail(.excessBlobGas, "0", String(excess)) }
            if upgrade < .jovian, let used = header.blobGasUsed, used != 0 { throw fail(.blobGasUsed, "0", String(used)) }
        }
        if upgrade >= .holocene {
            let format = upgrade >= .jovian ? OPStack.jovianExtraData : OPStack.holoceneExtraData
            let extra = header.extraData
            guard extra.count == format.count, extra.first == format.version else {
                throw fail(
                    .extraData, "\(format.count) bytes of EIP-1559 parameters, version \(format.version) (\(upgrade))",
                    Hex.encode(extra))
            }
        }
        if upgrade >= .isthmus, let hash = header.requestsHash, hash != Header.emptyRequestsHash {
            throw fail(.requestsHash, "\(Header.emptyRequestsHash.hex) (sha256 of no requests)", hash.hex)
        }
    }

    /// Deposits appear only on OP Stack chains. There, a block after the Bedrock genesis opens with the L1 attributes
    /// deposit and no deposit follows a transaction of another type (derivation puts a block's deposits first).
    public static func transactionTypes(in header: Header, _ transactions: [Transaction], spec: Chainspec) throws(VerificationError) {
        guard spec.family == .opStack else {
            if let i = transactions.firstIndex(where: { $0.type == .deposit }) {
                throw VerificationError(block: header.number, field: .transactionType(index: i), expected: "a type Ethereum has (0-4)", actual: "0x7e (an OP Stack deposit)")
            }
            return
        }
        // The Bedrock genesis block is the one block derived from no L1 block: it has no transactions.
        if case .block(header.number)? = spec.opForks[.bedrock], transactions.isEmpty { return }
        guard let first = transactions.first, let deposit = first.deposit, first.type == .deposit,
            deposit.from == OPStack.l1AttributesDepositor, first.to == OPStack.l1BlockPredeploy
        else {
            let actual = transactions.first.map { tx in tx.deposit.map { "a deposit from \($0.from.hex) to \(tx.to?.hex ?? "nothing")" } ?? "type \(tx.type.rawValue)" } ?? "no transactions"
            throw VerificationError(
                block: header.number, field: .transactionType(index: 0),
                expected: "the L1 attributes deposit (from \(OPStack.l1AttributesDepositor.hex) to \(OPStack.l1BlockPredeploy.hex))", actual: actual)
        }
        let firstOther = transactions.firstIndex { $0.type != .deposit } ?? transactions.count
        if let late = transactions[firstOther...].firstIndex(where: { $0.type == .deposit }) {
            throw VerificationError(
                block: header.number, field: .transactionType(index: late),
                expected: "deposits before transaction \(firstOther) (type \(transactions[firstOther].type.rawValue))", actual: "a deposit")
        }
    }
}
