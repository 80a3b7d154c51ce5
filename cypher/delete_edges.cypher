// Remove edges of one type, each keyed by source, target and since.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $rows: [{source, target, since}], since '' when the edge has none
// returns: how many were removed
UNWIND $rows AS row
MATCH (s:{source} {id: row.source})-[r:{type}]->(t:{target} {id: row.target})
WHERE r.since = row.since
DELETE r
RETURN count(*) AS removed
