// Set the fold of nodes of one kind whose id is spelled otherwise than its fold, once, when a store kept
// by an older version (layout 2) is first opened by this one (load_nodes sets it on every node it writes).
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $rows: [{id, fold}]
UNWIND $rows AS row
MATCH (n:{label} {id: row.id})
SET n.fold = row.fold
