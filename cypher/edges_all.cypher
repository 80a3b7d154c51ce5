// Every edge of one type, only those valid on $day when given.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $day: ISO date or null
// returns: source, target, post, role (one row an edge)
MATCH (s:{source})-[r:{type}]->(t:{target})
WHERE $day IS NULL OR {valid:r}
RETURN s.id AS source, t.id AS target, r.post AS post, r.role AS role
