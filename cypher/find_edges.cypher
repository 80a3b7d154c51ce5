// Which of these edges of one type exist: an edge is keyed by type, source, target and since.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $rows: [{source, target, since}], since '' when the edge has none
// returns: one row per edge found, with the relationship's internal id (to count it once)
UNWIND $rows AS row
MATCH (s:{source} {id: row.source})-[r:{type}]->(t:{target} {id: row.target})
WHERE r.since = row.since
RETURN s.id, t.id, r.since, id(r)
