// The stored state of these edges of one type (those that exist), to tell what a load changes.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $rows: [{source, target, since}], since '' when the edge has none
// returns: source, target, since, until, props (the edge's other properties as JSON text)
UNWIND $rows AS row
MATCH (s:{source} {id: row.source})-[r:{type}]->(t:{target} {id: row.target})
WHERE r.since = row.since
RETURN s.id, t.id, r.since, r.until, r.props
