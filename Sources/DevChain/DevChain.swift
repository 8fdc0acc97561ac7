public import EthPrimitives
public import EthTypes
internal import TokenEvents
public import EthCrypto
internal import EthTrie

/// A deterministic chain for the demo, tests and benchmarks (ARCHITECTURE.md §8): real secp256k1 keys sign real
/// transactions, blocks carry real roots, blooms and parent links, and three AI-asset contracts emit the token
/// events of ARCHITECTURE.md §4. Every fork is active from genesis (`chainspec/provenant-dev.json`). The same seed
/// always gives the same chain; the genesis block is the same for every seed.
///
/// In the OP Stack family (`chainspec/provenant-dev-op.json`, every upgrade to Isthmus from genesis) each block opens
/// with an L1 attributes deposit, deposit receipts carry their nonce and version as from Canyon, blocks carry no
/// blob transactions, and `extraData` holds Holocene's EIP-1559 parameters.
public struct DevChain: Sendable {
    /// The dev chain's id (also in its chainspec).
    public static let chainId: UInt64 = 0x50_524f_56  // "PROV"
    /// The OP Stack dev chain's id (`chainspec/provenant-dev-op.json`).
    public static let opStackChainId: UInt64 = 0x50_524f_4f  // "PROO"
    /// Gas the L1 attributes deposit of an OP Stack block uses.
    public static let l1AttributesGas: UInt64 = 45_000
    /// Holocene's `extraData` on the OP Stack dev chain: version 0, denominator 250, elasticity 6 (OP Mainnet's).
    public static let holoceneExtraData: [UInt8] = [0, 0, 0, 0, 250, 0, 0, 0, 6]
    /// Seconds between blocks.
    public static let blockTime: UInt64 = 12
    public static let genesisTimestamp: UInt64 = 1_700_000_000
    /// Gas every generated transaction uses (the chain has no EVM; the figure keeps receipts realistic).
    public static let gasPerTransaction: UInt64 = 90_000
    /// The prompt prefix of every 23rd token from token 5: markup that would run a script and reverse the text after
    /// it, were a page to put it in its HTML unescaped (tokens 11, 34, … start with bytes that are not UTF-8).
    public static let hostilePrompt = "<script>document.body.dataset.pwned='1'</script><img src=x onerror=\"document.title='pwned'\">\u{202E}"

    /// Blob gas of one blob (EIP-4844's GAS_PER_BLOB).
    public static let blobGasPerBlob: UInt64 = 131_072

    /// The contracts: an ERC-721 with ERC-4907 rentals, ERC-7007 AIGC data and ERC-4906 metadata; an ERC-1155;
    /// an ERC-20 of fractional shares.
    public enum Contract: CaseIterable, Sendable {
        case visions, editions, shares

        public var name: String {
            switch self {
            case .visions: return "prompted-visions"
            case .editions: return "visions-editions"
            case .shares: return "vision-shares"
            }
        }

        public var address: Address { Address(bytes: keccak256(Array("provenant-dev:\(name)".utf8)).bytes[12...])! }
    }

    /// A generated block with everything a JSON-RPC upstream serves for it.
    public struct Block: Sendable {
        public let header: Header
        public let transactions: [Transaction]
        public let senders: [Address]
        public let receipts: [Receipt]
    }

    /// Where a chain leaves the one its seed alone gives: from `block` on, its blocks and their events differ
    /// (a reorg's other branch). Same seed and branch, same chain. Not a hard fork: those are `EthTypes.Fork`.
    public struct Branch: Sendable, Hashable {
        public var block: UInt64
        public var salt: UInt64

        public init(block: UInt64, salt: UInt64) {
            precondition(block >= 1, "genesis is shared by every branch")
            self.block = block
            self.salt = salt
        }
    }

    public let seed: UInt64
    /// Ethereum's block format, or the OP Stack's.
    public let family: Chainspec.Family
    /// Where this chain left the seed's, in ascending order: each a reorg's branch off the one before.
    public let branches: [Branch]
    /// The share of blocks with transactions (and so with watched events), when set; otherwise about 5 in 8.
    public let eventBlockShare: Double?
    /// Unwatched transactions every block carries besides the dev contracts' (mainnet-sized blocks), if any.
    public let traffic: Traffic?
    private let trafficPool: [Traffic.Item]
    public let accounts: [PrivateKey]
    public private(set) var blocks: [Block]
    private var world: World
    private var rng: Generator
    /// The world state after each of the last `stateHistory` blocks, by number: what `eth_getProof` can answer.
    private var states: [UInt64: WorldState]

    /// How many recent blocks' states the chain keeps for proofs, like a full node that is not an archive node.
    public static let stateHistory: UInt64 = 1_024

    public init(
        seed: UInt64, branch: Branch? = nil, eventBlockShare: Double? = nil, traffic: Traffic? = nil, accounts count: Int = 8,
        family: Chainspec.Family = .ethereum
    ) {
        self.init(seed: seed, branches: branch.map { [$0] } ?? [], eventBlockShare: eventBlockShare, traffic: traffic, accounts: count, family: family)
    }

    /// A chain that leaves the seed's at each branch in turn (a chain reorganised several times).
    public init(
        seed: UInt64, branches: [Branch], eventBlockShare: Double? = nil, traffic: Traffic? = nil, accounts count: Int = 8,
        family: Chainspec.Family = .ethereum
    ) {
        precondition(zip(branches, branches.dropFirst()).allSatisfy { $0.block <= $1.block }, "branches in ascending order")
        // The traffic pool signs for Ethereum's chain id and carries blob transactions, which no OP Stack chain has.
        precondition(traffic == nil || family == .ethereum, "mainnet-shaped traffic is Ethereum's")
        self.seed = seed
        self.family = family
        self.branches = branches
        self.eventBlockShare = eventBlockShare
        self.traffic = traffic
        trafficPool = traffic == nil ? [] : Traffic.pool(seed: seed)
        accounts = Self.accountKeys(count)
        blocks = [family == .opStack ? Self.opStackGenesis : Self.genesis]
        world = World()
        rng = Generator(seed: seed)
        states = [0: Self.genesisState]
    }

    /// The head block.
    public var head: Block { blocks[blocks.count - 1] }

    /// The chain id its transactions are signed for.
    public var chainId: UInt64 { family == .opStack ? Self.opStackChainId : Self.chainId }

    /// The genesis header: all forks' fields present, empty tries.
    public static let genesis: Block = {
        var f = HeaderFields()
        f.ommersHash = keccak256([0xc0] as [UInt8])
        f.stateRoot = genesisState.root
        f.transactionsRoot = MerklePatriciaTrie.emptyRoot
        f.receiptsRoot = MerklePatriciaTrie.emptyRoot
        f.gasLimit = 30_000_000
        f.timestamp = genesisTimestamp
        f.extraData = Array("provenant dev chain".utf8)
        f.baseFeePerGas = UInt256(1_000_000_000)
        f.withdrawalsRoot = MerklePatriciaTrie.emptyRoot
        f.blobGasUsed = 0
        f.excessBlobGas = 0
        f.parentBeaconBlockRoot = .zero
        f.requestsHash = Header.emptyRequestsHash
        return Block(header: Self.header(f), transactions: [], senders: [], receipts: [])
    }()

    /// The OP Stack dev chain's genesis: the same, with Holocene's `extraData`.
    public static let opStackGenesis: Block = {
        var f = genesis.header.fields
        f.extraData = holoceneExtraData
        return Block(header: Self.header(f), transactions: [], senders: [], receipts: [])
    }()

    /// The dev accounts: their keys are the same for every chain.
    static func accountKeys(_ count: Int) -> [PrivateKey] {
        (0..<count).map { i in
            // A keccak256 output is a valid secp256k1 key but for a chance of about 2^-128.
            guard let key = try? PrivateKey(bytes: keccak256(Array("provenant-dev account \(i)".utf8)).bytes) else {
                preconditionFailure("dev account \(i) has no valid key")
            }
            return key
        }
    }

    /// The accounts funded at genesis: the first eight (a chain with more accounts funds only these).
    static let genesisState = WorldState.genesis(accounts: accountKeys(8).map(\.address))


    /// The header of fields the generator set itself: every field it fills is present for the forks it runs.
    static func header(_ fields: HeaderFields) -> Header {
        do throws(HeaderError) { return try Header(fields) } catch { preconditionFailure("the dev chain built an invalid header: \(error)") }
    }

    /// Generates blocks until the chain's head is `number`.
    public mutating func grow(to number: UInt64) {
        while blocks.count <= number { blocks.append(nextBlock()) }
    }

    /// An account and some of its storage slots with their proofs against the `stateRoot` of block `number`, as
    /// `eth_getProof` answers; nil when that block's state is no longer kept (more than `stateHistory` blocks old)
    /// or the block does not exist.
    public func accountProof(of address: Address, slots: [UInt256], block number: UInt64) -> AccountProofData? {
        states[number]?.proof(of: address, slots: slots)
    }

    /// An account's proof and fields, and its slots' values and proofs (EIP-1186's fields).
    public struct AccountProofData: Sendable {
        public var accountProof: [[UInt8]]
        public var nonce: UInt64
        public var balance: UInt256
        public var storageHash: Hash32
        public var codeHash: Hash32
        public var storage: [(slot: UInt256, value: UInt256, proof: [[UInt8]])]
    }

    private mutating func nextBlock() -> Block {
        let parent = blocks.last!.header
        let number = parent.number + 1
        for branch in branches where branch.block == number { rng.state ^= branch.salt &* 0xD1B5_4A32_D192_ED03 }
        var transactions: [Transaction] = [], senders: [Address] = [], receipts: [Receipt] = []
        var gas: UInt64 = 0, blobGas: UInt64 = 0
        var state = states[number - 1]!
        let branchName = branches.filter { number >= $0.block }.map { " branch \($0.salt)" }.joined()
        if family == .opStack {
            // The L1 attributes deposit: one a block, so the depositor's nonce before it is the parent's number.
            let deposit = Self.l1AttributesDeposit(seed: seed, number: number, branchName: branchName)
            state.incrementNonce(of: OPStack.l1AttributesDepositor)
            state.commit(OPStack.l1AttributesDepositor)
            gas = Self.l1AttributesGas
            transactions.append(deposit)
            senders.append(OPStack.l1AttributesDepositor)
            receipts.append(Receipt(
                type: .deposit, outcome: .status(true), cumulativeGasUsed: gas, logsBloom: Bloom(), logs: [],
                depositNonce: number - 1, depositReceiptVersion: 1))
        }
        let count: Int
        if let share = eventBlockShare {
            count = Double(rng.next() >> 11) / Double(1 << 53) < share ? 1 + Int(rng.next() % 5) : 0
        } else {
            count = rng.next() % 4 == 0 ? 0 : Int(rng.next() % 6)
        }
        for _ in 0..<count {
            let signer = Int(rng.next() % UInt64(accounts.count))
            let (contract, input, events) = world.action(by: accounts[signer].address, among: accounts.map(\.address), rng: &rng, block: number)
            // Types 0 and 2 mostly; some blob (EIP-4844) and set-code (EIP-7702) transactions, so that every
            // envelope sync must verify appears.
            var type: TransactionType = switch rng.next() % 8 { case 0, 1, 2: .legacy; case 6: .blob; case 7: .setCode; default: .dynamicFee }
            if type == .blob && family == .opStack { type = .accessList }
            var fields = TransactionFields(type: type, chainId: UInt256(chainId))
            fields.nonce = world.nextNonce(of: signer)
            fields.gasLimit = 200_000
            fields.gasPrice = UInt256(2_000_000_000)
            fields.maxFeePerGas = UInt256(3_000_000_000)
            fields.maxPriorityFeePerGas = UInt256(1_000_000_000)
            fields.to = contract.address
            fields.data = input
            if type == .blob {
                // Versioned hashes of blobs the chain does not carry (they live on the consensus layer).
                fields.maxFeePerBlobGas = UInt256(1_000_000_000)
                fields.blobVersionedHashes = (0..<(1 + rng.next() % 2)).map { _ in
                    Hash32(bytes: [0x01] + keccak256(Array("blob \(seed) \(number) \(rng.next())".utf8)).bytes[1...])!
                }
                blobGas += Self.blobGasPerBlob * UInt64(fields.blobVersionedHashes.count)
            }
            if type == .setCode {
                // Another account delegates its code to the contract, signed with that account's key.
                let authority = accounts[(signer + 1) % accounts.count]
                var authorization = Authorization(chainId: UInt256(chainId), address: contract.address, nonce: rng.next() % 1_000, yParity: 0, r: .zero, s: .zero)
                let signature = authority.sign(authorization.signingHash)
                authorization.r = signature.r
                authorization.s = signature.s
                authorization.yParity = signature.yParity
                fields.authorizationList = [authorization]
            }
            let tx = Transaction.sign(fields, with: accounts[signer])
            for write in world.writes { state.store(write.contract.address, slot: write.slot, value: write.value) }
            state.incrementNonce(of: accounts[signer].address)
            state.commit(accounts[signer].address)
            state.commit(contract.address)
            gas += Self.gasPerTransaction
            let logs = events.map { $0.log(contract: contract.address) }
            transactions.append(tx)
            senders.append(accounts[signer].address)
            receipts.append(Receipt(type: tx.type, outcome: .status(true), cumulativeGasUsed: gas, logsBloom: Bloom(logs: logs), logs: logs))
        }
        if let traffic {
            // The dev contracts' transactions among the block's unwatched ones, at places the seed decides.
            var items = zip(zip(transactions, senders), receipts).map { Traffic.Item(transaction: $0.0, sender: $0.1, logs: $1.logs, gasUsed: Self.gasPerTransaction) }
            let count = traffic.perBlock.lowerBound + Int(rng.next() % UInt64(traffic.perBlock.count))
            for _ in 0..<count {
                let item = trafficPool[Int(rng.next() % UInt64(trafficPool.count))]
                items.insert(item, at: Int(rng.next() % UInt64(items.count + 1)))
                blobGas += Self.blobGasPerBlob * UInt64(item.transaction.fields.blobVersionedHashes.count)
            }
            gas = 0
            transactions = items.map(\.transaction)
            senders = items.map(\.sender)
            receipts = items.map { item in
                gas += item.gasUsed
                return Receipt(type: item.transaction.type, outcome: .status(true), cumulativeGasUsed: gas, logsBloom: Bloom(logs: item.logs), logs: item.logs)
            }
        }
        var f = HeaderFields()
        f.parentHash = parent.hash
        f.ommersHash = keccak256([0xc0] as [UInt8])
        f.stateRoot = state.root
        states[number] = state
        if number >= Self.stateHistory { states[number - Self.stateHistory] = nil }
        f.transactionsRoot = OrderedTrie.root(transactions.map(\.encoded))
        f.receiptsRoot = OrderedTrie.root(receipts.map(\.encoded))
        var bloom = Bloom()
        for receipt in receipts { bloom.formUnion(receipt.logsBloom) }
        f.logsBloom = bloom
        f.number = number
        f.gasLimit = 30_000_000
        f.gasUsed = gas
        f.timestamp = Self.genesisTimestamp + number * Self.blockTime
        f.extraData = family == .opStack ? Self.holoceneExtraData : Array("provenant dev chain".utf8)
        f.mixHash = keccak256(Array("randao \(seed) \(number)\(branchName)".utf8))
        f.baseFeePerGas = UInt256(1_000_000_000)
        f.withdrawalsRoot = MerklePatriciaTrie.emptyRoot
        f.blobGasUsed = blobGas
        f.excessBlobGas = 0
        f.parentBeaconBlockRoot = keccak256(Array("beacon \(seed) \(number)".utf8))
        f.requestsHash = Header.emptyRequestsHash
        return Block(header: Self.header(f), transactions: transactions, senders: senders, receipts: receipts)
    }

    /// An OP Stack block's first transaction: the L1 attributes deposit, in Ecotone's calldata layout (selector
    /// `setL1BlockValuesEcotone`, then 160 bytes of L1 origin fields, here derived from the seed and number).
    static func l1AttributesDeposit(seed: UInt64, number: UInt64, branchName: String) -> Transaction {
        let origin = keccak256(Array("l1 origin \(seed) \(number)\(branchName)".utf8)).bytes
        var fields = TransactionFields(deposit: DepositFields(
            sourceHash: keccak256(Array("l1 attributes \(seed) \(number)\(branchName)".utf8)), from: OPStack.l1AttributesDepositor))
        fields.to = OPStack.l1BlockPredeploy
        fields.gasLimit = 1_000_000
        fields.data = [0x44, 0x0a, 0x5e, 0x20] + (0..<5).flatMap { _ in origin }
        return Transaction.deposit(fields)
    }
}

/// SplitMix64: deterministic across platforms and runs, unlike the system generator.
struct Generator: Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension DevChain.Block {
    /// The block as an upstream's `eth_getBlockByNumber(n, true)` result would decode: its hash and senders are
    /// the upstream's claims, checked by the verifier like any other.
    public var rpc: RPCBlock {
        RPCBlock(
            header: header, claimedHash: header.hash,
            transactions: .full(zip(transactions, senders).map { RPCTransaction(transaction: $0, claimedHash: $0.hash, claimedFrom: $1) }),
            uncles: [], withdrawals: [])
    }
}

/// What the dev chain's contracts hold after its last block, kept by the generator itself: the answers an index
/// of the chain must give, found without reading a single log.
public struct DevChainRecord: Sendable {
    /// ERC-721 owner of every live token of `prompted-visions`.
    public var owners: [UInt64: Address]
    /// ERC-4907 user and expiry last set on each token.
    public var rentals: [UInt64: (user: Address, expires: UInt64)]
    /// ERC-7007 prompt and output of each minted token, and who minted it.
    public var provenance: [UInt64: (prompt: [UInt8], output: [UInt8], minter: Address)]
    /// Later ERC-7007 records (`Update`) of each token, in order.
    public var aigcUpdates: [UInt64: [(prompt: [UInt8], output: [UInt8])]]
    /// The image files the outputs name, by token: the mint's first, then each update's (`DevOutput.image`).
    public var outputFiles: [UInt64: [[UInt8]]]
    /// ERC-1155 balance per edition id and holder (zero balances left out).
    public var editions: [UInt64: [Address: UInt64]]
    /// ERC-20 share balances (zero balances left out).
    public var shares: [Address: UInt64]
    /// Tokens ever minted: ids 1 through this.
    public var mintedTokens: UInt64
}

extension DevChain {
    public var record: DevChainRecord {
        DevChainRecord(
            owners: world.owners.mapValues { accounts[Int($0) - 1].address },
            rentals: world.rentals, provenance: world.aigc, aigcUpdates: world.aigcUpdates,
            outputFiles: world.images.mapValues { $0.map(DevOutput.image(seed:)) },
            editions: world.editions.mapValues { $0.filter { $0.value > 0 } }.filter { !$0.value.isEmpty },
            shares: world.shares.filter { $0.value > 0 }, mintedTokens: world.nextToken - 1)
    }
}
