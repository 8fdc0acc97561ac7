/// The sink's tables in one PostgreSQL schema (ARCHITECTURE.md §12, README "PostgreSQL"). Types, chosen once:
/// addresses and hashes are `bytea` (20 and 32 bytes; `encode(x, 'hex')` shows them), uint256 values `numeric(78)`,
/// uint64 values that may use all 64 bits (`expires`) `numeric(20)`, block numbers and timestamps `bigint`.
struct SinkSchema: Sendable {
    /// The layout these statements create; a schema holding another is refused, not migrated in place.
    static let layout = 1

    /// The schema's name, checked to be a plain identifier (it is put into statements as is).
    let name: String

    /// Why a schema name cannot be used.
    static func check(_ name: String) -> String? {
        let ok = !name.isEmpty && name.count <= 63 && name.first.map { $0 == "_" || ("a"..."z").contains($0) } == true
            && name.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        return ok ? nil : "a schema name is 1 to 63 of a-z, 0-9 and _, not starting with a digit: \"\(name)\""
    }

    func table(_ table: String) -> String { "\"\(name)\".\(table)" }

    /// The columns of `token_events` in the order COPY writes them.
    static let eventColumns = [
        "block_number", "block_hash", "block_timestamp", "transaction_hash", "transaction_index", "log_index", "batch_index",
        "contract", "event", "change", "token_id", "operator", "from_address", "to_address", "value", "user_address", "expires",
        "prompt_hash", "aigc_data_hash", "proof", "prompt", "aigc_data", "sender",
    ]
    static let ownerColumns = ["contract", "token_id", "owner", "block_number"]
    static let balanceColumns = ["contract", "standard", "token_id", "holder", "balance"]
    static let rentalColumns = ["contract", "token_id", "user_address", "expires", "block_number"]
    static let provenanceColumns = [
        "contract", "token_id", "minter", "mint_block", "mint_transaction", "aigc_records", "prompt_hash", "aigc_data_hash", "prompt",
        "aigc_data", "aigc_block", "aigc_log_index", "aigc_transaction",
    ]

    /// Every statement that creates the schema, each idempotent.
    var create: [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \"\(name)\"",
            """
            CREATE TABLE IF NOT EXISTS \(table("sinks")) (
              name text PRIMARY KEY,
              layout integer NOT NULL,
              chain_id numeric(20) NOT NULL,
              contracts text[] NOT NULL,
              block_number bigint,
              block_hash bytea,
              updated_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE IF NOT EXISTS \(table("token_events")) (
              block_number bigint NOT NULL,
              block_hash bytea NOT NULL,
              block_timestamp bigint NOT NULL,
              transaction_hash bytea NOT NULL,
              transaction_index integer NOT NULL,
              log_index integer NOT NULL,
              batch_index integer NOT NULL,
              contract bytea NOT NULL,
              event text NOT NULL,
              change text,
              token_id numeric(78),
              operator bytea,
              from_address bytea,
              to_address bytea,
              value numeric(78),
              user_address bytea,
              expires numeric(20),
              prompt_hash bytea,
              aigc_data_hash bytea,
              proof bytea,
              prompt bytea,
              aigc_data bytea,
              sender bytea,
              PRIMARY KEY (block_number, log_index, batch_index))
            """,
            "CREATE INDEX IF NOT EXISTS token_events_token ON \(table("token_events")) (contract, token_id, block_number, log_index)",
            """
            CREATE TABLE IF NOT EXISTS \(table("owners")) (
              contract bytea NOT NULL,
              token_id numeric(78) NOT NULL,
              owner bytea NOT NULL,
              block_number bigint NOT NULL,
              PRIMARY KEY (contract, token_id))
            """,
            "CREATE INDEX IF NOT EXISTS owners_owner ON \(table("owners")) (owner)",
            """
            CREATE TABLE IF NOT EXISTS \(table("balances")) (
              contract bytea NOT NULL,
              standard text NOT NULL CHECK (standard IN ('erc1155', 'erc20')),
              token_id numeric(78),
              holder bytea NOT NULL,
              balance numeric(78) NOT NULL,
              CHECK ((standard = 'erc20') = (token_id IS NULL)))
            """,
            "CREATE UNIQUE INDEX IF NOT EXISTS balances_erc1155 ON \(table("balances")) (contract, token_id, holder) WHERE token_id IS NOT NULL",
            "CREATE UNIQUE INDEX IF NOT EXISTS balances_erc20 ON \(table("balances")) (contract, holder) WHERE token_id IS NULL",
            "CREATE INDEX IF NOT EXISTS balances_top ON \(table("balances")) (contract, token_id, balance DESC)",
            "CREATE INDEX IF NOT EXISTS balances_holder ON \(table("balances")) (holder)",
            """
            CREATE TABLE IF NOT EXISTS \(table("rentals")) (
              contract bytea NOT NULL,
              token_id numeric(78) NOT NULL,
              user_address bytea NOT NULL,
              expires numeric(20) NOT NULL,
              block_number bigint NOT NULL,
              PRIMARY KEY (contract, token_id))
            """,
            "CREATE INDEX IF NOT EXISTS rentals_expires ON \(table("rentals")) (expires)",
            """
            CREATE TABLE IF NOT EXISTS \(table("provenance")) (
              contract bytea NOT NULL,
              token_id numeric(78) NOT NULL,
              minter bytea,
              mint_block bigint,
              mint_transaction bytea,
              aigc_records integer NOT NULL,
              prompt_hash bytea,
              aigc_data_hash bytea,
              prompt bytea,
              aigc_data bytea,
              aigc_block bigint,
              aigc_log_index integer,
              aigc_transaction bytea,
              PRIMARY KEY (contract, token_id))
            """,
            "CREATE INDEX IF NOT EXISTS provenance_minter ON \(table("provenance")) (minter)",
        ]
    }
}
