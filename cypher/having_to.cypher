// Which of some nodes have at least one edge of one type arriving at them, valid on $day when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $ids: [target id]; $day: ISO date or null
// returns: id (one row a node that has one)
UNWIND $ids AS node_id
MATCH (t:{target} {id: node_id})
WITH t  // start from the indexed node
MATCH (s:{source})-[r:{type}]->(t)
WHERE $day IS NULL OR {valid:r}
RETURN DISTINCT t.id AS id
