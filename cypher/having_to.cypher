// Which of some nodes have at least one edge of one type arriving at them, valid on $day when given, from a
// node not in $beyond when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $ids: [target id]; $day: ISO date or null; $beyond: [source id] or null
// returns: id (one row a node that has one)
UNWIND $ids AS node_id
MATCH (t:{target} {id: node_id})
WITH t  // start from the indexed node
MATCH (s:{source})-[r:{type}]->(t)
WHERE ($day IS NULL OR {valid:r}) AND ($beyond IS NULL OR NOT s.id IN $beyond)
RETURN DISTINCT t.id AS id
