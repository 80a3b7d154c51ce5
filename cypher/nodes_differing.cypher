// Of a batch of nodes of one kind about to be loaded, those that differ from what is stored: new ones, and
// those whose record is not the same (nodes stored alike are left out, so a reload reads back little).
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $rows: [{id, props}] as load_nodes.cypher takes them
// returns: id, whether it is new
UNWIND $rows AS row
OPTIONAL MATCH (n:{label} {id: row.id})
WITH row, n
WHERE n IS NULL OR n.props <> row.props
RETURN row.id, n IS NULL
