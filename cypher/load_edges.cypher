// Load edges of one type, idempotently: an edge is keyed by type, source, target and since.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $rows: [{source, target, since, until, post, role, props}]
//   since: '' when open-ended (a key cannot be null); until: null when open-ended
//   props: the edge's other properties as JSON text, for an exact round trip
// returns: how many edges were added or changed (an identical record is left alone)
UNWIND $rows AS row
MATCH (s:{source} {id: row.source})
MATCH (t:{target} {id: row.target})
MERGE (s)-[r:{type} {since: row.since}]->(t)
WITH r, row
WHERE r.props IS NULL OR r.props <> row.props OR coalesce(r.until, '') <> coalesce(row.until, '')
SET r.until = row.until, r.post = row.post, r.role = row.role, r.props = row.props
RETURN count(r) AS written
