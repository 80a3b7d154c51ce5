// Add one entry to the history of the records, numbered by the writer that holds the write lease (so no
// two share a number); on Neo4j in the write's own transaction. The history is only ever added to.
// $seq, $at, $kind, $by, $data (JSON text: note, on, added, changed, ended, removed, counts, complete),
// $nodes (the node ids the entry names, to find a record's story)
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.history = $seq
CREATE (:OrgGraphHistory {seq: $seq, at: $at, kind: $kind, by: $by, data: $data, nodes: $nodes})
