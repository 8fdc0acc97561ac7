public import AssetIndex
public import Server

/// The index's own figures on `/metrics`.
public enum IndexFigures {
    public static func families(_ index: AssetIndex) -> [MetricFamily] {
        [
            .gauge("provenant_indexed_block", "Number of the last verified and indexed block.", Double((try? index.cursor())?.number ?? 0)),
            .gauge("provenant_indexed_events", "Token events indexed so far.", Double((try? index.eventCount()) ?? 0)),
        ]
    }
}
