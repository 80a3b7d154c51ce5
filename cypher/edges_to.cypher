// The edges of one type to some nodes, only those from $sources when given, only those valid on $day when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $targets: [target id]; $sources: [source id] or null; $day: ISO date or null
// returns: source, target, post, role (one row an edge)
UNWIND $targets AS target_id
MATCH (t:{target} {id: target_id})
WITH t  // start from the indexed node
MATCH (s:{source})-[r:{type}]->(t)
WHERE ($sources IS NULL OR s.id IN $sources) AND ($day IS NULL OR {valid:r})
RETURN s.id AS source, t.id AS target, r.post AS post, r.role AS role
