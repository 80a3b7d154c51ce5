// Which of some nodes have at least one edge of one type leaving them, valid on $day when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $ids: [source id]; $day: ISO date or null
// returns: id (one row a node that has one)
UNWIND $ids AS node_id
MATCH (s:{source} {id: node_id})
WITH s  // start from the indexed node
MATCH (s)-[r:{type}]->(t:{target})
WHERE $day IS NULL OR {valid:r}
RETURN DISTINCT s.id AS id
