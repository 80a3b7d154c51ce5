// The nodes at the far end of the edges of one type leaving some nodes, valid on $day when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $ids: [source id]; $day: ISO date or null
// returns: id (one row a node reached)
UNWIND $ids AS node_id
MATCH (s:{source} {id: node_id})
WITH s  // start from the indexed node
MATCH (s)-[r:{type}]->(t:{target})
WHERE $day IS NULL OR {valid:r}
RETURN DISTINCT t.id AS id
