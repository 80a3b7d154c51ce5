// The edges of one type from some nodes, only those to $targets when given, only those valid on $day when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $sources: [source id]; $targets: [target id] or null; $day: ISO date or null
// returns: source, target, post, role (one row an edge)
UNWIND $sources AS source_id
MATCH (s:{source} {id: source_id})
WITH s  // start from the indexed node
MATCH (s)-[r:{type}]->(t:{target})
WHERE ($targets IS NULL OR t.id IN $targets) AND ($day IS NULL OR {valid:r})
RETURN s.id AS source, t.id AS target, r.post AS post, r.role AS role
